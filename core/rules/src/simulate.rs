//! Generated workspaces with the spread real creator accounts show, with or without one planted effect: what
//! `make bench-insights` measures the catalogue on, and what the rules' unit tests run against.
//!
//! Per post and platform: reach log-normal (σ `reach_sigma`, 0.8–1.6 in real exports), engagement rate
//! log-normal (σ `rate_sigma`, 0.37–0.95), engagements binomial in the reach, follows Poisson in it, YouTube
//! click-through and seconds per view log-normal (σ 0.35). A post's audience grows as `R·(1 − e^(−age/τ))` plus a
//! long tail `R·g·(age − 7)/30` after the first week (up to 90 days: search and recommendations); the account exports weekly, so each post has a snapshot every seven days. The account's daily
//! series has Poisson follower gains and losses. Posts go out on uniformly random days and hours, titles carry
//! questions and numbers at random: nothing but a plant makes any rule true.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Binomial, Distribution, LogNormal, Poisson};
use time::Date;

use super::MonthData;
use creatoros_model::entities::{
    Cadence, Daily, Measure, Metric, Plan, Platform, Post, PostStatus,
};
use creatoros_model::ids::{Day, Month, PostId, WorkspaceId};

/// The month every generated workspace is derived for (its window is April to June).
pub const MONTH: &str = "2026-06";

/// How widely posts spread.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    /// σ of log engagement rate.
    pub rate_sigma: f64,
    /// σ of log reach.
    pub reach_sigma: f64,
}

impl Spread {
    /// The mild end of what real exports show (and the reference generator).
    pub const MILD: Spread = Spread {
        rate_sigma: 0.5,
        reach_sigma: 0.8,
    };
    /// The wide end.
    pub const WIDE: Spread = Spread {
        rate_sigma: 0.95,
        reach_sigma: 1.6,
    };
}

/// One effect planted into a workspace (on its first platform, in the derived month), by a factor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Plant {
    /// One new post's engagement rate × factor (below one: an underperformer).
    Engagement(f64),
    /// One new post with four times the typical reach: its engagement rate × factor (a flop the audience shows).
    WidelySeenFlop(f64),
    /// One new post's follows × factor.
    Conversion(f64),
    /// One new YouTube video's click-through × factor.
    ClickThrough(f64),
    /// One new YouTube video's seconds per view × factor.
    ViewDuration(f64),
    /// One new post's reach × factor.
    Early(f64),
    /// One post turning 30 days old in the month: its long-tail growth × factor.
    Evergreen(f64),
    /// Every Tuesday post's engagement rate × factor.
    Weekday(f64),
    /// Every evening post's (18:00 or later, local) engagement rate × factor.
    Evening(f64),
    /// Every titled question's engagement rate × factor.
    Question(f64),
    /// Every new post's engagement rate in the month × factor.
    Trend(f64),
    /// The account's daily follower gains in the month × factor.
    Followers(f64),
}

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Randomness.
    pub seed: u64,
    /// Spread.
    pub spread: Spread,
    /// Posts per platform and month.
    pub posts_per_month: usize,
    /// Platforms (the first gets the plant).
    pub platforms: Vec<Platform>,
    /// The plant, if any.
    pub plant: Option<Plant>,
}

/// A generated workspace and where its plant went.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The data a derivation of [`MONTH`] reads.
    pub data: MonthData,
    /// The post carrying a per-post plant.
    pub planted_post: Option<String>,
}

struct Base {
    reach: f64,
    rate: f64,
    follows: f64,
}

fn base(p: Platform) -> Base {
    match p {
        Platform::X => Base {
            reach: 1500.0,
            rate: 0.025,
            follows: 0.002,
        },
        Platform::Linkedin => Base {
            reach: 900.0,
            rate: 0.04,
            follows: 0.003,
        },
        Platform::Youtube => Base {
            reach: 600.0,
            rate: 0.045,
            follows: 0.004,
        },
        Platform::Rednote => Base {
            reach: 1200.0,
            rate: 0.05,
            follows: 0.003,
        },
    }
}

fn lognormal(rng: &mut ChaCha8Rng, median: f64, sigma: f64) -> f64 {
    LogNormal::new(median.ln(), sigma)
        .expect("finite")
        .sample(rng)
}

fn poisson(rng: &mut ChaCha8Rng, mean: f64) -> i64 {
    if mean <= 0.0 {
        return 0;
    }
    Poisson::new(mean).expect("positive").sample(rng) as i64
}

fn binomial(rng: &mut ChaCha8Rng, n: i64, p: f64) -> i64 {
    Binomial::new(n.max(0) as u64, p.clamp(0.0, 1.0))
        .expect("valid")
        .sample(rng) as i64
}

const WORDS: [&str; 12] = [
    "ship", "growth", "lessons", "creator", "weekly", "notes", "audience", "hooks", "writing",
    "studio", "launch", "story",
];

fn title(rng: &mut ChaCha8Rng) -> String {
    let n = rng.gen_range(3..12);
    let mut t: Vec<String> = (0..n)
        .map(|_| WORDS[rng.gen_range(0..WORDS.len())].to_owned())
        .collect();
    if rng.gen_bool(0.3) {
        t.insert(0, format!("{}", rng.gen_range(3..20)));
    }
    let mut t = t.join(" ");
    if rng.gen_bool(0.3) {
        t.push('?');
    }
    t
}

/// Generates one workspace.
pub fn generate(s: &Scenario) -> Generated {
    let mut rng = ChaCha8Rng::seed_from_u64(s.seed);
    let month = Month::parse(MONTH).expect("valid");
    let workspace = WorkspaceId::parse(format!("sim-{}", s.seed)).expect("valid");
    let today = month.last_day() + time::Duration::days(5);
    let mut data = MonthData::new(
        workspace.clone(),
        month.clone(),
        Day::from_date(today).expect("in range"),
    );
    data.platforms = s.platforms.clone();
    data.timezone = Some("UTC".into());
    let window_start = month.months_before(2).first_day();
    let month_start = month.first_day();
    let exports: Vec<Date> = (0..)
        .map(|w| window_start + time::Duration::days(6 + 7 * w))
        .take_while(|d| *d <= today)
        .collect();
    let mut planted_post = None;
    for (pi, platform) in s.platforms.iter().copied().enumerate() {
        let planted = if pi == 0 { s.plant } else { None };
        let b = base(platform);
        let mut posts: Vec<(Date, u8)> = Vec::new();
        for m in [
            month.months_before(2),
            month.months_before(1),
            month.clone(),
        ] {
            let (first, last) = (m.first_day(), m.last_day());
            let span = (last - first).whole_days();
            for _ in 0..s.posts_per_month {
                posts.push((
                    first + time::Duration::days(rng.gen_range(0..=span)),
                    rng.gen_range(6..22),
                ));
            }
        }
        posts.sort();
        // Which post carries a per-post plant: a new one this month, or one turning 30 in it.
        let target = match planted {
            Some(Plant::Evergreen(_)) => posts.iter().position(|(d, _)| {
                let at = *d + time::Duration::days(30);
                at >= month_start && at <= month.last_day() && at + time::Duration::days(7) <= today
            }),
            Some(
                Plant::Engagement(_)
                | Plant::WidelySeenFlop(_)
                | Plant::Conversion(_)
                | Plant::ClickThrough(_)
                | Plant::ViewDuration(_)
                | Plant::Early(_),
            ) => posts.iter().position(|(d, _)| *d >= month_start),
            _ => None,
        };
        for (i, (published, hour)) in posts.iter().copied().enumerate() {
            let id = format!("{}-{}-{i}", platform.as_str(), s.seed);
            let is_target = target == Some(i);
            if is_target {
                planted_post = Some(id.clone());
            }
            let new = published >= month_start;
            let t = title(&mut rng);
            let mut reach = lognormal(&mut rng, b.reach, s.spread.reach_sigma);
            let mut rate = lognormal(&mut rng, b.rate, s.spread.rate_sigma);
            let mut conv = lognormal(&mut rng, b.follows, 0.5);
            let mut ctr = lognormal(&mut rng, 0.05, 0.35);
            let mut seconds = lognormal(&mut rng, 90.0, 0.35);
            let tau = lognormal(&mut rng, 2.0, 0.5);
            let mut tail = lognormal(&mut rng, 0.1, 0.8);
            match planted {
                Some(Plant::Engagement(f)) if is_target => rate *= f,
                Some(Plant::WidelySeenFlop(f)) if is_target => {
                    rate *= f;
                    reach *= 4.0;
                }
                Some(Plant::Conversion(f)) if is_target => conv *= f,
                Some(Plant::ClickThrough(f)) if is_target => ctr *= f,
                Some(Plant::ViewDuration(f)) if is_target => seconds *= f,
                Some(Plant::Early(f)) if is_target => reach *= f,
                Some(Plant::Evergreen(f)) if is_target => tail *= f,
                Some(Plant::Weekday(f)) if published.weekday() == time::Weekday::Tuesday => {
                    rate *= f
                }
                Some(Plant::Evening(f)) if hour >= 18 => rate *= f,
                Some(Plant::Question(f)) if t.ends_with('?') => rate *= f,
                Some(Plant::Trend(f)) if new => rate *= f,
                _ => {}
            }
            let rate = rate.min(0.9);
            let final_reach = reach * (1.0 + 83.0 / 30.0 * tail);
            let engaged_total = binomial(&mut rng, final_reach.round() as i64, rate);
            let follows_total = poisson(&mut rng, final_reach * conv);
            let published_at = format!("{published}T{hour:02}:15:00Z");
            for export in exports.iter().filter(|e| **e >= published) {
                let age = (*export - published).whole_days() as f64 + 0.5;
                let audience = reach * (1.0 - (-age / tau).exp())
                    + reach * tail * (age.min(90.0) - 7.0).max(0.0) / 30.0;
                let share = (audience / final_reach).min(1.0);
                let mut m = Metric::new(
                    workspace.clone(),
                    PostId::parse(&id).expect("valid"),
                    platform,
                    Day::from_date(*export).expect("in range"),
                );
                m.measure = Some(Measure::Lifetime);
                m.published_at = Some(published_at.clone());
                m.title = Some(t.clone());
                // Each engagement (and follow) of the post's life has happened by this snapshot with the share of
                // its audience reached so far.
                let engaged = binomial(&mut rng, engaged_total, share);
                m.likes = Some(engaged * 6 / 10);
                m.comments = Some(engaged / 10);
                m.shares = Some(engaged - engaged * 6 / 10 - engaged / 10);
                m.followers_gained = Some(binomial(&mut rng, follows_total, share));
                match platform {
                    Platform::Youtube => {
                        m.views = Some(audience.round() as i64);
                        m.click_through_rate = Some(ctr.min(1.0));
                        m.watch_time_seconds = Some((seconds * audience).round());
                    }
                    _ => m.impressions = Some(audience.round() as i64),
                }
                data.metrics.push(m);
            }
        }
        // The account's daily series.
        let days = (today - window_start).whole_days();
        let gain = 6.0;
        for d in 0..days {
            let day = window_start + time::Duration::days(d);
            let mut mean = lognormal(&mut rng, gain, 0.3);
            if let (Some(Plant::Followers(f)), true) = (planted, day >= month_start) {
                mean *= f;
            }
            let mut daily = Daily::new(
                workspace.clone(),
                platform,
                None,
                Day::from_date(day).expect("in range"),
            );
            daily.followers_gained = Some(poisson(&mut rng, mean));
            daily.followers_lost = Some(poisson(&mut rng, gain * 0.3));
            data.daily.push(daily);
        }
    }
    Generated { data, planted_post }
}

/// A planned post of `month` published on `day`, for tests of the plan-aware rules.
pub fn planned_post(workspace: &WorkspaceId, id: &str, day: Date, title: Option<&str>) -> Post {
    Post {
        workspace_id: workspace.clone(),
        post_id: PostId::parse(id).expect("valid"),
        status: PostStatus::Published,
        month: Day::from_date(day).expect("in range").month(),
        publish_date: Some(Day::from_date(day).expect("in range")),
        title: title.map(str::to_owned),
        pillar: None,
        version: 1.0,
        tags: Vec::new(),
        created_at: None,
        updated_at: None,
    }
}

/// A plan for `month` with a cadence on one platform.
pub fn plan(workspace: &WorkspaceId, month: &Month, platform: Platform, posts: f64) -> Plan {
    let mut cadence = Cadence::default();
    match platform {
        Platform::Linkedin => cadence.linkedin = Some(posts),
        Platform::X => cadence.x = Some(posts),
        Platform::Youtube => cadence.youtube = Some(posts),
        Platform::Rednote => cadence.rednote = Some(posts),
    }
    Plan {
        workspace_id: workspace.clone(),
        month: month.clone(),
        theme: None,
        goals: None,
        cadence: Some(cadence),
        status: None,
        notes: None,
        created_at: None,
        updated_at: None,
    }
}
