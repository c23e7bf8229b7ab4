//! `infra/template.yaml` is valid (cfn-lint) and declares what the local bootstrap creates: the same table,
//! indexes, stream view, queues, redrive policies, upload notification and stream filter.

use std::collections::BTreeSet;
use std::path::PathBuf;

use creatoros_core::config;
use creatoros_core::triggers::STREAM_FILTER_PATTERNS;
use creatoros_infra::resources::{self, Resources};
use serde_yaml::Value;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn template() -> Value {
    let path = repo_root().join("infra/template.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_yaml::from_str(&text).expect("the template is plain YAML (long-form intrinsics only)")
}

fn resource<'a>(t: &'a Value, id: &str) -> &'a Value {
    let r = &t["Resources"][id];
    assert!(!r.is_null(), "template has no resource {id}");
    &r["Properties"]
}

fn get_att(v: &Value) -> (String, String) {
    let att = &v["Fn::GetAtt"];
    (
        att[0].as_str().unwrap_or_default().to_owned(),
        att[1].as_str().unwrap_or_default().to_owned(),
    )
}

fn s(v: &Value) -> &str {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string, got {v:?}"))
}

#[test]
fn cfn_lint_is_clean() {
    let lint = std::env::var("CREATOROS_CFN_LINT")
        .map(PathBuf::from)
        .unwrap_or_else(|_| repo_root().join(".local/venv/bin/cfn-lint"));
    assert!(
        lint.exists(),
        "{} missing: run `infra/scripts/stack.sh install`",
        lint.display()
    );
    let out = std::process::Command::new(&lint)
        .arg(repo_root().join("infra/template.yaml"))
        .output()
        .expect("run cfn-lint");
    assert!(
        out.status.success(),
        "cfn-lint found problems:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn table_matches_the_bootstrap_definition() {
    let t = template();
    let want = Resources::named("any").table;
    let table = resource(&t, resources::TABLE_ID);
    assert_eq!(s(&table["BillingMode"]), want.billing_mode);
    assert_eq!(
        s(&table["StreamSpecification"]["StreamViewType"]),
        want.stream_view
    );
    let key = |schema: &Value| -> Vec<(String, String)> {
        schema
            .as_sequence()
            .unwrap()
            .iter()
            .map(|k| {
                (
                    s(&k["AttributeName"]).to_owned(),
                    s(&k["KeyType"]).to_owned(),
                )
            })
            .collect()
    };
    let hash_range = |h: &str, r: &str| {
        vec![
            (h.to_owned(), "HASH".to_owned()),
            (r.to_owned(), "RANGE".to_owned()),
        ]
    };
    assert_eq!(
        key(&table["KeySchema"]),
        hash_range(want.hash_key, want.range_key)
    );

    let gsis = table["GlobalSecondaryIndexes"].as_sequence().unwrap();
    assert_eq!(gsis.len(), want.indexes.len());
    for (gsi, ix) in gsis.iter().zip(&want.indexes) {
        assert_eq!(s(&gsi["IndexName"]), ix.name);
        assert_eq!(
            key(&gsi["KeySchema"]),
            hash_range(ix.hash_key, ix.range_key)
        );
        assert_eq!(s(&gsi["Projection"]["ProjectionType"]), "ALL");
    }
    let defined: BTreeSet<(String, String)> = table["AttributeDefinitions"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|a| {
            (
                s(&a["AttributeName"]).to_owned(),
                s(&a["AttributeType"]).to_owned(),
            )
        })
        .collect();
    let mut expected: BTreeSet<(String, String)> = BTreeSet::new();
    for name in [want.hash_key, want.range_key]
        .into_iter()
        .chain(want.indexes.iter().flat_map(|i| [i.hash_key, i.range_key]))
    {
        expected.insert((name.to_owned(), "S".to_owned()));
    }
    assert_eq!(defined, expected);
}

#[test]
fn queues_match_the_bootstrap_definition() {
    let t = template();
    for q in Resources::named("any").queues {
        let props = resource(&t, q.logical_id);
        assert_eq!(
            props["VisibilityTimeout"].as_u64(),
            Some(u64::from(q.visibility_timeout_secs)),
            "{} visibility",
            q.logical_id
        );
        // CloudFormation's default retention is four days.
        let retention = props["MessageRetentionPeriod"].as_u64().unwrap_or(345_600);
        assert_eq!(
            retention,
            u64::from(q.retention_secs),
            "{} retention",
            q.logical_id
        );
        match q.dead_letter {
            Some((dlq, max_receive)) => {
                let policy = &props["RedrivePolicy"];
                assert_eq!(
                    get_att(&policy["deadLetterTargetArn"]),
                    (dlq.to_owned(), "Arn".to_owned())
                );
                assert_eq!(
                    policy["maxReceiveCount"].as_u64(),
                    Some(u64::from(max_receive))
                );
            }
            None => assert!(
                props["RedrivePolicy"].is_null(),
                "{} has no DLQ",
                q.logical_id
            ),
        }
    }
}

#[test]
fn upload_notification_matches_the_bootstrap_definition() {
    let t = template();
    let want = Resources::named("any").bucket.notification;
    let bucket = resource(&t, resources::BUCKET_ID);
    let configs = bucket["NotificationConfiguration"]["QueueConfigurations"]
        .as_sequence()
        .expect("queue notifications");
    assert_eq!(configs.len(), 1);
    let c = &configs[0];
    assert_eq!(vec![s(&c["Event"])], want.events);
    assert_eq!(
        get_att(&c["Queue"]),
        (want.queue.to_owned(), "Arn".to_owned())
    );
    let rules = c["Filter"]["S3Key"]["Rules"].as_sequence().unwrap();
    assert_eq!(rules.len(), 1);
    assert_eq!(s(&rules[0]["Name"]).to_lowercase(), "prefix");
    assert_eq!(s(&rules[0]["Value"]), want.prefix);
}

/// A property of a function, falling back to the template's `Globals.Function`.
fn function_property<'a>(t: &'a Value, id: &str, name: &str) -> &'a Value {
    let own = &resource(t, id)[name];
    if own.is_null() {
        &t["Globals"]["Function"][name]
    } else {
        own
    }
}

#[test]
fn functions_fit_their_queues_and_read_the_shared_configuration() {
    let t = template();
    for (function, timeout, queue) in [
        (
            "IngestFunction",
            resources::INGEST_FUNCTION_TIMEOUT_SECS,
            resources::INGEST_QUEUE_ID,
        ),
        (
            "InsightsFunction",
            resources::INSIGHTS_FUNCTION_TIMEOUT_SECS,
            resources::INSIGHTS_QUEUE_ID,
        ),
    ] {
        assert_eq!(
            function_property(&t, function, "Timeout").as_u64(),
            Some(u64::from(timeout)),
            "{function}"
        );
        assert_eq!(
            s(function_property(&t, function, "Runtime")),
            "provided.al2023"
        );
        let arch = function_property(&t, function, "Architectures");
        assert_eq!(
            arch.as_sequence().map(|a| s(&a[0])),
            Some("arm64"),
            "{function}"
        );
        let env = function_property(&t, function, "Environment");
        for var in [
            config::ENV_TABLE,
            config::ENV_BUCKET,
            config::ENV_INGEST_QUEUE_URL,
            config::ENV_INGEST_DLQ_URL,
            config::ENV_INSIGHTS_QUEUE_URL,
            config::ENV_INSIGHTS_DLQ_URL,
            config::ENV_KEY_CASING,
        ] {
            assert!(!env["Variables"][var].is_null(), "{function} lacks {var}");
        }
        let events = resource(&t, function)["Events"].as_mapping().unwrap();
        let sqs: Vec<&Value> = events.values().filter(|e| s(&e["Type"]) == "SQS").collect();
        assert_eq!(sqs.len(), 1, "{function} has one SQS source");
        assert_eq!(
            get_att(&sqs[0]["Properties"]["Queue"]),
            (queue.to_owned(), "Arn".to_owned())
        );
        let types = &sqs[0]["Properties"]["FunctionResponseTypes"];
        assert_eq!(
            types.as_sequence().map(|a| s(&a[0])),
            Some("ReportBatchItemFailures")
        );
    }
}

#[test]
fn stream_mapping_uses_the_shared_filter_and_reports_partial_failures() {
    let t = template();
    let events = resource(&t, "InsightsFunction")["Events"]
        .as_mapping()
        .unwrap();
    let streams: Vec<&Value> = events
        .values()
        .filter(|e| s(&e["Type"]) == "DynamoDB")
        .collect();
    assert_eq!(streams.len(), 1);
    let p = &streams[0]["Properties"];
    assert_eq!(
        get_att(&p["Stream"]),
        (resources::TABLE_ID.to_owned(), "StreamArn".to_owned())
    );
    assert_eq!(p["BisectBatchOnFunctionError"].as_bool(), Some(true));
    let retries = p["MaximumRetryAttempts"].as_u64().expect("bounded retries");
    assert!((1..=10).contains(&retries), "{retries}");
    assert_eq!(
        p["FunctionResponseTypes"][0].as_str(),
        Some("ReportBatchItemFailures")
    );
    assert_eq!(
        get_att(&p["DestinationConfig"]["OnFailure"]["Destination"]),
        (resources::INSIGHTS_DLQ_ID.to_owned(), "Arn".to_owned())
    );
    let patterns: Vec<serde_json::Value> = p["FilterCriteria"]["Filters"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|f| serde_json::from_str(s(&f["Pattern"])).unwrap())
        .collect();
    let shared: Vec<serde_json::Value> = STREAM_FILTER_PATTERNS
        .iter()
        .map(|p| serde_json::from_str(p).unwrap())
        .collect();
    assert_eq!(patterns, shared);
}
