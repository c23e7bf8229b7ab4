//! `creatoros status`: what an operator checks first, read from the resources themselves, so it says the same on
//! the local stack and on a deployed stack: each queue's backlog (visible, in flight, delayed), what waits in the
//! dead-letter queues, and the imports of the given workspaces by state, with those stuck in `processing` (lease
//! lapsed, nobody working on them) named. The numbers only CloudWatch holds (stream iterator age, function errors
//! and throttles, the workers' EMF metrics) are on the template's dashboard.

use std::fmt;

use creatoros_model::contract::schema::IMPORT;
use creatoros_model::contract::IndexName;
use creatoros_model::entities::{Import, ImportStatus};
use creatoros_model::ids::timestamp::iso_millis;
use creatoros_model::ids::WorkspaceId;
use creatoros_store::TableRepo;
use serde::Serialize;

use creatoros_stack::queues::{queue, QueueStatus};
use creatoros_stack::ServiceError;

/// One workspace's imports by state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportsStatus {
    /// The workspace.
    pub workspace: String,
    /// Imports in `processing` with a live lease.
    pub processing: usize,
    /// Imports in `processing` whose lease has lapsed: no worker holds them (a crash, or a message in the
    /// dead-letter queue), by object key.
    pub stuck: Vec<String>,
    /// Imports `completed`.
    pub completed: usize,
    /// Imports `partial` (some rows rejected).
    pub partial: usize,
    /// Imports `failed`.
    pub failed: usize,
}

/// The whole view.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Status {
    /// The four queues.
    pub queues: Vec<QueueStatus>,
    /// The workspaces asked about.
    pub imports: Vec<ImportsStatus>,
}

impl Status {
    /// Whether something needs an operator: a dead letter, or a stuck import.
    pub fn needs_attention(&self) -> bool {
        self.queues
            .iter()
            .any(|q| q.name.ends_with("dlq") && q.visible + q.in_flight + q.delayed > 0)
            || self.imports.iter().any(|i| !i.stuck.is_empty())
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "queue          visible  in flight  delayed")?;
        for q in &self.queues {
            writeln!(
                f,
                "{:<14} {:>7}  {:>9}  {:>7}",
                q.name, q.visible, q.in_flight, q.delayed
            )?;
        }
        if !self.imports.is_empty() {
            writeln!(
                f,
                "\nworkspace            processing  stuck  completed  partial  failed"
            )?;
            for i in &self.imports {
                writeln!(
                    f,
                    "{:<20} {:>10}  {:>5}  {:>9}  {:>7}  {:>6}",
                    i.workspace,
                    i.processing,
                    i.stuck.len(),
                    i.completed,
                    i.partial,
                    i.failed
                )?;
                for key in &i.stuck {
                    writeln!(
                        f,
                        "  stuck: {key} (redrive the ingest dead-letter queue, or `replay import`)"
                    )?;
                }
            }
        }
        Ok(())
    }
}

/// A workspace's imports by state; `now` (ISO) decides which leases have lapsed.
pub async fn imports(
    repo: &TableRepo,
    workspace: &WorkspaceId,
    now: time::OffsetDateTime,
) -> Result<ImportsStatus, ServiceError> {
    let err = |e: String| ServiceError {
        resource: repo.table().to_owned(),
        message: e,
    };
    let condition = repo
        .codec()
        .query(
            &IMPORT,
            IndexName::Primary,
            &[("workspaceId", workspace.as_str())],
        )
        .map_err(|e| err(e.to_string()))?;
    let all: Vec<Import> = repo
        .query(&condition)
        .await
        .map_err(|e| err(e.to_string()))?;
    let now = iso_millis(now);
    let mut out = ImportsStatus {
        workspace: workspace.to_string(),
        ..ImportsStatus::default()
    };
    for import in all {
        match import.status {
            ImportStatus::Processing => {
                let lapsed = import
                    .lease_expires_at
                    .as_deref()
                    .is_none_or(|until| until < now.as_str());
                if lapsed {
                    out.stuck.push(import.key);
                } else {
                    out.processing += 1;
                }
            }
            ImportStatus::Completed => out.completed += 1,
            ImportStatus::Partial => out.partial += 1,
            ImportStatus::Failed => out.failed += 1,
        }
    }
    Ok(out)
}

/// The four queues (name and URL) and the given workspaces' imports.
pub async fn status(
    sqs: &aws_sdk_sqs::Client,
    repo: &TableRepo,
    queues: &[(&str, String)],
    workspaces: &[WorkspaceId],
) -> Result<Status, ServiceError> {
    let mut out = Status::default();
    for (name, url) in queues {
        out.queues.push(queue(sqs, name, url).await?);
    }
    let now = time::OffsetDateTime::now_utc();
    for workspace in workspaces {
        out.imports.push(imports(repo, workspace, now).await?);
    }
    Ok(out)
}
