//! What the insights worker derives: insights about a month and the tasks they suggest.

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use crate::contract::{schema, ContractError, Entity, EntitySchema};
use crate::ids::{ItemId, Month, WorkspaceId};

use super::check_finite;

/// How much an insight matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Good to know.
    Info,
    /// Worth acting on.
    Warning,
    /// Act now.
    Critical,
}

/// One data point behind an insight.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Evidence {
    /// Post the point is about.
    pub post_id: Option<String>,
    /// Platform the point is about.
    pub platform: Option<String>,
    /// Metric name.
    pub metric: Option<String>,
    /// Metric value.
    pub value: Option<f64>,
    /// Short explanation.
    pub note: Option<String>,
}

/// Something learned about a workspace's month.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Insight {
    /// The tenant.
    pub workspace_id: WorkspaceId,
    /// Deterministic id (kind + subject + month).
    pub insight_id: ItemId,
    /// Month the insight is about.
    pub month: Month,
    /// Rule that produced it (free text in the model).
    pub kind: String,
    /// How much it matters.
    pub severity: Severity,
    /// Headline.
    pub title: Option<String>,
    /// Explanation.
    pub body: Option<String>,
    /// Data points behind it.
    pub evidence: Option<Vec<Evidence>>,
    /// ISO timestamp.
    pub created_at: Option<String>,
    /// Watermark of the derivation that wrote it (absent on insights written by anyone else).
    pub derived_at: Option<String>,
}

impl Entity for Insight {
    const SCHEMA: &'static EntitySchema = &schema::INSIGHT;

    fn check(&self) -> Result<(), ContractError> {
        let values: Vec<(&str, Option<f64>)> = self
            .evidence
            .iter()
            .flatten()
            .map(|e| ("evidence.value", e.value))
            .collect();
        check_finite("insight", &values)
    }
}

/// State of a task; `done` and `dismissed` belong to the user and are never changed by the pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TaskStatus {
    /// To do.
    Open,
    /// Done by the team.
    Done,
    /// Dismissed by the team.
    Dismissed,
    /// Closed by the pipeline: its insight is no longer supported by the data (only ever an open task that no
    /// user touched; reopened if the insight returns).
    Retired,
}

/// Something the team should do next.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    /// The tenant.
    pub workspace_id: WorkspaceId,
    /// Deterministic id (kind + subject + month).
    pub task_id: ItemId,
    /// Month the task belongs to.
    pub month: Month,
    /// State.
    pub status: TaskStatus,
    /// What to do.
    pub title: Option<String>,
    /// Lower is sooner.
    pub priority: Option<f64>,
    /// The insight that suggested it.
    pub source_insight_id: Option<String>,
    /// Clerk user id of the assignee.
    pub assignee_id: Option<String>,
    /// Day it is due (`YYYY-MM-DD`).
    pub due_date: Option<String>,
    /// ISO timestamp.
    pub created_at: Option<String>,
    /// ISO timestamp of the last change, by the app (a user) or the pipeline.
    pub updated_at: Option<String>,
    /// Watermark of the derivation that last wrote it; an `updated_at` after it means a user touched the task.
    pub derived_at: Option<String>,
}

impl Entity for Task {
    const SCHEMA: &'static EntitySchema = &schema::TASK;

    fn check(&self) -> Result<(), ContractError> {
        check_finite("task", &[("priority", self.priority)])
    }
}
