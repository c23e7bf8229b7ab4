//! A month's data as the rules see it: one [`Observation`] per (post, platform) over a rolling window, the
//! account's daily series, and which posts are new in the month.
//!
//! - **Window:** the month and the two before it (about 90 days), ending at the month's end or today, whichever
//!   is first: one month of a small account is too few posts to judge, three are enough for most rules.
//! - **Snapshot:** a post's numbers are its latest snapshot dated in the window (to date, or over a period that
//!   ends then); earlier snapshots and the post's daily series give its numbers at a given age.
//! - **New in the month:** published in the month; or first measured in it (no earlier snapshot in the window)
//!   and published within the window. Claims about posts are made once, in the month a post is new.
//! - **When published:** the app's publish day if the post was planned, else the export's `publishedAt` in the
//!   profile's time zone (a local time stays local; a time with an offset is converted).

use std::collections::BTreeMap;

use time::{Date, Weekday};

use super::engagement::{audience, engaged};
use creatoros_model::entities::{Daily, Metric, Platform, Post};
use creatoros_model::ids::{Day, Month};

/// Months in the rolling window, the derived month included.
pub const WINDOW_MONTHS: u32 = 3;

/// When a post went out, as the creator's calendar sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// Local day.
    pub day: Date,
    /// Local hour, when the export gives a time.
    pub hour: Option<u8>,
}

/// Reads an export's `publishedAt` (a day, a local date-time, or a date-time with an offset) into `zone`.
pub fn published_in(raw: &str, zone: Option<&jiff::tz::TimeZone>) -> Option<Published> {
    let raw = raw.trim();
    if let Ok(ts) = raw.parse::<jiff::Timestamp>() {
        let local = match zone {
            Some(z) => ts.to_zoned(z.clone()).datetime(),
            None => ts.to_zoned(jiff::tz::TimeZone::UTC).datetime(),
        };
        return civil(local.date()).map(|day| Published {
            day,
            hour: u8::try_from(local.hour()).ok(),
        });
    }
    if let Ok(local) = raw.parse::<jiff::civil::DateTime>() {
        if raw.len() > 10 {
            return civil(local.date()).map(|day| Published {
                day,
                hour: u8::try_from(local.hour()).ok(),
            });
        }
    }
    let day = Day::parse(raw.get(..10)?).ok()?;
    Some(Published {
        day: day.to_date(),
        hour: None,
    })
}

fn civil(d: jiff::civil::Date) -> Option<Date> {
    let month = time::Month::try_from(u8::try_from(d.month()).ok()?).ok()?;
    Date::from_calendar_date(i32::from(d.year()), month, u8::try_from(d.day()).ok()?).ok()
}

/// A profile's time zone, if it names one this build knows (unknown names fall back to UTC).
pub fn zone(name: Option<&str>) -> Option<jiff::tz::TimeZone> {
    name.and_then(|n| jiff::tz::TimeZone::get(n).ok())
}

/// One post on one platform over the window.
#[derive(Debug, Clone)]
pub struct Observation {
    /// The post (the app's id when the export row was linked to a planned post).
    pub post_id: String,
    /// The platform.
    pub platform: Platform,
    /// Its title for people, when anyone knows it.
    pub title: Option<String>,
    /// When it went out.
    pub published: Option<Published>,
    /// Its first snapshot in the window.
    pub first_seen: Date,
    /// Its latest snapshot in the window.
    pub latest: Date,
    /// Audience of the latest snapshot: impressions, or views on YouTube.
    pub audience: Option<f64>,
    /// Engagements of the latest snapshot (see [`super::engagement`]).
    pub engaged: Option<f64>,
    /// Followers the post brought (net), where the export gives them.
    pub follows: Option<f64>,
    /// Thumbnail or cover click-through (0..1), where the export gives it.
    pub click_through: Option<f64>,
    /// Average seconds watched per view, where the export gives watch time.
    pub view_seconds: Option<f64>,
    /// (day, audience to date) of every snapshot measured to date, oldest first.
    pub history: Vec<(Date, f64)>,
    /// (day, audience that day) from the post's daily series, oldest first.
    pub daily: Vec<(Date, f64)>,
}

impl Observation {
    /// Days from publishing to `day`.
    pub fn age_on(&self, day: Date) -> Option<i64> {
        self.published.as_ref().map(|p| (day - p.day).whole_days())
    }

    /// Audience to date when the post was `age` days old: from its daily series if that covers the days, else
    /// from the first snapshot taken at that age or within a week (or half the age, if longer) after it: a weekly
    /// export always has one, and audiences grow slowly by then.
    pub fn audience_at_age(&self, age: i64) -> Option<f64> {
        let published = self.published.as_ref()?.day;
        let until = published + time::Duration::days(age);
        if self.daily.first().is_some_and(|(d, _)| *d <= published)
            && self.daily.last().is_some_and(|(d, _)| *d >= until)
        {
            return Some(
                self.daily
                    .iter()
                    .filter(|(d, _)| *d <= until)
                    .map(|(_, v)| v.max(0.0))
                    .sum(),
            );
        }
        self.history
            .iter()
            .find(|(d, _)| {
                let a = (*d - published).whole_days();
                a >= age && a < age + (age / 2).max(7)
            })
            .map(|(_, v)| *v)
    }
}

/// The window's observations and the account's daily values, as the rules read them.
#[derive(Debug, Clone)]
pub struct Window {
    /// The month derived.
    pub month: Month,
    /// First day of the window.
    pub start: Date,
    /// Last day the window can hold data for: the month's end, or today in a month in progress.
    pub end: Date,
    /// Whether the month is still in progress.
    pub in_progress: bool,
    /// Observations, ordered by (platform, post).
    pub observations: Vec<Observation>,
    /// The account's daily values per platform (subject `account`), ordered by day.
    pub account: BTreeMap<Platform, Vec<Daily>>,
}

impl Window {
    /// First day of the derived month.
    pub fn month_start(&self) -> Date {
        self.month.first_day()
    }

    /// Whether `o` is new in the month (see the module docs).
    pub fn is_new(&self, o: &Observation) -> bool {
        let month_start = self.month_start();
        match &o.published {
            Some(p) if p.day >= month_start => p.day <= self.end,
            Some(p) => o.first_seen >= month_start && p.day >= self.start,
            None => o.first_seen >= month_start,
        }
    }

    /// Whether `o` belongs in the window's reference (published within it, or of unknown age).
    pub fn in_reference(&self, o: &Observation) -> bool {
        o.published
            .as_ref()
            .is_none_or(|p| p.day >= self.start && p.day <= self.end)
    }

    /// Observations of one platform.
    pub fn on(&self, platform: Platform) -> impl Iterator<Item = &Observation> {
        self.observations
            .iter()
            .filter(move |o| o.platform == platform)
    }

    /// Platforms with observations or account values.
    pub fn platforms(&self) -> Vec<Platform> {
        let mut out: Vec<Platform> = self.observations.iter().map(|o| o.platform).collect();
        out.extend(self.account.keys().copied());
        out.sort();
        out.dedup();
        out
    }
}

/// Builds the window of `month` from the items read for it.
pub fn window(
    month: &Month,
    today: Date,
    zone: Option<&jiff::tz::TimeZone>,
    metrics: &[Metric],
    daily: &[Daily],
    posts: &[Post],
) -> Window {
    let start = month.months_before(WINDOW_MONTHS - 1).first_day();
    let month_end = month.last_day();
    let end = month_end.min(today);
    let in_window = |d: Date| d >= start && d <= end;
    let app: BTreeMap<&str, &Post> = posts.iter().map(|p| (p.post_id.as_str(), p)).collect();

    let mut by: BTreeMap<(Platform, &str), Vec<&Metric>> = BTreeMap::new();
    for m in metrics.iter().filter(|m| in_window(m.date.to_date())) {
        by.entry((m.platform, m.post_id.as_str()))
            .or_default()
            .push(m);
    }
    let mut post_daily: BTreeMap<(Platform, &str), Vec<(Date, f64)>> = BTreeMap::new();
    let mut account: BTreeMap<Platform, Vec<Daily>> = BTreeMap::new();
    for d in daily.iter().filter(|d| in_window(d.day.to_date())) {
        match &d.post_id {
            Some(post) => {
                let value = match d.platform {
                    Platform::Youtube => d.views,
                    _ => d.impressions,
                };
                if let Some(v) = value {
                    post_daily
                        .entry((d.platform, post.as_str()))
                        .or_default()
                        .push((d.day.to_date(), v as f64));
                }
            }
            None if d.subject.as_str() == "account" => {
                account.entry(d.platform).or_default().push(d.clone())
            }
            None => {}
        }
    }
    for series in account.values_mut() {
        series.sort_by(|a, b| a.day.cmp(&b.day));
    }

    let observations = by
        .into_iter()
        .map(|((platform, post_id), mut snaps)| {
            snaps.sort_by(|a, b| a.date.cmp(&b.date));
            let last = *snaps.last().expect("grouped from at least one");
            let planned = app.get(post_id);
            let published = planned
                .and_then(|p| p.publish_date.as_ref())
                .map(|d| Published {
                    day: d.to_date(),
                    hour: None,
                })
                .or_else(|| {
                    snaps
                        .iter()
                        .rev()
                        .find_map(|m| m.published_at.as_deref())
                        .and_then(|raw| published_in(raw, zone))
                });
            let title = planned
                .and_then(|p| p.title.clone())
                .or_else(|| snaps.iter().rev().find_map(|m| m.title.clone()))
                .filter(|t| !t.trim().is_empty());
            let history = snaps
                .iter()
                .filter(|m| m.measure != Some(creatoros_model::entities::Measure::Period))
                .filter_map(|m| audience(m).map(|a| (m.date.to_date(), a)))
                .collect();
            let mut daily = post_daily.remove(&(platform, post_id)).unwrap_or_default();
            daily.sort_by_key(|(d, _)| *d);
            let views = last.views.filter(|v| *v > 0).map(|v| v as f64);
            Observation {
                post_id: post_id.to_owned(),
                platform,
                title,
                published,
                first_seen: snaps[0].date.to_date(),
                latest: last.date.to_date(),
                audience: audience(last),
                engaged: engaged(last),
                follows: last.followers_gained.map(|f| f as f64),
                click_through: last.click_through_rate,
                view_seconds: last
                    .watch_time_seconds
                    .zip(views)
                    .map(|(w, v)| w.max(0.0) / v),
                history,
                daily,
            }
        })
        .collect();
    Window {
        month: month.clone(),
        start,
        end,
        in_progress: today < month_end,
        observations,
        account,
    }
}

/// The weekday of a published day.
pub fn weekday(p: &Published) -> Weekday {
    p.day.weekday()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn published_times_land_in_the_profiles_zone() {
        let tokyo = zone(Some("Asia/Tokyo"));
        // 20:30 UTC on a Monday is 05:30 on Tuesday in Tokyo.
        let p = published_in("2026-07-06T20:30:00Z", tokyo.as_ref()).unwrap();
        assert_eq!(p.day, date!(2026 - 07 - 07));
        assert_eq!(p.hour, Some(5));
        // A local time stays where the export put it; a day has no hour.
        let local = published_in("2026-07-06T20:30:00", tokyo.as_ref()).unwrap();
        assert_eq!((local.day, local.hour), (date!(2026 - 07 - 06), Some(20)));
        let day = published_in("2026-07-06", tokyo.as_ref()).unwrap();
        assert_eq!((day.day, day.hour), (date!(2026 - 07 - 06), None));
        assert!(published_in("soon", None).is_none());
        assert!(zone(Some("Mars/Olympus")).is_none());
    }
}
