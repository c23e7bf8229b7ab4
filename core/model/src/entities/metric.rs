//! The metric entity: a snapshot of a post's numbers on one platform as of one day, totals to date or over a
//! period ending that day.

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use serde_dynamo::AttributeValue;

use crate::contract::{schema, ContractError, Entity, EntitySchema, Item};
use crate::ids::{Day, Month, PostId, WorkspaceId};

use super::{check_finite, Platform};

/// What a snapshot's numbers measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Measure {
    /// Totals to date (as of `date`). Items without `measure` (the app's, the first version's) are these.
    Lifetime,
    /// Totals over `periodStart`..`periodEnd` (`periodEnd` is `date`); may be negative where the platform
    /// subtracts removals.
    Period,
}

impl Measure {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Measure::Lifetime => "lifetime",
            Measure::Period => "period",
        }
    }
}

/// A post's numbers on one platform as of `date`, the day they were true: a snapshot, not a daily delta.
/// Identity: (workspace, post, platform, date); a later export of the post adds a snapshot.
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
    /// The day the numbers are as of (the end of the period an export covers, else its upload day).
    pub date: Day,
    /// Month of `date` (checked).
    pub month: Month,
    /// What the numbers measure; absent means totals to date.
    pub measure: Option<Measure>,
    /// First day of the period (period measures, when the export says).
    pub period_start: Option<Day>,
    /// Last day of the period: `date` (period measures).
    pub period_end: Option<Day>,
    /// When the post was published (ISO-8601, as precise as the export: a day, a local time, or with offset).
    pub published_at: Option<String>,
    /// The post's title or first words, as the export gives them.
    pub title: Option<String>,
    /// Times shown.
    pub impressions: Option<i64>,
    /// Likes or reactions.
    pub likes: Option<i64>,
    /// Comments or replies.
    pub comments: Option<i64>,
    /// Shares, reposts, retweets.
    pub shares: Option<i64>,
    /// Saves or bookmarks.
    pub saves: Option<i64>,
    /// Link or profile clicks.
    pub clicks: Option<i64>,
    /// Video or note views.
    pub views: Option<i64>,
    /// Engagements as the platform counts them, where it gives only their total (LinkedIn's top posts).
    pub engagements: Option<i64>,
    /// Total watch time in seconds (may be fractional).
    pub watch_time_seconds: Option<f64>,
    /// Net followers gained (may be negative).
    pub followers_gained: Option<i64>,
    /// Thumbnail or cover click-through rate, 0..=1.
    pub click_through_rate: Option<f64>,
    /// Where the numbers came from (format and object).
    pub source: Option<String>,
    /// When the numbers were captured (ISO timestamp).
    pub captured_at: Option<String>,
    /// The import that wrote this item; absent when the app wrote it.
    pub import_id: Option<String>,
}

impl Metric {
    /// A snapshot of `post` on `platform` as of `date` with no numbers yet (fill them with struct update).
    pub fn new(workspace_id: WorkspaceId, post_id: PostId, platform: Platform, date: Day) -> Self {
        Self {
            workspace_id,
            post_id,
            platform,
            month: date.month(),
            date,
            measure: None,
            period_start: None,
            period_end: None,
            published_at: None,
            title: None,
            impressions: None,
            likes: None,
            comments: None,
            shares: None,
            saves: None,
            clicks: None,
            views: None,
            engagements: None,
            watch_time_seconds: None,
            followers_gained: None,
            click_through_rate: None,
            source: None,
            captured_at: None,
            import_id: None,
        }
    }
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
        let inconsistent = |reason: String| {
            Err(ContractError::Inconsistent {
                entity: "metric",
                reason,
            })
        };
        if matches!(self.watch_time_seconds, Some(w) if w < 0.0) {
            return inconsistent("watchTimeSeconds is negative".to_owned());
        }
        if matches!(self.click_through_rate, Some(r) if !(0.0..=1.0).contains(&r)) {
            return inconsistent("clickThroughRate is not between 0 and 1".to_owned());
        }
        match self.measure {
            Some(Measure::Period) => {
                if self.period_end.as_ref() != Some(&self.date) {
                    return inconsistent("a period measure ends on its date".to_owned());
                }
                if self.period_start.as_ref().is_some_and(|s| *s > self.date) {
                    return inconsistent("periodStart is after date".to_owned());
                }
            }
            None | Some(Measure::Lifetime) => {
                if self.period_start.is_some() || self.period_end.is_some() {
                    return inconsistent("totals to date have no period".to_owned());
                }
                // Totals to date only grow; removals show only in period totals.
                let counts = [
                    ("impressions", self.impressions),
                    ("likes", self.likes),
                    ("comments", self.comments),
                    ("shares", self.shares),
                    ("saves", self.saves),
                    ("clicks", self.clicks),
                    ("views", self.views),
                    ("engagements", self.engagements),
                ];
                if let Some((name, _)) = counts.iter().find(|(_, v)| v.is_some_and(|v| v < 0)) {
                    return inconsistent(format!("{name} is negative in totals to date"));
                }
            }
        }
        check_finite(
            "metric",
            &[
                ("watchTimeSeconds", self.watch_time_seconds),
                ("clickThroughRate", self.click_through_rate),
            ],
        )
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
            |v: Option<i64>| v.map(|v| AttributeValue::N(itoa::Buffer::new().format(v).to_owned()));
        let f = |v: Option<f64>| v.map(|v| AttributeValue::N(v.to_string()));
        let schema = Self::SCHEMA;
        // Room for the keys and markers the codec adds, so the map is allocated once.
        let mut item = Item::with_capacity(schema.attributes.len() + 2 * schema.indexes.len() + 2);
        put(&mut item, "workspaceId", s(self.workspace_id.as_str()));
        put(&mut item, "postId", s(self.post_id.as_str()));
        put(&mut item, "platform", s(self.platform.as_str()));
        put(&mut item, "date", s(self.date.as_str()));
        put(&mut item, "month", s(self.month.as_str()));
        put(
            &mut item,
            "measure",
            self.measure.and_then(|m| s(m.as_str())),
        );
        put(
            &mut item,
            "periodStart",
            self.period_start.as_ref().and_then(|d| s(d.as_str())),
        );
        put(
            &mut item,
            "periodEnd",
            self.period_end.as_ref().and_then(|d| s(d.as_str())),
        );
        put(
            &mut item,
            "publishedAt",
            self.published_at.as_deref().and_then(s),
        );
        put(&mut item, "title", self.title.as_deref().and_then(s));
        put(&mut item, "impressions", n(self.impressions));
        put(&mut item, "likes", n(self.likes));
        put(&mut item, "comments", n(self.comments));
        put(&mut item, "shares", n(self.shares));
        put(&mut item, "saves", n(self.saves));
        put(&mut item, "clicks", n(self.clicks));
        put(&mut item, "views", n(self.views));
        put(&mut item, "engagements", n(self.engagements));
        put(&mut item, "watchTimeSeconds", f(self.watch_time_seconds));
        put(&mut item, "followersGained", n(self.followers_gained));
        put(&mut item, "clickThroughRate", f(self.click_through_rate));
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
        let day = (2004u32..2100, 1u32..13, 1u32..29)
            .prop_map(|(y, m, d)| Day::parse(format!("{y:04}-{m:02}-{d:02}")).unwrap());
        let counts = proptest::collection::vec(proptest::option::of(0i64..i64::MAX), 8);
        let text = proptest::option::of("\\PC{0,12}");
        (
            ids,
            proptest::sample::select(Platform::ALL.to_vec()),
            day,
            counts,
            proptest::option::of(prop_oneof![0.0..1e12f64, Just(0.5), Just(1e21), Just(1e-7)]),
            proptest::option::of(any::<i64>()),
            (text.clone(), text.clone(), text.clone(), text.clone(), text),
            (any::<bool>(), proptest::option::of(0.0..=1.0f64)),
        )
            .prop_map(
                |(
                    (ws, post),
                    platform,
                    date,
                    c,
                    watch,
                    followers,
                    (a, b, i, t, p),
                    (period, ctr),
                )| Metric {
                    workspace_id: WorkspaceId::parse(ws).unwrap(),
                    post_id: PostId::parse(post).unwrap(),
                    platform,
                    month: date.month(),
                    measure: period.then_some(Measure::Period),
                    period_start: None,
                    period_end: period.then(|| date.clone()),
                    published_at: p,
                    title: t,
                    date,
                    impressions: c[0],
                    likes: c[1],
                    comments: c[2],
                    shares: c[3],
                    saves: c[4],
                    clicks: c[5],
                    views: c[6],
                    engagements: c[7],
                    watch_time_seconds: watch,
                    followers_gained: followers,
                    click_through_rate: ctr,
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
