//! From a workspace month's data to insights and tasks: pure functions, no AWS.
//!
//! The insights worker reads the month's window (the month and the two before it: metric snapshots, daily
//! values, the app's posts, variants, plan and profile), builds [`MonthData`], and calls [`derive`]. Every rule
//! of the catalogue ([`rules`]) proposes claims; a claim that is a statistical statement carries a p-value, and
//! the month's claims pass one Benjamini–Hochberg step at [`FALSE_DISCOVERY_RATE`] together ([`stats`]), so the
//! more a month tests, the stronger each claim must be. Facts (a post without metrics, a gap in posting) are not
//! tests and pass as they are.
//!
//! Everything is deterministic for the same data and day (no test draws random numbers), so an
//! unchanged month derives the same items and the worker writes nothing.

pub mod engagement;
pub mod item_id;
pub mod rules;
pub mod simulate;
pub mod stats;
pub mod view;

use std::collections::{BTreeMap, BTreeSet};

use sha2::{Digest, Sha256};

use creatoros_model::entities::{
    Daily, Evidence, Insight, Metric, Plan, Platform, Post, PostStatus, Severity, Task, TaskStatus,
    Variant,
};
use creatoros_model::ids::{Day, Month, WorkspaceId};

/// The catalogue's version, recorded on every derivation: a new version re-derives what it changes.
pub const CATALOGUE_VERSION: &str = "2";

/// The false discovery rate of one workspace-month's claims. With no effect anywhere it also bounds the chance of
/// any claim at all.
pub const FALSE_DISCOVERY_RATE: f64 = 0.05;

/// What a derivation reads: the month's window of data.
#[derive(Debug, Clone)]
pub struct MonthData {
    /// The tenant.
    pub workspace: WorkspaceId,
    /// The month derived.
    pub month: Month,
    /// Today (UTC), for rules that depend on elapsed time.
    pub today: Day,
    /// The profile's IANA time zone (weekdays and hours are the creator's).
    pub timezone: Option<String>,
    /// The platforms the profile uses.
    pub platforms: Vec<Platform>,
    /// Metric snapshots of the window's months.
    pub metrics: Vec<Metric>,
    /// Daily values of the window's months.
    pub daily: Vec<Daily>,
    /// The app's posts of the window's months.
    pub posts: Vec<Post>,
    /// The app's variants of the window's months.
    pub variants: Vec<Variant>,
    /// The month's plan.
    pub plan: Option<Plan>,
    /// Planned posts of the month measured only outside the window (a post published at the month's end whose
    /// first snapshot is dated in a later month): not missing.
    pub measured_elsewhere: BTreeSet<String>,
}

impl MonthData {
    /// An empty month of `workspace`, to fill in.
    pub fn new(workspace: WorkspaceId, month: Month, today: Day) -> Self {
        Self {
            workspace,
            month,
            today,
            timezone: None,
            platforms: Vec::new(),
            metrics: Vec::new(),
            daily: Vec::new(),
            posts: Vec::new(),
            variants: Vec::new(),
            plan: None,
            measured_elsewhere: BTreeSet::new(),
        }
    }

    /// The month's published, planned posts at least three days old with no snapshot in the window: what
    /// `missing_metrics` would name, unless a later month measured them (the worker looks those up).
    pub fn unmeasured_posts(&self) -> Vec<&Post> {
        let measured: BTreeSet<&str> = self.metrics.iter().map(|m| m.post_id.as_str()).collect();
        let cutoff = self.today.to_date() - time::Duration::days(3);
        self.posts
            .iter()
            .filter(|p| p.month == self.month && p.status == PostStatus::Published)
            .filter(|p| {
                p.publish_date
                    .as_ref()
                    .is_some_and(|d| d.to_date() <= cutoff)
            })
            .filter(|p| !measured.contains(p.post_id.as_str()))
            .collect()
    }

    /// The months a derivation of `month` reads, oldest first.
    pub fn window_months(month: &Month) -> Vec<Month> {
        (0..view::WINDOW_MONTHS)
            .rev()
            .map(|n| month.months_before(n))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    }

    /// The later months whose derivation reads `month` (it is in their window), up to `today`'s month.
    pub fn months_reading(month: &Month, today: &Day) -> Vec<Month> {
        let current = today.month();
        let mut out = Vec::new();
        let mut next = month.next();
        for _ in 1..view::WINDOW_MONTHS {
            match next {
                Some(m) if m <= current => {
                    next = m.next();
                    out.push(m);
                }
                _ => break,
            }
        }
        out
    }
}

/// One rule's output: an insight and the tasks it suggests.
#[derive(Debug, Clone)]
pub struct Finding {
    /// The insight.
    pub insight: Insight,
    /// Tasks (possibly none).
    pub tasks: Vec<Task>,
}

/// What a rule proposes: a test it ran (with what it would say if the test passes and the effect is large enough
/// to matter), or a fact.
#[derive(Debug, Clone)]
pub struct Claim {
    /// What would be said; `None` for a test whose effect is too small to act on (it still counts among the
    /// month's tests, so that choosing which effects to report does not bias the false discovery rate).
    pub finding: Option<Finding>,
    /// The p-value of the test behind it; `None` for a fact.
    pub p: Option<f64>,
}

/// A derivation's result, ordered by id.
#[derive(Debug, Clone, PartialEq)]
pub struct Derived {
    /// Insights.
    pub insights: Vec<Insight>,
    /// Tasks.
    pub tasks: Vec<Task>,
}

impl Derived {
    /// A hash of everything the derivation says (timestamps aside): equal hashes, nothing to write.
    pub fn content_hash(&self) -> String {
        let text = serde_json::to_string(&(&self.insights, &self.tasks)).expect("serializable");
        hex::encode(&Sha256::digest(text.as_bytes())[..12])
    }
}

/// The claims that pass: every fact, and the tests Benjamini–Hochberg keeps at [`FALSE_DISCOVERY_RATE`].
pub fn discoveries(claims: Vec<Claim>) -> Vec<Finding> {
    let tested: Vec<f64> = claims.iter().filter_map(|c| c.p).collect();
    let mut keep = stats::benjamini_hochberg(&tested, FALSE_DISCOVERY_RATE).into_iter();
    claims
        .into_iter()
        .filter(|c| c.p.is_none() || keep.next().unwrap_or(false))
        .filter_map(|c| c.finding)
        .collect()
}

/// Runs the catalogue on `data`.
pub fn derive(data: &MonthData) -> Derived {
    let ctx = rules::Context::new(data);
    let mut insights = BTreeMap::new();
    let mut tasks = BTreeMap::new();
    for finding in discoveries(rules::all(&ctx)) {
        for task in finding.tasks {
            tasks.insert(task.task_id.to_string(), task);
        }
        insights.insert(finding.insight.insight_id.to_string(), finding.insight);
    }
    Derived {
        insights: insights.into_values().collect(),
        tasks: tasks.into_values().collect(),
    }
}

impl MonthData {
    pub(crate) fn insight(
        &self,
        kind: &str,
        subject: &str,
        severity: Severity,
        title: String,
        body: String,
        evidence: Vec<Evidence>,
    ) -> Insight {
        Insight {
            workspace_id: self.workspace.clone(),
            insight_id: item_id::id(kind, subject, self.month.as_str()),
            month: self.month.clone(),
            kind: kind.to_owned(),
            severity,
            title: Some(title),
            body: Some(body),
            evidence: Some(evidence),
            created_at: None,
            derived_at: None,
        }
    }

    pub(crate) fn task(
        &self,
        insight: &Insight,
        action: &str,
        subject: &str,
        title: String,
        priority: f64,
    ) -> Task {
        Task {
            workspace_id: self.workspace.clone(),
            task_id: item_id::id(
                &format!("{}_{action}", insight.kind),
                subject,
                self.month.as_str(),
            ),
            month: self.month.clone(),
            status: TaskStatus::Open,
            title: Some(title),
            priority: Some(priority),
            source_insight_id: Some(insight.insight_id.to_string()),
            assignee_id: None,
            due_date: None,
            created_at: None,
            updated_at: None,
            derived_at: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_and_the_months_that_read_them() {
        let m = |s| Month::parse(s).unwrap();
        let names = |v: Vec<Month>| v.iter().map(|m| m.as_str().to_owned()).collect::<Vec<_>>();
        assert_eq!(
            names(MonthData::window_months(&m("2026-01"))),
            ["2025-11", "2025-12", "2026-01"]
        );
        let today = Day::parse("2026-03-10").unwrap();
        assert_eq!(
            names(MonthData::months_reading(&m("2026-01"), &today)),
            ["2026-02", "2026-03"]
        );
        assert_eq!(
            names(MonthData::months_reading(&m("2026-02"), &today)),
            ["2026-03"]
        );
        assert!(MonthData::months_reading(&m("2026-03"), &today).is_empty());
    }
}
