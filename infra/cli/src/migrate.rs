//! `creatoros migrate snapshots`: replaces the publish-dated items of the first version's tables with snapshots
//! dated honestly (the plan and its rules: `creatoros_model::imports::migration`).
//!
//! Each run takes the steps that are due, so running it until it reports nothing left is the whole migration:
//! an import with publish-dated items whose object is still in the bucket gets a `reingest` message on the
//! ingest queue (the worker writes the object's rows again as snapshots); an import this version has read again
//! gets its old items deleted. New items are in place before old ones go, so the workspace never lacks its
//! numbers; the deletions trigger a derivation of the months they leave, the reingest one of the months it
//! writes. A dry run (the default) only reports.

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_sqs::error::DisplayErrorContext;
use creatoros_model::contract::schema::{IMPORT, METRIC};
use creatoros_model::contract::{IndexName, Item};
use creatoros_model::entities::{Import, Metric};
use creatoros_model::ids::WorkspaceId;
use creatoros_model::imports::migration::{plan, Plan, Reingest};
use creatoros_store::{RepoError, TableRepo};

/// The migration of one workspace could not be carried out.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// The table failed.
    #[error(transparent)]
    Table(#[from] RepoError),
    /// An item did not fit the contract.
    #[error(transparent)]
    Contract(#[from] creatoros_model::contract::ContractError),
    /// S3 or SQS failed.
    #[error("{0}")]
    Aws(String),
}

/// What a migration found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The plan (imports whose object is gone are among `orphans`).
    pub plan: Plan,
    /// Imports whose object is gone, so their items stay as they are.
    pub objects_gone: Vec<String>,
    /// Reingest messages sent.
    pub reingested: usize,
    /// Old items deleted.
    pub deleted: usize,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "{} publish-dated item(s) from {} import(s); {} item(s) already fine",
            self.plan.items_replaced(),
            self.plan.reingest.len() + self.plan.ready.len(),
            self.plan.kept
        )?;
        for r in &self.plan.reingest {
            writeln!(
                f,
                "  to ingest again: s3://{}/{} ({} item(s))",
                r.bucket,
                r.key,
                r.items.len()
            )?;
        }
        for r in &self.plan.ready {
            writeln!(
                f,
                "  ingested again, old items to delete: s3://{}/{} ({} item(s))",
                r.bucket,
                r.key,
                r.items.len()
            )?;
        }
        if !self.plan.orphans.is_empty() {
            writeln!(
                f,
                "{} item(s) left as they are: their import or object is gone ({})",
                self.plan.orphans.len(),
                self.objects_gone.join(", ")
            )?;
        }
        if self.reingested > 0 || self.deleted > 0 {
            writeln!(
                f,
                "queued {} reingest(s), deleted {} old item(s)",
                self.reingested, self.deleted
            )?;
        }
        Ok(())
    }
}

/// Plans (and with `apply`, carries out) the migration of `workspace`.
pub async fn snapshots(
    repo: &TableRepo,
    s3: &aws_sdk_s3::Client,
    sqs: &aws_sdk_sqs::Client,
    ingest_queue: &str,
    workspace: &WorkspaceId,
    apply: bool,
) -> Result<Report, MigrateError> {
    let of_workspace = [("workspaceId", workspace.as_str())];
    let metrics: Vec<Metric> = repo
        .query(
            &repo
                .codec()
                .query(&METRIC, IndexName::Primary, &of_workspace)?,
        )
        .await?;
    let imports: Vec<Import> = repo
        .query(
            &repo
                .codec()
                .query(&IMPORT, IndexName::Primary, &of_workspace)?,
        )
        .await?;
    let mut report = Report {
        plan: plan(&metrics, &imports),
        ..Report::default()
    };
    // An import whose object is gone cannot be re-read: its items stay.
    let mut present: Vec<Reingest> = Vec::new();
    for r in std::mem::take(&mut report.plan.reingest) {
        match s3.head_object().bucket(&r.bucket).key(&r.key).send().await {
            Ok(_) => present.push(r),
            Err(e)
                if matches!(
                    e.as_service_error().and_then(|s| s.code()),
                    Some("NotFound" | "NoSuchKey")
                ) || e.raw_response().is_some_and(|r| r.status().as_u16() == 404) =>
            {
                report
                    .objects_gone
                    .push(format!("s3://{}/{}", r.bucket, r.key));
                report.plan.orphans.extend(r.items);
            }
            Err(e) => {
                return Err(MigrateError::Aws(format!(
                    "s3://{}/{}: {}",
                    r.bucket,
                    r.key,
                    creatoros_runtime::errors::chain(&e)
                )))
            }
        }
    }
    report.plan.reingest = present;
    if !apply {
        return Ok(report);
    }
    for r in &report.plan.reingest {
        let body =
            serde_json::json!({"type": "reingest", "bucket": r.bucket, "key": r.key}).to_string();
        sqs.send_message()
            .queue_url(ingest_queue)
            .message_body(body)
            .send()
            .await
            .map_err(|e| MigrateError::Aws(DisplayErrorContext(e).to_string()))?;
        report.reingested += 1;
    }
    let mut keys: Vec<Item> = Vec::new();
    for r in &report.plan.ready {
        for (post, platform, date) in &r.items {
            let old = metrics
                .iter()
                .find(|m| {
                    m.post_id.as_str() == post
                        && m.platform.as_str() == platform
                        && m.date.as_str() == date
                })
                .expect("planned from these metrics");
            let item = repo.codec().encode(old)?;
            keys.push(
                ["pk", "sk"]
                    .into_iter()
                    .filter_map(|k| item.get(k).map(|v| (k.to_owned(), v.clone())))
                    .collect(),
            );
        }
    }
    report.deleted = repo.batch().delete_keys(keys).await.into_result()?;
    Ok(report)
}
