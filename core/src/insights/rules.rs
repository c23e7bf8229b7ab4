//! Catalogue v1: seven rules from a month's data to insights and tasks. Each rule has a definition, a minimum
//! sample below which it says nothing, and evidence (post, platform, metric, value) on what it says.
//!
//! | rule | definition | minimum sample |
//! |---|---|---|
//! | `top_platform` | the platform with the best median engagement rate | 2 platforms with ≥ 3 rated posts each |
//! | `outlier_post` | a post with robust z ≥ 3 against its platform and ≥ 1.5 × the platform median | ≥ 5 rated posts on the platform |
//! | `underperformer` | a post with robust z ≤ −3 and ≤ 0.5 × the platform median | ≥ 5 rated posts on the platform |
//! | `trend` | median engagement rate or total reach per platform moved more than ±20% from last month | ≥ 3 rated posts in both months |
//! | `best_weekday` | the weekday whose posts have the best median engagement, ≥ 20% above the platform median | ≥ 8 rated posts over ≥ 3 weekdays, ≥ 2 posts on the weekday |
//! | `follower_growth` | net followers gained per platform against last month: stalled at ≤ 0 or < 50%, grew at ≥ 150% | ≥ 3 posts with followers in both months |
//! | `missing_metrics` | posts published ≥ 3 days ago in the month with no metric at all | 1 such post |
//!
//! Engagement rate and the robust z are defined in [`super::engagement`].

use std::collections::{BTreeMap, BTreeSet};

use super::engagement::{engagement_rate, mad, median, reach, robust_z};
use super::{Finding, MonthData, Snapshot};
use crate::entities::{Evidence, Platform, PostStatus, Severity};

/// Every rule, in catalogue order.
pub fn all(data: &MonthData) -> Vec<Finding> {
    let mut out = Vec::new();
    out.extend(top_platform(data));
    out.extend(outliers(data));
    out.extend(trend(data));
    out.extend(best_weekday(data));
    out.extend(follower_growth(data));
    out.extend(missing_metrics(data));
    out
}

fn name(p: Platform) -> &'static str {
    match p {
        Platform::Linkedin => "LinkedIn",
        Platform::X => "X",
        Platform::Youtube => "YouTube",
        Platform::Rednote => "Rednote",
    }
}

fn pct(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

fn evidence(
    post: Option<&str>,
    platform: Option<Platform>,
    metric: &str,
    value: f64,
    note: Option<String>,
) -> Evidence {
    Evidence {
        post_id: post.map(str::to_owned),
        platform: platform.map(|p| p.as_str().to_owned()),
        metric: Some(metric.to_owned()),
        value: Some((value * 1e6).round() / 1e6),
        note,
    }
}

/// Rated snapshots per platform.
fn rated_by_platform(snapshots: &[Snapshot]) -> BTreeMap<Platform, Vec<(&Snapshot, f64)>> {
    let mut by: BTreeMap<Platform, Vec<(&Snapshot, f64)>> = BTreeMap::new();
    for s in snapshots {
        if let Some(rate) = engagement_rate(&s.metric) {
            by.entry(s.metric.platform).or_default().push((s, rate));
        }
    }
    by
}

/// `top_platform`.
pub fn top_platform(data: &MonthData) -> Vec<Finding> {
    let medians: Vec<(Platform, f64, usize)> = rated_by_platform(&data.current)
        .into_iter()
        .filter(|(_, posts)| posts.len() >= 3)
        .map(|(p, posts)| {
            let rates: Vec<f64> = posts.iter().map(|(_, r)| *r).collect();
            (p, median(&rates).expect("non-empty"), posts.len())
        })
        .collect();
    if medians.len() < 2 {
        return Vec::new();
    }
    let best = medians
        .iter()
        .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
        .expect("two or more");
    let runner_up = medians
        .iter()
        .filter(|m| m.0 != best.0)
        .map(|m| m.1)
        .fold(f64::MIN, f64::max);
    let insight = data.insight(
        "top_platform",
        best.0.as_str(),
        Severity::Info,
        format!("{} engages best this month", name(best.0)),
        format!(
            "Median engagement rate on {} is {} over {} posts, ahead of the next platform at {}.",
            name(best.0),
            pct(best.1),
            best.2,
            pct(runner_up)
        ),
        medians
            .iter()
            .map(|(p, m, n)| {
                evidence(
                    None,
                    Some(*p),
                    "medianEngagementRate",
                    *m,
                    Some(format!("{n} posts")),
                )
            })
            .collect(),
    );
    vec![Finding {
        insight,
        tasks: Vec::new(),
    }]
}

/// `outlier_post` and `underperformer`.
pub fn outliers(data: &MonthData) -> Vec<Finding> {
    let mut out = Vec::new();
    let on_platforms: BTreeMap<&str, BTreeSet<Platform>> =
        data.current.iter().fold(BTreeMap::new(), |mut acc, s| {
            acc.entry(s.metric.post_id.as_str())
                .or_insert_with(BTreeSet::new)
                .insert(s.metric.platform);
            acc
        });
    for (platform, posts) in rated_by_platform(&data.current) {
        if posts.len() < 5 {
            continue;
        }
        let rates: Vec<f64> = posts.iter().map(|(_, r)| *r).collect();
        let (m, d) = (
            median(&rates).expect("non-empty"),
            mad(&rates).expect("non-empty"),
        );
        if m <= 0.0 {
            continue;
        }
        for (snapshot, rate) in &posts {
            let z = robust_z(*rate, m, d);
            let post = snapshot.metric.post_id.as_str();
            let title = data.title(post);
            let ev = vec![
                evidence(Some(post), Some(platform), "engagementRate", *rate, None),
                evidence(
                    None,
                    Some(platform),
                    "medianEngagementRate",
                    m,
                    Some(format!("{} posts", posts.len())),
                ),
                evidence(Some(post), Some(platform), "robustZ", z, None),
            ];
            let subject = format!("{post}-{}", platform.as_str());
            if z >= 3.0 && *rate >= 1.5 * m {
                let elsewhere: Vec<&str> = Platform::ALL
                    .into_iter()
                    .filter(|p| !on_platforms.get(post).is_some_and(|on| on.contains(p)))
                    .map(name)
                    .collect();
                let insight = data.insight(
                    "outlier_post",
                    &subject,
                    Severity::Info,
                    format!("\"{title}\" is an outlier on {}", name(platform)),
                    format!(
                        "Its engagement rate of {} is {:.1}× the {} median of {}.",
                        pct(*rate),
                        rate / m,
                        name(platform),
                        pct(m)
                    ),
                    ev,
                );
                let mut tasks = Vec::new();
                if !elsewhere.is_empty() {
                    tasks.push(data.task(
                        &insight,
                        "repurpose",
                        &subject,
                        format!("Repurpose \"{title}\" for {}", elsewhere.join(", ")),
                        2.0,
                    ));
                }
                out.push(Finding { insight, tasks });
            } else if z <= -3.0 && *rate <= 0.5 * m {
                let insight = data.insight(
                    "underperformer",
                    &subject,
                    Severity::Warning,
                    format!("\"{title}\" underperformed on {}", name(platform)),
                    format!(
                        "Its engagement rate of {} is well below the {} median of {}.",
                        pct(*rate),
                        name(platform),
                        pct(m)
                    ),
                    ev,
                );
                let task = data.task(
                    &insight,
                    "review",
                    &subject,
                    format!(
                        "Review the hook and title of \"{title}\" on {}",
                        name(platform)
                    ),
                    1.0,
                );
                out.push(Finding {
                    insight,
                    tasks: vec![task],
                });
            }
        }
    }
    out
}

/// `trend`.
pub fn trend(data: &MonthData) -> Vec<Finding> {
    let now = rated_by_platform(&data.current);
    let before = rated_by_platform(&data.previous);
    let mut out = Vec::new();
    for (platform, posts) in &now {
        let Some(prev) = before.get(platform) else {
            continue;
        };
        if posts.len() < 3 || prev.len() < 3 {
            continue;
        }
        let rates = |v: &Vec<(&Snapshot, f64)>| {
            median(&v.iter().map(|(_, r)| *r).collect::<Vec<_>>()).expect("non-empty")
        };
        let total = |v: &Vec<(&Snapshot, f64)>| {
            v.iter().filter_map(|(s, _)| reach(&s.metric)).sum::<u64>() as f64
        };
        let measures = [
            (
                "engagement",
                "medianEngagementRate",
                rates(posts),
                rates(prev),
            ),
            (
                "reach",
                if *platform == Platform::Youtube {
                    "views"
                } else {
                    "impressions"
                },
                total(posts),
                total(prev),
            ),
        ];
        for (measure, metric, current, previous) in measures {
            if previous <= 0.0 {
                continue;
            }
            let change = current / previous - 1.0;
            if change.abs() <= 0.20 {
                continue;
            }
            let falling = change < 0.0;
            let subject = format!("{}-{measure}", platform.as_str());
            let word = if falling { "fell" } else { "rose" };
            let insight = data.insight(
                "trend",
                &subject,
                if falling {
                    Severity::Warning
                } else {
                    Severity::Info
                },
                format!(
                    "{} {measure} {word} {:.0}% from last month",
                    name(*platform),
                    change.abs() * 100.0
                ),
                format!(
                    "{} {measure} went from {} to {} ({} posts this month, {} last month).",
                    name(*platform),
                    show(metric, previous),
                    show(metric, current),
                    posts.len(),
                    prev.len()
                ),
                vec![
                    evidence(
                        None,
                        Some(*platform),
                        metric,
                        current,
                        Some(data.month.to_string()),
                    ),
                    evidence(
                        None,
                        Some(*platform),
                        metric,
                        previous,
                        data.month.previous().map(|m| m.to_string()),
                    ),
                ],
            );
            let tasks = if falling {
                vec![data.task(
                    &insight,
                    "review",
                    &subject,
                    format!(
                        "{} {measure} fell {:.0}% from last month: review what changed",
                        name(*platform),
                        change.abs() * 100.0
                    ),
                    1.0,
                )]
            } else {
                Vec::new()
            };
            out.push(Finding { insight, tasks });
        }
    }
    out
}

fn show(metric: &str, v: f64) -> String {
    if metric == "medianEngagementRate" {
        pct(v)
    } else {
        format!("{v:.0}")
    }
}

/// `best_weekday`.
pub fn best_weekday(data: &MonthData) -> Vec<Finding> {
    let mut out = Vec::new();
    for (platform, posts) in rated_by_platform(&data.current) {
        if posts.len() < 8 {
            continue;
        }
        let mut by_day: BTreeMap<u8, Vec<f64>> = BTreeMap::new();
        for (s, rate) in &posts {
            by_day
                .entry(s.weekday.number_days_from_monday())
                .or_default()
                .push(*rate);
        }
        if by_day.len() < 3 {
            continue;
        }
        let overall =
            median(&posts.iter().map(|(_, r)| *r).collect::<Vec<_>>()).expect("non-empty");
        let best = by_day
            .iter()
            .filter(|(_, r)| r.len() >= 2)
            .map(|(d, r)| (*d, median(r).expect("non-empty"), r.len()))
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
        let Some((day, best_median, n)) = best else {
            continue;
        };
        if overall <= 0.0 || best_median < 1.2 * overall {
            continue;
        }
        let weekday = weekday_name(day);
        let subject = format!("{}-{}", platform.as_str(), weekday.to_lowercase());
        let insight = data.insight(
            "best_weekday",
            &subject,
            Severity::Info,
            format!("{weekday} posts do best on {}", name(platform)),
            format!(
                "{} posts published on a {weekday} have a median engagement rate of {} ({n} posts), against {} overall.",
                name(platform),
                pct(best_median),
                pct(overall)
            ),
            vec![
                evidence(None, Some(platform), "medianEngagementRate", best_median, Some(format!("{weekday}, {n} posts"))),
                evidence(None, Some(platform), "medianEngagementRate", overall, Some(format!("all days, {} posts", posts.len()))),
            ],
        );
        let task = data.task(
            &insight,
            "schedule",
            &subject,
            format!("Schedule {} posts on {weekday}s", name(platform)),
            2.0,
        );
        out.push(Finding {
            insight,
            tasks: vec![task],
        });
    }
    out
}

fn weekday_name(days_from_monday: u8) -> &'static str {
    [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ][usize::from(days_from_monday % 7)]
}

/// `follower_growth`.
pub fn follower_growth(data: &MonthData) -> Vec<Finding> {
    let gained = |snapshots: &[Snapshot]| -> BTreeMap<Platform, (i64, usize)> {
        let mut by: BTreeMap<Platform, (i64, usize)> = BTreeMap::new();
        for s in snapshots {
            if let Some(f) = s.metric.followers_gained {
                let e = by.entry(s.metric.platform).or_default();
                e.0 += f;
                e.1 += 1;
            }
        }
        by
    };
    let (now, before) = (gained(&data.current), gained(&data.previous));
    let mut out = Vec::new();
    for (platform, (current, n)) in now {
        let Some(&(previous, m)) = before.get(&platform) else {
            continue;
        };
        if n < 3 || m < 3 {
            continue;
        }
        let stalled = current <= 0 || (previous > 0 && (current as f64) < 0.5 * previous as f64);
        let grew = previous > 0 && current as f64 >= 1.5 * previous as f64;
        if !stalled && !grew {
            continue;
        }
        let subject = platform.as_str().to_owned();
        let ev = vec![
            evidence(
                None,
                Some(platform),
                "followersGained",
                current as f64,
                Some(data.month.to_string()),
            ),
            evidence(
                None,
                Some(platform),
                "followersGained",
                previous as f64,
                data.month.previous().map(|m| m.to_string()),
            ),
        ];
        let (severity, title) = if stalled {
            (
                Severity::Warning,
                format!("Follower growth on {} stalled", name(platform)),
            )
        } else {
            (
                Severity::Info,
                format!("Follower growth on {} picked up", name(platform)),
            )
        };
        let insight = data.insight(
            "follower_growth",
            &subject,
            severity,
            title,
            format!(
                "{current} followers gained on {} this month against {previous} last month.",
                name(platform)
            ),
            ev,
        );
        let tasks = if stalled {
            vec![data.task(
                &insight,
                "grow",
                &subject,
                format!("Follower growth on {} stalled ({current} vs {previous} last month): plan a follow-worthy post", name(platform)),
                1.0,
            )]
        } else {
            Vec::new()
        };
        out.push(Finding { insight, tasks });
    }
    out
}

/// `missing_metrics`.
pub fn missing_metrics(data: &MonthData) -> Vec<Finding> {
    let measured: BTreeSet<&str> = data
        .all_metrics
        .iter()
        .map(|m| m.post_id.as_str())
        .collect();
    let cutoff = data.today.to_date() - time::Duration::days(3);
    let mut missing: Vec<(&str, String)> = data
        .posts
        .iter()
        .filter(|p| p.status == PostStatus::Published)
        .filter(|p| {
            p.publish_date
                .as_ref()
                .is_some_and(|d| d.to_date() <= cutoff)
        })
        .filter(|p| !measured.contains(p.post_id.as_str()))
        .map(|p| (p.post_id.as_str(), data.title(p.post_id.as_str())))
        .collect();
    if missing.is_empty() {
        return Vec::new();
    }
    missing.sort();
    let insight = data.insight(
        "missing_metrics",
        "posts",
        Severity::Warning,
        format!("{} published post(s) have no metrics yet", missing.len()),
        format!(
            "Published at least three days ago with nothing imported: {}.",
            missing
                .iter()
                .map(|(_, t)| format!("\"{t}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        missing
            .iter()
            .map(|(id, _)| evidence(Some(id), None, "metrics", 0.0, None))
            .collect(),
    );
    let tasks = missing
        .iter()
        .map(|(id, title)| {
            data.task(
                &insight,
                "add_metrics",
                id,
                format!("Add {} metrics for \"{title}\"", data.month),
                1.0,
            )
        })
        .collect();
    vec![Finding { insight, tasks }]
}
