//! `creatoros purge --workspace W`: removes a workspace's data: every item of its table partition (all entities;
//! the indexes follow) and every version of every object under its upload and rejects prefixes. A dry run by
//! default, which only counts; `--yes` deletes.
//!
//! Nothing outside the workspace is read for deletion: items come from one partition query (every entity's
//! primary key is the workspace alone), objects from two prefix listings. Every partial failure is handled:
//! `UnprocessedItems` are retried by the batch writer, `DeleteObjects` errors are retried once per key, and what
//! still failed is reported, so running the command again finishes the job.

use std::fmt;

use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use creatoros_model::contract::AttributeValue;
use creatoros_model::contract::Item;
use creatoros_model::ids::WorkspaceId;
use creatoros_model::imports::object_key::workspace_prefixes;
use creatoros_store::item::from_sdk;
use creatoros_store::TableRepo;

use creatoros_stack::ServiceError;

/// What a purge found, or did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PurgeReport {
    /// The workspace.
    pub workspace: String,
    /// Items in its partition (found, or deleted with `--yes`).
    pub items: usize,
    /// Object versions and delete markers under its prefixes.
    pub objects: usize,
    /// Imports still in `processing` when the purge looked (a running import may write again afterwards).
    pub processing: usize,
    /// Whether anything was deleted.
    pub deleted: bool,
    /// What could not be deleted (item keys or object versions, with the reason).
    pub failed: Vec<String>,
}

impl fmt::Display for PurgeReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = if self.deleted { "deleted" } else { "to delete" };
        writeln!(
            f,
            "workspace {}: {} item(s) and {} object version(s) {verb}",
            self.workspace, self.items, self.objects
        )?;
        if self.processing > 0 {
            writeln!(
                f,
                "  {} import(s) still processing: they may write again; purge once more when they end",
                self.processing
            )?;
        }
        for failure in &self.failed {
            writeln!(f, "  not deleted: {failure}")?;
        }
        Ok(())
    }
}

/// Every key (`pk`, `sk`) of the workspace's partition, and how many of them are imports in `processing`.
async fn partition_keys(
    repo: &TableRepo,
    workspace: &WorkspaceId,
) -> Result<(Vec<Item>, usize), ServiceError> {
    let error = |e: String| ServiceError {
        resource: repo.table().to_owned(),
        message: e,
    };
    let pages: Vec<Item> = repo
        .client()
        .query()
        .table_name(repo.table())
        .key_condition_expression("#pk = :pk")
        .expression_attribute_names("#pk", "pk")
        .expression_attribute_names("#sk", "sk")
        .expression_attribute_names("#e", "__edb_e__")
        .expression_attribute_names("#s", "status")
        .expression_attribute_values(
            ":pk",
            AttributeValue::S(repo.codec().workspace_partition(workspace)).into(),
        )
        .projection_expression("#pk, #sk, #e, #s")
        .consistent_read(true)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| error(e.into_service_error().to_string()))?
        .into_iter()
        .map(from_sdk)
        .collect();
    let is = |item: &Item, name: &str, value: &str| matches!(item.get(name), Some(AttributeValue::S(s)) if s == value);
    let processing = pages
        .iter()
        .filter(|i| is(i, "__edb_e__", "import") && is(i, "status", "processing"))
        .count();
    let keys = pages
        .into_iter()
        .map(|mut item| {
            item.retain(|k, _| k == "pk" || k == "sk");
            item
        })
        .collect();
    Ok((keys, processing))
}

/// Every version and delete marker under the workspace's prefixes.
async fn object_versions(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    workspace: &WorkspaceId,
) -> Result<Vec<ObjectIdentifier>, ServiceError> {
    let error = |e: String| ServiceError {
        resource: format!("s3://{bucket}"),
        message: e,
    };
    let mut out = Vec::new();
    for prefix in workspace_prefixes(workspace) {
        let (mut key_marker, mut version_marker) = (None::<String>, None::<String>);
        loop {
            let page = s3
                .list_object_versions()
                .bucket(bucket)
                .prefix(&prefix)
                .set_key_marker(key_marker.take())
                .set_version_id_marker(version_marker.take())
                .send()
                .await
                .map_err(|e| error(e.into_service_error().to_string()))?;
            let versions = page
                .versions()
                .iter()
                .map(|v| (v.key(), v.version_id()))
                .chain(
                    page.delete_markers()
                        .iter()
                        .map(|m| (m.key(), m.version_id())),
                );
            for (key, version) in versions {
                let Some(key) = key else { continue };
                let id = ObjectIdentifier::builder()
                    .key(key)
                    .set_version_id(version.map(str::to_owned))
                    .build()
                    .map_err(|e| error(e.to_string()))?;
                out.push(id);
            }
            if page.is_truncated() != Some(true) {
                break;
            }
            key_marker = page.next_key_marker().map(str::to_owned);
            version_marker = page.next_version_id_marker().map(str::to_owned);
        }
    }
    Ok(out)
}

/// Deletes object versions, 1,000 to a call; each key S3 reports as failed is tried once more on its own.
async fn delete_objects(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    objects: Vec<ObjectIdentifier>,
    failed: &mut Vec<String>,
) -> Result<(), ServiceError> {
    let error = |e: String| ServiceError {
        resource: format!("s3://{bucket}"),
        message: e,
    };
    for chunk in objects.chunks(1000) {
        let delete = Delete::builder()
            .set_objects(Some(chunk.to_vec()))
            .quiet(true)
            .build()
            .map_err(|e| error(e.to_string()))?;
        let out = s3
            .delete_objects()
            .bucket(bucket)
            .delete(delete)
            .send()
            .await
            .map_err(|e| error(e.into_service_error().to_string()))?;
        for e in out.errors() {
            let (key, version) = (e.key().unwrap_or_default(), e.version_id());
            let again = s3
                .delete_object()
                .bucket(bucket)
                .key(key)
                .set_version_id(version.map(str::to_owned))
                .send()
                .await;
            if let Err(retry) = again {
                failed.push(format!(
                    "s3://{bucket}/{key} version {}: {} (then {})",
                    version.unwrap_or("null"),
                    e.message().unwrap_or("refused"),
                    retry.into_service_error()
                ));
            }
        }
    }
    Ok(())
}

/// Counts (dry run) or deletes (`yes`) the workspace's items and objects.
pub async fn purge(
    repo: &TableRepo,
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    workspace: &WorkspaceId,
    yes: bool,
) -> Result<PurgeReport, ServiceError> {
    let (keys, processing) = partition_keys(repo, workspace).await?;
    let objects = object_versions(s3, bucket, workspace).await?;
    let mut report = PurgeReport {
        workspace: workspace.to_string(),
        items: keys.len(),
        objects: objects.len(),
        processing,
        deleted: yes,
        failed: Vec::new(),
    };
    if !yes {
        return Ok(report);
    }
    // Objects first: a purge interrupted between the two leaves items whose objects are gone, which a second run
    // removes, rather than objects an import could pick up again.
    delete_objects(s3, bucket, objects, &mut report.failed).await?;
    let outcome = repo.batch().delete_keys(keys).await;
    for request in &outcome.unwritten {
        let key = request
            .delete_request()
            .and_then(|d| d.key.get("sk"))
            .and_then(|v| v.as_s().ok())
            .cloned()
            .unwrap_or_default();
        let reason = outcome
            .error
            .as_ref()
            .map_or("not written".to_owned(), ToString::to_string);
        report.failed.push(format!("item {key}: {reason}"));
    }
    Ok(report)
}
