//! Rules that compare groups of a platform's posts: weekdays, title features, and this month against the two
//! before it.

use time::Weekday;

use super::words::{self, point, test_evidence};
use super::{Context, LN_1_25};
use crate::stats::{pooled_t, t_upper, welch};
use crate::view::{weekday, Observation};
use crate::{Claim, Finding};
use creatoros_model::entities::{Platform, Severity};

/// Least rated posts for the weekday and title rules.
const MIN_GROUP_POSTS: usize = 20;
/// Least posts in a weekday (or part of the day) for it to be a candidate.
const MIN_PER_GROUP: usize = 3;
/// Least posts on each side of a title feature.
const MIN_PER_SIDE: usize = 5;
/// Least posts new this month for a window-wide claim (weekday, title feature) to be made this month: the claim
/// is renewed while the creator posts, not repeated for months without posts.
const MIN_NEW_FOR_GROUPS: usize = 3;
/// Least posts new this month, and before it, for a trend.
const MIN_TREND_NOW: usize = 5;
const MIN_TREND_BEFORE: usize = 10;

fn log_engagement(o: &Observation) -> Option<f64> {
    super::log_engagement(o).map(|(value, _)| value)
}

fn active(ctx: &Context, platform: Platform) -> bool {
    ctx.window
        .on(platform)
        .filter(|o| ctx.window.is_new(o))
        .count()
        >= MIN_NEW_FOR_GROUPS
}

fn rated<'a>(ctx: &'a Context, platform: Platform) -> Vec<(&'a Observation, f64)> {
    ctx.window
        .on(platform)
        .filter(|o| ctx.window.in_reference(o))
        .filter_map(|o| log_engagement(o).map(|v| (o, v)))
        .collect()
}

/// A way of grouping a platform's posts by when they went out.
struct Timing {
    /// Insight kind.
    kind: &'static str,
    /// Evidence name of the group's post count.
    metric: &'static str,
    /// Number of groups.
    groups: usize,
    /// The post's group, if its publish time is known well enough.
    group: fn(&Observation) -> Option<usize>,
    /// "on Tuesdays", "in the evening (18:00–24:00)".
    phrase: fn(usize) -> String,
    /// Least groups with enough posts to compare.
    min_groups: usize,
}

/// Parts of the day, by local hour: [start, end).
const DAY_PARTS: [(u8, u8, &str); 5] = [
    (0, 5, "at night (00:00–05:00)"),
    (5, 11, "in the morning (05:00–11:00)"),
    (11, 14, "at midday (11:00–14:00)"),
    (14, 18, "in the afternoon (14:00–18:00)"),
    (18, 24, "in the evening (18:00–24:00)"),
];

const TIMINGS: [Timing; 2] = [
    Timing {
        kind: "best_weekday",
        metric: "weekdayPosts",
        groups: 7,
        group: |o| {
            o.published
                .as_ref()
                .map(|p| weekday(p).number_days_from_monday() as usize)
        },
        phrase: |g| format!("on {}", words::weekday(Weekday::Monday.nth_next(g as u8))),
        min_groups: 3,
    },
    Timing {
        kind: "best_time",
        metric: "timeOfDayPosts",
        groups: DAY_PARTS.len(),
        group: |o| {
            let hour = o.published.as_ref()?.hour?;
            DAY_PARTS
                .iter()
                .position(|(from, to, _)| hour >= *from && hour < *to)
        },
        phrase: |g| DAY_PARTS[g].2.to_owned(),
        min_groups: 2,
    },
];

/// `best_weekday` and `best_time`: the weekday (or part of the day, by the local hour in the profile's time zone)
/// whose posts stand furthest above the others (pooled t on log engagement rate), its one-sided p multiplied by
/// the number of groups it was picked from (so choosing the best is part of the test).
pub fn best_timing(ctx: &Context) -> Vec<Claim> {
    let mut out = Vec::new();
    for platform in ctx.window.platforms() {
        if !active(ctx, platform) {
            continue;
        }
        let rated = rated(ctx, platform);
        for timing in &TIMINGS {
            let posts: Vec<(usize, f64)> = rated
                .iter()
                .filter_map(|(o, v)| (timing.group)(o).map(|g| (g, *v)))
                .collect();
            if posts.len() < MIN_GROUP_POSTS {
                continue;
            }
            out.extend(best_group(ctx, platform, timing, &posts));
        }
    }
    out
}

fn best_group(
    ctx: &Context,
    platform: Platform,
    timing: &Timing,
    posts: &[(usize, f64)],
) -> Option<Claim> {
    let eligible: Vec<usize> = (0..timing.groups)
        .filter(|g| posts.iter().filter(|(l, _)| l == g).count() >= MIN_PER_GROUP)
        .collect();
    if eligible.len() < timing.min_groups {
        return None;
    }
    let split = |g: usize| -> (Vec<f64>, Vec<f64>) {
        let (mut on, mut rest) = (Vec::new(), Vec::new());
        for (l, v) in posts {
            if *l == g {
                on.push(*v)
            } else {
                rest.push(*v)
            }
        }
        (on, rest)
    };
    // The best group by t, then Bonferroni over the groups it was picked from.
    let (best, effect, t, df) = eligible
        .iter()
        .filter_map(|g| {
            let (on, rest) = split(*g);
            pooled_t(&on, &rest).map(|(e, t, df)| (*g, e, t, df))
        })
        .max_by(|a, b| a.2.total_cmp(&b.2))?;
    let p = (t_upper(t, df) * eligible.len() as f64).min(1.0);
    let (on, rest) = split(best);
    let when = (timing.phrase)(best);
    let finding = (effect >= LN_1_25).then(|| {
        let p_name = words::platform(platform);
        let insight = ctx.data.insight(
            timing.kind,
            platform.as_str(),
            Severity::Info,
            format!("{p_name} posts {when} engage {} your others", words::ratio(effect.exp())),
            format!(
                "Over the last 90 days your {} {p_name} posts {when} had {} the engagement rate of the other {}. \
                 Picking the best of your posting times by luck alone would give a gap this large {}.",
                on.len(),
                words::ratio(effect.exp()),
                rest.len(),
                words::chance(p),
            ),
            {
                let mut e = vec![point(None, Some(platform), timing.metric, on.len() as f64, Some(when.clone()))];
                e.extend(test_evidence(platform, posts.len(), effect.exp(), p));
                e
            },
        );
        let task = ctx.data.task(
            &insight,
            "schedule",
            platform.as_str(),
            format!("Schedule more {p_name} posts {when}"),
            3.0,
        );
        Finding {
            insight,
            tasks: vec![task],
        }
    });
    Some(Claim {
        finding,
        p: Some(p),
    })
}

/// A title feature and how it reads.
struct Feature {
    id: &'static str,
    has: fn(&str) -> bool,
    with: &'static str,
    advice: &'static str,
}

const FEATURES: [Feature; 3] = [
    Feature {
        id: "question",
        has: |t| t.contains('?') || t.contains('？'),
        with: "a question",
        advice: "questions",
    },
    Feature {
        id: "number",
        has: |t| t.chars().any(|c| c.is_numeric()),
        with: "a number",
        advice: "numbers",
    },
    Feature {
        id: "long",
        has: |t| t.chars().count() >= 60,
        with: "60 characters or more",
        advice: "long titles",
    },
];

/// `title_feature`: posts whose titles have a feature against those without (two-sided Welch t test).
pub fn title_features(ctx: &Context) -> Vec<Claim> {
    let mut out = Vec::new();
    for platform in ctx.window.platforms() {
        let titled: Vec<(&str, f64)> = rated(ctx, platform)
            .into_iter()
            .filter_map(|(o, v)| o.title.as_deref().map(|t| (t, v)))
            .collect();
        if titled.len() < MIN_GROUP_POSTS || !active(ctx, platform) {
            continue;
        }
        for feature in &FEATURES {
            let labels: Vec<usize> = titled
                .iter()
                .map(|(t, _)| usize::from((feature.has)(t)))
                .collect();
            let with = labels.iter().sum::<usize>();
            if with < MIN_PER_SIDE || titled.len() - with < MIN_PER_SIDE {
                continue;
            }
            let subject = format!("{}-{}", platform.as_str(), feature.id);
            let side = |want: usize| -> Vec<f64> {
                titled
                    .iter()
                    .zip(&labels)
                    .filter(|(_, l)| **l == want)
                    .map(|((_, v), _)| *v)
                    .collect()
            };
            let Some((effect, p)) = welch(&side(1), &side(0)) else {
                continue;
            };
            let finding = (effect.abs() >= LN_1_25).then(|| {
                let p_name = words::platform(platform);
                let better = effect > 0.0;
                let insight = ctx.data.insight(
                    "title_feature",
                    &subject,
                    Severity::Info,
                    format!(
                        "{p_name} titles with {} go with {} the engagement of others",
                        feature.with,
                        words::ratio(effect.exp())
                    ),
                    format!(
                        "Over the last 90 days, {with} of your {} titled {p_name} posts had {}; their engagement \
                         rate was {} that of the other {}. A gap this large happens by luck {}. This is an \
                         association, not proof of cause: try it and watch.",
                        titled.len(),
                        feature.with,
                        words::ratio(effect.exp()),
                        titled.len() - with,
                        words::chance(p),
                    ),
                    test_evidence(platform, titled.len(), effect.exp(), p),
                );
                let title = if better {
                    format!("Try more {p_name} titles with {}", feature.advice)
                } else {
                    format!("Try fewer {p_name} titles with {}", feature.advice)
                };
                let task = ctx.data.task(&insight, "titles", &subject, title, 4.0);
                Finding { insight, tasks: vec![task] }
            });
            out.push(Claim {
                finding,
                p: Some(p),
            });
        }
    }
    out
}

/// The audience a post had at 7 days old: the only reach that compares posts of different ages (a lifetime
/// audience to date would set this month's young posts against older ones).
fn comparable_reach(o: &Observation) -> Option<f64> {
    o.audience_at_age(7).filter(|a| *a > 0.0).map(f64::ln)
}

/// `trend`: this month's posts (published in it; of unknown publish day, first measured in it) against the
/// window's earlier ones, on engagement rate and on reach at 7 days old (two-sided Welch t tests). A month in progress is judged on the posts it has so far.
pub fn trend(ctx: &Context) -> Vec<Claim> {
    let mut out = Vec::new();
    let month_start = ctx.window.month_start();
    type Value = fn(&Observation) -> Option<f64>;
    let measures: [(&str, &str, Value); 2] = [
        ("engagement", "engagement rate", log_engagement),
        ("reach", "reach at a comparable age", comparable_reach),
    ];
    for platform in ctx.window.platforms() {
        for (id, what, value) in measures {
            let (mut now, mut before) = (Vec::new(), Vec::new());
            for o in ctx
                .window
                .on(platform)
                .filter(|o| ctx.window.in_reference(o))
            {
                let Some(v) = value(o) else { continue };
                // Published this month against published before it (a post first measured this month but
                // published earlier belongs with the earlier ones).
                match &o.published {
                    Some(p) if p.day >= month_start => now.push(v),
                    Some(_) => before.push(v),
                    None if ctx.window.is_new(o) => now.push(v),
                    None => {}
                }
            }
            if now.len() < MIN_TREND_NOW || before.len() < MIN_TREND_BEFORE {
                continue;
            }
            let subject = format!("{}-{id}", platform.as_str());
            let Some((effect, p)) = welch(&now, &before) else {
                continue;
            };
            let finding = (effect.abs() >= LN_1_25).then(|| {
                let p_name = words::platform(platform);
                let up = effect > 0.0;
                let so_far = if ctx.window.in_progress { " so far" } else { "" };
                let insight = ctx.data.insight(
                    "trend",
                    &subject,
                    if up { Severity::Info } else { Severity::Warning },
                    format!(
                        "{p_name} {what} this month{so_far}: {} the two months before",
                        words::ratio(effect.exp())
                    ),
                    format!(
                        "Your {} new {p_name} posts this month{so_far} had {} the {what} of your {} posts of the two \
                         months before. A shift this large happens by luck {}.",
                        now.len(),
                        words::ratio(effect.exp()),
                        before.len(),
                        words::chance(p),
                    ),
                    test_evidence(platform, now.len() + before.len(), effect.exp(), p),
                );
                let tasks = if up {
                    Vec::new()
                } else {
                    vec![ctx.data.task(
                        &insight,
                        "review",
                        &subject,
                        format!("Review what changed in this month's {p_name} posts ({what} fell)"),
                        2.0,
                    )]
                };
                Finding { insight, tasks }
            });
            out.push(Claim {
                finding,
                p: Some(p),
            });
        }
    }
    out
}
