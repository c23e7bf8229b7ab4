//! The CreatorOS canonical CSV: the app's own export and import format (README).

use super::{col, Field::*, FormatSpec, Identity, Measure, Rows};

/// The CreatorOS canonical CSV (documented in the README).
pub static CANONICAL: FormatSpec = FormatSpec {
    name: "canonical",
    description: "CreatorOS canonical CSV",
    platform: None,
    columns: &[
        col(PostId, &["post_id"]),
        col(Platform, &["platform"]),
        col(Date, &["date"]),
        col(Impressions, &["impressions"]),
        col(Likes, &["likes"]),
        col(Comments, &["comments"]),
        col(Shares, &["shares"]),
        col(Saves, &["saves"]),
        col(Clicks, &["clicks"]),
        col(Views, &["views"]),
        col(WatchTimeSeconds, &["watch_time_seconds"]),
        col(FollowersGained, &["followers_gained"]),
        col(Title, &["title"]),
        col(PublishedAt, &["published_at"]),
    ],
    signature: &[PostId, Platform],
    signature_any: &[],
    excludes: &[],
    required: &[PostId, Platform, Date],
    identity: Identity::PostIdColumn,
    rows: Rows::Snapshots(Measure::Lifetime),
    summary_rows: &[],
    truncates_at: None,
    day_order: None,
};
