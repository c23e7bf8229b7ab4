//! The insights worker's records: which derivation wrote a workspace month's insights and tasks last, and which
//! months the daily schedule re-derives on a given day.

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use crate::contract::{schema, Entity, EntitySchema};
use crate::ids::{Month, WorkspaceId};

/// The latest derivation of one workspace month.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Derivation {
    /// The tenant.
    pub workspace_id: WorkspaceId,
    /// The month derived.
    pub month: Month,
    /// When the derivation read its data (ISO, millisecond precision): a derivation with an older watermark
    /// never overwrites the result of a newer one.
    pub watermark: String,
    /// Hash of the insights and tasks it produced.
    pub content_hash: Option<String>,
    /// Insights it produced (the ones to retire when the data stops supporting them).
    #[serde(default)]
    pub insight_ids: Vec<String>,
    /// Tasks it proposed.
    #[serde(default)]
    pub task_ids: Vec<String>,
    /// Derivations that wrote something for this month so far.
    #[serde(default)]
    pub runs: u64,
    /// When it finished writing.
    pub derived_at: Option<String>,
    /// The catalogue version that derived it.
    pub catalogue: Option<String>,
}

/// A workspace month the daily schedule re-derives on `day`.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Schedule {
    /// The day it is due (`YYYY-MM-DD`).
    pub day: String,
    /// The tenant.
    pub workspace_id: WorkspaceId,
    /// The month to re-derive.
    pub month: Month,
    /// When DynamoDB may delete the entry (epoch seconds): a week after its day, when it has long been read.
    pub ttl: Option<i64>,
}

/// Days a schedule entry outlives its day before its TTL lets DynamoDB delete it.
pub const SCHEDULE_KEPT_DAYS: i64 = 7;

impl Schedule {
    /// The entry re-deriving `month` of `workspace_id` on `day`.
    pub fn new(day: time::Date, workspace_id: WorkspaceId, month: Month) -> Self {
        let expires = day
            .saturating_add(time::Duration::days(SCHEDULE_KEPT_DAYS))
            .midnight()
            .assume_utc();
        Self {
            day: day.to_string(),
            workspace_id,
            month,
            ttl: Some(expires.unix_timestamp()),
        }
    }
}

impl Entity for Schedule {
    const SCHEMA: &'static EntitySchema = &schema::SCHEDULE;
}

impl Entity for Derivation {
    const SCHEMA: &'static EntitySchema = &schema::DERIVATION;
}
