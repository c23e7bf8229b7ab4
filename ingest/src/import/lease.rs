//! The import record as a lease: who may work on an import, until when, and how a worker hands it back.
//!
//! The record is written with an optimistic lock (`version`), so of two workers that read it, only one saves;
//! a live lease held by someone else makes the import busy, a lapsed one is taken over.

use time::OffsetDateTime;
use tracing::warn;

use creatoros_model::entities::{Import, ImportStatus};
use creatoros_model::ids::timestamp::iso_millis;
use creatoros_model::ids::{ItemId, Month, WorkspaceId};
use creatoros_store::{Created, RepoError};

use super::Request;
use crate::context::Ingest;
use crate::source::ObjectInfo;

/// A unique name for this worker invocation, used as lease and lock owner.
pub(super) fn owner_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = OffsetDateTime::now_utc().unix_timestamp_nanos();
    format!(
        "w-{}-{nanos:x}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Now, as the record stores times.
pub(super) fn now() -> String {
    iso_millis(OffsetDateTime::now_utc())
}

/// Saves the record (optimistic lock); a conflict means another worker took the import over.
pub(super) async fn save(ctx: &Ingest, record: &mut Import) -> Result<(), RepoError> {
    record.updated_at = Some(now());
    ctx.repo.replace_versioned(record).await
}

/// What claiming the import record found.
pub(super) enum Claim {
    /// The record is ours to work on.
    Ready(Box<Import>),
    /// It is final (and this is not a reingest).
    Done,
    /// Another worker holds a live lease.
    Busy,
}

/// Gets the record ready for this worker.
pub(super) async fn claim(
    ctx: &Ingest,
    workspace: &WorkspaceId,
    info: &ObjectInfo,
    id: &ItemId,
    request: &Request,
    owner: &str,
) -> Result<Claim, RepoError> {
    let lease_until = iso_millis(OffsetDateTime::now_utc() + ctx.settings.lease);
    for _ in 0..3 {
        let existing: Option<Import> = ctx
            .repo
            .get(&[
                ("workspaceId", workspace.as_str()),
                ("importId", id.as_str()),
            ])
            .await?;
        let mut record = match existing {
            None => {
                let fresh = Import {
                    workspace_id: workspace.clone(),
                    import_id: id.clone(),
                    month: Month::parse(&iso_millis(info.last_modified)[..7]).expect("ISO month"),
                    status: ImportStatus::Processing,
                    bucket: info.bucket.clone(),
                    key: info.key.clone(),
                    version_id: info.version_id.clone(),
                    etag: Some(info.etag.clone()),
                    size_bytes: Some(info.size),
                    source_time: iso_millis(info.last_modified),
                    format: None,
                    rows_seen: 0,
                    rows_written: 0,
                    rows_rejected: 0,
                    errors: Vec::new(),
                    rejects_key: None,
                    months: Vec::new(),
                    checkpoint: None,
                    lease_owner: Some(owner.to_owned()),
                    lease_expires_at: Some(lease_until.clone()),
                    started_at: Some(now()),
                    finished_at: None,
                    updated_at: Some(now()),
                    version: 1,
                    failure: None,
                    invocations: 1,
                    container: None,
                    notes: Vec::new(),
                };
                match ctx.repo.create(&fresh).await? {
                    Created::Inserted => return Ok(Claim::Ready(Box::new(fresh))),
                    Created::AlreadyExists => continue,
                }
            }
            Some(r) => r,
        };
        if record.status.is_final() {
            if *request != Request::Again {
                return Ok(Claim::Done);
            }
            // Start over: same id, same object, fresh counts. Items written before are overwritten identically.
            record.status = ImportStatus::Processing;
            record.rows_seen = 0;
            record.rows_written = 0;
            record.rows_rejected = 0;
            record.errors.clear();
            record.months.clear();
            record.checkpoint = None;
            record.rejects_key = None;
            record.failure = None;
            record.finished_at = None;
            record.started_at = Some(now());
            record.invocations = 0;
        } else if record.lease_owner.as_deref().is_some_and(|o| o != owner)
            && record
                .lease_expires_at
                .as_deref()
                .is_some_and(|t| t > now().as_str())
        {
            return Ok(Claim::Busy);
        }
        record.lease_owner = Some(owner.to_owned());
        record.lease_expires_at = Some(lease_until.clone());
        record.invocations += 1;
        match save(ctx, &mut record).await {
            Ok(()) => return Ok(Claim::Ready(Box::new(record))),
            Err(RepoError::VersionConflict { .. }) => continue,
            Err(e) => return Err(e),
        }
    }
    // Three writers raced us for the record: let one of them have it.
    Ok(Claim::Busy)
}

/// Hands the lease back after a retryable failure, so the retry can take over at once (from the last checkpoint).
/// Best effort: a lease that cannot be cleared now simply expires. The counts in `record` already include rows
/// past the checkpoint, which the retry reads again; so the lease is cleared on the record as stored at that
/// checkpoint (same version: nobody else wrote since), or those rows would be counted twice.
pub(super) async fn hand_back(ctx: &Ingest, record: &Import) {
    let id = &record.import_id;
    let stored: Result<Option<Import>, RepoError> = ctx
        .repo
        .get(&[
            ("workspaceId", record.workspace_id.as_str()),
            ("importId", id.as_str()),
        ])
        .await;
    match stored {
        Ok(Some(mut at_checkpoint)) if at_checkpoint.version == record.version => {
            at_checkpoint.lease_expires_at = Some(now());
            if let Err(clear) = save(ctx, &mut at_checkpoint).await {
                warn!(import = %id, error = %clear, "could not hand back the lease");
            }
        }
        Ok(_) => {
            warn!(import = %id, "the import changed hands; its lease is not ours to hand back")
        }
        Err(clear) => warn!(import = %id, error = %clear, "could not hand back the lease"),
    }
}
