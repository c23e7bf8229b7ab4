//! One object's import, start to finish or to a checkpoint: claim the import record, stream the object through
//! the reader on a blocking thread, write metrics and rejected rows chunk by chunk, checkpoint, and either finish
//! or hand over to a continuation message when the invocation runs short of time.
//!
//! Guarantees:
//! - the import id comes from the object identity, so duplicate deliveries find it done and do nothing;
//! - the workspace lock (batch mode) and the record's lease keep two workers off one import at a time;
//! - everything written before a checkpoint is durable before the checkpoint is saved, so a crash or a
//!   continuation re-reads at most one stretch, and re-writing it is idempotent;
//! - the result is the same however many invocations it takes.

use std::collections::BTreeSet;
use std::time::Instant;

use aws_sdk_sqs::error::DisplayErrorContext;

use creatoros_formats::export::{self, Event, PartInfo, Position, Resume, TextResume, Upload};
use creatoros_formats::rejects::RejectsWriter;
use creatoros_formats::rows::{RejectedRow, RowOutcome};
use creatoros_formats::FileError;
use creatoros_model::contract::Item;
use creatoros_model::entities::{Checkpoint, Import, ImportStatus, RowError};
use creatoros_model::ids::timestamp::iso_millis;
use creatoros_model::ids::{Day, ItemId, Month, WorkspaceId};
use creatoros_model::imports::import_id::import_id;
use creatoros_model::imports::items::{daily_of, metric_of, Provenance};
use creatoros_model::imports::object_key::workspace_of;
use creatoros_store::{Created, RepoError};
use time::OffsetDateTime;
use tokio::sync::mpsc;
use tracing::{info, warn};

use crate::context::Ingest;
use crate::linker::Linker;
use crate::lock::{self, Taken};
use crate::message::{CommandBody, ObjectRef};
use crate::rejects_store::RejectsStore;
use crate::source::{self, ObjectInfo, SourceError};
use crate::writer::{MetricWriter, WriteMode, WriteStats};

/// How an import was asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// A notification: do it unless it is done.
    New,
    /// An operator's `reingest`: do it again even if it is done.
    Again,
    /// A continuation of this import.
    Continue(String),
}

/// What became of the import in this invocation (every variant means the message is handled).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It reached a final state now.
    Finished {
        /// The import.
        import_id: String,
        /// Its final state.
        status: ImportStatus,
        /// Rows written in all (every invocation of the import).
        rows_written: u64,
        /// Rows refused in all.
        rows_rejected: u64,
    },
    /// A duplicate delivery: the import was already final.
    AlreadyDone(String),
    /// Out of time: checkpointed and a continuation message was sent.
    Continued(String),
    /// The workspace is busy with another import; the message was sent again with a delay.
    Deferred,
    /// The object is gone or was replaced; the newer version has its own notification.
    Superseded,
    /// The key cannot be ingested (outside `imports/<workspace>/`); logged, nothing written.
    Refused(String),
}

/// The import did not finish in this invocation. Retryable errors send the message back to the queue; the
/// others are recorded on the import as its failure (see [`ImportError::is_retryable`]).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// DynamoDB failed (throttling past the cap, network, 5xx; or refused the request).
    #[error(transparent)]
    Table(#[from] RepoError),
    /// S3 failed (transiently, or refused).
    #[error(transparent)]
    Source(#[from] SourceError),
    /// Reading the stream failed transiently.
    #[error("{0}")]
    Read(String),
    /// SQS refused the continuation or deferral.
    #[error("sending to the ingest queue failed: {0}")]
    Queue(String),
}

impl ImportError {
    /// True when a later attempt may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            ImportError::Table(e) => e.is_retryable(),
            ImportError::Source(e) => e.is_retryable(),
            ImportError::Read(_) | ImportError::Queue(_) => true,
        }
    }
}

/// Everything the reader thread reports.
enum ReadEvent {
    /// A part (the file, a sheet, a zip entry) starts.
    Part(Box<PartInfo>),
    /// Rows, and the position after the last.
    Chunk {
        rows: Vec<RowOutcome>,
        end: Position,
    },
    /// The file cannot be read further.
    Failed(FileError),
}

/// A unique name for this worker invocation, used as lease and lock owner.
fn owner_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = OffsetDateTime::now_utc().unix_timestamp_nanos();
    format!(
        "w-{}-{nanos:x}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

fn now() -> String {
    iso_millis(OffsetDateTime::now_utc())
}

/// Runs (or continues) the import of `object`. `body` is the message it came in, re-sent when deferring.
pub async fn run(
    ctx: &Ingest,
    object: &ObjectRef,
    request: Request,
    body: &str,
    deadline: Instant,
) -> Result<Outcome, ImportError> {
    let workspace = match workspace_of(&object.key) {
        Ok(w) => w,
        Err(e) => {
            warn!(bucket = %object.bucket, key = %object.key, error = %e, "refused object key");
            return Ok(Outcome::Refused(e.to_string()));
        }
    };
    let info = match source::head(&ctx.s3, object).await {
        Ok(info) => info,
        Err(SourceError::Gone { .. }) => {
            info!(bucket = %object.bucket, key = %object.key, "object gone; nothing to import");
            return Ok(Outcome::Superseded);
        }
        Err(e) if e.is_retryable() => return Err(e.into()),
        Err(e) => {
            warn!(error = %e, "object refused by S3");
            return Ok(Outcome::Refused(e.to_string()));
        }
    };
    if object.etag.as_deref().is_some_and(|e| e != info.etag) {
        info!(key = %object.key, "object replaced since this notification; its own notification covers it");
        return Ok(Outcome::Superseded);
    }
    let id = import_id(
        &info.bucket,
        &info.key,
        info.version_id.as_deref(),
        Some(&info.etag),
    );
    // Every log line of the import from here on carries its id at the top level (the handler's span declares it).
    tracing::Span::current().record("importId", id.as_str());
    if let Request::Continue(wanted) = &request {
        if wanted != id.as_str() {
            return Ok(Outcome::Superseded);
        }
    }
    let owner = owner_id();
    if ctx.settings.write_mode == WriteMode::Batch {
        match lock::take(
            &ctx.repo,
            &workspace,
            &owner,
            id.as_str(),
            ctx.settings.lease,
        )
        .await?
        {
            Taken::Held => {}
            Taken::Busy { until, holder } => {
                info!(%workspace, %until, ?holder, "workspace busy; deferring");
                defer(ctx, body).await?;
                return Ok(Outcome::Deferred);
            }
        }
    }
    let result = run_claimed(ctx, &workspace, &info, &id, request, body, &owner, deadline).await;
    if ctx.settings.write_mode == WriteMode::Batch {
        lock::release(&ctx.repo, &workspace, &owner).await;
    }
    result
}

/// Sends `body` back to the ingest queue with the deferral delay.
async fn defer(ctx: &Ingest, body: &str) -> Result<(), ImportError> {
    ctx.sqs
        .send_message()
        .queue_url(&ctx.settings.ingest_queue_url)
        .message_body(body)
        .delay_seconds(ctx.settings.defer_delay.as_secs().min(900) as i32)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| ImportError::Queue(DisplayErrorContext(e).to_string()))
}

#[allow(clippy::too_many_arguments)]
async fn run_claimed(
    ctx: &Ingest,
    workspace: &WorkspaceId,
    info: &ObjectInfo,
    id: &ItemId,
    request: Request,
    body: &str,
    owner: &str,
    deadline: Instant,
) -> Result<Outcome, ImportError> {
    let mut record = match claim(ctx, workspace, info, id, &request, owner).await? {
        Claim::Ready(record) => *record,
        Claim::Done => return Ok(Outcome::AlreadyDone(id.to_string())),
        Claim::Busy => {
            defer(ctx, body).await?;
            return Ok(Outcome::Deferred);
        }
    };
    let end = match process(ctx, &mut record, info, owner, deadline).await {
        Ok(end) => end,
        Err(e) if e.is_retryable() => {
            // Hand the lease back so the retry can take over at once (from the last checkpoint). Best effort:
            // a lease that cannot be cleared now simply expires. The counts in `record` already include rows past
            // the checkpoint, which the retry reads again; so the lease is cleared on the record as stored at that
            // checkpoint (same version: nobody else wrote since), or those rows would be counted twice.
            let stored: Result<Option<Import>, RepoError> = ctx
                .repo
                .get(&[
                    ("workspaceId", workspace.as_str()),
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
            return Err(e);
        }
        Err(e) => {
            // Retrying cannot help (S3 or DynamoDB refused a request): record why and stop here.
            warn!(import = %id, error = %e, "import failed permanently");
            record.status = ImportStatus::Failed;
            record.failure = Some(e.to_string());
            record.checkpoint = None;
            record.lease_owner = None;
            record.lease_expires_at = None;
            record.finished_at = Some(now());
            save(ctx, &mut record).await?;
            return Ok(Outcome::Finished {
                import_id: id.to_string(),
                status: ImportStatus::Failed,
                rows_written: record.rows_written,
                rows_rejected: record.rows_rejected,
            });
        }
    };
    match end {
        End::OutOfTime => {
            // Hand over: the lease lapses now, so the continuation (or a retry of this message) takes over.
            record.lease_owner = None;
            record.lease_expires_at = None;
            save(ctx, &mut record).await?;
            let continuation = CommandBody::Continue {
                bucket: info.bucket.clone(),
                key: info.key.clone(),
                import_id: id.to_string(),
                etag: Some(info.etag.clone()),
            };
            ctx.sqs
                .send_message()
                .queue_url(&ctx.settings.ingest_queue_url)
                .message_body(serde_json::to_string(&continuation).expect("serializable"))
                .send()
                .await
                .map_err(|e| ImportError::Queue(DisplayErrorContext(e).to_string()))?;
            info!(import = %id, line = record.checkpoint.as_ref().map_or(0, |c| c.line), "continuing in a new invocation");
            Ok(Outcome::Continued(id.to_string()))
        }
        End::LostLease => Ok(Outcome::Deferred),
        End::Finished {
            error: file_error,
            header,
        } => {
            let rejects = RejectsStore::new(
                ctx.s3.clone(),
                &info.bucket,
                workspace.as_str(),
                id.as_str(),
            );
            record.rejects_key = rejects.finish(&header).await?;
            record.checkpoint = None;
            record.status = final_status(&record, file_error.as_ref());
            if let Some(e) = &file_error {
                record.failure = Some(e.to_string());
            } else if record.rows_seen == 0 {
                record.failure = Some("the file has a header but no data rows".to_owned());
            } else if record.rows_written == 0 {
                record.failure = Some("no row was valid; see errors".to_owned());
            }
            record.lease_owner = None;
            record.lease_expires_at = None;
            record.finished_at = Some(now());
            save(ctx, &mut record).await?;
            info!(import = %id, status = ?record.status, seen = record.rows_seen, written = record.rows_written,
                  rejected = record.rows_rejected, "import finished");
            Ok(Outcome::Finished {
                import_id: id.to_string(),
                status: record.status,
                rows_written: record.rows_written,
                rows_rejected: record.rows_rejected,
            })
        }
    }
}

fn final_status(record: &Import, file_error: Option<&FileError>) -> ImportStatus {
    if record.rows_written == 0 {
        ImportStatus::Failed
    } else if record.rows_rejected > 0 || file_error.is_some() {
        ImportStatus::Partial
    } else {
        ImportStatus::Completed
    }
}

/// Saves the record (optimistic lock); a conflict means another worker took the import over.
async fn save(ctx: &Ingest, record: &mut Import) -> Result<(), RepoError> {
    record.updated_at = Some(now());
    ctx.repo.replace_versioned(record).await
}

/// What claiming the import record found.
enum Claim {
    /// The record is ours to work on.
    Ready(Box<Import>),
    /// It is final (and this is not a reingest).
    Done,
    /// Another worker holds a live lease.
    Busy,
}

/// Gets the record ready for this worker.
async fn claim(
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

enum End {
    /// Read to the end (or to a permanent file error); `header` is the file's header row, if one was found.
    Finished {
        error: Option<FileError>,
        header: Vec<String>,
    },
    OutOfTime,
    LostLease,
}

/// Reads from the record's checkpoint (or the start) until the end, a permanent file error, or the deadline.
async fn process(
    ctx: &Ingest,
    record: &mut Import,
    info: &ObjectInfo,
    owner: &str,
    deadline: Instant,
) -> Result<End, ImportError> {
    let resume = record
        .checkpoint
        .as_ref()
        .map(|cp| resume_of(cp, record.container.as_deref()));
    if let (Some(cp), Some(r)) = (&record.checkpoint, &resume) {
        if r.in_place && cp.raw_offset.is_some_and(|o| o >= info.size) {
            return Ok(End::Finished {
                error: None,
                header: cp.header.clone(),
            });
        }
    }
    let from = match (&record.checkpoint, &resume) {
        (Some(cp), Some(r)) if r.in_place => cp.raw_offset.unwrap_or(0),
        _ => 0,
    };
    let raw = source::open(&ctx.s3, info, from).await?;
    let upload = Upload {
        name: info.key.rsplit('/').next().unwrap_or(&info.key).to_owned(),
        uploaded: Day::parse(&iso_millis(info.last_modified)[..10]).expect("ISO day"),
        gzip_expected: info.gzip,
        limits: ctx.settings.limits,
    };
    let (tx, mut rx) = mpsc::channel::<ReadEvent>(2);
    let chunk_rows = ctx.settings.chunk_rows.max(1);
    let reader_thread =
        tokio::task::spawn_blocking(move || read_rows(raw, upload, resume, chunk_rows, tx));

    let linker = Linker::load(&ctx.repo, &record.workspace_id).await?;
    let writer = MetricWriter::new(&ctx.repo, ctx.settings.write_mode, 32);
    let rejects = RejectsStore::new(
        ctx.s3.clone(),
        &info.bucket,
        record.workspace_id.as_str(),
        record.import_id.as_str(),
    );
    let mut months: BTreeSet<Month> = record.months.iter().cloned().collect();
    let mut part = RejectsWriter::new(Vec::new(), None).expect("in memory");
    let mut part_start = record.checkpoint.as_ref().map_or(0, |c| c.line);
    let mut current: Option<Box<PartInfo>> = None;
    let mut formats: Vec<String> = Vec::new();
    let mut since_checkpoint = 0;
    let mut stats = WriteStats::default();
    let provenance = |record: &Import| Provenance {
        source: record.format.clone(),
        captured_at: Some(iso_millis(info.last_modified)),
        import_id: Some(record.import_id.to_string()),
    };

    let end = loop {
        let Some(event) = rx.recv().await else {
            break End::Finished {
                error: None,
                header: Vec::new(),
            };
        };
        match event {
            ReadEvent::Part(p) => {
                record.container = Some(p.container.as_str().to_owned());
                if !formats.iter().any(|f| f == p.format) {
                    formats.push(p.format.to_owned());
                }
                record.format = Some(formats.join(", "));
                for note in &p.notes {
                    add_note(record, p.name.as_deref(), note);
                }
                current = Some(p);
            }
            ReadEvent::Failed(e) if e.is_retryable() => {
                return Err(ImportError::Read(e.to_string()))
            }
            ReadEvent::Failed(e) => {
                break End::Finished {
                    error: Some(e),
                    header: Vec::new(),
                }
            }
            ReadEvent::Chunk { rows, end } => {
                let provenance = provenance(record);
                let part_name = current.as_ref().and_then(|p| p.name.clone());
                let mut items: Vec<Item> = Vec::with_capacity(rows.len());
                for row in rows {
                    // An item the contract refuses is the row's fault, reported like any rejected row.
                    let encoded = match row {
                        RowOutcome::Metric(m) => {
                            record.rows_seen += 1;
                            let (post_id, _planned) = linker.resolve(&m.post);
                            let metric = metric_of(&m, &record.workspace_id, post_id, &provenance);
                            Some((m.line, m.date.month(), ctx.repo.codec().encode(&metric)))
                        }
                        RowOutcome::Daily(d) => {
                            record.rows_seen += 1;
                            let post_id = d.post.as_ref().map(|p| linker.resolve(p).0);
                            let daily = daily_of(&d, &record.workspace_id, post_id, &provenance);
                            Some((d.line, d.day.month(), ctx.repo.codec().encode(&daily)))
                        }
                        RowOutcome::Rejected(r) => {
                            record.rows_seen += 1;
                            reject(record, &mut part, &r)?;
                            None
                        }
                        RowOutcome::Note(note) => {
                            add_note(record, part_name.as_deref(), &note);
                            None
                        }
                        RowOutcome::Skipped => None,
                    };
                    match encoded {
                        Some((_, month, Ok(item))) => {
                            months.insert(month);
                            items.push(item);
                        }
                        Some((line, _, Err(e))) => {
                            let r = RejectedRow {
                                error: RowError {
                                    part: part_name.clone(),
                                    line,
                                    column: None,
                                    reason: format!("cannot be stored: {e}"),
                                },
                                cells: Vec::new(),
                            };
                            reject(record, &mut part, &r)?;
                        }
                        None => {}
                    }
                }
                record.rows_written += items.len() as u64;
                stats += writer.write(items).await?;
                since_checkpoint += 1;
                // `<=`: with no margin and no time left, stop after this chunk (every invocation makes progress).
                let out_of_time =
                    deadline.saturating_duration_since(Instant::now()) <= ctx.settings.stop_margin;
                if since_checkpoint >= ctx.settings.checkpoint_chunks || out_of_time {
                    let Some(current) = &current else {
                        unreachable!("chunks follow a part")
                    };
                    let full = std::mem::replace(
                        &mut part,
                        RejectsWriter::new(Vec::new(), None).expect("in memory"),
                    );
                    rejects.put_part(part_start, full).await?;
                    part_start = end.line;
                    record.months = months.iter().cloned().collect();
                    record.checkpoint = Some(checkpoint(end, current, record.checkpoint.as_ref()));
                    record.lease_expires_at =
                        Some(iso_millis(OffsetDateTime::now_utc() + ctx.settings.lease));
                    match save(ctx, record).await {
                        Ok(()) => {}
                        Err(RepoError::VersionConflict { .. }) => {
                            warn!(import = %record.import_id, "lease lost to another worker; stopping");
                            break End::LostLease;
                        }
                        Err(e) => return Err(e.into()),
                    }
                    if ctx.settings.write_mode == WriteMode::Batch
                        && lock::take(
                            &ctx.repo,
                            &record.workspace_id,
                            owner,
                            record.import_id.as_str(),
                            ctx.settings.lease,
                        )
                        .await?
                            != Taken::Held
                    {
                        warn!(import = %record.import_id, "workspace lock lost; stopping");
                        break End::LostLease;
                    }
                    since_checkpoint = 0;
                    if out_of_time {
                        break End::OutOfTime;
                    }
                }
            }
        }
    };
    drop(rx);
    // A reader that panicked closed its channel like one that finished: its rows so far are kept, and the file is
    // recorded as failed there rather than completed.
    let end = match (reader_thread.await, end) {
        (
            Err(panic),
            End::Finished {
                error: None,
                header,
            },
        ) if panic.is_panic() => {
            tracing::error!(import = %record.import_id, "the reader panicked; the file stops there");
            End::Finished {
                error: Some(FileError::Read {
                    message: "the reader stopped on this file unexpectedly (a bug worth reporting, with the file)"
                        .to_owned(),
                    transient: false,
                }),
                header,
            }
        }
        (_, end) => end,
    };
    let end = match end {
        End::Finished { error, .. } => {
            rejects.put_part(part_start, part).await?;
            record.months = months.into_iter().collect();
            // One part: its rejects keep its header; several parts have no header in common.
            let single = formats.len() <= 1
                && record
                    .container
                    .as_deref()
                    .is_none_or(|c| c == "plain" || c == "gzip");
            let header = match (&current, &record.checkpoint) {
                (Some(p), _) if single => p.header.clone(),
                (None, Some(cp)) => cp.header.clone(),
                _ => Vec::new(),
            };
            End::Finished { error, header }
        }
        other => other,
    };
    info!(import = %record.import_id, written = stats.written, unchanged = stats.unchanged,
          superseded = stats.superseded, "item writes");
    Ok(end)
}

/// Counts a rejected row, keeps it among the first errors, and adds it to the rejects file's current part.
fn reject(
    record: &mut Import,
    part: &mut RejectsWriter<Vec<u8>>,
    row: &RejectedRow,
) -> Result<(), ImportError> {
    record.rows_rejected += 1;
    if record.errors.len() < Import::MAX_ERRORS {
        record.errors.push(row.error.clone());
    }
    part.write(row)
        .map_err(|e| ImportError::Read(e.to_string()))
}

/// Adds a note (prefixed by the part it is about) unless the record has it or is full.
fn add_note(record: &mut Import, part: Option<&str>, note: &str) {
    let text = match part {
        Some(p) => format!("{p}: {note}"),
        None => note.to_owned(),
    };
    if record.notes.len() < Import::MAX_ERRORS && !record.notes.contains(&text) {
        record.notes.push(text);
    }
}

/// How to continue from a stored checkpoint: text files continue in place (from the byte offset, with the
/// format, header and dates they were opened with); anything else is read again from its start.
fn resume_of(cp: &Checkpoint, container: Option<&str>) -> Resume {
    let text_file = matches!(container, None | Some("plain") | Some("gzip"));
    let text = match (&cp.format, &cp.context) {
        (Some(format), Some(context)) if text_file && cp.part == 0 => Some(TextResume {
            format: format.clone(),
            header: cp.header.clone(),
            delimiter: cp.delimiter.bytes().next().unwrap_or(b','),
            context: context.clone(),
        }),
        _ => None,
    };
    Resume {
        at: Position {
            part: cp.part,
            byte: cp.byte_offset,
            line: cp.line,
        },
        in_place: text.is_some() && cp.raw_offset.is_some(),
        text,
    }
}

/// A checkpoint at `end` of `part`; the raw offset is known only when the text is the object's own bytes.
fn checkpoint(end: Position, part: &PartInfo, previous: Option<&Checkpoint>) -> Checkpoint {
    let text_file = matches!(
        part.container,
        export::Container::Plain | export::Container::Gzip
    );
    // A part continued in place has no decoding of its own: it continues a plain UTF-8 file at a raw offset.
    let raw_base = match (&part.decoding, text_file) {
        (_, false) => None,
        (Some(d), true) if d.offsets_are_raw() => Some(d.bom_len),
        (Some(_), true) => None,
        (None, true) => previous.and_then(|p| p.raw_offset.map(|r| r - p.byte_offset)),
    };
    Checkpoint {
        part: end.part,
        byte_offset: end.byte,
        raw_offset: raw_base.map(|b| b + end.byte),
        line: end.line,
        format: Some(part.format.to_owned()),
        header: part.header.clone(),
        delimiter: (part.delimiter as char).to_string(),
        context: Some(part.context.clone()),
    }
}

/// The reader thread: reads the upload (from its start, or continuing a checkpoint) and sends parts and rows in
/// chunks until the end, an error, or until the receiver hangs up (the worker stopped for time).
fn read_rows(
    raw: Box<dyn std::io::Read + Send>,
    upload: Upload,
    resume: Option<Resume>,
    chunk_rows: usize,
    tx: mpsc::Sender<ReadEvent>,
) {
    let send = |event| tx.blocking_send(event).is_ok();
    let mut rows = Vec::with_capacity(chunk_rows);
    let mut last = Position::default();
    let result = export::read(raw, &upload, resume.as_ref(), &mut |event| {
        let flowing = match event {
            Event::Part(info) => {
                // The rows so far belong to the part before.
                (rows.is_empty()
                    || send(ReadEvent::Chunk {
                        rows: std::mem::replace(&mut rows, Vec::with_capacity(chunk_rows)),
                        end: last,
                    }))
                    && send(ReadEvent::Part(Box::new(info.clone())))
            }
            Event::Row(row, at) => {
                rows.push(row);
                last = at;
                rows.len() < chunk_rows
                    || send(ReadEvent::Chunk {
                        rows: std::mem::replace(&mut rows, Vec::with_capacity(chunk_rows)),
                        end: at,
                    })
            }
        };
        if flowing {
            std::ops::ControlFlow::Continue(())
        } else {
            std::ops::ControlFlow::Break(())
        }
    });
    if !rows.is_empty() && !send(ReadEvent::Chunk { rows, end: last }) {
        return;
    }
    if let Err(e) = result {
        send(ReadEvent::Failed(e));
    }
}
