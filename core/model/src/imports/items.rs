//! The table items a row read by [`creatoros_formats`] becomes, once its post is resolved.

use creatoros_formats::rows::{DailyRow, Measured, MetricRow};

use crate::entities::{post_subject, Daily, Measure, Metric, ACCOUNT};
use crate::ids::{ItemId, PostId, WorkspaceId};

/// Where an item came from: stamped on every item an import writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provenance {
    /// The format read (`source`).
    pub source: Option<String>,
    /// The upload's time (`capturedAt`): newer uploads win.
    pub captured_at: Option<String>,
    /// The import (`importId`).
    pub import_id: Option<String>,
}

/// The metric item `row` becomes, stored under `post_id` (the linked planned post or the derived id).
pub fn metric_of(
    row: &MetricRow,
    workspace: &WorkspaceId,
    post_id: PostId,
    provenance: &Provenance,
) -> Metric {
    let c = &row.counts;
    let (measure, period_start, period_end) = match &row.measured {
        Measured::Lifetime => (Measure::Lifetime, None, None),
        Measured::Period { start, end } => (Measure::Period, start.clone(), Some(end.clone())),
    };
    Metric {
        workspace_id: workspace.clone(),
        post_id,
        platform: row.platform,
        date: row.date.clone(),
        month: row.date.month(),
        measure: Some(measure),
        period_start,
        period_end,
        published_at: row.published_at.as_ref().map(|t| t.as_str().to_owned()),
        title: row.title.clone(),
        impressions: c.impressions,
        likes: c.likes,
        comments: c.comments,
        shares: c.shares,
        saves: c.saves,
        clicks: c.clicks,
        views: c.views,
        engagements: c.engagements,
        watch_time_seconds: c.watch_time_seconds,
        followers_gained: c.followers_gained,
        click_through_rate: c.click_through_rate,
        source: provenance.source.clone(),
        captured_at: provenance.captured_at.clone(),
        import_id: provenance.import_id.clone(),
    }
}

/// The daily item `row` becomes: the account's, or (with `post_id`) the post's.
pub fn daily_of(
    row: &DailyRow,
    workspace: &WorkspaceId,
    post_id: Option<PostId>,
    provenance: &Provenance,
) -> Daily {
    let c = &row.counts;
    Daily {
        workspace_id: workspace.clone(),
        platform: row.platform,
        subject: post_id
            .as_ref()
            .map_or_else(|| ItemId::parse(ACCOUNT).expect("valid"), post_subject),
        day: row.day.clone(),
        month: row.day.month(),
        post_id,
        title: row.title.clone(),
        published_at: row.published_at.as_ref().map(|t| t.as_str().to_owned()),
        impressions: c.impressions,
        engagements: c.engagements,
        likes: c.likes,
        comments: c.comments,
        shares: c.shares,
        saves: c.saves,
        clicks: c.clicks,
        views: c.views,
        watch_time_seconds: c.watch_time_seconds,
        followers_gained: c.followers_gained,
        followers_lost: c.followers_lost,
        followers: c.followers,
        profile_visits: c.profile_visits,
        posts_published: c.posts_published,
        click_through_rate: c.click_through_rate,
        source: provenance.source.clone(),
        captured_at: provenance.captured_at.clone(),
        import_id: provenance.import_id.clone(),
    }
}
