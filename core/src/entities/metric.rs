//! The metric entity: a post's cumulative totals on one platform as of one day.

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use aws_sdk_dynamodb::types::AttributeValue;

use crate::contract::{schema, ContractError, Entity, EntitySchema, Item};
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

    /// Built directly: every ingested row becomes one of these, and going through serde builds and converts the
    /// map twice (most of the parse path's time). `attributes_match_serde` holds it to the serde output.
    fn attributes(&self) -> Result<Item, ContractError> {
        fn put(item: &mut Item, name: &str, value: Option<AttributeValue>) {
            if let Some(value) = value {
                item.insert(name.to_owned(), value);
            }
        }
        let s = |v: &str| Some(AttributeValue::S(v.to_owned()));
        // itoa writes integers as `to_string` does, without the formatting machinery.
        let n =
            |v: Option<u64>| v.map(|v| AttributeValue::N(itoa::Buffer::new().format(v).to_owned()));
        let schema = Self::SCHEMA;
        // Room for the keys and markers the codec adds, so the map is allocated once.
        let mut item = Item::with_capacity(schema.attributes.len() + 2 * schema.indexes.len() + 2);
        put(&mut item, "workspaceId", s(self.workspace_id.as_str()));
        put(&mut item, "postId", s(self.post_id.as_str()));
        put(&mut item, "platform", s(self.platform.as_str()));
        put(&mut item, "date", s(self.date.as_str()));
        put(&mut item, "month", s(self.month.as_str()));
        put(&mut item, "impressions", n(self.impressions));
        put(&mut item, "likes", n(self.likes));
        put(&mut item, "comments", n(self.comments));
        put(&mut item, "shares", n(self.shares));
        put(&mut item, "saves", n(self.saves));
        put(&mut item, "clicks", n(self.clicks));
        put(&mut item, "views", n(self.views));
        put(
            &mut item,
            "watchTimeSeconds",
            self.watch_time_seconds
                .map(|v| AttributeValue::N(v.to_string())),
        );
        put(
            &mut item,
            "followersGained",
            self.followers_gained
                .map(|v| AttributeValue::N(itoa::Buffer::new().format(v).to_owned())),
        );
        put(&mut item, "source", self.source.as_deref().and_then(s));
        put(
            &mut item,
            "capturedAt",
            self.captured_at.as_deref().and_then(s),
        );
        put(&mut item, "importId", self.import_id.as_deref().and_then(s));
        Ok(item)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::contract::KeyCodec;

    fn metric() -> impl Strategy<Value = Metric> {
        let ids = ("[A-Za-z0-9_-]{1,20}", "[A-Za-z0-9_-]{1,30}");
        let day = (2000u32..2100, 1u32..13, 1u32..29)
            .prop_map(|(y, m, d)| Day::parse(format!("{y:04}-{m:02}-{d:02}")).unwrap());
        let counts = proptest::collection::vec(proptest::option::of(any::<u64>()), 7);
        let text = proptest::option::of("\\PC{0,12}");
        (
            ids,
            proptest::sample::select(Platform::ALL.to_vec()),
            day,
            counts,
            proptest::option::of(prop_oneof![0.0..1e12f64, Just(0.5), Just(1e21), Just(1e-7)]),
            proptest::option::of(any::<i64>()),
            (text.clone(), text.clone(), text),
        )
            .prop_map(
                |((ws, post), platform, date, c, watch, followers, (a, b, i))| Metric {
                    workspace_id: WorkspaceId::parse(ws).unwrap(),
                    post_id: PostId::parse(post).unwrap(),
                    platform,
                    month: date.month(),
                    date,
                    impressions: c[0],
                    likes: c[1],
                    comments: c[2],
                    shares: c[3],
                    saves: c[4],
                    clicks: c[5],
                    views: c[6],
                    watch_time_seconds: watch,
                    followers_gained: followers,
                    source: a,
                    captured_at: b,
                    import_id: i,
                },
            )
    }

    proptest! {
        /// The direct build is only a faster way to the same item: any difference from serde would change what
        /// the app reads back.
        #[test]
        fn attributes_match_serde(m in metric()) {
            let direct = m.attributes().unwrap();
            let serde: Item = serde_dynamo::to_item(&m).unwrap();
            prop_assert_eq!(&direct, &serde);
            let encoded = KeyCodec::default().encode(&m).unwrap();
            prop_assert_eq!(KeyCodec::default().decode::<Metric>(encoded).unwrap(), m);
        }
    }
}
