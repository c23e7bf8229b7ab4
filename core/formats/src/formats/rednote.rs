//! Rednote (Xiaohongshu): the creator centre's note data export.

use creatoros_ids::Platform;

use super::{col, Field::*, FormatSpec, Identity, Measure, Rows};

/// Rednote (Xiaohongshu) creator centre, note data export (笔记列表明细表), as `.xlsx` or saved as CSV.
pub static REDNOTE_NOTES: FormatSpec = FormatSpec {
    name: "rednote-notes",
    description: "Rednote (Xiaohongshu) note data export",
    platform: Some(Platform::Rednote),
    columns: &[
        col(Title, &["笔记标题", "标题"]),
        col(PublishedAt, &["首次发布时间", "发布时间"]),
        col(Kind, &["体裁"]),
        col(Impressions, &["曝光"]),
        col(Views, &["观看量", "观看"]),
        col(ClickThroughRate, &["封面点击率"]),
        col(Likes, &["点赞", "点赞数"]),
        col(Comments, &["评论", "评论数"]),
        col(Saves, &["收藏", "收藏数"]),
        col(FollowersGained, &["涨粉"]),
        col(Shares, &["分享", "分享数"]),
        col(AverageWatchSeconds, &["人均观看时长"]),
    ],
    signature: &[Title, PublishedAt, Impressions],
    signature_any: &[],
    excludes: &[],
    required: &[Title, PublishedAt],
    identity: Identity::TitleAndTime,
    rows: Rows::Snapshots(Measure::Lifetime),
    summary_rows: &["合计", "总计", "累计"],
    truncates_at: None,
    day_order: None,
};
