//! `infra/template.yaml` declares what the local bootstrap creates: the same table, indexes, stream view, time to
//! live, queues, redrive policies, upload notification, bucket lifecycle rules and stream filter. Its parameters
//! have reasoned defaults and reach the places they tune; the functions get the environment and log format the
//! workers need. (`template_security.rs` holds its security checks, `template_observability.rs` its logs, alarms
//! and dashboard.)
//!
//! Over 600 lines: one test per resource the bootstrap also creates, and the parameter wiring table.

#[path = "support/template.rs"]
mod support;

use std::collections::BTreeSet;

use creatoros_model::contract::schema::TTL_ATTRIBUTE;
use creatoros_model::stream_filter::STREAM_FILTER_PATTERNS;
use creatoros_runtime::config;
use creatoros_stack::resources::{self, Resources, Retention};
use serde_norway::Value;

use support::*;

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
                let deployed = Deployed::with_defaults(&t)
                    .value(&policy["maxReceiveCount"])
                    .expect("a receive count");
                assert_eq!(
                    number(&deployed),
                    u64::from(max_receive),
                    "{}",
                    q.logical_id
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
        let env = function_environment(&t, function);
        for var in [
            config::ENV_TABLE,
            config::ENV_BUCKET,
            config::ENV_INGEST_QUEUE_URL,
            config::ENV_INGEST_DLQ_URL,
            config::ENV_INSIGHTS_QUEUE_URL,
            config::ENV_INSIGHTS_DLQ_URL,
            config::ENV_KEY_CASING,
        ] {
            assert!(env.contains_key(var), "{function} lacks {var}");
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

// ---------------------------------------------------------------------------------------------------------------
// Security.

#[test]
fn the_daily_schedule_sends_the_scheduled_command_to_the_insights_queue() {
    let t = template();
    let schedule = &t["Resources"]["DailySchedule"];
    assert_eq!(schedule["Type"].as_str(), Some("AWS::Scheduler::Schedule"));
    let p = &schedule["Properties"];
    assert_eq!(p["ScheduleExpression"].as_str(), Some("cron(15 0 * * ? *)"));
    assert_eq!(p["ScheduleExpressionTimezone"].as_str(), Some("UTC"));
    assert_eq!(
        get_att(&p["Target"]["Arn"]),
        ("InsightsQueue".to_owned(), "Arn".to_owned())
    );
    assert_eq!(
        get_att(&p["Target"]["RoleArn"]),
        ("DailyScheduleRole".to_owned(), "Arn".to_owned())
    );
    assert_eq!(
        get_att(&p["Target"]["DeadLetterConfig"]["Arn"]),
        ("InsightsDeadLetterQueue".to_owned(), "Arn".to_owned())
    );
    // The input is the command the worker reads (and the local runner sends), naming the day by the schedule's own
    // time (a context attribute EventBridge Scheduler fills in).
    let input: serde_json::Value =
        serde_json::from_str(p["Target"]["Input"].as_str().unwrap()).unwrap();
    let ours: serde_json::Value = serde_json::from_str(
        &creatoros_insights_worker::handler::scheduled_body(Some("<aws.scheduler.scheduled-time>")),
    )
    .unwrap();
    assert_eq!(input, ours);
}

/// Every tuning parameter, its default and the places that read it (paths from the template's root; a
/// sequence index is written as its number).
const WIRED_PARAMETERS: &[(&str, u64, &[&str])] = &[
    (
        "StreamBatchSize",
        100,
        &["Resources/InsightsFunction/Properties/Events/TableChanges/Properties/BatchSize"],
    ),
    (
        "StreamParallelizationFactor",
        4,
        &["Resources/InsightsFunction/Properties/Events/TableChanges/Properties/ParallelizationFactor"],
    ),
    (
        "InsightsQueueBatchSize",
        10,
        &["Resources/InsightsFunction/Properties/Events/Rederive/Properties/BatchSize"],
    ),
    (
        "InsightsQueueMaximumConcurrency",
        5,
        &["Resources/InsightsFunction/Properties/Events/Rederive/Properties/ScalingConfig/MaximumConcurrency"],
    ),
    (
        "IngestQueueBatchSize",
        10,
        &["Resources/IngestFunction/Properties/Events/Uploads/Properties/BatchSize"],
    ),
    (
        "IngestQueueMaximumConcurrency",
        10,
        &["Resources/IngestFunction/Properties/Events/Uploads/Properties/ScalingConfig/MaximumConcurrency"],
    ),
    (
        "IngestMaxReceiveCount",
        resources::MAX_RECEIVE_COUNT as u64,
        &[
            "Resources/IngestQueue/Properties/RedrivePolicy/maxReceiveCount",
            "Resources/IngestFunction/Properties/Environment/Variables/CREATOROS_MAX_RECEIVES",
        ],
    ),
    (
        "InsightsMaxReceiveCount",
        resources::MAX_RECEIVE_COUNT as u64,
        &[
            "Resources/InsightsQueue/Properties/RedrivePolicy/maxReceiveCount",
            "Resources/InsightsFunction/Properties/Environment/Variables/CREATOROS_MAX_RECEIVES",
        ],
    ),
    (
        "RejectsRetentionInDays",
        resources::REJECTS_RETENTION_DAYS as u64,
        &["Resources/ImportsBucket/Properties/LifecycleConfiguration/Rules/2/ExpirationInDays"],
    ),
    (
        "ImportsRetentionInDays",
        resources::IMPORTS_RETENTION_DAYS as u64,
        &[
            "Conditions/ExpiresImports/Fn::Not/0/Fn::Equals/0",
            "Resources/ImportsBucket/Properties/LifecycleConfiguration/Rules/3/Fn::If/1/ExpirationInDays",
        ],
    ),
    (
        "StreamIteratorAgeAlarmMilliseconds",
        15 * 60 * 1000,
        &["Resources/InsightsStreamIteratorAgeAlarm/Properties/Threshold"],
    ),
    (
        "QueueOldestMessageAlarmSeconds",
        3600,
        &[
            "Resources/IngestQueueOldestMessageAlarm/Properties/Threshold",
            "Resources/InsightsQueueOldestMessageAlarm/Properties/Threshold",
        ],
    ),
];

/// Every `Ref` in `v` as (path, name), paths as in [`WIRED_PARAMETERS`].
fn refs(v: &Value, path: &str, found: &mut Vec<(String, String)>) {
    let join = |key: &str| {
        if path.is_empty() {
            key.to_owned()
        } else {
            format!("{path}/{key}")
        }
    };
    match v {
        Value::Mapping(m) => {
            if let Some(name) = v["Ref"].as_str() {
                found.push((path.to_owned(), name.to_owned()));
            }
            for (k, item) in m {
                refs(item, &join(&scalar(k)), found);
            }
        }
        Value::Sequence(items) => {
            for (i, item) in items.iter().enumerate() {
                refs(item, &join(&i.to_string()), found);
            }
        }
        _ => {}
    }
}

#[test]
fn tuning_parameters_have_reasoned_defaults_and_reach_what_they_tune() {
    let t = template();
    let mut all = Vec::new();
    refs(&t, "", &mut all);
    for (name, default, places) in WIRED_PARAMETERS {
        let p = &t["Parameters"][*name];
        assert_eq!(p["Type"].as_str(), Some("Number"), "{name}");
        assert_eq!(number(&p["Default"]), *default, "{name} default");
        if !p["MinValue"].is_null() {
            assert!(number(&p["MinValue"]) <= *default, "{name} MinValue");
        }
        if !p["MaxValue"].is_null() {
            assert!(*default <= number(&p["MaxValue"]), "{name} MaxValue");
        }
        // The description gives the default and the reason for it.
        let description = s(&p["Description"]);
        assert!(
            description.contains(&default.to_string())
                && description.split_whitespace().count() >= 15,
            "{name}: say the default and why: {description:?}"
        );
        let used: BTreeSet<&str> = all
            .iter()
            .filter(|(_, n)| n == name)
            .map(|(path, _)| path.as_str())
            .collect();
        assert_eq!(used, places.iter().copied().collect(), "{name} is read at");
    }
    // Every parameter is one of these or an older one, and every one is read somewhere.
    for (name, _) in t["Parameters"].as_mapping().unwrap() {
        let name = s(name);
        assert!(
            all.iter().any(|(_, n)| n == name),
            "parameter {name} is never used"
        );
    }
}

#[test]
fn the_table_expires_items_by_the_contracts_ttl_attribute() {
    let t = template();
    let want = Resources::named("any").table;
    assert_eq!(want.ttl_attribute, TTL_ATTRIBUTE);
    let ttl = &resource(&t, resources::TABLE_ID)["TimeToLiveSpecification"];
    assert_eq!(ttl["AttributeName"].as_str(), Some(TTL_ATTRIBUTE));
    assert_eq!(ttl["Enabled"].as_bool(), Some(true));
}

/// One deployed lifecycle rule as (id, prefix, expiration, noncurrent, abort-upload days); only properties the
/// definition has are allowed, so the comparison is complete.
type Rule = (
    String,
    Option<String>,
    Option<u64>,
    Option<u64>,
    Option<u64>,
);

fn template_lifecycle(d: &Deployed) -> Vec<Rule> {
    let props = d.properties(resources::BUCKET_ID);
    let mut rules: Vec<Rule> = props["LifecycleConfiguration"]["Rules"]
        .as_sequence()
        .expect("lifecycle rules")
        .iter()
        .map(|r| {
            let keys: BTreeSet<String> = r.as_mapping().unwrap().keys().map(scalar).collect();
            let known: BTreeSet<String> = [
                "Id",
                "Status",
                "Prefix",
                "ExpirationInDays",
                "NoncurrentVersionExpiration",
                "AbortIncompleteMultipartUpload",
            ]
            .map(str::to_owned)
            .into();
            assert!(
                keys.is_subset(&known),
                "a rule the bootstrap cannot make: {}",
                compact(r)
            );
            assert_eq!(r["Status"].as_str(), Some("Enabled"), "{}", compact(r));
            let days = |v: &Value| (!v.is_null()).then(|| number(v));
            (
                s(&r["Id"]).to_owned(),
                r["Prefix"].as_str().map(str::to_owned),
                days(&r["ExpirationInDays"]),
                days(&r["NoncurrentVersionExpiration"]["NoncurrentDays"]),
                days(&r["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"]),
            )
        })
        .collect();
    rules.sort();
    rules
}

fn bootstrap_lifecycle(retention: Retention) -> Vec<Rule> {
    let mut rules: Vec<Rule> = retention
        .lifecycle_rules()
        .into_iter()
        .map(|r| {
            (
                r.id.to_owned(),
                r.prefix.map(str::to_owned),
                r.expiration_days.map(u64::from),
                r.noncurrent_days.map(u64::from),
                r.abort_incomplete_upload_days.map(u64::from),
            )
        })
        .collect();
    rules.sort();
    rules
}

#[test]
fn bucket_lifecycle_matches_the_bootstrap_definition() {
    let t = template();
    // The defaults: the bootstrap's own rules (rejects expire after 30 days, uploads are kept).
    assert_eq!(
        Resources::named("any").bucket.lifecycle,
        Retention::default().lifecycle_rules()
    );
    let defaults = template_lifecycle(&Deployed::with_defaults(&t));
    assert_eq!(defaults, bootstrap_lifecycle(Retention::default()));
    assert!(
        !defaults
            .iter()
            .any(|r| r.1.as_deref() == Some(resources::IMPORTS_PREFIX)),
        "uploads are kept by default: {defaults:?}"
    );
    // Another retention, uploads expiring too.
    let d = Deployed::with(
        &t,
        &[
            ("RejectsRetentionInDays", "7"),
            ("ImportsRetentionInDays", "400"),
        ],
    );
    assert!(d.condition("ExpiresImports"));
    assert_eq!(
        template_lifecycle(&d),
        bootstrap_lifecycle(Retention {
            rejects_days: 7,
            imports_days: 400,
        })
    );
}

#[test]
fn retained_buckets_are_deleted_by_a_failed_first_deploys_rollback() {
    let t = template();
    let retained: Vec<&str> = t["Resources"]
        .as_mapping()
        .unwrap()
        .iter()
        .filter(|(_, r)| {
            r["DeletionPolicy"]
                .as_str()
                .is_some_and(|p| p.starts_with("Retain"))
        })
        .map(|(id, _)| s(id))
        .collect();
    for id in [
        resources::TABLE_ID,
        resources::BUCKET_ID,
        "ImportsAccessLogBucket",
    ] {
        assert!(
            retained.contains(&id),
            "{id} is retained with the stack's data"
        );
    }
    for id in retained {
        let r = &t["Resources"][id];
        // Retain would leave a failed first deploy's bucket behind, and the imports bucket's fixed name would make
        // the retried deploy fail. The table keeps Retain: its name is generated, and deleting it on that rollback
        // would fail on its deletion protection.
        let expected = if id == resources::TABLE_ID {
            "Retain"
        } else {
            "RetainExceptOnCreate"
        };
        assert_eq!(r["DeletionPolicy"].as_str(), Some(expected), "{id}");
        if id == resources::TABLE_ID {
            assert!(
                r["Properties"]["TableName"].is_null(),
                "a generated name, so a retained table never blocks a retry"
            );
        }
        // RetainExceptOnCreate is not a value UpdateReplacePolicy takes; a replacement keeps the old resource.
        assert_eq!(r["UpdateReplacePolicy"].as_str(), Some("Retain"), "{id}");
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The functions' environment, logs and the permissions the workers' retries and recovery need.

#[test]
fn each_function_gets_the_environment_its_worker_reads() {
    let t = template();
    let globals = &t["Globals"]["Function"]["Environment"]["Variables"];
    // Read by both workers: the namespace of their metrics, which the alarms and the dashboard read too.
    assert_eq!(
        globals[creatoros_runtime::metrics::ENV_METRICS_NAMESPACE],
        yaml("Fn::Sub: CreatorOS/${AWS::StackName}")
    );
    // Each worker's own settings, on its function only.
    let own = |id: &str| resource(&t, id)["Environment"]["Variables"].clone();
    let ingest = own("IngestFunction");
    let insights = own("InsightsFunction");
    // The template's values are the workers' own defaults (what a local run uses).
    let ingest_defaults = creatoros_ingest::context::Settings::defaults(String::new());
    let insights_defaults = creatoros_insights_worker::Settings::defaults(String::new());
    for (name, value) in [
        (
            config::ENV_INGEST_CONCURRENCY,
            ingest_defaults.concurrency.to_string(),
        ),
        (
            config::ENV_RETRY_BASE_SECONDS,
            ingest_defaults.retry_base.as_secs().to_string(),
        ),
        (
            config::ENV_RETRY_MAX_SECONDS,
            ingest_defaults.retry_max.as_secs().to_string(),
        ),
    ] {
        assert_eq!(
            ingest[name].as_str(),
            Some(value.as_str()),
            "IngestFunction {name}"
        );
        assert!(
            insights[name].is_null() && globals[name].is_null(),
            "{name} is ingest's (the insights worker keeps its defaults)"
        );
    }
    assert_eq!(
        insights[config::ENV_DERIVE_CONCURRENCY].as_str(),
        Some(insights_defaults.derive_concurrency.to_string().as_str())
    );
    assert!(ingest[config::ENV_DERIVE_CONCURRENCY].is_null());
    // The receive count the worker compares with is the queue's own.
    for (function, env, queue) in [
        ("IngestFunction", &ingest, resources::INGEST_QUEUE_ID),
        ("InsightsFunction", &insights, resources::INSIGHTS_QUEUE_ID),
    ] {
        assert_eq!(
            env["CREATOROS_MAX_RECEIVES"],
            resource(&t, queue)["RedrivePolicy"]["maxReceiveCount"],
            "{function}"
        );
        assert!(
            env["CREATOROS_MAX_RECEIVES"]["Ref"].is_string(),
            "{function}"
        );
    }
    // Lambda passes environment values as strings: a literal must be written as one.
    for id in ["IngestFunction", "InsightsFunction"] {
        for (name, value) in function_environment(&t, id) {
            assert!(
                !value.is_number() && !value.is_bool(),
                "{id} {name}: quote it"
            );
        }
    }
}
