//! Rules about the account: follower growth from its own daily series, gaps against the plan's cadence, and
//! planned posts that have no metrics yet.

use std::collections::BTreeSet;

use time::Date;

use super::words::{self, point};
use super::Context;
use crate::stats::welch;
use crate::{Claim, Finding};
use creatoros_model::entities::{Daily, Platform, Severity};

/// Least days of the month, and before it, for follower growth.
const MIN_DAYS_NOW: usize = 14;
const MIN_DAYS_BEFORE: usize = 28;
/// Least difference in followers a day worth a claim.
const MIN_DAILY_DIFFERENCE: f64 = 0.5;

/// Net followers of one day: gained − lost where both are given, else the gain (which exports give as net).
fn net(d: &Daily) -> Option<f64> {
    match (d.followers_gained, d.followers_lost) {
        (Some(g), Some(l)) => Some((g - l) as f64),
        (Some(g), None) => Some(g as f64),
        _ => None,
    }
}

/// Net followers per day, from `followersGained` or else from day-to-day changes of the `followers` total.
fn daily_net(series: &[Daily]) -> Vec<(Date, f64)> {
    let direct: Vec<(Date, f64)> = series
        .iter()
        .filter_map(|d| net(d).map(|n| (d.day.to_date(), n)))
        .collect();
    if !direct.is_empty() {
        return direct;
    }
    series
        .windows(2)
        .filter_map(|w| {
            let (a, b) = (w[0].followers?, w[1].followers?);
            ((w[1].day.to_date() - w[0].day.to_date()).whole_days() == 1)
                .then(|| (w[1].day.to_date(), (b - a) as f64))
        })
        .collect()
}

/// `follower_growth`: mean daily net followers this month against the window's earlier days (Welch t on days).
/// Only the account's own daily series counts: per-post follower counts overlap and miss profile follows.
pub fn follower_growth(ctx: &Context) -> Vec<Claim> {
    let month_start = ctx.window.month_start();
    let mut out = Vec::new();
    for (platform, series) in &ctx.window.account {
        let days = daily_net(series);
        let now: Vec<f64> = days
            .iter()
            .filter(|(d, _)| *d >= month_start)
            .map(|(_, v)| *v)
            .collect();
        let before: Vec<f64> = days
            .iter()
            .filter(|(d, _)| *d < month_start)
            .map(|(_, v)| *v)
            .collect();
        if now.len() < MIN_DAYS_NOW || before.len() < MIN_DAYS_BEFORE {
            continue;
        }
        let Some((difference, p)) = welch(&now, &before) else {
            continue;
        };
        let per_day = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        let (a, b) = (per_day(&now), per_day(&before));
        let finding = (difference.abs() >= MIN_DAILY_DIFFERENCE)
            .then(|| follower_finding(ctx, *platform, (a, now.len()), (b, before.len()), p));
        out.push(Claim {
            finding,
            p: Some(p),
        });
    }
    out
}

fn follower_finding(
    ctx: &Context,
    platform: Platform,
    now: (f64, usize),
    before: (f64, usize),
    p: f64,
) -> Finding {
    let p_name = words::platform(platform);
    let faster = now.0 > before.0;
    let so_far = if ctx.window.in_progress {
        " so far"
    } else {
        ""
    };
    let insight = ctx.data.insight(
        "follower_growth",
        platform.as_str(),
        if faster { Severity::Info } else { Severity::Warning },
        format!(
            "{p_name} followers {} this month{so_far}: {:+.1} a day against {:+.1} before",
            if faster { "grow faster" } else { "grow slower" },
            now.0,
            before.0
        ),
        format!(
            "Your account's own daily figures: {:+.1} followers a day over {} days this month{so_far}, against \
             {:+.1} over the {} days before. A change this large happens by luck {}.",
            now.0,
            now.1,
            before.0,
            before.1,
            words::chance(p)
        ),
        {
            let mut e = vec![
                point(None, Some(platform), "followersPerDay", now.0, Some("this month".into())),
                point(None, Some(platform), "followersPerDayBefore", before.0, None),
            ];
            e.push(point(None, Some(platform), "sampleSize", (now.1 + before.1) as f64, Some("days".into())));
            e.push(point(None, Some(platform), "differencePerDay", now.0 - before.0, None));
            e.push(point(
                None,
                Some(platform),
                "pValue",
                p,
                Some(format!("chance of this by luck: {}", words::chance(p))),
            ));
            e
        },
    );
    let tasks = if faster {
        Vec::new()
    } else {
        vec![ctx.data.task(
            &insight,
            "review",
            platform.as_str(),
            format!("Find out why {p_name} follower growth slowed this month"),
            2.0,
        )]
    };
    Finding { insight, tasks }
}

/// `posting_gap` (a fact): the longest stretch in the month without a post the exports saw, against the plan's
/// cadence (posts per month). A gap still open counts up to the platform's latest export only: after it, the
/// posts may simply not be exported yet.
pub fn posting_gap(ctx: &Context) -> Vec<Claim> {
    let Some(cadence) = ctx.data.plan.as_ref().and_then(|p| p.cadence.clone()) else {
        return Vec::new();
    };
    let month_start = ctx.window.month_start();
    let days_in_month = (ctx.data.month.last_day() - month_start).whole_days() as f64 + 1.0;
    let mut out = Vec::new();
    for platform in Platform::ALL {
        let planned = match platform {
            Platform::Linkedin => cadence.linkedin,
            Platform::X => cadence.x,
            Platform::Youtube => cadence.youtube,
            Platform::Rednote => cadence.rednote,
        };
        let Some(planned) = planned.filter(|c| *c > 0.0) else {
            continue;
        };
        let interval = days_in_month / planned;
        let days: BTreeSet<Date> = ctx
            .window
            .on(platform)
            .filter_map(|o| o.published.as_ref().map(|p| p.day))
            .collect();
        let Some(seen_until) = ctx.window.on(platform).map(|o| o.latest).max() else {
            continue;
        };
        let seen_until = seen_until.min(ctx.window.end);
        // Nothing of this platform exported in the month yet: no gap can be seen (and the range below would be
        // empty the wrong way round).
        if seen_until < month_start {
            continue;
        }
        // From the last post before the month (or the month's start) through each post to the last export.
        let mut marks: Vec<Date> = days
            .range(..month_start)
            .next_back()
            .copied()
            .into_iter()
            .collect();
        if marks.is_empty() {
            marks.push(month_start);
        }
        marks.extend(days.range(month_start..=seen_until).copied());
        marks.push(seen_until);
        let longest = marks
            .windows(2)
            .map(|w| (w[0], w[1]))
            .filter(|(a, b)| *b >= month_start && b > a)
            .max_by_key(|(a, b)| ((*b - *a).whole_days(), *a));
        let Some((from, to)) = longest else { continue };
        let gap = (to - from).whole_days();
        if (gap as f64) < (2.0 * interval).max(7.0) {
            continue;
        }
        let p_name = words::platform(platform);
        let insight = ctx.data.insight(
            "posting_gap",
            platform.as_str(),
            Severity::Warning,
            format!("{gap} days without {} post", words::a_platform(platform)),
            format!(
                "No {p_name} post between {} and {}, {gap} days; this month's plan calls for {planned:.0} \
                 posts, about one every {interval:.0} days.",
                words::day(from),
                words::day(to)
            ),
            vec![
                point(None, Some(platform), "gapDays", gap as f64, Some(format!("{} to {}", from, to))),
                point(None, Some(platform), "plannedPosts", planned, None),
            ],
        );
        let task = ctx.data.task(
            &insight,
            "plan",
            platform.as_str(),
            format!("Plan the next {p_name} post"),
            2.0,
        );
        out.push(Claim {
            finding: Some(Finding {
                insight,
                tasks: vec![task],
            }),
            p: None,
        });
    }
    out
}

/// `missing_metrics` (a fact): the app's posts published in the month at least three days ago with no metric
/// at all (in the window, or in a later month as the worker looked up).
pub fn missing_metrics(ctx: &Context) -> Vec<Claim> {
    let data = ctx.data;
    let mut missing: Vec<(&str, String)> = data
        .unmeasured_posts()
        .into_iter()
        .filter(|p| !data.measured_elsewhere.contains(p.post_id.as_str()))
        .map(|p| {
            let name = match p.title.as_deref().filter(|t| !t.trim().is_empty()) {
                Some(t) => format!("\"{t}\""),
                None => format!(
                    "your post of {}",
                    p.publish_date
                        .as_ref()
                        .map(|d| words::day(d.to_date()))
                        .unwrap_or_default()
                ),
            };
            (p.post_id.as_str(), name)
        })
        .collect();
    if missing.is_empty() {
        return Vec::new();
    }
    missing.sort();
    let names: Vec<String> = missing.iter().map(|(_, n)| n.clone()).collect();
    let insight = data.insight(
        "missing_metrics",
        "posts",
        Severity::Warning,
        format!("{} published post(s) have no metrics yet", missing.len()),
        format!(
            "Published at least three days ago with nothing imported: {}.",
            words::list(&names)
        ),
        missing
            .iter()
            .map(|(id, _)| point(Some(id), None, "metrics", 0.0, None))
            .collect(),
    );
    let tasks = missing
        .iter()
        .map(|(id, name)| {
            data.task(
                &insight,
                "add_metrics",
                id,
                format!("Add {} metrics for {name}", data.month),
                1.0,
            )
        })
        .collect();
    vec![Claim {
        finding: Some(Finding { insight, tasks }),
        p: None,
    }]
}
