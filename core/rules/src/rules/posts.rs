//! Rules that judge one post against the platform's other posts: engagement, follower conversion,
//! click-through, view duration, reach at 7 days, and life after the first week.

use super::words::{self, point, test_evidence};
use super::{log_engagement, Context, LN_1_25, LN_1_5, MIN_AUDIENCE, MIN_REFERENCE};
use crate::stats::{count_prediction, log_rate, loo_prediction, Prediction};
use crate::view::Observation;
use crate::{Claim, Finding};
use creatoros_model::entities::{Platform, Severity};

/// Least views for a view duration to be judged.
const MIN_VIEWS_FOR_DURATION: f64 = 50.0;

/// Ages (days) the reach rules compare posts at.
const EARLY_AGE: i64 = 7;
const LATE_AGE: i64 = 30;

/// A post's value on the log scale with its own noise variance, or the (count, base) a rate is made of.
type Extract = fn(&Observation) -> Option<(f64, f64)>;

/// A per-post measure and how its claims read.
struct Measure {
    /// Evidence name.
    metric: &'static str,
    /// Kind of a claim above typical.
    high: Option<&'static str>,
    /// Kind of a claim below typical.
    low: Option<&'static str>,
    /// Least |log effect| worth a claim.
    floor: f64,
    /// Least posts in the reference.
    min_reference: usize,
    /// The post's value on the log scale and its own noise variance.
    value: Extract,
    /// For a rate of counts, the (count, base) it is made of: judged by the exact count test.
    counts: Option<Extract>,
    /// Whether a post is judged this month.
    judged: fn(&Context, &Observation) -> bool,
    /// The value in words (from the log value).
    show: fn(f64) -> String,
    /// What the measure is, in words.
    words: &'static str,
}

fn new_in_month(ctx: &Context, o: &Observation) -> bool {
    ctx.window.is_new(o)
}

/// Posts that turn `LATE_AGE` days old in the month.
fn matured_in_month(ctx: &Context, o: &Observation) -> bool {
    o.published.as_ref().is_some_and(|p| {
        let day = p.day + time::Duration::days(LATE_AGE);
        day >= ctx.window.month_start() && day <= ctx.window.end
    })
}

fn engaged_of(o: &Observation) -> Option<(f64, f64)> {
    Some((o.engaged?, o.audience.filter(|a| *a >= MIN_AUDIENCE)?))
}

fn follows_of(o: &Observation) -> Option<(f64, f64)> {
    Some((
        o.follows?.max(0.0),
        o.audience.filter(|a| *a >= MIN_AUDIENCE)?,
    ))
}

fn conversion(o: &Observation) -> Option<(f64, f64)> {
    let a = o.audience.filter(|a| *a >= MIN_AUDIENCE)?;
    Some(log_rate(o.follows?, a))
}

fn click_through(o: &Observation) -> Option<(f64, f64)> {
    o.click_through.filter(|c| *c > 0.0).map(|c| (c.ln(), 0.0))
}

fn duration(o: &Observation) -> Option<(f64, f64)> {
    o.audience.filter(|a| *a >= MIN_VIEWS_FOR_DURATION)?;
    o.view_seconds.filter(|s| *s > 0.0).map(|s| (s.ln(), 0.0))
}

fn early(o: &Observation) -> Option<(f64, f64)> {
    let a = o.audience_at_age(EARLY_AGE).filter(|a| *a > 0.0)?;
    Some((a.ln(), 1.0 / a))
}

/// Growth after the first week relative to it, on the log scale (the growth is a count: Poisson noise).
fn lifecycle(o: &Observation) -> Option<(f64, f64)> {
    let first = o.audience_at_age(EARLY_AGE).filter(|a| *a > 0.0)?;
    let later = o.audience_at_age(LATE_AGE).filter(|a| *a >= first)?;
    Some(log_rate(later - first, first))
}

fn pct(log: f64) -> String {
    format!("{:.1}%", log.exp() * 100.0)
}

fn per_thousand(log: f64) -> String {
    format!("{:.1} per 1,000", log.exp() * 1000.0)
}

fn seconds(log: f64) -> String {
    format!("{:.0} s", log.exp())
}

fn count(log: f64) -> String {
    format!("{:.0}", log.exp())
}

fn growth(log: f64) -> String {
    format!("{:.0}% more after its first week", log.exp() * 100.0)
}

const MEASURES: [Measure; 6] = [
    Measure {
        metric: "engagementRate",
        high: Some("outlier_post"),
        low: Some("underperformer"),
        floor: LN_1_5,
        min_reference: MIN_REFERENCE,
        value: log_engagement,
        counts: Some(engaged_of),
        judged: new_in_month,
        show: pct,
        words: "engagement rate",
    },
    Measure {
        metric: "followsPerImpression",
        high: Some("follower_conversion"),
        low: None,
        floor: LN_1_5,
        min_reference: MIN_REFERENCE,
        value: conversion,
        counts: Some(follows_of),
        judged: new_in_month,
        show: per_thousand,
        words: "new followers per audience",
    },
    Measure {
        metric: "clickThroughRate",
        high: Some("click_through"),
        low: Some("click_through"),
        floor: LN_1_25,
        min_reference: MIN_REFERENCE,
        value: click_through,
        counts: None,
        judged: new_in_month,
        show: pct,
        words: "click-through",
    },
    Measure {
        metric: "secondsPerView",
        high: Some("view_duration"),
        low: Some("view_duration"),
        floor: LN_1_25,
        min_reference: MIN_REFERENCE,
        value: duration,
        counts: None,
        judged: new_in_month,
        show: seconds,
        words: "average view duration",
    },
    Measure {
        metric: "audienceAt7Days",
        high: Some("early_performance"),
        low: Some("early_performance"),
        floor: LN_1_5,
        min_reference: MIN_REFERENCE,
        value: early,
        counts: None,
        judged: new_in_month,
        show: count,
        words: "audience at 7 days old",
    },
    Measure {
        metric: "growthAfterFirstWeek",
        high: Some("evergreen"),
        low: Some("fast_decay"),
        floor: LN_1_25,
        min_reference: 8,
        value: lifecycle,
        counts: None,
        judged: matured_in_month,
        show: growth,
        words: "growth from 7 to 30 days old",
    },
];

/// Every per-post test of the month.
pub fn claims(ctx: &Context) -> Vec<Claim> {
    let mut out = Vec::new();
    for platform in ctx.window.platforms() {
        for measure in &MEASURES {
            let valued: Vec<(&Observation, (f64, f64))> = ctx
                .window
                .on(platform)
                .filter(|o| ctx.window.in_reference(o))
                .filter_map(|o| (measure.value)(o).map(|v| (o, v)))
                .collect();
            for (i, (o, v)) in valued.iter().enumerate() {
                if !(measure.judged)(ctx, o) {
                    continue;
                }
                let reference: Vec<(f64, f64)> = valued
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .map(|(_, (_, r))| *r)
                    .collect();
                if reference.len() < measure.min_reference {
                    continue;
                }
                let prediction = match measure.counts.and_then(|c| c(o)) {
                    Some((count, base)) => count_prediction(count, base, &reference),
                    None => loo_prediction(*v, &reference),
                };
                let Some(prediction) = prediction else {
                    continue;
                };
                let finding = claim(ctx, measure, platform, o, v.0, &reference, &prediction);
                out.push(Claim {
                    finding,
                    p: Some(prediction.p),
                });
            }
        }
    }
    out
}

fn claim(
    ctx: &Context,
    measure: &Measure,
    platform: Platform,
    o: &Observation,
    value: f64,
    reference: &[(f64, f64)],
    prediction: &Prediction,
) -> Option<Finding> {
    let up = prediction.shrunk_effect > 0.0;
    let kind = if up { measure.high } else { measure.low }?;
    if prediction.shrunk_effect.abs() < measure.floor {
        return None;
    }
    let name = ctx.name(o);
    let effect = prediction.shrunk_effect.exp();
    let typical = value - prediction.log_effect;
    let p_name = words::platform(platform);
    let rank = 1 + reference
        .iter()
        .filter(|(r, _)| if up { *r > value } else { *r < value })
        .count();
    let ranked = if up { "best" } else { "lowest" };
    let title = format!(
        "{name}: {} {} your typical {p_name} post",
        measure.words,
        words::ratio(effect)
    );
    let body = format!(
        "{} of {} against a typical {}, based on your {} other {p_name} posts of the last 90 days \
         ({ranked} {rank} of {}). A gap this large happens by luck {}.",
        capitalise(measure.words),
        (measure.show)(value),
        (measure.show)(typical),
        prediction.n,
        prediction.n + 1,
        words::chance(prediction.p),
    );
    let mut evidence = vec![
        point(
            Some(&o.post_id),
            Some(platform),
            measure.metric,
            value.exp(),
            o.title.clone(),
        ),
        point(None, Some(platform), "typical", typical.exp(), None),
        point(None, Some(platform), "rank", rank as f64, None),
    ];
    evidence.extend(test_evidence(platform, prediction.n, effect, prediction.p));
    let severity = if up {
        Severity::Info
    } else {
        Severity::Warning
    };
    let subject = format!("{}-{}", platform.as_str(), o.post_id);
    let insight = ctx
        .data
        .insight(kind, &subject, severity, title, body, evidence);
    let task = match kind {
        "outlier_post" => Some(repurpose(ctx, o, &name)),
        "underperformer" => Some((
            "rework",
            format!("Rework the hook of {name} before reposting it on {p_name}"),
            2.0,
        )),
        "follower_conversion" => Some((
            "repeat",
            format!("Ask for the follow the way {name} did in your next {p_name} post"),
            3.0,
        )),
        "click_through" if !up => Some((
            "thumbnail",
            format!("Test a new thumbnail or cover for {name}"),
            2.0,
        )),
        "view_duration" if !up => Some((
            "opening",
            format!("Tighten the opening of {name}: viewers leave early"),
            3.0,
        )),
        "early_performance" if up => {
            Some(("promote", format!("Promote {name} while it is fresh"), 2.0))
        }
        "evergreen" => Some((
            "reshare",
            format!("Re-share {name}: it keeps finding an audience"),
            3.0,
        )),
        _ => None,
    };
    let tasks = task
        .map(|(action, title, priority)| {
            vec![ctx.data.task(&insight, action, &subject, title, priority)]
        })
        .unwrap_or_default();
    Some(Finding { insight, tasks })
}

/// The repurpose task of a winner: the workspace's platforms where the post has neither a variant nor a metric.
fn repurpose(ctx: &Context, o: &Observation, name: &str) -> (&'static str, String, f64) {
    let elsewhere: Vec<String> = ctx
        .platforms()
        .into_iter()
        .filter(|p| *p != o.platform)
        .filter(|p| {
            !ctx.data
                .variants
                .iter()
                .any(|v| v.post_id.as_str() == o.post_id && v.platform == *p)
        })
        .filter(|p| !ctx.window.on(*p).any(|other| other.post_id == o.post_id))
        .map(|p| words::platform(p).to_owned())
        .collect();
    if elsewhere.is_empty() {
        (
            "follow_up",
            format!(
                "Write a follow-up to {name} on {}",
                words::platform(o.platform)
            ),
            3.0,
        )
    } else {
        (
            "repurpose",
            format!("Repurpose {name} for {}", words::list(&elsewhere)),
            2.0,
        )
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}
