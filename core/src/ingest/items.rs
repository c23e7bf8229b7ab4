//! The table items a row read by [`creatoros_formats`] becomes, once its post is resolved.

use creatoros_formats::rows::MetricRow;

use crate::entities::Metric;
use crate::ids::{ItemId, WorkspaceId};

/// The metric item `row` becomes, stored under `post_id` (the linked planned post or the derived id).
pub fn metric_of(
    row: &MetricRow,
    workspace: &WorkspaceId,
    post_id: ItemId,
    source: Option<String>,
    captured_at: Option<String>,
    import_id: Option<String>,
) -> Metric {
    let c = &row.counts;
    Metric {
        workspace_id: workspace.clone(),
        post_id,
        platform: row.platform,
        date: row.date.clone(),
        month: row.date.month(),
        impressions: c.impressions,
        likes: c.likes,
        comments: c.comments,
        shares: c.shares,
        saves: c.saves,
        clicks: c.clicks,
        views: c.views,
        watch_time_seconds: c.watch_time_seconds,
        followers_gained: c.followers_gained,
        source,
        captured_at,
        import_id,
    }
}
