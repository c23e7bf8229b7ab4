//! The workspace's `ingest` lock: one import writes a workspace's metrics at a time, so "read what is there,
//! keep only what is newer, batch-write it" cannot interleave with another import of the same workspace.
//!
//! A lock is an item with an owner and an expiry; taking it is a conditional put (absent, expired, or already
//! ours), releasing it a conditional delete. A crashed holder's lock simply expires. In AWS one workspace's
//! writes are paced by its partition (about 1,000 writes a second) anyway, so serialising its imports costs
//! little.

use std::time::Duration;

use creatoros_model::contract::AttributeValue;
use creatoros_model::entities::Lock;
use creatoros_model::ids::timestamp::iso_millis;
use creatoros_model::ids::WorkspaceId;
use creatoros_store::{Condition, RepoError, TableRepo};
use time::OffsetDateTime;
use tracing::warn;

/// The lock's name for imports.
pub const INGEST_LOCK: &str = "ingest";

/// What an attempt to take the lock found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Taken {
    /// It is ours until the given time.
    Held,
    /// Someone else holds it until `until` (ISO time).
    Busy {
        /// When their lease lapses.
        until: String,
        /// What they are doing.
        holder: Option<String>,
    },
}

/// Takes (or renews) the workspace's lock for `owner`.
pub async fn take(
    repo: &TableRepo,
    workspace: &WorkspaceId,
    owner: &str,
    holder: &str,
    lease: Duration,
) -> Result<Taken, RepoError> {
    let lock = Lock::new(
        workspace.clone(),
        INGEST_LOCK,
        owner,
        OffsetDateTime::now_utc() + lease,
        Some(holder.to_owned()),
    );
    let condition = Condition {
        expression: "attribute_not_exists(#pk) OR #expiresAt < :now OR #owner = :me".to_owned(),
        names: vec![
            ("#pk".into(), "pk".into()),
            ("#expiresAt".into(), "expiresAt".into()),
            ("#owner".into(), "owner".into()),
        ],
        values: vec![
            (
                ":now".into(),
                AttributeValue::S(iso_millis(OffsetDateTime::now_utc())),
            ),
            (":me".into(), AttributeValue::S(owner.to_owned())),
        ],
    };
    match repo.put_if(&lock, condition).await {
        Ok(()) => Ok(Taken::Held),
        Err(e) if e.is_condition_failed() => {
            let current: Option<Lock> = repo
                .get(&[("workspaceId", workspace.as_str()), ("name", INGEST_LOCK)])
                .await?;
            Ok(match current {
                Some(l) => Taken::Busy {
                    until: l.expires_at,
                    holder: l.holder,
                },
                // Released between our write and our read: the caller simply tries again later.
                None => Taken::Busy {
                    until: iso_millis(OffsetDateTime::now_utc()),
                    holder: None,
                },
            })
        }
        Err(e) => Err(e),
    }
}

/// Releases the lock if `owner` still holds it. A failed release is logged, not fatal: the lock expires.
pub async fn release(repo: &TableRepo, workspace: &WorkspaceId, owner: &str) {
    let condition = Condition {
        expression: "#owner = :me".to_owned(),
        names: vec![("#owner".into(), "owner".into())],
        values: vec![(":me".into(), AttributeValue::S(owner.to_owned()))],
    };
    match repo
        .delete_if_retrying::<Lock>(
            &[("workspaceId", workspace.as_str()), ("name", INGEST_LOCK)],
            condition,
        )
        .await
    {
        Ok(true) => {}
        Ok(false) => warn!(%workspace, owner, "lock was no longer ours at release"),
        Err(e) => warn!(%workspace, owner, error = %e, "lock release failed; it will expire"),
    }
}
