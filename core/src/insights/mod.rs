//! From a workspace month's data to insights and tasks: pure functions, no AWS.
//!
//! The insights worker reads the month's metrics and posts and the previous month's metrics, builds
//! [`MonthData`], and calls [`derive`]. Everything here is deterministic for the same data and day, so an
//! unchanged month derives the same items (and the worker writes nothing).

pub mod engagement;
pub mod ids;
pub mod rules;

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};
use time::Weekday;

use crate::entities::{Evidence, Insight, Metric, Post, Severity, Task, TaskStatus};
use crate::ids::{Day, Month, WorkspaceId};

/// A post's latest snapshot on one platform in the month, with the weekday it was published.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The latest metric item of (post, platform) dated in the month.
    pub metric: Metric,
    /// Weekday of the post's publish day (the app's post if known, else the export's `publishedAt`, else the
    /// snapshot's day).
    pub weekday: Weekday,
}

/// What a derivation reads.
#[derive(Debug, Clone)]
pub struct MonthData {
    /// The tenant.
    pub workspace: WorkspaceId,
    /// The month derived.
    pub month: Month,
    /// Today (UTC), for rules that depend on elapsed time.
    pub today: Day,
    /// Latest snapshot per (post, platform) this month.
    pub current: Vec<Snapshot>,
    /// Latest snapshot per (post, platform) last month.
    pub previous: Vec<Snapshot>,
    /// Every metric item of the month.
    pub all_metrics: Vec<Metric>,
    /// The app's posts of the month.
    pub posts: Vec<Post>,
}

/// One rule's output: an insight and the tasks it suggests.
#[derive(Debug, Clone)]
pub struct Finding {
    /// The insight.
    pub insight: Insight,
    /// Tasks (possibly none).
    pub tasks: Vec<Task>,
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

/// Runs the catalogue on `data`.
pub fn derive(data: &MonthData) -> Derived {
    let mut insights = BTreeMap::new();
    let mut tasks = BTreeMap::new();
    for finding in rules::all(data) {
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

fn latest(metrics: &[Metric], posts: &[Post]) -> Vec<Snapshot> {
    let published: BTreeMap<&str, &Day> = posts
        .iter()
        .filter_map(|p| p.publish_date.as_ref().map(|d| (p.post_id.as_str(), d)))
        .collect();
    let mut by: BTreeMap<(String, &'static str), &Metric> = BTreeMap::new();
    for m in metrics {
        let key = (m.post_id.to_string(), m.platform.as_str());
        if by.get(&key).is_none_or(|old| old.date < m.date) {
            by.insert(key, m);
        }
    }
    by.into_values()
        .map(|m| {
            let exported = m
                .published_at
                .as_deref()
                .and_then(|p| p.get(..10))
                .and_then(|d| Day::parse(d).ok());
            let day = published
                .get(m.post_id.as_str())
                .map(|d| (*d).clone())
                .or(exported)
                .unwrap_or_else(|| m.date.clone());
            Snapshot {
                weekday: day.to_date().weekday(),
                metric: m.clone(),
            }
        })
        .collect()
}

impl MonthData {
    /// Builds the view of a month from raw items: `metrics` of the month, `previous` of the month before,
    /// the month's `posts`. Items of other workspaces or months are ignored.
    pub fn new(
        workspace: WorkspaceId,
        month: Month,
        today: Day,
        metrics: Vec<Metric>,
        previous: Vec<Metric>,
        posts: Vec<Post>,
    ) -> Self {
        let prev_month = month.previous();
        let metrics: Vec<Metric> = metrics
            .into_iter()
            .filter(|m| m.workspace_id == workspace && m.month == month)
            .collect();
        let previous: Vec<Metric> = previous
            .into_iter()
            .filter(|m| m.workspace_id == workspace && Some(&m.month) == prev_month.as_ref())
            .collect();
        let posts: Vec<Post> = posts
            .into_iter()
            .filter(|p| p.workspace_id == workspace && p.month == month)
            .collect();
        Self {
            current: latest(&metrics, &posts),
            previous: latest(&previous, &[]),
            all_metrics: metrics,
            posts,
            workspace,
            month,
            today,
        }
    }

    /// A post's title for people: the app's title, else the one its export gave, else its id.
    pub fn title(&self, post_id: &str) -> String {
        self.posts
            .iter()
            .find(|p| p.post_id.as_str() == post_id)
            .and_then(|p| p.title.clone())
            .or_else(|| {
                self.all_metrics
                    .iter()
                    .filter(|m| m.post_id.as_str() == post_id)
                    .find_map(|m| m.title.clone())
            })
            .filter(|t| !t.trim().is_empty())
            .unwrap_or_else(|| post_id.to_owned())
    }

    fn insight(
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
            insight_id: ids::id(kind, subject, self.month.as_str()),
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

    fn task(
        &self,
        insight: &Insight,
        action: &str,
        subject: &str,
        title: String,
        priority: f64,
    ) -> Task {
        Task {
            workspace_id: self.workspace.clone(),
            task_id: ids::id(
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
