//! Every rule of catalogue v1 on planted data: it fires on its pattern (with the right evidence and task), and
//! stays silent on noise and on samples below its minimum.

use creatoros_core::entities::{Metric, Post, Severity, TaskStatus};
use creatoros_core::ids::{Day, Month, WorkspaceId};
use creatoros_core::insights::{derive, rules, Derived, MonthData};
use serde_json::json;

const MONTH: &str = "2026-07";
const PREVIOUS: &str = "2026-06";

/// A snapshot of `post` on `platform` dated `day` of `month`: `impressions` (views on YouTube) and `engaged`
/// likes, so its engagement rate is `engaged / impressions`.
fn metric(
    post: &str,
    platform: &str,
    month: &str,
    day: u8,
    impressions: u64,
    engaged: u64,
) -> Metric {
    let audience = if platform == "youtube" {
        "views"
    } else {
        "impressions"
    };
    serde_json::from_value(json!({
        "workspaceId": "ws", "postId": post, "platform": platform, "date": format!("{month}-{day:02}"),
        "month": month, audience: impressions, "likes": engaged
    }))
    .unwrap()
}

fn with_followers(mut m: Metric, followers: i64) -> Metric {
    m.followers_gained = Some(followers);
    m
}

fn post(id: &str, status: &str, publish: &str, title: &str) -> Post {
    serde_json::from_value(json!({
        "workspaceId": "ws", "postId": id, "status": status, "month": MONTH, "publishDate": publish,
        "title": title, "version": 1
    }))
    .unwrap()
}

fn data(metrics: Vec<Metric>, previous: Vec<Metric>, posts: Vec<Post>) -> MonthData {
    MonthData::new(
        WorkspaceId::parse("ws").unwrap(),
        Month::parse(MONTH).unwrap(),
        Day::parse("2026-07-31").unwrap(),
        metrics,
        previous,
        posts,
    )
}

/// `n` posts on `platform` with engagement rates `rates[i]` (out of 10,000 impressions).
fn posts_with_rates(platform: &str, prefix: &str, rates: &[f64]) -> Vec<Metric> {
    rates
        .iter()
        .enumerate()
        .map(|(i, r)| {
            metric(
                &format!("{prefix}{i}"),
                platform,
                MONTH,
                (i % 28) as u8 + 1,
                10_000,
                (r * 10_000.0).round() as u64,
            )
        })
        .collect()
}

const NOISE: [f64; 7] = [0.030, 0.031, 0.029, 0.032, 0.028, 0.030, 0.031];

#[test]
fn top_platform_fires_on_the_best_median_and_needs_two_platforms_of_three() {
    let mut metrics = posts_with_rates("linkedin", "li", &[0.08, 0.07, 0.09]);
    metrics.extend(posts_with_rates("x", "x", &[0.03, 0.02, 0.04]));
    let found = rules::top_platform(&data(metrics.clone(), vec![], vec![]));
    assert_eq!(found.len(), 1);
    let insight = &found[0].insight;
    assert_eq!(insight.insight_id.as_str(), "top_platform-linkedin-2026-07");
    assert_eq!(
        insight.title.as_deref(),
        Some("LinkedIn engages best this month")
    );
    let evidence = insight.evidence.as_ref().unwrap();
    assert_eq!(
        evidence
            .iter()
            .map(|e| (e.platform.clone().unwrap(), e.value.unwrap()))
            .collect::<Vec<_>>(),
        vec![("linkedin".to_owned(), 0.08), ("x".to_owned(), 0.03)]
    );
    assert!(found[0].tasks.is_empty());

    // Below the minimum: two posts on X.
    metrics.pop();
    assert!(rules::top_platform(&data(metrics, vec![], vec![])).is_empty());
    // One platform only.
    assert!(
        rules::top_platform(&data(posts_with_rates("x", "x", &NOISE), vec![], vec![])).is_empty()
    );
}

#[test]
fn outlier_post_fires_far_above_the_baseline_with_a_repurpose_task() {
    let mut metrics = posts_with_rates("x", "p", &NOISE);
    metrics.push(metric("star", "x", MONTH, 20, 10_000, 1_200));
    metrics.push(metric("star", "linkedin", MONTH, 20, 10_000, 300));
    let d = data(
        metrics,
        vec![],
        vec![post("star", "published", "2026-07-20", "Launch thread")],
    );
    let found = rules::outliers(&d);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].insight.kind, "outlier_post");
    assert_eq!(
        found[0].insight.insight_id.as_str(),
        "outlier_post-star-x-2026-07"
    );
    assert_eq!(
        found[0].insight.title.as_deref(),
        Some("\"Launch thread\" is an outlier on X")
    );
    let ev = found[0].insight.evidence.as_ref().unwrap();
    assert_eq!(ev[0].value, Some(0.12));
    assert_eq!(ev[1].value, Some(0.0305), "median of the 8 X posts");
    assert_eq!(found[0].tasks.len(), 1);
    assert_eq!(
        found[0].tasks[0].title.as_deref(),
        Some("Repurpose \"Launch thread\" for YouTube, Rednote"),
        "not LinkedIn: it is there"
    );
    assert_eq!(found[0].tasks[0].status, TaskStatus::Open);
}

#[test]
fn outliers_stay_silent_on_noise_and_below_five_posts() {
    assert!(rules::outliers(&data(posts_with_rates("x", "p", &NOISE), vec![], vec![])).is_empty());
    // Four posts, one of them wildly above: too few to call.
    assert!(rules::outliers(&data(
        posts_with_rates("x", "p", &[0.03, 0.03, 0.031, 0.2]),
        vec![],
        vec![]
    ))
    .is_empty());
}

#[test]
fn underperformer_fires_far_below_the_baseline_with_a_review_task() {
    let mut metrics = posts_with_rates("linkedin", "p", &NOISE);
    metrics.push(metric("flop", "linkedin", MONTH, 9, 10_000, 20));
    let found = rules::outliers(&data(metrics, vec![], vec![]));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].insight.kind, "underperformer");
    assert_eq!(found[0].insight.severity, Severity::Warning);
    assert_eq!(
        found[0].tasks[0].task_id.as_str(),
        "underperformer_review-flop-linkedin-2026-07"
    );
    assert_eq!(
        found[0].tasks[0].title.as_deref(),
        Some("Review the hook and title of \"flop\" on LinkedIn")
    );
}

#[test]
fn trend_fires_beyond_twenty_percent_and_asks_for_a_review_when_falling() {
    let previous: Vec<Metric> = (0..3)
        .map(|i| metric(&format!("a{i}"), "linkedin", PREVIOUS, 5 + i, 10_000, 400))
        .collect();
    let current: Vec<Metric> = (0..3)
        .map(|i| metric(&format!("b{i}"), "linkedin", MONTH, 5 + i, 10_000, 200))
        .collect();
    let found = rules::trend(&data(current, previous.clone(), vec![]));
    assert_eq!(
        found.len(),
        1,
        "engagement halved; reach unchanged: {found:?}"
    );
    assert_eq!(
        found[0].insight.insight_id.as_str(),
        "trend-linkedin-engagement-2026-07"
    );
    assert_eq!(
        found[0].insight.title.as_deref(),
        Some("LinkedIn engagement fell 50% from last month")
    );
    assert_eq!(found[0].tasks.len(), 1);

    // Rising reach: an insight, no task.
    let current: Vec<Metric> = (0..3)
        .map(|i| metric(&format!("c{i}"), "linkedin", MONTH, 5 + i, 13_000, 520))
        .collect();
    let found = rules::trend(&data(current, previous.clone(), vec![]));
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].insight.insight_id.as_str(),
        "trend-linkedin-reach-2026-07"
    );
    assert!(found[0].tasks.is_empty());

    // Within ±20%: silent. Fewer than three posts: silent.
    let current: Vec<Metric> = (0..3)
        .map(|i| metric(&format!("d{i}"), "linkedin", MONTH, 5 + i, 11_000, 400))
        .collect();
    assert!(rules::trend(&data(current, previous.clone(), vec![])).is_empty());
    let current: Vec<Metric> = (0..2)
        .map(|i| metric(&format!("e{i}"), "linkedin", MONTH, 5 + i, 10_000, 100))
        .collect();
    assert!(rules::trend(&data(current, previous, vec![])).is_empty());
}

#[test]
fn best_weekday_fires_on_a_clearly_better_day_with_a_scheduling_task() {
    // July 2026: the 7th, 14th and 21st are Tuesdays.
    let mut metrics: Vec<Metric> = [7u8, 14, 21]
        .iter()
        .map(|d| metric(&format!("tue{d}"), "x", MONTH, *d, 10_000, 900))
        .collect();
    for (i, d) in [6u8, 8, 9, 10, 13, 15].iter().enumerate() {
        metrics.push(metric(&format!("other{i}"), "x", MONTH, *d, 10_000, 300));
    }
    let found = rules::best_weekday(&data(metrics.clone(), vec![], vec![]));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        found[0].insight.insight_id.as_str(),
        "best_weekday-x-tuesday-2026-07"
    );
    assert_eq!(
        found[0].tasks[0].title.as_deref(),
        Some("Schedule X posts on Tuesdays")
    );

    // Every day alike: silent. Seven posts: below the minimum.
    let flat: Vec<Metric> = (1..=9u8)
        .map(|d| metric(&format!("f{d}"), "x", MONTH, d, 10_000, 300))
        .collect();
    assert!(rules::best_weekday(&data(flat, vec![], vec![])).is_empty());
    metrics.truncate(7);
    assert!(rules::best_weekday(&data(metrics, vec![], vec![])).is_empty());
}

#[test]
fn follower_growth_fires_when_growth_stalls_or_jumps() {
    let month = |m: &str, per_post: i64, n: u8| -> Vec<Metric> {
        (0..n)
            .map(|i| {
                with_followers(
                    metric(&format!("{m}{i}"), "youtube", m, 3 + i, 1000, 50),
                    per_post,
                )
            })
            .collect()
    };
    let stalled = rules::follower_growth(&data(month(MONTH, 1, 3), month(PREVIOUS, 10, 3), vec![]));
    assert_eq!(stalled.len(), 1);
    assert_eq!(stalled[0].insight.severity, Severity::Warning);
    assert_eq!(
        stalled[0].insight.body.as_deref(),
        Some("3 followers gained on YouTube this month against 30 last month.")
    );
    assert_eq!(stalled[0].tasks.len(), 1);

    let negative =
        rules::follower_growth(&data(month(MONTH, -2, 3), month(PREVIOUS, -1, 3), vec![]));
    assert_eq!(negative.len(), 1, "losing followers is a stall");

    let grew = rules::follower_growth(&data(month(MONTH, 20, 3), month(PREVIOUS, 10, 3), vec![]));
    assert_eq!(grew.len(), 1);
    assert_eq!(grew[0].insight.severity, Severity::Info);
    assert!(grew[0].tasks.is_empty());

    assert!(
        rules::follower_growth(&data(month(MONTH, 9, 3), month(PREVIOUS, 10, 3), vec![]))
            .is_empty(),
        "steady"
    );
    assert!(
        rules::follower_growth(&data(month(MONTH, 1, 2), month(PREVIOUS, 10, 3), vec![]))
            .is_empty(),
        "two posts"
    );
}

#[test]
fn missing_metrics_lists_published_posts_without_any_metric_after_three_days() {
    let posts = vec![
        post("old", "published", "2026-07-20", "Old news"),
        post("fresh", "published", "2026-07-29", "Yesterday's"),
        post("measured", "published", "2026-07-10", "Measured"),
        post("draft", "drafting", "2026-07-01", "Not out"),
        post("undated", "published", "", "No date"),
    ];
    let metrics = vec![metric("measured", "x", MONTH, 10, 100, 5)];
    let found = rules::missing_metrics(&data(metrics, vec![], posts));
    assert_eq!(found.len(), 1);
    let ev = found[0].insight.evidence.as_ref().unwrap();
    assert_eq!(
        ev.iter()
            .map(|e| e.post_id.clone().unwrap())
            .collect::<Vec<_>>(),
        ["old"]
    );
    assert_eq!(found[0].tasks.len(), 1);
    assert_eq!(
        found[0].tasks[0].task_id.as_str(),
        "missing_metrics_add_metrics-old-2026-07"
    );
    assert_eq!(
        found[0].tasks[0].title.as_deref(),
        Some("Add 2026-07 metrics for \"Old news\"")
    );
    assert!(rules::missing_metrics(&data(
        vec![],
        vec![],
        vec![post("fresh", "published", "2026-07-29", "t")]
    ))
    .is_empty());
}

#[test]
fn noise_alone_derives_nothing_and_derivations_are_deterministic() {
    let noise: Vec<Metric> = posts_with_rates("x", "n", &NOISE);
    assert_eq!(
        derive(&data(noise, vec![], vec![])),
        Derived {
            insights: vec![],
            tasks: vec![]
        }
    );

    let mut metrics = posts_with_rates("x", "p", &NOISE);
    metrics.extend(posts_with_rates("linkedin", "l", &[0.08, 0.07, 0.09]));
    metrics.push(metric("star", "x", MONTH, 20, 10_000, 1_200));
    let a = derive(&data(metrics.clone(), vec![], vec![]));
    metrics.reverse();
    let b = derive(&data(metrics, vec![], vec![]));
    assert_eq!(a, b, "input order does not matter");
    assert_eq!(a.content_hash(), b.content_hash());
    // The star was published on a Monday (the 20th), as was one other X post: two Mondays, median far above.
    assert_eq!(
        a.insights
            .iter()
            .map(|i| i.kind.as_str())
            .collect::<Vec<_>>(),
        ["best_weekday", "outlier_post", "top_platform"]
    );
}

#[test]
fn the_latest_snapshot_of_the_month_is_the_one_rated() {
    // Two snapshots of one post: only the later (rate 0.12) counts; the earlier (0.01) must not drag it down.
    let mut metrics = posts_with_rates("x", "p", &NOISE);
    metrics.push(metric("star", "x", MONTH, 3, 10_000, 100));
    metrics.push(metric("star", "x", MONTH, 25, 10_000, 1_200));
    let d = data(metrics, vec![], vec![]);
    assert_eq!(d.current.len(), 8);
    assert_eq!(rules::outliers(&d).len(), 1);
}
