//! How often the catalogue says something false, and how often it finds what is there: generated workspaces
//! (`insights::simulate`) at both ends of the spread real exports show, 5 to 40 posts per platform-month over a
//! three-month window, run through the pure rules.
//!
//! - Null workspaces (nothing planted): every statistical claim is false. Printed per rule: claims per
//!   platform-month; and in all: claims per workspace-month.
//! - Planted workspaces (one effect, on the first platform): power is the share of runs in which the rule claims
//!   the planted effect (the planted post, Tuesdays, questions, this month's engagement, follower growth).
//!
//! `make bench-insights` (or `cargo bench -p creatoros-benches --bench insight_quality`); `SEEDS=n` changes the runs
//! per cell (default 100 null, 50 planted), `ONLY=plants` skips the null runs, `PLANTS=<text>` keeps the plants
//! whose label contains it.

use std::collections::BTreeMap;

use creatoros_model::entities::Platform;
use creatoros_rules::derive;
use creatoros_rules::simulate::{generate, Plant, Scenario, Spread};

const POSTS: [usize; 4] = [5, 10, 20, 40];
const FACTS: [&str; 2] = ["posting_gap", "missing_metrics"];

fn seeds(default: u64) -> u64 {
    std::env::var("SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn spread_name(s: Spread) -> &'static str {
    if s == Spread::MILD {
        "mild (σ rate 0.5, reach 0.8)"
    } else {
        "wide (σ rate 0.95, reach 1.6)"
    }
}

/// Null runs: claims per rule, per platform-month and per workspace-month.
fn nulls() {
    let runs = seeds(100);
    let platforms = vec![Platform::X, Platform::Youtube];
    println!(
        "## Null workspaces: false claims ({runs} workspaces per cell, platforms X and YouTube)\n"
    );
    for spread in [Spread::MILD, Spread::WIDE] {
        let mut per_rule: BTreeMap<String, [u64; 4]> = BTreeMap::new();
        let mut totals = [0u64; 4];
        for (ni, n) in POSTS.iter().enumerate() {
            for seed in 0..runs {
                let g = generate(&Scenario {
                    seed: 1_000_000 + seed * 97 + *n as u64,
                    spread,
                    posts_per_month: *n,
                    platforms: platforms.clone(),
                    plant: None,
                });
                for insight in derive(&g.data).insights {
                    if FACTS.contains(&insight.kind.as_str()) {
                        continue;
                    }
                    per_rule.entry(insight.kind.clone()).or_default()[ni] += 1;
                    totals[ni] += 1;
                }
            }
        }
        println!("### {}\n", spread_name(spread));
        println!("| rule | 5 posts/month | 10 | 20 | 40 |");
        println!("|---|---|---|---|---|");
        let platform_months = (runs * platforms.len() as u64) as f64;
        for (rule, counts) in &per_rule {
            let cells: Vec<String> = counts
                .iter()
                .map(|c| format!("{:.3}", *c as f64 / platform_months))
                .collect();
            println!("| {rule} (per platform-month) | {} |", cells.join(" | "));
        }
        if per_rule.is_empty() {
            println!("| any rule (per platform-month) | 0.000 | 0.000 | 0.000 | 0.000 |");
        }
        let cells: Vec<String> = totals
            .iter()
            .map(|c| format!("{:.3}", *c as f64 / runs as f64))
            .collect();
        println!(
            "| **all rules, per workspace-month** | {} |\n",
            cells.join(" | ")
        );
    }
}

/// Whether the derivation claimed the plant.
fn found(
    plant: Plant,
    insights: &[creatoros_model::entities::Insight],
    post: Option<&str>,
    platform: Platform,
) -> bool {
    let p = platform.as_str();
    insights.iter().any(|i| {
        let id = i.insight_id.as_str();
        let on_post = post.is_some_and(|post| id.contains(post));
        match plant {
            Plant::Engagement(f) if f >= 1.0 => i.kind == "outlier_post" && on_post,
            Plant::Engagement(_) | Plant::WidelySeenFlop(_) => {
                i.kind == "underperformer" && on_post
            }
            Plant::Conversion(_) => i.kind == "follower_conversion" && on_post,
            Plant::ClickThrough(_) => i.kind == "click_through" && on_post,
            Plant::ViewDuration(_) => i.kind == "view_duration" && on_post,
            Plant::Early(_) => i.kind == "early_performance" && on_post,
            Plant::Evergreen(_) => i.kind == "evergreen" && on_post,
            Plant::Weekday(_) => {
                i.kind == "best_weekday"
                    && id.contains(&format!("-{p}-"))
                    && i.title.as_deref().is_some_and(|t| t.contains("Tuesday"))
            }
            Plant::Evening(_) => {
                i.kind == "best_time"
                    && id.contains(&format!("-{p}-"))
                    && i.title.as_deref().is_some_and(|t| t.contains("evening"))
            }
            Plant::Question(_) => {
                i.kind == "title_feature" && id.contains(&format!("{p}-question"))
            }
            Plant::Trend(_) => i.kind == "trend" && id.contains(&format!("{p}-engagement")),
            Plant::Followers(_) => i.kind == "follower_growth" && id.contains(&format!("-{p}-")),
        }
    })
}

fn label(p: Plant) -> String {
    match p {
        Plant::Engagement(f) if f >= 1.0 => {
            format!("outlier_post: one post's engagement rate ×{f}")
        }
        Plant::Engagement(f) => format!("underperformer: one post's engagement rate ×{f}"),
        Plant::WidelySeenFlop(f) => {
            format!("underperformer: one post with 4× the reach, engagement rate ×{f}")
        }
        Plant::Conversion(f) => format!("follower_conversion: one post's follows ×{f}"),
        Plant::ClickThrough(f) => format!("click_through: one video's CTR ×{f}"),
        Plant::ViewDuration(f) => format!("view_duration: one video's seconds per view ×{f}"),
        Plant::Early(f) => format!("early_performance: one post's reach ×{f}"),
        Plant::Evergreen(f) => format!("evergreen: one post's long-tail growth ×{f}"),
        Plant::Weekday(f) => format!("best_weekday: Tuesday posts' engagement ×{f}"),
        Plant::Evening(f) => format!("best_time: evening posts' engagement ×{f}"),
        Plant::Question(f) => format!("title_feature: question titles' engagement ×{f}"),
        Plant::Trend(f) => format!("trend: this month's posts' engagement ×{f}"),
        Plant::Followers(f) => format!("follower_growth: daily follows this month ×{f}"),
    }
}

fn plants() {
    let runs = seeds(50);
    let filter = std::env::var("PLANTS").ok();
    let mut plants: Vec<(Plant, Platform)> = vec![
        (Plant::Engagement(4.0), Platform::X),
        (Plant::Engagement(8.0), Platform::X),
        (Plant::Engagement(16.0), Platform::X),
        (Plant::Engagement(32.0), Platform::X),
        (Plant::Engagement(0.125), Platform::X),
        (Plant::Engagement(0.03125), Platform::X),
        (Plant::Engagement(0.001), Platform::X),
        (Plant::WidelySeenFlop(0.125), Platform::X),
        (Plant::WidelySeenFlop(0.001), Platform::X),
        (Plant::Conversion(8.0), Platform::X),
        (Plant::Conversion(32.0), Platform::X),
        (Plant::ClickThrough(3.0), Platform::Youtube),
        (Plant::ClickThrough(5.0), Platform::Youtube),
        (Plant::ClickThrough(8.0), Platform::Youtube),
        (Plant::ViewDuration(3.0), Platform::Youtube),
        (Plant::ViewDuration(5.0), Platform::Youtube),
        (Plant::ViewDuration(8.0), Platform::Youtube),
        (Plant::Early(16.0), Platform::X),
        (Plant::Early(64.0), Platform::X),
        (Plant::Evergreen(30.0), Platform::X),
        (Plant::Evergreen(300.0), Platform::X),
        (Plant::Weekday(2.0), Platform::X),
        (Plant::Weekday(3.0), Platform::X),
        (Plant::Evening(2.0), Platform::X),
        (Plant::Evening(3.0), Platform::X),
        (Plant::Question(2.0), Platform::X),
        (Plant::Question(3.0), Platform::X),
        (Plant::Trend(1.5), Platform::X),
        (Plant::Trend(2.0), Platform::X),
        (Plant::Trend(3.0), Platform::X),
        (Plant::Followers(1.5), Platform::X),
        (Plant::Followers(2.0), Platform::X),
    ];
    // `PLANTS=underperformer` keeps the rows whose label contains it.
    if let Some(f) = &filter {
        plants.retain(|(p, _)| label(*p).contains(f.as_str()));
    }
    println!("## Planted workspaces: power ({runs} workspaces per cell; the plant on the first platform)\n");
    for spread in [Spread::MILD, Spread::WIDE] {
        println!("### {}\n", spread_name(spread));
        println!("| plant | 5 posts/month | 10 | 20 | 40 |");
        println!("|---|---|---|---|---|");
        for (plant, platform) in &plants {
            let other = if *platform == Platform::X {
                Platform::Youtube
            } else {
                Platform::X
            };
            let cells: Vec<String> = POSTS
                .iter()
                .map(|n| {
                    let hits = (0..runs)
                        .filter(|seed| {
                            let g = generate(&Scenario {
                                seed: 5_000_000 + seed * 131 + *n as u64,
                                spread,
                                posts_per_month: *n,
                                platforms: vec![*platform, other],
                                plant: Some(*plant),
                            });
                            let d = derive(&g.data);
                            found(*plant, &d.insights, g.planted_post.as_deref(), *platform)
                        })
                        .count();
                    format!("{:.2}", hits as f64 / runs as f64)
                })
                .collect();
            println!("| {} | {} |", label(*plant), cells.join(" | "));
        }
        println!();
    }
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is read from the arguments. `ONLY=plants` skips the nulls.
    let started = std::time::Instant::now();
    if std::env::var("ONLY").as_deref() != Ok("plants") {
        nulls();
    }
    plants();
    println!(
        "(generated and derived in {:.1} s)",
        started.elapsed().as_secs_f64()
    );
}
