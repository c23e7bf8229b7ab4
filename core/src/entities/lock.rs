//! A named, expiring lock inside a workspace.
//!
//! The ingest worker holds the workspace's `ingest` lock while it writes metrics, so that its read of existing
//! items and its batch write cannot interleave with another import of the same workspace (which is what lets it
//! keep "newest upload wins" with fast unconditional batch writes). A holder that dies lets the lock expire.

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use crate::contract::{schema, Entity, EntitySchema};
use crate::ids::WorkspaceId;

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
}

impl Entity for Lock {
    const SCHEMA: &'static EntitySchema = &schema::LOCK;
}
