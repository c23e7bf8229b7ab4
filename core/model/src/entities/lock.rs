//! A named, expiring lock inside a workspace.
//!
//! The ingest worker holds the workspace's `ingest` lock while it writes metrics, so that its read of existing
//! items and its batch write cannot interleave with another import of the same workspace (which is what lets it
//! keep "newest upload wins" with fast unconditional batch writes). A holder that dies lets the lock expire.

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use crate::contract::{schema, Entity, EntitySchema};
use crate::ids::timestamp::iso_millis;
use crate::ids::WorkspaceId;
use time::OffsetDateTime;

/// A lock item.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Lock {
    /// The workspace.
    pub workspace_id: WorkspaceId,
    /// What is locked (`ingest`).
    pub name: String,
    /// Who holds it (a worker invocation id).
    pub owner: String,
    /// When it lapses (ISO timestamp, `YYYY-MM-DDTHH:MM:SS.mmmZ`).
    pub expires_at: String,
    /// What the holder is doing (an import id), for people looking at the table.
    pub holder: Option<String>,
    /// When DynamoDB may delete the item (epoch seconds, a day after it lapses): a lock whose holder died would
    /// otherwise stay in the table for good. Takers still judge by `expires_at`, since the deletion can lag.
    pub ttl: Option<i64>,
}

impl Lock {
    /// A lock of `name` held by `owner` until `expires`.
    pub fn new(
        workspace_id: WorkspaceId,
        name: impl Into<String>,
        owner: impl Into<String>,
        expires: OffsetDateTime,
        holder: Option<String>,
    ) -> Self {
        Self {
            workspace_id,
            name: name.into(),
            owner: owner.into(),
            expires_at: iso_millis(expires),
            holder,
            ttl: Some((expires + time::Duration::days(1)).unix_timestamp()),
        }
    }
}

impl Entity for Lock {
    const SCHEMA: &'static EntitySchema = &schema::LOCK;
}
