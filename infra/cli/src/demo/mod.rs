//! `make demo`: a planned workspace written through the Rust repository, the sample exports uploaded to local S3
//! and ingested through the queue by the real handler, then the imports (with rejected rows explained) and what
//! ElectroDB, the app's own library, reads back.

mod report;

pub use report::{report_imports, report_insights};

use std::collections::BTreeMap;
use std::fmt::Write as _;

use creatoros_model::contract::{Entity, EntitySchema};
use creatoros_model::entities::{
    Draft, Import, Insight, Metric, Plan, Post, Profile, Task, Variant,
};
use creatoros_store::{Created, TableRepo};
use serde_json::{json, Value};

use creatoros_stack::electrodb::ElectroDb;

/// The demo failed; the message says where.
#[derive(Debug, thiserror::Error)]
#[error("demo: {0}")]
pub struct DemoError(pub String);

/// The sample workspace: one of every entity, three metrics.
pub fn sample_documents(workspace: &str, month: &str) -> Vec<(&'static str, Value)> {
    let day = |d: u8| format!("{month}-{d:02}");
    vec![
        (
            "profile",
            json!({"workspaceId": workspace, "ownerId": "user_2judgeDemo", "displayName": "Judge Demo",
            "niche": "B2B SaaS", "timezone": "Europe/London", "platforms": ["linkedin", "x", "youtube", "rednote"]}),
        ),
        (
            "plan",
            json!({"workspaceId": workspace, "month": month, "theme": "Launch month", "status": "active",
            "goals": ["Ship 12 posts"], "cadence": {"linkedin": 3, "x": 7}}),
        ),
        (
            "post",
            json!({"workspaceId": workspace, "postId": "post-launch", "status": "published", "month": month,
            "publishDate": day(6), "title": "We launched", "version": 3, "tags": ["launch"]}),
        ),
        (
            "post",
            json!({"workspaceId": workspace, "postId": "post-lessons", "status": "scheduled", "month": month,
            "publishDate": day(20), "title": "Lessons from launch", "version": 1}),
        ),
        (
            "variant",
            json!({"workspaceId": workspace, "postId": "post-launch", "platform": "x", "month": month,
            "status": "published", "hook": "We launched today.", "publishedId": "1849000000000000001"}),
        ),
        (
            "variant",
            json!({"workspaceId": workspace, "postId": "post-launch", "platform": "linkedin", "month": month,
            "status": "published", "publishedUrl": "https://www.linkedin.com/feed/update/urn:li:activity:7250000000000000001"}),
        ),
        (
            "draft",
            json!({"workspaceId": workspace, "postId": "post-lessons", "platform": "x", "draftVersion": 2,
            "month": month, "body": "Three lessons from launch week"}),
        ),
        (
            "metric",
            json!({"workspaceId": workspace, "postId": "post-launch", "platform": "x", "date": day(6),
            "month": month, "impressions": 12000, "likes": 340, "comments": 21, "shares": 45}),
        ),
        (
            "metric",
            json!({"workspaceId": workspace, "postId": "post-launch", "platform": "linkedin", "date": day(6),
            "month": month, "impressions": 8000, "likes": 260, "comments": 30, "shares": 12, "clicks": 90}),
        ),
        (
            "metric",
            json!({"workspaceId": workspace, "postId": "x-1849000000000000777", "platform": "x",
            "date": day(9), "month": month, "measure": "lifetime", "publishedAt": format!("{}T16:00+00:00", day(8)),
            "title": "An unplanned post", "impressions": 900, "likes": 4}),
        ),
        (
            "metric",
            json!({"workspaceId": workspace, "postId": "yt-F3HVs95pagk", "platform": "youtube",
            "date": day(12), "month": month, "measure": "period", "periodStart": day(1), "periodEnd": day(12),
            "title": "Studio export", "views": 2775, "likes": -2, "clickThroughRate": 0.0412}),
        ),
        (
            "daily",
            json!({"workspaceId": workspace, "platform": "youtube", "subject": "account", "day": day(11),
            "month": month, "views": 1224, "source": "youtube-totals"}),
        ),
        (
            "daily",
            json!({"workspaceId": workspace, "platform": "youtube", "subject": "post-yt-F3HVs95pagk",
            "day": day(11), "month": month, "postId": "yt-F3HVs95pagk", "title": "Studio export", "views": 35}),
        ),
        (
            "insight",
            json!({"workspaceId": workspace, "insightId": format!("outlier_post-x-post-launch-{month}"), "month": month,
            "kind": "outlier_post", "severity": "info",
            "title": "\"We launched\": engagement rate 3.4× your typical X post",
            "body": "Engagement rate of 3.4% against a typical 1.0%, based on your 18 other X posts of the last 90 days.",
            "evidence": [{"postId": "post-launch", "platform": "x", "metric": "engagementRate", "value": 0.034},
                         {"platform": "x", "metric": "sampleSize", "value": 18}]}),
        ),
        (
            "task",
            json!({"workspaceId": workspace, "taskId": format!("repurpose-post-launch-{month}"), "month": month,
            "status": "open", "title": "Repurpose 'We launched' for YouTube and Rednote", "priority": 1,
            "sourceInsightId": format!("outlier_post-x-post-launch-{month}")}),
        ),
        (
            "import",
            json!({"workspaceId": workspace, "importId": "demo-import-1", "month": month,
            "status": "completed", "bucket": "creatoros-imports", "key": format!("imports/{workspace}/demo.csv"),
            "sourceTime": format!("{}T09:00:00Z", day(10)), "format": "canonical", "rowsSeen": 3,
            "rowsWritten": 3, "rowsRejected": 0, "months": [month], "version": 1, "invocations": 1,
            "container": "plain", "notes": ["dated 2026-10-10, the day it was uploaded (the export states no period)"]}),
        ),
    ]
}

/// The planned side of the pipeline demo: posts whose variants record where they went live, so rows of the
/// sample exports link to them.
pub fn planned_documents(workspace: &str) -> Vec<(&'static str, Value)> {
    let month = "2026-07";
    let post = |id: &str, title: &str, day: &str| {
        json!({"workspaceId": workspace, "postId": id, "status": "published", "month": month, "publishDate": day,
               "title": title, "version": 1})
    };
    vec![
        (
            "profile",
            json!({"workspaceId": workspace, "ownerId": "user_2judgeDemo", "displayName": "Judge Demo",
            "platforms": ["linkedin", "x", "youtube", "rednote"]}),
        ),
        (
            "plan",
            json!({"workspaceId": workspace, "month": month, "theme": "Summer launch", "status": "active"}),
        ),
        (
            "post",
            post("post-onboarding", "New onboarding flow", "2026-07-14"),
        ),
        (
            "post",
            post("post-warehouse", "Second warehouse", "2026-07-14"),
        ),
        (
            "post",
            post("post-coldbrew", "Cold brew at home", "2026-07-14"),
        ),
        (
            "variant",
            json!({"workspaceId": workspace, "postId": "post-onboarding", "platform": "x", "month": month,
            "status": "published", "publishedUrl": "https://x.com/acme_dev/status/2077066290949097130"}),
        ),
        (
            "variant",
            json!({"workspaceId": workspace, "postId": "post-warehouse", "platform": "linkedin", "month": month,
            "status": "published", "publishedUrl": "https://www.linkedin.com/feed/update/urn:li:activity:7351002233445566778"}),
        ),
        (
            "variant",
            json!({"workspaceId": workspace, "postId": "post-coldbrew", "platform": "rednote", "month": month,
            "status": "published", "publishedId": "夏天最适合的3款冷萃咖啡☕️在家10分钟搞定"}),
        ),
    ]
}

/// Writes the documents through `repo`: metrics with one batch write, everything else create-if-absent.
/// Returns a line per item saying what happened.
pub async fn write_documents(
    repo: &TableRepo,
    documents: &[(&'static str, Value)],
) -> Result<Vec<String>, DemoError> {
    async fn create<E: Entity>(repo: &TableRepo, doc: &Value) -> Result<String, DemoError> {
        let entity: E = serde_json::from_value(doc.clone())
            .map_err(|e| DemoError(format!("{} {doc}: {e}", E::SCHEMA.name)))?;
        match repo.create(&entity).await {
            Ok(Created::Inserted) => Ok(format!("created {}", E::SCHEMA.name)),
            Ok(Created::AlreadyExists) => Ok(format!("kept existing {}", E::SCHEMA.name)),
            Err(e) => Err(DemoError(e.to_string())),
        }
    }
    let mut report = Vec::new();
    let mut metrics: Vec<Metric> = Vec::new();
    for (entity, doc) in documents {
        let line = match *entity {
            "profile" => create::<Profile>(repo, doc).await?,
            "plan" => create::<Plan>(repo, doc).await?,
            "post" => create::<Post>(repo, doc).await?,
            "variant" => create::<Variant>(repo, doc).await?,
            "draft" => create::<Draft>(repo, doc).await?,
            "insight" => create::<Insight>(repo, doc).await?,
            "task" => create::<Task>(repo, doc).await?,
            "import" => create::<Import>(repo, doc).await?,
            "lock" => create::<creatoros_model::entities::Lock>(repo, doc).await?,
            "derivation" => create::<creatoros_model::entities::Derivation>(repo, doc).await?,
            "schedule" => create::<creatoros_model::entities::Schedule>(repo, doc).await?,
            "daily" => create::<creatoros_model::entities::Daily>(repo, doc).await?,
            "metric" => {
                metrics.push(
                    serde_json::from_value(doc.clone())
                        .map_err(|e| DemoError(format!("metric {doc}: {e}")))?,
                );
                continue;
            }
            other => return Err(DemoError(format!("unknown entity {other}"))),
        };
        report.push(line);
    }
    if metrics.is_empty() {
        return Ok(report);
    }
    let outcome = repo
        .batch_put(&metrics)
        .await
        .map_err(|e| DemoError(e.to_string()))?;
    let calls = outcome.calls;
    let written = outcome
        .into_result()
        .map_err(|e| DemoError(format!("batch write of metrics: {e}")))?;
    report.push(format!(
        "batch-wrote {written} metrics in {calls} BatchWriteItem call(s)"
    ));
    Ok(report)
}

/// For every entity and index, a partition query per distinct partition among the documents, run through
/// ElectroDB; returns the printed report and whether every query found exactly the documents expected.
pub async fn read_back(
    electrodb: &ElectroDb,
    documents: &[(&'static str, Value)],
) -> Result<(String, bool), DemoError> {
    // (entity, access pattern, index label, composites) -> ids expected
    let mut expected: BTreeMap<(String, &'static str, &'static str, String), Vec<String>> =
        BTreeMap::new();
    for (entity, doc) in documents {
        let schema = creatoros_model::contract::schema::entity_by_name(entity)
            .ok_or_else(|| DemoError(format!("unknown entity {entity}")))?;
        for ix in schema.indexes {
            let composites: serde_json::Map<String, Value> = ix
                .pk
                .iter()
                .map(|n| (n.to_string(), doc[*n].clone()))
                .collect();
            expected
                .entry((
                    entity.to_string(),
                    ix.access_pattern,
                    ix.index.label(),
                    Value::Object(composites).to_string(),
                ))
                .or_default()
                .push(identity(schema, doc));
        }
    }
    let ops: Vec<Value> = expected
        .keys()
        .map(|(entity, ap, _, composites)| {
            json!({"op": "query", "entity": entity, "accessPattern": ap,
                   "composites": serde_json::from_str::<Value>(composites).unwrap_or_default()})
        })
        .collect();
    let answers = electrodb
        .run(ops)
        .await
        .map_err(|e| DemoError(e.to_string()))?;
    let mut out = String::new();
    let mut all_ok = true;
    for (((entity, ap, index, composites), want), answer) in expected.iter().zip(answers) {
        let schema =
            creatoros_model::contract::schema::entity_by_name(entity).expect("known entity");
        let (got, mark) = match answer {
            Ok(Value::Array(items)) => {
                let mut got: Vec<String> = items.iter().map(|d| identity(schema, d)).collect();
                got.sort();
                let mut want = want.clone();
                want.sort();
                let ok = got == want;
                all_ok &= ok;
                (got.join(", "), if ok { "ok " } else { "MISMATCH" })
            }
            Ok(other) => {
                all_ok = false;
                (format!("unexpected answer {other}"), "MISMATCH")
            }
            Err(e) => {
                all_ok = false;
                (e, "ERROR")
            }
        };
        let _ = writeln!(
            out,
            "  {mark} {entity:<8} {:<22} {composites}\n        -> {got}",
            format!("{ap} ({index})")
        );
    }
    Ok((out, all_ok))
}

/// A short identity of an item for the report: its primary sort composites.
fn identity(schema: &EntitySchema, doc: &Value) -> String {
    let primary = schema
        .indexes
        .first()
        .expect("every entity has a primary index");
    let parts: Vec<String> = primary
        .sk
        .iter()
        .map(|n| match &doc[*n] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect();
    if parts.is_empty() {
        schema.name.to_owned()
    } else {
        parts.join("/")
    }
}

/// Uploads every file under `samples/<workspace>/` to `imports/<workspace>/<file>`; returns the workspaces.
pub async fn upload_samples(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    samples: &std::path::Path,
) -> Result<Vec<String>, DemoError> {
    let mut workspaces = Vec::new();
    let mut dirs: Vec<_> = std::fs::read_dir(samples)
        .map_err(|e| DemoError(format!("{}: {e}", samples.display())))?
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .collect();
    dirs.sort_by_key(|e| e.file_name());
    for dir in dirs {
        let workspace = dir.file_name().to_string_lossy().into_owned();
        let mut files: Vec<_> = std::fs::read_dir(dir.path())
            .map_err(|e| DemoError(e.to_string()))?
            .filter_map(Result::ok)
            .collect();
        files.sort_by_key(|e| e.file_name());
        for file in files {
            let key = format!("imports/{workspace}/{}", file.file_name().to_string_lossy());
            let body = std::fs::read(file.path()).map_err(|e| DemoError(e.to_string()))?;
            s3.put_object()
                .bucket(bucket)
                .key(&key)
                .body(body.into())
                .send()
                .await
                .map_err(|e| DemoError(format!("upload {key}: {}", e.into_service_error())))?;
        }
        workspaces.push(workspace);
    }
    Ok(workspaces)
}
