//! Catalogue v2: what each rule tells the creator, how it is computed, the least it needs, the test that guards
//! it, and the task it creates. Every rule judges a platform against its own history only (platforms define
//! their counts differently), over the rolling window of [`super::view`]; claims about posts are made in the
//! month a post is new.
//!
//! | kind | tells the creator | computation | needs | guard | task |
//! |---|---|---|---|---|---|
//! | `outlier_post` / `underperformer` | this post engaged far more / less than your typical post | log engagement rate against the platform's other posts in the window | audience ≥ 100; ≥ 10 other posts | leave-one-out prediction test (t, n − 1 df) widened by the post's own binomial noise; effect ≥ 1.5× | repurpose on the platforms it is not on yet / rework the hook |
//! | `follower_conversion` | this post won followers far better than usual | log(follows / audience) the same way | as above, follows given | as above, upward only | ask for the follow the same way again |
//! | `click_through` | this thumbnail or cover drew clicks far better / worse | log click-through the same way | CTR given; ≥ 10 others | as above (no binomial term: the export gives the rate) | test a new thumbnail (low) |
//! | `view_duration` | viewers stayed far longer / shorter | log seconds watched per view | views ≥ 50; ≥ 10 others | as above | tighten the opening (short) |
//! | `early_performance` | at 7 days old, this post reached far more / less than your posts at that age (its rank) | log audience at age 7 days, from the post's daily series or a snapshot taken at 7–13 days | ≥ 10 others measured at that age | as above | promote it while it is fresh (high) |
//! | `evergreen` / `fast_decay` | this post kept growing after its first week / stopped at once | log((audience at 30 days − at 7 days) / at 7 days) | both ages measured; ≥ 8 others | as above | re-share it (evergreen) |
//! | `best_weekday` | posts on one weekday do better | mean log engagement rate of the weekday against the rest | ≥ 20 rated posts, ≥ 3 weekdays with ≥ 3 posts, ≥ 3 new this month | one-sided pooled t of the best weekday, × the weekdays it was picked from (Bonferroni); effect ≥ 1.25× | schedule more posts on that day |
//! | `best_time` | posts in one part of the day (local hour: night, morning, midday, afternoon, evening) do better | the same, over the parts of the day | as above, ≥ 2 parts with ≥ 3 posts; the export gives a time | the same, × the parts | schedule more posts then |
//! | `title_feature` | titles with a question / a number / many words go with better (worse) results | mean log engagement rate with the feature against without | ≥ 20 titled posts, ≥ 5 on each side, ≥ 3 new this month | two-sided Welch t; effect ≥ 1.25× | write more (fewer) such titles |
//! | `trend` | this month's posts engage / reach more or less than the two months before | mean log engagement rate, and log audience at 7 days, posts published this month against earlier ones | ≥ 5 this month, ≥ 10 before | two-sided Welch t; effect ≥ 1.25× | review what changed (down) |
//! | `follower_growth` | the account gains followers faster / slower than before | mean daily net followers from the account's own daily series | ≥ 14 days this month, ≥ 28 before | Welch t test on days; ≥ 0.5 a day apart | review what changed (slower) |
//! | `posting_gap` | no post for longer than the plan's cadence allows | the longest gap between posts the exports saw, against the planned interval (days in the month / cadence) | a plan with a cadence for the platform | a fact: the gap is ≥ 2 intervals and ≥ 7 days | plan the next post |
//! | `missing_metrics` | planned posts published ≥ 3 days ago have no metrics | the app's published posts without any snapshot | one such post | a fact | add the metrics |
//!
//! Tests are two-sided unless the rule speaks of one direction only; all of a month's tests pass Benjamini–
//! Hochberg together ([`super::discoveries`]).

mod account;
mod groups;
mod posts;
pub mod words;

use super::view::{self, Observation, Window};
use super::{Claim, MonthData};
use creatoros_model::entities::Platform;

/// Least audience a post needs for its rates to be judged.
pub const MIN_AUDIENCE: f64 = 100.0;

/// Least number of other posts a post is judged against.
pub const MIN_REFERENCE: usize = 10;

/// ln 1.5 and ln 1.25: the least effects (on the log scale) worth a claim.
const LN_1_5: f64 = 0.405_465_108_108_164_4;
const LN_1_25: f64 = 0.223_143_551_314_209_8;

/// A post's log engagement rate and its binomial noise, if its audience is large enough to judge.
fn log_engagement(o: &Observation) -> Option<(f64, f64)> {
    let a = o.audience.filter(|a| *a >= MIN_AUDIENCE)?;
    Some(super::stats::log_rate(o.engaged?, a))
}

/// What every rule reads: the month's data and its window.
#[derive(Debug)]
pub struct Context<'a> {
    /// The data read.
    pub data: &'a MonthData,
    /// The window built from it.
    pub window: Window,
}

impl<'a> Context<'a> {
    /// Builds the window of `data`.
    pub fn new(data: &'a MonthData) -> Self {
        let zone = view::zone(data.timezone.as_deref());
        let window = view::window(
            &data.month,
            data.today.to_date(),
            zone.as_ref(),
            &data.metrics,
            &data.daily,
            &data.posts,
        );
        Self { data, window }
    }

    /// How a post is named for people: its title, else its platform and publish day. Never a derived id.
    pub fn name(&self, o: &Observation) -> String {
        match (&o.title, &o.published) {
            (Some(t), _) => format!("\"{t}\""),
            (None, Some(p)) => format!(
                "your {} post of {}",
                words::platform(o.platform),
                words::day(p.day)
            ),
            (None, None) => format!(
                "your {} post first measured {}",
                words::platform(o.platform),
                words::day(o.first_seen)
            ),
        }
    }

    /// The platforms the workspace works on: the profile's, and any the window has data for.
    pub fn platforms(&self) -> Vec<Platform> {
        let mut out = self.window.platforms();
        out.extend(self.data.platforms.iter().copied());
        out.sort();
        out.dedup();
        out
    }
}

/// Every rule's claims, in catalogue order.
pub fn all(ctx: &Context) -> Vec<Claim> {
    let mut out = Vec::new();
    out.extend(posts::claims(ctx));
    out.extend(groups::best_timing(ctx));
    out.extend(groups::title_features(ctx));
    out.extend(groups::trend(ctx));
    out.extend(account::follower_growth(ctx));
    out.extend(account::posting_gap(ctx));
    out.extend(account::missing_metrics(ctx));
    out
}
