//! The `creatoros` binary end to end against the local stack, as an operator runs it: import → run → the
//! imports, insights and tasks it reports; replays that leave the table as it was; and a dead-letter queue that
//! fills while the worker is misconfigured and drains into a successful ingest once it is fixed.

use std::process::Output;

use assert_cmd::Command;
use creatoros_tests::ingest::IngestHarness;
use serde_json::Value;

/// The CLI with the environment of `h`'s resources (endpoints come from the test's own environment).
fn creatoros(h: &IngestHarness, dir: &std::path::Path) -> Command {
    let mut cmd = Command::cargo_bin("creatoros").unwrap();
    cmd.envs(h.made.env_pairs()).current_dir(dir);
    cmd
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn json(out: Output) -> Value {
    serde_json::from_str(&ok(out)).unwrap()
}

const NOISE: [u64; 7] = [300, 310, 290, 320, 280, 300, 310];

/// July with a planted pattern (an X outlier among nineteen ordinary posts, LinkedIn alongside) and two bad rows
/// (lines 13 and 14).
fn export(dir: &std::path::Path) -> std::path::PathBuf {
    let mut csv = String::from("post_id,platform,date,impressions,likes\n");
    for (i, likes) in NOISE.iter().enumerate() {
        csv.push_str(&format!(
            "x-post-{i},x,2026-07-{:02},10000,{likes}\n",
            i + 1
        ));
    }
    csv.push_str("star,x,2026-07-20,10000,1200\n");
    for i in 0..3 {
        csv.push_str(&format!(
            "li-post-{i},linkedin,2026-07-{:02},10000,{}\n",
            10 + i,
            800 + i * 10
        ));
    }
    csv.push_str("bad,x,2026-07-32,1,1\nworse,tiktok,2026-07-01,1,1\n");
    for i in 0..12 {
        csv.push_str(&format!(
            "x-more-{i},x,2026-07-{:02},10000,{}\n",
            i + 8,
            NOISE[i % 7] + 5
        ));
    }
    let path = dir.join("july export.csv");
    std::fs::write(&path, csv).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_run_then_read_imports_insights_and_tasks() {
    let h = IngestHarness::new("cli-e2e").await;
    let dir = tempfile::tempdir().unwrap();
    let file = export(dir.path());
    let uploaded = ok(creatoros(&h, dir.path())
        .args(["import", "--workspace", "DEMO#judge", "--quiet"])
        .arg(&file)
        .output()
        .unwrap());
    assert!(
        uploaded.contains("imports/DEMO#judge/july export.csv"),
        "{uploaded}"
    );
    ok(creatoros(&h, dir.path())
        .args(["run", "--until-idle", "--quiet-secs", "2"])
        .output()
        .unwrap());

    let imports = json(
        creatoros(&h, dir.path())
            .args(["imports", "--workspace", "DEMO#judge", "--json"])
            .output()
            .unwrap(),
    );
    let import = &imports[0];
    assert_eq!(import["status"], "partial");
    assert_eq!(
        (
            import["rowsWritten"].as_u64(),
            import["rowsRejected"].as_u64()
        ),
        (Some(23), Some(2))
    );
    let errors: Vec<String> = import["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| format!("{} {}", e["line"], e["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(
        errors[0],
        "13 \"2026-07-32\" is not a date (expected e.g. 2026-07-14, Jul 14, 2026 or 07/14/2026)"
    );
    assert!(
        errors[1].starts_with("14 invalid platform \"tiktok\""),
        "{errors:?}"
    );

    let insights = json(
        creatoros(&h, dir.path())
            .args([
                "insights",
                "--workspace",
                "DEMO#judge",
                "--month",
                "2026-07",
                "--json",
            ])
            .output()
            .unwrap(),
    );
    let kinds: Vec<&str> = insights
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"outlier_post"), "{kinds:?}");

    let tasks = json(
        creatoros(&h, dir.path())
            .args([
                "tasks",
                "--workspace",
                "DEMO#judge",
                "--status",
                "open",
                "--json",
            ])
            .output()
            .unwrap(),
    );
    let ids: Vec<&str> = tasks
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["taskId"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"outlier_post_repurpose-x-star-2026-07"),
        "{ids:?}"
    );

    // The tables for people.
    let table = ok(creatoros(&h, dir.path())
        .args([
            "insights",
            "--workspace",
            "DEMO#judge",
            "--month",
            "2026-07",
        ])
        .output()
        .unwrap());
    assert!(
        table.contains("daily engagement rate") && table.contains("your typical X post"),
        "{table}"
    );
    let table = ok(creatoros(&h, dir.path())
        .args(["imports", "--workspace", "DEMO#judge"])
        .output()
        .unwrap());
    assert!(table.contains("line 13, date"), "{table}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replays_leave_the_table_as_one_clean_run_left_it() {
    let h = IngestHarness::new("cli-replay").await;
    let dir = tempfile::tempdir().unwrap();
    let file = export(dir.path());
    ok(creatoros(&h, dir.path())
        .args(["import", "--workspace", "ws1", "--quiet"])
        .arg(&file)
        .output()
        .unwrap());
    ok(creatoros(&h, dir.path())
        .args(["run", "--until-idle", "--quiet-secs", "2"])
        .output()
        .unwrap());
    let clean = h.dump("ws1").await;
    assert!(
        clean.iter().any(|i| i["__edb_e__"] == "insight"),
        "the clean run derived insights"
    );
    let first_start = h.imports("ws1").await[0].started_at.clone();

    for _ in 0..2 {
        ok(creatoros(&h, dir.path())
            .args(["replay", "import", "imports/ws1/july export.csv"])
            .output()
            .unwrap());
        ok(creatoros(&h, dir.path())
            .args([
                "replay",
                "month",
                "--workspace",
                "ws1",
                "--month",
                "2026-07",
            ])
            .output()
            .unwrap());
    }
    ok(creatoros(&h, dir.path())
        .args(["run", "--until-idle", "--quiet-secs", "2"])
        .output()
        .unwrap());
    let replayed = h.dump("ws1").await;
    assert_eq!(replayed.len(), clean.len());
    for (a, b) in replayed.iter().zip(&clean) {
        assert_eq!(a, b, "byte for byte, timestamps aside");
    }
    let imports = h.imports("ws1").await;
    assert_eq!(imports.len(), 1);
    assert!(
        imports[0].started_at > first_start,
        "the replays did run the import again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_letter_queue_fills_while_broken_and_drains_into_an_ingest_once_fixed() {
    let h = IngestHarness::new("cli-dlq").await;
    let dir = tempfile::tempdir().unwrap();
    // A misconfigured deploy: the worker pointed at a table of another shape (its key is `id`).
    let wrong = creatoros_tests::unique("wrong-table");
    h.stack
        .dynamodb()
        .create_table()
        .table_name(&wrong)
        .billing_mode(aws_sdk_dynamodb::types::BillingMode::PayPerRequest)
        .key_schema(
            aws_sdk_dynamodb::types::KeySchemaElement::builder()
                .attribute_name("id")
                .key_type(aws_sdk_dynamodb::types::KeyType::Hash)
                .build()
                .unwrap(),
        )
        .attribute_definitions(
            aws_sdk_dynamodb::types::AttributeDefinition::builder()
                .attribute_name("id")
                .attribute_type(aws_sdk_dynamodb::types::ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .stream_specification(
            aws_sdk_dynamodb::types::StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(aws_sdk_dynamodb::types::StreamViewType::NewAndOldImages)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let file = export(dir.path());
    ok(creatoros(&h, dir.path())
        .args(["import", "--workspace", "ws1", "--quiet"])
        .arg(&file)
        .output()
        .unwrap());
    let broken = creatoros(&h, dir.path())
        .env("CREATOROS_TABLE", &wrong)
        .args(["run", "--until-idle", "--quiet-secs", "2"])
        .output()
        .unwrap();
    ok(broken);
    assert!(
        h.imports("ws1").await.is_empty(),
        "nothing ingested while broken"
    );
    let dlq = &h.made.queue_urls["IngestDeadLetterQueue"];
    let waiting = h
        .stack
        .sqs()
        .get_queue_attributes()
        .queue_url(dlq)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
        .send()
        .await
        .unwrap();
    assert_eq!(
        waiting.attributes().unwrap()
            [&aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages],
        "1",
        "after five receives"
    );

    // Fixed: the right table. The redrive puts the notification back, and the worker ingests it.
    let moved = ok(creatoros(&h, dir.path())
        .args(["replay", "dlq", "ingest"])
        .output()
        .unwrap());
    assert!(moved.starts_with("moved 1 message(s) back to"), "{moved}");
    ok(creatoros(&h, dir.path())
        .args(["run", "--until-idle", "--quiet-secs", "2"])
        .output()
        .unwrap());
    let imports = h.imports("ws1").await;
    assert_eq!(imports.len(), 1);
    assert_eq!(imports[0].rows_written, 23);
    let again = ok(creatoros(&h, dir.path())
        .args(["replay", "dlq", "ingest"])
        .output()
        .unwrap());
    assert!(
        again.starts_with("moved 0 message(s)"),
        "the DLQ is empty: {again}"
    );
}

#[test]
fn errors_are_one_line_with_the_cause_and_a_non_zero_exit() {
    let out = Command::cargo_bin("creatoros")
        .unwrap()
        .env_remove("CREATOROS_TABLE")
        .args(["imports", "--workspace", "ws1"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "creatoros: environment variable CREATOROS_TABLE is not set\n"
    );
    let out = Command::cargo_bin("creatoros")
        .unwrap()
        .env("CREATOROS_TABLE", "t")
        .args(["tasks", "--workspace", "a#b"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "creatoros: invalid workspaceId \"a#b\": must be 1-64 characters of A-Z a-z 0-9 _ - (or DEMO#<slug>)\n"
    );
    let help = Command::cargo_bin("creatoros")
        .unwrap()
        .args(["replay", "dlq", "--help"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&help.stdout).contains("Example: `creatoros replay dlq ingest`")
    );
}

/// A table written by the first version: an X export's rows dated by publish day, without `measure`, with the
/// import record of the time (no `container`). `migrate snapshots` re-dates them in two runs, and the
/// workspace ends holding what a fresh ingest of the same object holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_snapshots_replaces_publish_dated_items_with_what_a_fresh_ingest_writes() {
    use creatoros_model::entities::{Import, Metric};
    let h = IngestHarness::new("cli-migrate").await;
    let dir = tempfile::tempdir().unwrap();
    let name = "tweet_activity_metrics_rOpenSci_20211101_20211201_en.csv";
    let bytes = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/exports")
            .join(name),
    )
    .unwrap();
    // The fresh ingest to compare with.
    h.upload(&format!("imports/fresh/{name}"), bytes.clone())
        .await;
    h.run().await;
    let fresh = h.metrics("fresh").await;
    assert!(fresh.len() > 20);

    // What the first version left for the same object in workspace `old`.
    let key = format!("imports/old/{name}");
    h.upload(&key, bytes).await;
    // The notification of this upload would ingest it by itself: the migration is what must do it here.
    h.purge_ingest_queue().await;
    // Import ids come from the object's identity, in both versions.
    let head = h
        .stack
        .s3()
        .head_object()
        .bucket(&h.made.bucket)
        .key(&key)
        .send()
        .await
        .unwrap();
    let import_id = creatoros_model::imports::import_id::import_id(
        &h.made.bucket,
        &key,
        head.version_id(),
        head.e_tag(),
    );
    h.ctx.repo.put(&serde_json::from_value::<Import>(serde_json::json!({
        "workspaceId": "old", "importId": import_id, "month": "2021-12", "status": "completed",
        "bucket": h.made.bucket, "key": key, "sourceTime": "2021-12-02T00:00:00.000Z", "format": "x-tweet-activity",
        "rowsSeen": fresh.len(), "rowsWritten": fresh.len(), "version": 3, "invocations": 1
    })).unwrap()).await.unwrap();
    let v1: Vec<Metric> = fresh
        .iter()
        .map(|m| {
            let mut old = m.clone();
            old.workspace_id = "old".parse().unwrap();
            old.date = m.published_at.as_deref().unwrap()[..10].parse().unwrap();
            old.month = old.date.month();
            (old.measure, old.published_at, old.title) = (None, None, None);
            old.import_id = Some(import_id.to_string());
            old.source = Some("x-tweet-activity".into());
            old
        })
        .collect();
    h.ctx
        .repo
        .batch_put(&v1)
        .await
        .unwrap()
        .into_result()
        .unwrap();

    let migrate = |yes: bool| {
        let mut cmd = creatoros(&h, dir.path());
        cmd.args(["migrate", "snapshots", "--workspace", "old"]);
        if yes {
            cmd.arg("--yes");
        }
        ok(cmd.output().unwrap())
    };
    let dry = migrate(false);
    assert!(
        dry.contains(&format!(
            "{} publish-dated item(s) from 1 import(s)",
            v1.len()
        )),
        "{dry}"
    );
    assert!(dry.contains("(dry run"), "{dry}");
    assert_eq!(
        h.metrics("old").await.len(),
        v1.len(),
        "a dry run changes nothing"
    );

    let first = migrate(true);
    assert!(
        first.contains("queued 1 reingest(s), deleted 0 old item(s)"),
        "{first}"
    );
    h.run().await;
    let second = migrate(true);
    assert!(second.contains("deleted"), "{second}");
    let third = migrate(true);
    assert!(third.starts_with("0 publish-dated item(s)"), "{third}");

    let strip = |ms: Vec<Metric>| -> Vec<serde_json::Value> {
        ms.into_iter()
            .map(|m| {
                let mut v = serde_json::to_value(m).unwrap();
                for volatile in ["workspaceId", "capturedAt", "importId"] {
                    v.as_object_mut().unwrap().remove(volatile);
                }
                v
            })
            .collect()
    };
    assert_eq!(
        strip(h.metrics("old").await),
        strip(fresh),
        "the migrated workspace holds what a fresh ingest writes"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_shows_queues_and_imports_and_purge_empties_the_workspace() {
    let h = IngestHarness::new("cli-status").await;
    let dir = tempfile::tempdir().unwrap();
    let file = export(dir.path());
    ok(creatoros(&h, dir.path())
        .args(["import", "--workspace", "ws1", "--quiet"])
        .arg(&file)
        .output()
        .unwrap());
    let waiting = json(
        creatoros(&h, dir.path())
            .args(["status", "--workspace", "ws1", "--json"])
            .output()
            .unwrap(),
    );
    let queue = |status: &Value, name: &str| {
        status["queues"]
            .as_array()
            .unwrap()
            .iter()
            .find(|q| q["name"] == name)
            .cloned()
            .unwrap()
    };
    assert_eq!(
        queue(&waiting, "ingest")["visible"],
        1,
        "the upload's notification waits: {waiting}"
    );
    ok(creatoros(&h, dir.path())
        .args(["run", "--until-idle", "--quiet-secs", "2"])
        .output()
        .unwrap());
    let after = json(
        creatoros(&h, dir.path())
            .args(["status", "--workspace", "ws1", "--json"])
            .output()
            .unwrap(),
    );
    assert_eq!(queue(&after, "ingest")["visible"], 0);
    assert_eq!(queue(&after, "ingest-dlq")["visible"], 0);
    let imports = &after["imports"][0];
    assert_eq!(imports["workspace"], "ws1");
    assert_eq!(
        imports["completed"].as_u64().unwrap() + imports["partial"].as_u64().unwrap(),
        1
    );
    assert_eq!(imports["stuck"], serde_json::json!([]));
    let table = ok(creatoros(&h, dir.path())
        .args(["status", "--workspace", "ws1"])
        .output()
        .unwrap());
    assert!(
        table.contains("insights-dlq") && !table.contains("needs attention"),
        "{table}"
    );

    let dry = ok(creatoros(&h, dir.path())
        .args(["purge", "--workspace", "ws1"])
        .output()
        .unwrap());
    assert!(
        dry.contains("to delete") && dry.contains("(dry run"),
        "{dry}"
    );
    assert!(
        !h.imports("ws1").await.is_empty(),
        "a dry run deletes nothing"
    );
    let done = ok(creatoros(&h, dir.path())
        .args(["purge", "--workspace", "ws1", "--yes"])
        .output()
        .unwrap());
    assert!(done.contains("deleted"), "{done}");
    assert!(h.imports("ws1").await.is_empty());
    assert!(h.metrics("ws1").await.is_empty());
}
