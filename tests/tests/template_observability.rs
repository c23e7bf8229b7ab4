//! What `infra/template.yaml` lets an operator see: the functions log JSON (the workers at info, the platform at
//! warn), the alarms watch the pipeline's health on the metrics the workers emit, and the dashboard shows every
//! one of those metrics and what the alarms watch.

#[path = "support/template.rs"]
mod support;

use std::collections::BTreeSet;

use serde_norway::Value;

use support::*;

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
