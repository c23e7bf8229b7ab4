//! The pipeline's own entity: one record per ingested S3 object.

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use crate::contract::{schema, ContractError, Entity, EntitySchema};
use crate::ids::{ItemId, Month, WorkspaceId};

use creatoros_formats::rows::PartContext;
pub use creatoros_formats::RowError;

/// Where an import stands. `processing` leads to one of the three final states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImportStatus {
    /// A worker holds the lease and is reading the object.
    Processing,
    /// Every row landed.
    Completed,
    /// Some rows landed, some were rejected.
    Partial,
    /// Nothing landed (unreadable object, unknown format, no valid row).
    Failed,
}

impl ImportStatus {
    /// True for the states an import never leaves on its own.
    pub fn is_final(self) -> bool {
        !matches!(self, ImportStatus::Processing)
    }
}

/// Where a long import stopped: a continuation (or a worker taking over after a crash) reads on from here.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Checkpoint {
    /// The part (sheet, zip entry) being read; 0 for a plain file.
    #[serde(default)]
    pub part: u32,
    /// Offset of the first unread byte in the part's decoded text (0 in sheets).
    pub byte_offset: u64,
    /// The same offset in the object's bytes, when a ranged GET can start there (plain UTF-8, not compressed).
    pub raw_offset: Option<u64>,
    /// Physical line (sheet row) of the first unread row.
    pub line: u64,
    /// The text part's format (plain and gzip text files: continued in place).
    pub format: Option<String>,
    /// The header row, as read.
    #[serde(default)]
    pub header: Vec<String>,
    /// The delimiter (one character).
    #[serde(default)]
    pub delimiter: String,
    /// What the part's rows are read against (its dates, its snapshot day), so a continuation reads them the
    /// same way.
    pub context: Option<PartContext>,
}

/// One ingested object: its identity, progress and outcome.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Import {
    /// The tenant named by the object key.
    pub workspace_id: WorkspaceId,
    /// Deterministic id from the object identity (bucket, key, version or ETag).
    pub import_id: ItemId,
    /// Month of `sourceTime` (the imports timeline).
    pub month: Month,
    /// Where the import stands.
    pub status: ImportStatus,
    /// Source bucket.
    pub bucket: String,
    /// Source object key (decoded).
    pub key: String,
    /// Source object version, when the bucket is versioned.
    pub version_id: Option<String>,
    /// Source object ETag.
    pub etag: Option<String>,
    /// Source object size in bytes.
    pub size_bytes: Option<u64>,
    /// When the source object was created (ISO timestamp): newer sources win.
    pub source_time: String,
    /// Detected format.
    pub format: Option<String>,
    /// Data rows read so far.
    #[serde(default)]
    pub rows_seen: u64,
    /// Metric items written so far.
    #[serde(default)]
    pub rows_written: u64,
    /// Rows rejected so far.
    #[serde(default)]
    pub rows_rejected: u64,
    /// The first rejected rows (at most 20).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<RowError>,
    /// S3 key of the rejected rows file.
    pub rejects_key: Option<String>,
    /// Months the import wrote metrics for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub months: Vec<Month>,
    /// Progress of a long import.
    pub checkpoint: Option<Checkpoint>,
    /// Worker holding the lease.
    pub lease_owner: Option<String>,
    /// When the lease lapses (ISO timestamp).
    pub lease_expires_at: Option<String>,
    /// ISO timestamp.
    pub started_at: Option<String>,
    /// ISO timestamp.
    pub finished_at: Option<String>,
    /// ISO timestamp.
    pub updated_at: Option<String>,
    /// Optimistic-lock version, bumped by every write.
    pub version: u64,
    /// Why the import failed or stopped reading early (file-level problems; row problems are in `errors`).
    pub failure: Option<String>,
    /// Invocations that worked on it (more than one when a large file continued).
    #[serde(default)]
    pub invocations: u32,
    /// How the upload was packaged: `plain`, `gzip`, `zip`, `xlsx` or `xls`.
    pub container: Option<String>,
    /// What a person should know about how the file was read: how its snapshots are dated, how its dates are
    /// written, a table its exporter cut short, zip entries that were not exports (at most 20).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl Entity for Import {
    const SCHEMA: &'static EntitySchema = &schema::IMPORT;

    fn check(&self) -> Result<(), ContractError> {
        if self.notes.len() > Import::MAX_ERRORS {
            return Err(ContractError::Inconsistent {
                entity: "import",
                reason: format!(
                    "{} notes kept, at most {}",
                    self.notes.len(),
                    Import::MAX_ERRORS
                ),
            });
        }
        if self.errors.len() > Import::MAX_ERRORS {
            return Err(ContractError::Inconsistent {
                entity: "import",
                reason: format!(
                    "{} errors kept, at most {} allowed",
                    self.errors.len(),
                    Import::MAX_ERRORS
                ),
            });
        }
        Ok(())
    }
}

impl Import {
    /// How many row errors the record keeps; the rest are in the rejects file.
    pub const MAX_ERRORS: usize = 20;
}

impl crate::contract::Versioned for Import {
    fn version(&self) -> u64 {
        self.version
    }
    fn set_version(&mut self, version: u64) {
        self.version = version;
    }
}
