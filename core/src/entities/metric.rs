//! The metric entity: a post's cumulative totals on one platform as of one day.

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use crate::contract::{schema, ContractError, Entity, EntitySchema};
use crate::ids::{Day, Month, PostId, WorkspaceId};

use super::{check_finite, Platform};

/// Cumulative totals of one post on one platform as of `date` (a snapshot, not a daily delta).
/// Identity: (workspace, post, platform, date).
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metric {
    /// The tenant.
    pub workspace_id: WorkspaceId,
    /// The app's post id, or one derived from the platform's id for unplanned posts.
    pub post_id: PostId,
    /// Platform.
    pub platform: Platform,
    /// Day of the snapshot.
    pub date: Day,
    /// Month of `date` (checked).
    pub month: Month,
    /// Times shown.
    pub impressions: Option<u64>,
    /// Likes or reactions.
    pub likes: Option<u64>,
    /// Comments or replies.
    pub comments: Option<u64>,
    /// Shares, reposts, retweets.
    pub shares: Option<u64>,
    /// Saves or bookmarks.
    pub saves: Option<u64>,
    /// Link or profile clicks.
    pub clicks: Option<u64>,
    /// Video or note views.
    pub views: Option<u64>,
    /// Total watch time in seconds (may be fractional).
    pub watch_time_seconds: Option<f64>,
    /// Net followers gained (may be negative).
    pub followers_gained: Option<i64>,
    /// Where the numbers came from (format and object).
    pub source: Option<String>,
    /// When the numbers were captured (ISO timestamp).
    pub captured_at: Option<String>,
    /// The import that wrote this item; absent when the app wrote it.
    pub import_id: Option<String>,
}

impl Entity for Metric {
    const SCHEMA: &'static EntitySchema = &schema::METRIC;

    fn check(&self) -> Result<(), ContractError> {
        if self.date.month() != self.month {
            return Err(ContractError::Inconsistent {
                entity: "metric",
                reason: format!(
                    "month {} is not the month of date {}",
                    self.month, self.date
                ),
            });
        }
        if matches!(self.watch_time_seconds, Some(w) if w < 0.0) {
            return Err(ContractError::Inconsistent {
                entity: "metric",
                reason: "watchTimeSeconds is negative".to_owned(),
            });
        }
        check_finite("metric", &[("watchTimeSeconds", self.watch_time_seconds)])
    }
}
