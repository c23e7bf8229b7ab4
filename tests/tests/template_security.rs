//! `infra/template.yaml` is secure as written: cfn-lint and checkov find nothing (every suppression carries its
//! reason), every IAM statement names its actions and resources, buckets and queues are encrypted, buckets
//! block public access, every bucket and queue policy refuses plain HTTP, every dead-letter queue has an alarm on
//! its depth, and the workers get exactly the permissions they use.
//!
//! Over 600 lines: the IAM statement checker and the policy walk are most of it, and they are checked here too
//! (`the_statement_checker_rejects_broad_statements`).

#[path = "support/template.rs"]
mod support;

use std::collections::BTreeSet;

use creatoros_stack::resources::{self, Resources};
use serde_norway::Value;

use support::*;

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
