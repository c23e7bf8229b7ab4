//! The daily value entity: one day's numbers of an account, or of one post, on one platform, as exports that
//! give a value per day write them (YouTube's Chart data and Totals, X's account overview and daily activity,
//! LinkedIn's ENGAGEMENT and FOLLOWERS sheets and its Page metrics). Increments over that day, never snapshots:
//! they live apart from metric items.

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use crate::contract::{schema, ContractError, Entity, EntitySchema};
use crate::ids::{Day, ItemId, Month, PostId, WorkspaceId};

use super::{check_finite, Platform};

/// The `subject` of the whole account's series.
pub const ACCOUNT: &str = "account";

/// The `subject` of a post's series: `post-<postId>`.
pub fn post_subject(post: &PostId) -> ItemId {
    ItemId::parse(format!("post-{post}")).unwrap_or_else(|_| {
        // A post id at the length limit: the subject keeps its stable hash instead.
        ItemId::parse(format!("post-{}", crate::ids::short_hash(post.as_str())))
            .expect("hex is an id")
    })
}

/// One day's values. Identity: (workspace, platform, subject, day).
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Daily {
    /// The tenant.
    pub workspace_id: WorkspaceId,
    /// Platform.
    pub platform: Platform,
    /// `account`, or `post-<postId>` for one post's series.
    pub subject: ItemId,
    /// The day.
    pub day: Day,
    /// Month of `day` (checked).
    pub month: Month,
    /// The post, for a post's series.
    pub post_id: Option<PostId>,
    /// The post's title, for a post's series.
    pub title: Option<String>,
    /// When the post was published, for a post's series.
    pub published_at: Option<String>,
    /// Impressions that day.
    pub impressions: Option<i64>,
    /// Engagements that day, as the platform counts them.
    pub engagements: Option<i64>,
    /// Likes or reactions (may be negative: removals).
    pub likes: Option<i64>,
    /// Comments or replies.
    pub comments: Option<i64>,
    /// Shares, reposts.
    pub shares: Option<i64>,
    /// Saves, bookmarks.
    pub saves: Option<i64>,
    /// Link clicks.
    pub clicks: Option<i64>,
    /// Views.
    pub views: Option<i64>,
    /// Watch time, seconds.
    pub watch_time_seconds: Option<f64>,
    /// Followers gained (net where the platform nets them).
    pub followers_gained: Option<i64>,
    /// Followers lost.
    pub followers_lost: Option<i64>,
    /// Total followers at the end of the day.
    pub followers: Option<i64>,
    /// Profile visits.
    pub profile_visits: Option<i64>,
    /// Posts published that day.
    pub posts_published: Option<i64>,
    /// Thumbnail or cover click-through rate that day, 0..=1.
    pub click_through_rate: Option<f64>,
    /// Where the numbers came from (format).
    pub source: Option<String>,
    /// When the numbers were captured (the source's upload time): newer sources win.
    pub captured_at: Option<String>,
    /// The import that wrote this item.
    pub import_id: Option<String>,
}

impl Daily {
    /// An empty day of the account (`post` `None`) or of one post, to fill in.
    pub fn new(
        workspace_id: WorkspaceId,
        platform: Platform,
        post: Option<PostId>,
        day: Day,
    ) -> Self {
        Self {
            workspace_id,
            platform,
            subject: post
                .as_ref()
                .map_or_else(|| ItemId::parse(ACCOUNT).expect("valid"), post_subject),
            month: day.month(),
            day,
            post_id: post,
            title: None,
            published_at: None,
            impressions: None,
            engagements: None,
            likes: None,
            comments: None,
            shares: None,
            saves: None,
            clicks: None,
            views: None,
            watch_time_seconds: None,
            followers_gained: None,
            followers_lost: None,
            followers: None,
            profile_visits: None,
            posts_published: None,
            click_through_rate: None,
            source: None,
            captured_at: None,
            import_id: None,
        }
    }
}

impl Entity for Daily {
    const SCHEMA: &'static EntitySchema = &schema::DAILY;

    fn check(&self) -> Result<(), ContractError> {
        let inconsistent = |reason: String| {
            Err(ContractError::Inconsistent {
                entity: "daily",
                reason,
            })
        };
        if self.day.month() != self.month {
            return inconsistent(format!(
                "month {} is not the month of day {}",
                self.month, self.day
            ));
        }
        let expected = self
            .post_id
            .as_ref()
            .map_or_else(|| ItemId::parse(ACCOUNT).expect("valid"), post_subject);
        if self.subject != expected {
            return inconsistent(format!(
                "subject {} does not name {}",
                self.subject,
                self.post_id
                    .as_ref()
                    .map_or("the account".to_owned(), |p| format!("post {p}"))
            ));
        }
        if matches!(self.watch_time_seconds, Some(w) if w < 0.0) {
            return inconsistent("watchTimeSeconds is negative".to_owned());
        }
        if matches!(self.click_through_rate, Some(r) if !(0.0..=1.0).contains(&r)) {
            return inconsistent("clickThroughRate is not between 0 and 1".to_owned());
        }
        check_finite(
            "daily",
            &[
                ("watchTimeSeconds", self.watch_time_seconds),
                ("clickThroughRate", self.click_through_rate),
            ],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::KeyCodec;

    fn daily(post: Option<&str>) -> Daily {
        let post_id = post.map(|p| PostId::parse(p).unwrap());
        Daily {
            workspace_id: WorkspaceId::parse("ws").unwrap(),
            platform: Platform::Youtube,
            subject: post_id
                .as_ref()
                .map_or_else(|| ItemId::parse(ACCOUNT).unwrap(), post_subject),
            day: Day::parse("2026-06-13").unwrap(),
            month: Month::parse("2026-06").unwrap(),
            post_id,
            title: None,
            published_at: None,
            impressions: None,
            engagements: None,
            likes: Some(-2),
            comments: None,
            shares: None,
            saves: None,
            clicks: None,
            views: Some(1224),
            watch_time_seconds: None,
            followers_gained: None,
            followers_lost: None,
            followers: None,
            profile_visits: None,
            posts_published: None,
            click_through_rate: None,
            source: Some("youtube-totals".into()),
            captured_at: None,
            import_id: None,
        }
    }

    #[test]
    fn account_and_post_series_are_keyed_apart() {
        let codec = KeyCodec::default();
        let account = codec.encode(&daily(None)).unwrap();
        let post = codec.encode(&daily(Some("yt-2imBUt8eZaI"))).unwrap();
        let sk = |i: &crate::contract::Item| match &i["sk"] {
            crate::contract::AttributeValue::S(s) => s.clone(),
            other => panic!("sk is not a string: {other:?}"),
        };
        assert_eq!(
            sk(&account),
            "$daily_1#platform_youtube#subject_account#day_2026-06-13"
        );
        assert_eq!(
            sk(&post),
            "$daily_1#platform_youtube#subject_post-yt-2imBUt8eZaI#day_2026-06-13"
        );
        assert_eq!(
            codec.decode::<Daily>(post).unwrap(),
            daily(Some("yt-2imBUt8eZaI"))
        );
    }

    #[test]
    fn a_subject_must_name_its_post() {
        let mut d = daily(Some("yt-2imBUt8eZaI"));
        d.subject = ItemId::parse(ACCOUNT).unwrap();
        assert!(d.check().is_err());
        let long = "p".repeat(128);
        assert!(post_subject(&PostId::parse(&long).unwrap()).as_str().len() <= 128);
    }
}
