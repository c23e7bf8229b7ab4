//! One invocation's metrics, as each worker writes them to its log, against the CloudWatch Embedded Metric Format
//! specification: the structure as a JSON Schema (`tests/fixtures/emf/emf-document.schema.json`), and the rules a
//! schema cannot state (every dimension and metric it declares is a member of the document, of the right type;
//! at most 100 values a metric; names not repeated; a timestamp CloudWatch accepts).

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use creatoros_ingest::handler;
use creatoros_runtime::metrics::{self, Metrics, INGEST_METRICS, INSIGHTS_METRICS};
use creatoros_tests::pipeline::PipelineHarness;
use creatoros_tests::reliability::canonical;
use serde_json::Value;

const NAMESPACE: &str = "CreatorOS/emf-test";

fn schema() -> Value {
    let path = format!(
        "{}/fixtures/emf/emf-document.schema.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).expect("schema")).expect("schema is JSON")
}

/// Validates one EMF line; returns the document.
fn valid_emf(line: &str) -> Value {
    assert!(
        !line.trim_end().contains('\n'),
        "one document is one log line"
    );
    let doc: Value = serde_json::from_str(line).expect("an EMF line is JSON");
    let validator = jsonschema::validator_for(&schema()).expect("a valid schema");
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "schema violations: {errors:?}\n{doc}");

    let now = time::OffsetDateTime::now_utc().unix_timestamp() * 1000;
    let stamp = doc["_aws"]["Timestamp"].as_i64().unwrap();
    // CloudWatch takes events up to two weeks old and two hours ahead.
    assert!(stamp <= now + 2 * 3_600_000 && stamp >= now - 14 * 86_400_000);
    for directive in doc["_aws"]["CloudWatchMetrics"].as_array().unwrap() {
        let mut dimensions = BTreeSet::new();
        for set in directive["Dimensions"].as_array().unwrap() {
            for key in set.as_array().unwrap() {
                let key = key.as_str().unwrap();
                let value = doc[key]
                    .as_str()
                    .unwrap_or_else(|| panic!("dimension {key} is not a string member"));
                assert!((1..=1024).contains(&value.len()), "dimension {key}");
                dimensions.insert(key.to_owned());
            }
        }
        let mut names = BTreeSet::new();
        for metric in directive["Metrics"].as_array().unwrap() {
            let name = metric["Name"].as_str().unwrap();
            assert!(names.insert(name), "{name} declared twice");
            assert!(!dimensions.contains(name), "{name} is also a dimension");
            match &doc[name] {
                Value::Number(_) => {}
                Value::Array(values) => {
                    assert!((1..=100).contains(&values.len()), "{name}: 1 to 100 values");
                    assert!(values.iter().all(Value::is_number), "{name}: numbers only");
                }
                other => panic!("metric {name} is {other}, not a number or numbers"),
            }
        }
    }
    doc
}

fn line(metrics: &Metrics) -> String {
    let mut out = Vec::new();
    metrics.write_to(&mut out, NAMESPACE).unwrap();
    String::from_utf8(out).unwrap()
}

fn declared(doc: &Value) -> BTreeSet<String> {
    doc["_aws"]["CloudWatchMetrics"][0]["Metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["Name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ingest_invocations_metrics_are_valid_emf() {
    let p = PipelineHarness::new("emf-ingest").await;
    let mut bad = String::from_utf8(canonical(10, 0)).unwrap();
    bad.push_str("p-bad,x,not-a-date,1,1,1,1\n");
    p.h.upload("imports/ws1/a.csv", bad.into_bytes()).await;
    let metrics = Metrics::new("ingest");
    let ctx = &p.h.ctx;
    p.h.runner
        .poll_once(Duration::from_secs(5), |e, d| {
            handler::handle(ctx, e, d, &metrics)
        })
        .await
        .unwrap();
    let doc = valid_emf(&line(&metrics));
    assert_eq!(doc["_aws"]["CloudWatchMetrics"][0]["Namespace"], NAMESPACE);
    assert_eq!(doc[metrics::DIMENSION], "ingest");
    assert_eq!(doc[metrics::ROWS_INGESTED], 60.0);
    assert_eq!(doc[metrics::ROWS_REJECTED], 1.0);
    assert_eq!(doc[metrics::IMPORTS], 1.0);
    assert!(doc[metrics::IMPORT_DURATION].is_array());
    let known: BTreeSet<String> = INGEST_METRICS.iter().map(|m| m.to_string()).collect();
    assert!(
        declared(&doc).is_subset(&known),
        "only the documented metrics"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_insights_invocations_metrics_are_valid_emf() {
    let mut p = PipelineHarness::new("emf-insights").await;
    p.h.upload("imports/ws1/a.csv", canonical(10, 0)).await;
    p.h.run().await;
    let metrics = Metrics::new("insights");
    let insights = &p.pipeline.insights;
    let deadline = Instant::now() + Duration::from_secs(120);
    let polled = p
        .pipeline
        .stream
        .poll_once(|e| {
            creatoros_insights_worker::handler::handle_stream(insights, e, deadline, &metrics)
        })
        .await
        .unwrap();
    assert!(polled.delivered >= 1);
    let doc = valid_emf(&line(&metrics));
    assert_eq!(doc[metrics::DIMENSION], "insights");
    assert!(doc[metrics::DERIVATIONS].as_f64().unwrap() >= 1.0);
    let lag = doc[metrics::STREAM_LAG].as_array().unwrap()[0]
        .as_f64()
        .unwrap();
    assert!(
        (0.0..600_000.0).contains(&lag),
        "the batch's oldest record is seconds old: {lag} ms"
    );
    let known: BTreeSet<String> = INSIGHTS_METRICS.iter().map(|m| m.to_string()).collect();
    assert!(declared(&doc).is_subset(&known));
}

#[test]
fn a_document_breaking_the_specification_is_caught() {
    // The checks above can fail: a metric declared but missing, and a bad unit.
    let m = Metrics::new("ingest");
    m.count(metrics::IMPORTS, 1);
    let mut doc: Value = serde_json::from_str(&line(&m)).unwrap();
    doc["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Unit"] = "Parsecs".into();
    let validator = jsonschema::validator_for(&schema()).unwrap();
    assert!(!validator.is_valid(&doc));
    let mut missing: Value = serde_json::from_str(&line(&m)).unwrap();
    missing.as_object_mut().unwrap().remove(metrics::IMPORTS);
    let result = std::panic::catch_unwind(|| valid_emf(&missing.to_string()));
    assert!(
        result.is_err(),
        "a declared metric missing from the document"
    );
}
