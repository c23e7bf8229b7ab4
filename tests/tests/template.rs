//! `infra/template.yaml` is valid (cfn-lint) and declares what the local bootstrap creates: the same table,
//! indexes, stream view, time to live, queues, redrive policies, upload notification, bucket lifecycle rules and
//! stream filter. Its parameters have reasoned defaults and reach the places they tune; the functions get the
//! environment, log format and permissions the workers need; the alarms watch the right metrics and the
//! dashboard shows every metric the workers emit. It is also secure as written: checkov finds nothing (every
//! suppression carries its reason), every IAM statement names its actions and resources, buckets and queues are
//! encrypted, buckets block public access, every bucket and queue policy refuses plain HTTP, and every
//! dead-letter queue has an alarm on its depth.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use creatoros_model::contract::schema::TTL_ATTRIBUTE;
use creatoros_model::stream_filter::STREAM_FILTER_PATTERNS;
use creatoros_runtime::config;
use creatoros_stack::resources::{self, Resources, Retention};
use serde_norway::{Mapping, Value};

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn template() -> Value {
    let path = repo_root().join("infra/template.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_norway::from_str(&text).expect("the template is plain YAML (long-form intrinsics only)")
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

/// A parsed YAML snippet (for expected intrinsics such as `{Ref: Table}`).
fn yaml(text: &str) -> Value {
    serde_norway::from_str(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// A scalar as CloudFormation passes it on: every parameter value is a string.
fn scalar(v: &Value) -> String {
    match v {
        Value::String(text) => text.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => panic!("expected a scalar, got {other:?}"),
    }
}

/// A whole number written as a number or a numeric string.
fn number(v: &Value) -> u64 {
    scalar(v)
        .parse()
        .unwrap_or_else(|_| panic!("expected a whole number, got {v:?}"))
}

/// The template as CloudFormation would see it with these parameter values (the rest at their defaults):
/// parameter `Ref`s become their values, `Fn::If` takes its branch, and `Ref: AWS::NoValue` disappears (`None`
/// for the whole value). Resource references and other intrinsics are left as written.
struct Deployed<'a> {
    t: &'a Value,
    parameters: BTreeMap<String, String>,
}

impl<'a> Deployed<'a> {
    fn with_defaults(t: &'a Value) -> Self {
        Self::with(t, &[])
    }

    fn with(t: &'a Value, overrides: &[(&str, &str)]) -> Self {
        let mut parameters: BTreeMap<String, String> = t["Parameters"]
            .as_mapping()
            .expect("Parameters")
            .iter()
            .map(|(name, p)| (s(name).to_owned(), scalar(&p["Default"])))
            .collect();
        for (name, value) in overrides {
            assert!(parameters.contains_key(*name), "no parameter {name}");
            parameters.insert((*name).to_owned(), (*value).to_owned());
        }
        Deployed { t, parameters }
    }

    fn condition(&self, name: &str) -> bool {
        let c = &self.t["Conditions"][name];
        assert!(!c.is_null(), "no condition {name}");
        self.truth(c)
    }

    fn truth(&self, c: &Value) -> bool {
        let args = |key: &str| c[key].as_sequence().map(Vec::as_slice);
        if let Some([inner]) = args("Fn::Not") {
            !self.truth(inner)
        } else if let Some([a, b]) = args("Fn::Equals") {
            let value = |v| scalar(&self.value(v).expect("a value to compare"));
            value(a) == value(b)
        } else if let Some(all) = args("Fn::And") {
            all.iter().all(|c| self.truth(c))
        } else if let Some(any) = args("Fn::Or") {
            any.iter().any(|c| self.truth(c))
        } else if let Some(name) = c["Condition"].as_str() {
            self.condition(name)
        } else {
            panic!("not a condition: {}", compact(c))
        }
    }

    fn value(&self, v: &Value) -> Option<Value> {
        match v {
            Value::Mapping(m) if m.len() == 1 && v["Ref"].is_string() => {
                let name = s(&v["Ref"]);
                if name == "AWS::NoValue" {
                    None
                } else if let Some(value) = self.parameters.get(name) {
                    Some(Value::String(value.clone()))
                } else {
                    Some(v.clone())
                }
            }
            Value::Mapping(m) if m.len() == 1 && v["Fn::If"].is_sequence() => {
                match v["Fn::If"].as_sequence().map(Vec::as_slice) {
                    Some([condition, yes, no]) => self.value(if self.condition(s(condition)) {
                        yes
                    } else {
                        no
                    }),
                    _ => panic!("malformed Fn::If: {}", compact(v)),
                }
            }
            Value::Mapping(m) => {
                let mut out = Mapping::new();
                for (k, item) in m {
                    if let Some(item) = self.value(item) {
                        out.insert(k.clone(), item);
                    }
                }
                Some(Value::Mapping(out))
            }
            Value::Sequence(items) => Some(Value::Sequence(
                items.iter().filter_map(|item| self.value(item)).collect(),
            )),
            other => Some(other.clone()),
        }
    }

    /// A resource's properties as deployed.
    fn properties(&self, id: &str) -> Value {
        self.value(resource(self.t, id)).expect("properties")
    }
}

/// A tool `infra/scripts/stack.sh install` puts under `.local/`, or the path in `env` when set.
fn installed_tool(env: &str, default: &str) -> PathBuf {
    let path = std::env::var(env)
        .map(PathBuf::from)
        .unwrap_or_else(|_| repo_root().join(default));
    assert!(
        path.exists(),
        "{} missing: run `infra/scripts/stack.sh install`",
        path.display()
    );
    path
}

#[test]
fn cfn_lint_is_clean() {
    let lint = installed_tool("CREATOROS_CFN_LINT", ".local/venv/bin/cfn-lint");
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

/// A property of a function, falling back to the template's `Globals.Function`.
fn function_property<'a>(t: &'a Value, id: &str, name: &str) -> &'a Value {
    let own = &resource(t, id)[name];
    if own.is_null() {
        &t["Globals"]["Function"][name]
    } else {
        own
    }
}

/// A function's environment variables: `Globals.Function`'s merged with its own (SAM merges maps, the
/// function's entries winning).
fn function_environment<'a>(t: &'a Value, id: &str) -> BTreeMap<&'a str, &'a Value> {
    let mut env = BTreeMap::new();
    for vars in [
        &t["Globals"]["Function"]["Environment"]["Variables"],
        &resource(t, id)["Environment"]["Variables"],
    ] {
        for (name, value) in vars.as_mapping().into_iter().flatten() {
            env.insert(s(name), value);
        }
    }
    env
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

/// The template's resources of one type, with their logical ids.
fn resources_of<'a>(t: &'a Value, kind: &str) -> Vec<(&'a str, &'a Value)> {
    t["Resources"]
        .as_mapping()
        .expect("Resources")
        .iter()
        .filter(|(_, r)| r["Type"].as_str() == Some(kind))
        .map(|(id, r)| (s(id), r))
        .collect()
}

/// A policy field that may be one value or a list of them (`Action`, `Resource`, ...).
fn one_or_many(v: &Value) -> Vec<&Value> {
    match v {
        Value::Sequence(items) => items.iter().collect(),
        Value::Null => Vec::new(),
        one => vec![one],
    }
}

fn compact(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| format!("{v:?}"))
}

fn is_get_att(v: &Value, id: &str, attribute: &str) -> bool {
    get_att(v) == (id.to_owned(), attribute.to_owned())
}

#[test]
fn checkov_finds_no_failed_checks() {
    let checkov = installed_tool("CREATOROS_CHECKOV", ".local/checkov-venv/bin/checkov");
    let out = std::process::Command::new(&checkov)
        .args(["--framework", "cloudformation", "--output", "json"])
        // Offline: no Prisma Cloud guideline download, no PyPI version check.
        .args(["--skip-download"])
        .env("BC_SKIP_MAPPING", "TRUE")
        .env("CKV_SKIP_PACKAGE_UPDATE_CHECK", "true")
        .arg("--file")
        .arg(repo_root().join("infra/template.yaml"))
        .output()
        .expect("run checkov");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "checkov printed no JSON report ({e}):\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    // One report per framework that found something to scan (a list when there are several).
    let reports = match report {
        serde_json::Value::Array(reports) => reports,
        one => vec![one],
    };
    assert_eq!(reports.len(), 1, "one cloudformation report: {reports:#?}");
    let report = &reports[0];
    assert_eq!(report["check_type"], "cloudformation");
    let checks = |kind: &str| -> Vec<serde_json::Value> {
        report["results"][kind]
            .as_array()
            .cloned()
            .unwrap_or_default()
    };

    let failures: Vec<String> = checks("failed_checks")
        .iter()
        .map(|c| {
            format!(
                "  {} on {} (lines {}): {}",
                c["check_id"].as_str().unwrap_or("?"),
                c["resource"].as_str().unwrap_or("?"),
                c["file_line_range"],
                c["check_name"].as_str().unwrap_or("?"),
            )
        })
        .collect();
    let summary = &report["summary"];
    assert!(
        failures.is_empty() && summary["failed"] == 0,
        "checkov: {} failed check(s); fix them, or skip one in the resource's Metadata.checkov.skip with the \
         reason:\n{}",
        summary["failed"],
        failures.join("\n")
    );
    assert_eq!(summary["parsing_errors"], 0, "{summary}");
    assert!(
        out.status.success(),
        "checkov exited with {}:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );

    // Every suppression says why.
    for c in checks("skipped_checks") {
        let reason = c["check_result"]["suppress_comment"]
            .as_str()
            .unwrap_or_default();
        assert!(
            reason.split_whitespace().count() >= 8,
            "{} skipped on {} without a real reason: {reason:?}",
            c["check_id"],
            c["resource"]
        );
    }

    // Checkov looked at every resource it has checks for, the SAM functions included (it reads
    // AWS::Serverless::Function as a Lambda function); a resource it silently skipped would pass unseen.
    let t = template();
    let scanned: BTreeSet<String> = checks("passed_checks")
        .iter()
        .chain(checks("skipped_checks").iter())
        .filter_map(|c| c["resource"].as_str().map(str::to_owned))
        .collect();
    for kind in [
        "AWS::Serverless::Function",
        "AWS::IAM::Role",
        "AWS::S3::Bucket",
        "AWS::SQS::Queue",
        "AWS::DynamoDB::Table",
        "AWS::Logs::LogGroup",
    ] {
        for (id, _) in resources_of(&t, kind) {
            let name = format!("{kind}.{id}");
            assert!(
                scanned.contains(&name),
                "checkov did not check {name}; it checked {scanned:#?}"
            );
        }
    }
}

/// Actions AWS authorises only on `"Resource": "*"`, the one place a `*` resource is accepted in an Allow.
const STAR_RESOURCE_ACTIONS: &[&str] = &[
    // X-Ray's trace upload has no resource type: a trace belongs to the account, not to a resource. Lambda's
    // active tracing (Globals.Function.Tracing) sends the function's segments with the execution role.
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    // CloudWatch custom metrics have no resource type either (the cloudwatch:namespace condition key scopes
    // them). Not used today; listed so that emitting metrics does not need this test changed.
    "cloudwatch:PutMetricData",
];

/// What is wrong with one IAM policy statement, if anything (empty when it is acceptable).
///
/// An Allow names specific actions (`service:Action`, no `*` anywhere) on specific resources (no bare `*`,
/// except for the actions in [`STAR_RESOURCE_ACTIONS`]), and in a resource policy a specific principal. A Deny
/// may be as broad as it likes in actions and principal (the TLS-only statements deny `s3:*` / `sqs:*` to
/// everyone), since widening a Deny only takes access away, but it still names its resources.
fn statement_problems(statement: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let allow = match statement["Effect"].as_str() {
        Some("Allow") => true,
        Some("Deny") => false,
        other => return vec![format!("Effect must be Allow or Deny, not {other:?}")],
    };
    for inverted in ["NotAction", "NotResource", "NotPrincipal"] {
        if allow && !statement[inverted].is_null() {
            problems.push(format!(
                "{inverted} in an Allow grants everything it does not name"
            ));
        }
    }

    let actions = one_or_many(&statement["Action"]);
    if actions.is_empty() && statement["NotAction"].is_null() {
        problems.push("no Action".to_owned());
    }
    let mut names = Vec::new();
    for action in &actions {
        match action.as_str() {
            Some(name)
                if name.split_once(':').is_some_and(|(service, verb)| {
                    !service.is_empty() && !verb.is_empty() && !service.contains('*')
                }) =>
            {
                if allow && name.contains('*') {
                    problems.push(format!("wildcard action {name:?}: name the actions"));
                }
                names.push(name);
            }
            _ if !allow && action.as_str() == Some("*") => {}
            _ => problems.push(format!("action {} is not service:Action", compact(action))),
        }
    }

    let resources = one_or_many(&statement["Resource"]);
    if resources.is_empty() && statement["NotResource"].is_null() {
        problems.push("no Resource".to_owned());
    }
    for resource in &resources {
        if resource.as_str() == Some("*") {
            let exempt = allow
                && !names.is_empty()
                && names
                    .iter()
                    .all(|name| STAR_RESOURCE_ACTIONS.contains(name));
            if !exempt {
                problems.push(format!(
                    "resource \"*\" for {names:?}: name the resources (only {STAR_RESOURCE_ACTIONS:?} may use \"*\")"
                ));
            }
        }
    }

    if allow {
        let principal = &statement["Principal"];
        let everyone = principal.as_str() == Some("*")
            || one_or_many(&principal["AWS"])
                .iter()
                .any(|p| p.as_str() == Some("*"));
        if everyone {
            problems.push("an Allow to every principal (\"*\")".to_owned());
        }
    }
    problems
}

/// Every IAM policy statement of the template, named by where it lives: identity policies of roles, users,
/// groups and managed policies, the functions' own `Policies` (inline documents; SAM policy templates and
/// managed policy names are refused, as their statements are not in the template to check), and the resource
/// policies of queues, buckets and topics. Trust policies (`AssumeRolePolicyDocument`) are checked on their own.
fn policy_statements(t: &Value) -> Result<Vec<(String, Value)>, Vec<String>> {
    let mut found = Vec::new();
    let mut refused = Vec::new();
    let mut document = |place: String, doc: &Value, refused: &mut Vec<String>| {
        let statements = one_or_many(&doc["Statement"]);
        if statements.is_empty() {
            refused.push(format!("{place}: a policy document without statements"));
        }
        for (i, st) in statements.into_iter().enumerate() {
            let sid = st["Sid"].as_str().map_or(i.to_string(), str::to_owned);
            found.push((format!("{place} statement {sid}"), st.clone()));
        }
    };
    for (id, r) in t["Resources"].as_mapping().expect("Resources") {
        let id = s(id);
        let props = &r["Properties"];
        match r["Type"].as_str().unwrap_or_default() {
            "AWS::IAM::Role" | "AWS::IAM::User" | "AWS::IAM::Group" => {
                for p in one_or_many(&props["Policies"]) {
                    let name = p["PolicyName"].as_str().unwrap_or("?");
                    document(
                        format!("{id} policy {name}"),
                        &p["PolicyDocument"],
                        &mut refused,
                    );
                }
                for arn in one_or_many(&props["ManagedPolicyArns"]) {
                    refused.push(format!(
                        "{id}: managed policy {} (its statements are not in the template to check)",
                        compact(arn)
                    ));
                }
            }
            "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" => {
                document(id.to_owned(), &props["PolicyDocument"], &mut refused)
            }
            "AWS::SQS::QueuePolicy" | "AWS::S3::BucketPolicy" | "AWS::SNS::TopicPolicy" => {
                document(id.to_owned(), &props["PolicyDocument"], &mut refused)
            }
            "AWS::Serverless::Function" => {
                for (i, p) in one_or_many(&props["Policies"]).into_iter().enumerate() {
                    if p["Statement"].is_null() {
                        refused.push(format!(
                            "{id}: Policies[{i}] {} is a SAM policy template or managed policy; write its \
                             statements out in the function's role",
                            compact(p)
                        ));
                    } else {
                        document(format!("{id} Policies[{i}]"), p, &mut refused);
                    }
                }
            }
            _ => {}
        }
    }
    if refused.is_empty() {
        Ok(found)
    } else {
        Err(refused)
    }
}

#[test]
fn every_iam_statement_names_its_actions_and_resources() {
    let t = template();
    let statements = policy_statements(&t).unwrap_or_else(|refused| panic!("{refused:#?}"));
    assert!(
        statements.len() >= 10,
        "found only {statements:#?}: is the walker still reading the template?"
    );
    let problems: Vec<String> = statements
        .iter()
        .flat_map(|(place, st)| {
            statement_problems(st)
                .into_iter()
                .map(move |p| format!("{place}: {p}"))
        })
        .collect();
    assert!(problems.is_empty(), "{problems:#?}");

    // A function without its own role gets one from SAM, with AWS managed policies on "*" for its logs, tracing
    // and event sources; each function must name a role of this template instead.
    let globals = &t["Globals"]["Function"];
    assert!(
        globals["Policies"].is_null() && globals["Role"].is_null(),
        "no policies or role in Globals: each function names its own"
    );
    let roles: BTreeSet<&str> = resources_of(&t, "AWS::IAM::Role")
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    for (id, f) in resources_of(&t, "AWS::Serverless::Function") {
        let (role, attribute) = get_att(&f["Properties"]["Role"]);
        assert!(
            roles.contains(role.as_str()) && attribute == "Arn",
            "{id} must use a role of this template (Role: Fn::GetAtt [<Role>, Arn]), not SAM's generated one"
        );
        assert!(
            f["Properties"]["Policies"].is_null(),
            "{id}: Policies are ignored next to Role; put them in the role"
        );
    }
    // Only Lambda may assume the functions' roles, and only this account's EventBridge Scheduler the schedule's.
    for (id, role) in resources_of(&t, "AWS::IAM::Role") {
        let service = if id == "DailyScheduleRole" {
            "scheduler.amazonaws.com"
        } else {
            "lambda.amazonaws.com"
        };
        for st in one_or_many(&role["Properties"]["AssumeRolePolicyDocument"]["Statement"]) {
            assert_eq!(st["Effect"].as_str(), Some("Allow"), "{id}");
            assert_eq!(
                st["Principal"],
                serde_norway::from_str::<Value>(&format!("Service: {service}")).unwrap(),
                "{id} trust policy"
            );
            assert_eq!(st["Action"].as_str(), Some("sts:AssumeRole"), "{id}");
            if id == "DailyScheduleRole" {
                assert_eq!(
                    st["Condition"]["StringEquals"]["aws:SourceAccount"]["Ref"].as_str(),
                    Some("AWS::AccountId"),
                    "{id}: only this account's schedules"
                );
            }
        }
    }
}

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

#[test]
fn the_statement_checker_rejects_broad_statements() {
    let check = |yaml: &str| statement_problems(&serde_norway::from_str(yaml).unwrap());
    let table = "Resource: {Fn::GetAtt: [Table, Arn]}";

    let wildcard_service = check(&format!("{{Effect: Allow, Action: 'dynamodb:*', {table}}}"));
    assert!(
        wildcard_service.iter().any(|p| p.contains("dynamodb:*")),
        "{wildcard_service:?}"
    );
    let everything = check(&format!("{{Effect: Allow, Action: '*', {table}}}"));
    assert!(!everything.is_empty());
    let partial = check(&format!(
        "{{Effect: Allow, Action: [dynamodb:GetItem, 'dynamodb:Batch*'], {table}}}"
    ));
    assert!(!partial.is_empty());
    let any_table = check("{Effect: Allow, Action: dynamodb:GetItem, Resource: '*'}");
    assert!(
        any_table.iter().any(|p| p.contains("resource \"*\"")),
        "{any_table:?}"
    );
    // An exempt action does not carry a non-exempt one along.
    let mixed =
        check("{Effect: Allow, Action: [xray:PutTraceSegments, s3:GetObject], Resource: '*'}");
    assert!(!mixed.is_empty());
    let not_action = check(&format!(
        "{{Effect: Allow, NotAction: s3:DeleteObject, {table}}}"
    ));
    assert!(!not_action.is_empty());
    let public = check(
        "{Effect: Allow, Principal: {AWS: '*'}, Action: sqs:SendMessage, Resource: {Fn::GetAtt: [Q, Arn]}}",
    );
    assert!(
        public.iter().any(|p| p.contains("every principal")),
        "{public:?}"
    );

    // What the template does is accepted.
    assert_eq!(
        check(&format!(
            "{{Effect: Allow, Action: [dynamodb:GetItem, dynamodb:PutItem], {table}}}"
        )),
        Vec::<String>::new()
    );
    assert_eq!(
        check("{Effect: Allow, Action: [xray:PutTraceSegments, xray:PutTelemetryRecords], Resource: '*'}"),
        Vec::<String>::new()
    );
    assert_eq!(
        check(
            "{Effect: Deny, Principal: '*', Action: 'sqs:*', Resource: {Fn::GetAtt: [Q, Arn]}, \
             Condition: {Bool: {aws:SecureTransport: 'false'}}}"
        ),
        Vec::<String>::new()
    );
    // ...but even a Deny names its resources.
    assert!(!check("{Effect: Deny, Principal: '*', Action: 'sqs:*', Resource: '*'}").is_empty());
}

#[test]
fn buckets_queues_and_table_are_encrypted() {
    let t = template();
    let buckets = resources_of(&t, "AWS::S3::Bucket");
    assert!(!buckets.is_empty());
    for (id, b) in buckets {
        let rules = b["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
            .as_sequence()
            .unwrap_or_else(|| panic!("{id} has no default encryption"));
        let algorithm = rules[0]["ServerSideEncryptionByDefault"]["SSEAlgorithm"].as_str();
        assert!(
            matches!(algorithm, Some("AES256" | "aws:kms" | "aws:kms:dsse")),
            "{id}: {algorithm:?}"
        );
    }
    let queues = resources_of(&t, "AWS::SQS::Queue");
    assert_eq!(queues.len(), 4);
    for (id, q) in queues {
        let p = &q["Properties"];
        assert!(
            p["SqsManagedSseEnabled"].as_bool() == Some(true) || !p["KmsMasterKeyId"].is_null(),
            "{id} is not encrypted at rest (SqsManagedSseEnabled or KmsMasterKeyId)"
        );
    }
    for (id, table) in resources_of(&t, "AWS::DynamoDB::Table") {
        assert_eq!(
            table["Properties"]["SSESpecification"]["SSEEnabled"].as_bool(),
            Some(true),
            "{id}"
        );
    }
}

#[test]
fn buckets_block_public_access() {
    let t = template();
    for (id, b) in resources_of(&t, "AWS::S3::Bucket") {
        let block = &b["Properties"]["PublicAccessBlockConfiguration"];
        for flag in [
            "BlockPublicAcls",
            "BlockPublicPolicy",
            "IgnorePublicAcls",
            "RestrictPublicBuckets",
        ] {
            assert_eq!(block[flag].as_bool(), Some(true), "{id} {flag}");
        }
        // ACLs off: access is decided by policies alone.
        assert_eq!(
            b["Properties"]["OwnershipControls"]["Rules"][0]["ObjectOwnership"].as_str(),
            Some("BucketOwnerEnforced"),
            "{id}"
        );
    }
}

/// Whether a statement denies every principal every `service` action over plain HTTP.
fn denies_insecure_transport(st: &Value, service: &str) -> bool {
    st["Effect"].as_str() == Some("Deny")
        && st["Principal"].as_str() == Some("*")
        && one_or_many(&st["Action"])
            .iter()
            .any(|a| a.as_str() == Some(&format!("{service}:*")))
        && match &st["Condition"]["Bool"]["aws:SecureTransport"] {
            Value::String(v) => v == "false",
            Value::Bool(v) => !v,
            _ => false,
        }
}

#[test]
fn bucket_and_queue_policies_refuse_plain_http() {
    let t = template();
    for (bucket, _) in resources_of(&t, "AWS::S3::Bucket") {
        let policies: Vec<&Value> = resources_of(&t, "AWS::S3::BucketPolicy")
            .into_iter()
            .map(|(_, p)| &p["Properties"])
            .filter(|p| p["Bucket"]["Ref"].as_str() == Some(bucket))
            .collect();
        assert_eq!(policies.len(), 1, "{bucket} has one bucket policy");
        let deny = one_or_many(&policies[0]["PolicyDocument"]["Statement"])
            .into_iter()
            .find(|st| denies_insecure_transport(st, "s3"))
            .unwrap_or_else(|| panic!("{bucket}'s policy does not deny aws:SecureTransport false"));
        // The bucket itself and every object in it.
        let resources = one_or_many(&deny["Resource"]);
        assert!(
            resources.iter().any(|r| is_get_att(r, bucket, "Arn")),
            "{bucket}: {resources:?}"
        );
        let objects = format!("${{{bucket}.Arn}}/*");
        assert!(
            resources
                .iter()
                .any(|r| r["Fn::Sub"].as_str() == Some(objects.as_str())),
            "{bucket}: {resources:?}"
        );
    }
    for (queue, _) in resources_of(&t, "AWS::SQS::Queue") {
        // A queue has one policy document; two QueuePolicy resources on it would overwrite each other.
        let policies: Vec<&Value> = resources_of(&t, "AWS::SQS::QueuePolicy")
            .into_iter()
            .map(|(_, p)| &p["Properties"])
            .filter(|p| {
                one_or_many(&p["Queues"])
                    .iter()
                    .any(|q| q["Ref"].as_str() == Some(queue))
            })
            .collect();
        assert_eq!(policies.len(), 1, "{queue} has one queue policy");
        let deny = one_or_many(&policies[0]["PolicyDocument"]["Statement"])
            .into_iter()
            .find(|st| denies_insecure_transport(st, "sqs"))
            .unwrap_or_else(|| panic!("{queue}'s policy does not deny aws:SecureTransport false"));
        assert!(
            one_or_many(&deny["Resource"])
                .iter()
                .any(|r| is_get_att(r, queue, "Arn")),
            "{queue}: {}",
            compact(&deny["Resource"])
        );
    }
}

#[test]
fn every_dead_letter_queue_has_a_depth_alarm() {
    let t = template();
    // Dead-letter queues: redrive targets of queues, on-failure destinations of event sources, and
    // functions' own dead-letter queues.
    let mut dlqs = BTreeSet::new();
    for (_, q) in resources_of(&t, "AWS::SQS::Queue") {
        let target = &q["Properties"]["RedrivePolicy"]["deadLetterTargetArn"];
        if !target.is_null() {
            dlqs.insert(get_att(target).0);
        }
    }
    for (_, f) in resources_of(&t, "AWS::Serverless::Function") {
        let p = &f["Properties"];
        if !p["DeadLetterQueue"].is_null() {
            dlqs.insert(get_att(&p["DeadLetterQueue"]["TargetArn"]).0);
        }
        for event in p["Events"]
            .as_mapping()
            .into_iter()
            .flat_map(|m| m.values())
        {
            let destination = &event["Properties"]["DestinationConfig"]["OnFailure"]["Destination"];
            if !destination.is_null() {
                dlqs.insert(get_att(destination).0);
            }
        }
    }
    let want: BTreeSet<String> = Resources::named("any")
        .queues
        .iter()
        .filter_map(|q| q.dead_letter.map(|(dlq, _)| dlq.to_owned()))
        .collect();
    assert!(
        want.is_subset(&dlqs) && !dlqs.contains(""),
        "dead-letter queues found: {dlqs:?}; the bootstrap's: {want:?}"
    );

    let alarms = resources_of(&t, "AWS::CloudWatch::Alarm");
    for dlq in &dlqs {
        let alarm = alarms.iter().find(|(_, a)| {
            let p = &a["Properties"];
            p["Namespace"].as_str() == Some("AWS/SQS")
                && p["MetricName"].as_str() == Some("ApproximateNumberOfMessagesVisible")
                && one_or_many(&p["Dimensions"]).iter().any(|d| {
                    d["Name"].as_str() == Some("QueueName")
                        && is_get_att(&d["Value"], dlq, "QueueName")
                })
        });
        let (id, alarm) = alarm.unwrap_or_else(|| {
            panic!("no alarm on the depth (ApproximateNumberOfMessagesVisible) of dead-letter queue {dlq}")
        });
        let p = &alarm["Properties"];
        // One message is enough: anything in a dead-letter queue needs a look.
        let fires_on_one = match p["ComparisonOperator"].as_str() {
            Some("GreaterThanThreshold") => p["Threshold"].as_f64() == Some(0.0),
            Some("GreaterThanOrEqualToThreshold") => p["Threshold"].as_f64() == Some(1.0),
            _ => false,
        };
        assert!(
            fires_on_one,
            "{id} must fire on a single message: {} {}",
            compact(&p["ComparisonOperator"]),
            compact(&p["Threshold"])
        );
        assert_eq!(p["EvaluationPeriods"].as_u64(), Some(1), "{id}");
        assert!(
            matches!(p["Statistic"].as_str(), Some("Maximum" | "Sum")),
            "{id}: {}",
            compact(&p["Statistic"])
        );
        assert!(
            !p["AlarmActions"].is_null(),
            "{id} notifies the alarm topic when one is given"
        );
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Parameters, time to live, lifecycle and retention.

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

#[test]
fn functions_log_json_at_info_and_the_platform_at_warn() {
    let t = template();
    for (id, group) in [
        ("IngestFunction", "IngestLogGroup"),
        ("InsightsFunction", "InsightsLogGroup"),
    ] {
        let logging = &resource(&t, id)["LoggingConfig"];
        assert_eq!(logging["LogGroup"], yaml(&format!("Ref: {group}")), "{id}");
        assert_eq!(logging["LogFormat"].as_str(), Some("JSON"), "{id}");
        assert_eq!(
            logging["ApplicationLogLevel"].as_str(),
            Some("INFO"),
            "{id}"
        );
        assert_eq!(logging["SystemLogLevel"].as_str(), Some("WARN"), "{id}");
    }
}

/// The role's Allow statements granting `action`, as (resources) lists.
fn grants<'a>(t: &'a Value, role: &str, action: &str) -> Vec<Vec<&'a Value>> {
    let props = resource(t, role);
    one_or_many(&props["Policies"])
        .into_iter()
        .flat_map(|p| one_or_many(&p["PolicyDocument"]["Statement"]))
        .filter(|st| {
            st["Effect"].as_str() == Some("Allow")
                && one_or_many(&st["Action"])
                    .iter()
                    .any(|a| a.as_str() == Some(action))
        })
        .map(|st| one_or_many(&st["Resource"]))
        .collect()
}

#[test]
fn workers_may_back_off_their_own_queues_and_insights_may_reread_the_stream() {
    let t = template();
    // Setting a message's visibility (the retry backoff) on its own queue only.
    for (role, queue) in [
        ("IngestFunctionRole", resources::INGEST_QUEUE_ID),
        ("InsightsFunctionRole", resources::INSIGHTS_QUEUE_ID),
    ] {
        let granted: Vec<&Value> = grants(&t, role, "sqs:ChangeMessageVisibility")
            .into_iter()
            .flatten()
            .collect();
        assert!(
            !granted.is_empty() && granted.iter().all(|r| is_get_att(r, queue, "Arn")),
            "{role}: sqs:ChangeMessageVisibility on {queue} alone, not {granted:?}"
        );
    }
    // The insights worker reads a failed batch's shard range itself (a redriven stream-failure notice), on
    // this table's stream only; the ingest worker never reads the stream.
    let stream = yaml("Fn::Sub: ${Table.Arn}/stream/*");
    for action in [
        "dynamodb:DescribeStream",
        "dynamodb:GetShardIterator",
        "dynamodb:GetRecords",
    ] {
        let granted: Vec<&Value> = grants(&t, "InsightsFunctionRole", action)
            .into_iter()
            .flatten()
            .collect();
        assert!(
            !granted.is_empty() && granted.iter().all(|r| **r == stream),
            "InsightsFunctionRole: {action} on the table's stream, not {granted:?}"
        );
        assert!(
            grants(&t, "IngestFunctionRole", action).is_empty(),
            "{action}"
        );
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Metrics, alarms and the dashboard.

/// The workers' Embedded Metric Format metrics as (value of the one dimension `Service`, metric name): the
/// workers' own lists.
fn emf_metrics() -> Vec<(&'static str, &'static str)> {
    use creatoros_runtime::metrics::{INGEST_METRICS, INSIGHTS_METRICS};
    INGEST_METRICS
        .iter()
        .map(|m| ("ingest", *m))
        .chain(INSIGHTS_METRICS.iter().map(|m| ("insights", *m)))
        .collect()
}

/// The namespace of the workers' metrics, as the dashboard writes it (the functions get the same Fn::Sub).
const METRICS_NAMESPACE: &str = "CreatorOS/${AWS::StackName}";

/// A metric as (namespace, name, dimensions), each written as an `Fn::Sub` string would write it: a `Ref` as
/// `${X}`, a `Fn::GetAtt` as `${X.Attribute}`.
type Metric = (String, String, Vec<(String, String)>);

fn as_sub(v: &Value) -> String {
    if let Some(name) = v["Ref"].as_str() {
        format!("${{{name}}}")
    } else if let Some(text) = v["Fn::Sub"].as_str() {
        text.to_owned()
    } else if v["Fn::GetAtt"].is_sequence() {
        let (id, attribute) = get_att(v);
        format!("${{{id}.{attribute}}}")
    } else {
        scalar(v)
    }
}

fn alarm_metric(alarm: &Value) -> Metric {
    let p = &alarm["Properties"];
    (
        as_sub(&p["Namespace"]),
        s(&p["MetricName"]).to_owned(),
        one_or_many(&p["Dimensions"])
            .iter()
            .map(|d| (s(&d["Name"]).to_owned(), as_sub(&d["Value"])))
            .collect(),
    )
}

#[test]
fn alarms_watch_the_pipelines_health() {
    let t = template();
    let d = Deployed::with_defaults(&t);
    let alarms = resources_of(&t, "AWS::CloudWatch::Alarm");
    let dim = |name: &str, value: &str| vec![(name.to_owned(), value.to_owned())];
    let want: Vec<(Metric, &str, u64)> = vec![
        // The stream consumer's lag, 15 minutes by default.
        (
            (
                "AWS/Lambda".into(),
                "IteratorAge".into(),
                dim("FunctionName", "${InsightsFunction}"),
            ),
            "Maximum",
            15 * 60 * 1000,
        ),
        (
            (
                "AWS/SQS".into(),
                "ApproximateAgeOfOldestMessage".into(),
                dim("QueueName", "${IngestQueue.QueueName}"),
            ),
            "Maximum",
            3600,
        ),
        (
            (
                "AWS/SQS".into(),
                "ApproximateAgeOfOldestMessage".into(),
                dim("QueueName", "${InsightsQueue.QueueName}"),
            ),
            "Maximum",
            3600,
        ),
        (
            (
                "AWS/Lambda".into(),
                "Errors".into(),
                dim("FunctionName", "${IngestFunction}"),
            ),
            "Sum",
            0,
        ),
        (
            (
                "AWS/Lambda".into(),
                "Errors".into(),
                dim("FunctionName", "${InsightsFunction}"),
            ),
            "Sum",
            0,
        ),
        (
            (
                "AWS/Lambda".into(),
                "Throttles".into(),
                dim("FunctionName", "${IngestFunction}"),
            ),
            "Sum",
            0,
        ),
        (
            (
                "AWS/Lambda".into(),
                "Throttles".into(),
                dim("FunctionName", "${InsightsFunction}"),
            ),
            "Sum",
            0,
        ),
        (
            (
                "AWS/DynamoDB".into(),
                "ReadThrottleEvents".into(),
                dim("TableName", "${Table}"),
            ),
            "Sum",
            0,
        ),
        (
            (
                "AWS/DynamoDB".into(),
                "WriteThrottleEvents".into(),
                dim("TableName", "${Table}"),
            ),
            "Sum",
            0,
        ),
        // Any stuck import, on the workers' own namespace.
        (
            (
                METRICS_NAMESPACE.into(),
                "StuckImports".into(),
                dim("Service", "ingest"),
            ),
            "Sum",
            0,
        ),
    ];
    for (metric, statistic, threshold) in &want {
        let found: Vec<&(&str, &Value)> = alarms
            .iter()
            .filter(|(_, a)| alarm_metric(a) == *metric)
            .collect();
        assert_eq!(found.len(), 1, "one alarm on {metric:?}");
        let (id, alarm) = found[0];
        let p = d.properties(id);
        assert_eq!(p["Statistic"].as_str(), Some(*statistic), "{id}");
        assert_eq!(number(&p["Threshold"]), *threshold, "{id} threshold");
        assert_eq!(
            p["ComparisonOperator"].as_str(),
            Some("GreaterThanThreshold"),
            "{id}"
        );
        // An idle pipeline publishes nothing; that is healthy.
        assert_eq!(p["TreatMissingData"].as_str(), Some("notBreaching"), "{id}");
        assert!(
            !alarm["Properties"]["AlarmDescription"].is_null(),
            "{id} says what to do"
        );
    }
    // The workers' namespace in the alarm is the one the functions are given.
    assert_eq!(
        as_sub(
            &t["Globals"]["Function"]["Environment"]["Variables"]["CREATOROS_METRICS_NAMESPACE"]
        ),
        METRICS_NAMESPACE
    );

    // Every alarm notifies the alarm topic, when one is given, on alarm and on recovery.
    let topic = yaml("Fn::If: [HasAlarmTopic, [{Ref: AlarmTopicArn}], {Ref: AWS::NoValue}]");
    for (id, alarm) in &alarms {
        for actions in ["AlarmActions", "OKActions"] {
            assert_eq!(alarm["Properties"][actions], topic, "{id} {actions}");
        }
    }
    assert!(!d.condition("HasAlarmTopic"));
    let arn = "arn:aws:sns:eu-west-1:123456789012:on-call";
    let with_topic = Deployed::with(&t, &[("AlarmTopicArn", arn)]);
    assert_eq!(
        with_topic.properties("StuckImportsAlarm")["AlarmActions"],
        yaml(&format!("[{arn}]"))
    );
    assert!(d.properties("StuckImportsAlarm")["AlarmActions"].is_null());
}

/// The dashboard's body (the `Fn::Sub` string, parsed: `${...}` sit inside JSON strings).
fn dashboard(t: &Value) -> serde_json::Value {
    let dashboards = resources_of(t, "AWS::CloudWatch::Dashboard");
    assert_eq!(dashboards.len(), 1, "one dashboard");
    let body = s(&dashboards[0].1["Properties"]["DashboardBody"]["Fn::Sub"]);
    serde_json::from_str(body)
        .unwrap_or_else(|e| panic!("the dashboard body is JSON ({e}):\n{body}"))
}

/// Every metric of the dashboard's metric widgets: `[namespace, name, dim, value, ..., {options}]`.
fn dashboard_metrics(body: &serde_json::Value) -> Vec<Metric> {
    let mut metrics = Vec::new();
    for widget in body["widgets"].as_array().expect("widgets") {
        if widget["type"] != "metric" {
            continue;
        }
        assert_eq!(widget["properties"]["region"], "${AWS::Region}", "{widget}");
        for m in widget["properties"]["metrics"].as_array().expect("metrics") {
            let parts: Vec<&str> = m
                .as_array()
                .expect("a metric array")
                .iter()
                .filter_map(|p| p.as_str())
                .collect();
            assert!(
                parts.len() >= 2 && parts.len().is_multiple_of(2) && !parts.contains(&"."),
                "write each metric out in full: {m}"
            );
            let dimensions = parts[2..]
                .chunks(2)
                .map(|kv| (kv[0].to_owned(), kv[1].to_owned()))
                .collect();
            metrics.push((parts[0].to_owned(), parts[1].to_owned(), dimensions));
        }
    }
    metrics
}

#[test]
fn the_dashboard_shows_every_worker_metric_and_what_the_alarms_watch() {
    let t = template();
    let body = dashboard(&t);
    let shown = dashboard_metrics(&body);
    for (service, name) in emf_metrics() {
        let metric = (
            METRICS_NAMESPACE.to_owned(),
            (*name).to_owned(),
            vec![("Service".to_owned(), (*service).to_owned())],
        );
        assert!(shown.contains(&metric), "the dashboard lacks {metric:?}");
    }
    let emf: BTreeSet<(&str, &str)> = emf_metrics().into_iter().collect();
    for (namespace, name, dimensions) in &shown {
        if namespace == METRICS_NAMESPACE {
            let service = dimensions.first().map(|d| d.1.as_str()).unwrap_or_default();
            assert!(
                emf.contains(&(service, name.as_str())),
                "{name} of {service} is not a worker metric"
            );
        }
    }
    let alarms = resources_of(&t, "AWS::CloudWatch::Alarm");
    for (id, alarm) in &alarms {
        let metric = alarm_metric(alarm);
        assert!(
            shown.contains(&metric),
            "the dashboard lacks {metric:?}, which {id} watches"
        );
    }
    // An alarm widget with every alarm's state.
    let listed: BTreeSet<String> = body["widgets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["type"] == "alarm")
        .flat_map(|w| {
            w["properties"]["alarms"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|a| a.as_str().map(str::to_owned))
        .collect();
    let every: BTreeSet<String> = alarms
        .iter()
        .map(|(id, _)| format!("${{{id}.Arn}}"))
        .collect();
    assert_eq!(listed, every);
    // Every substitution names a pseudo parameter or a resource of the template.
    let text = body.to_string();
    for piece in text.split("${").skip(1) {
        let name = piece.split('}').next().unwrap();
        let id = name.split('.').next().unwrap();
        assert!(
            matches!(name, "AWS::Region" | "AWS::StackName") || !t["Resources"][id].is_null(),
            "the dashboard substitutes ${{{name}}}, which is not in the template"
        );
    }
}
