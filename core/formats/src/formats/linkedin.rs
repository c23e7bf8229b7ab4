//! LinkedIn Page content export: its "All posts" and "Metrics" sheets (the creator workbook and the single-post
//! export are not one table each: `crate::linkedin`).

use creatoros_ids::Platform;

use super::{col, Field::*, FormatSpec, Identity, Measure, Rows};
use crate::dates::DayOrder;

/// LinkedIn Page content export, "All posts" sheet (as `.xls`, `.xlsx`, or saved as CSV).
pub static LINKEDIN_POSTS: FormatSpec = FormatSpec {
    name: "linkedin-posts",
    description: "LinkedIn Page content export (All posts)",
    platform: Some(Platform::Linkedin),
    columns: &[
        col(Title, &["post title", "update title"]),
        col(Link, &["post link", "update link"]),
        col(PublishedAt, &["created date"]),
        col(Impressions, &["impressions"]),
        col(
            Views,
            &[
                "views",
                "views (excluding offsite video views)",
                "views (excluding off-site video views)",
            ],
        ),
        col(Clicks, &["clicks"]),
        col(Likes, &["likes", "reactions"]),
        col(Comments, &["comments"]),
        col(Shares, &["reposts", "shares"]),
        col(FollowersGained, &["follows"]),
    ],
    signature: &[Link, PublishedAt, Impressions, Clicks],
    signature_any: &[],
    excludes: &[],
    required: &[Link],
    identity: Identity::Link,
    rows: Rows::Snapshots(Measure::Lifetime),
    summary_rows: &[],
    truncates_at: None,
    day_order: Some(DayOrder::MonthFirst),
};

/// LinkedIn Page content export, "Metrics" sheet: the page, one row per day.
pub static LINKEDIN_PAGE_METRICS: FormatSpec = FormatSpec {
    name: "linkedin-page-metrics",
    description: "LinkedIn Page content export (Metrics: the page, per day)",
    platform: Some(Platform::Linkedin),
    columns: &[
        col(Date, &["date"]),
        col(
            Impressions,
            &["impressions (total)", "impressions (organic)"],
        ),
        col(Clicks, &["clicks (total)", "clicks (organic)"]),
        col(Likes, &["reactions (total)", "reactions (organic)"]),
        col(Comments, &["comments (total)", "comments (organic)"]),
        col(
            Shares,
            &[
                "reposts (total)",
                "shares (total)",
                "reposts (organic)",
                "shares (organic)",
            ],
        ),
    ],
    signature: &[Date, Impressions],
    signature_any: &[],
    excludes: &[Link],
    required: &[Date],
    identity: Identity::Account,
    rows: Rows::Daily,
    summary_rows: &[],
    truncates_at: None,
    day_order: Some(DayOrder::MonthFirst),
};
