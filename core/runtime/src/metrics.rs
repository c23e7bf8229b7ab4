//! Operational metrics as CloudWatch Embedded Metric Format (EMF): one JSON document per invocation, written to
//! the function's log stream, which CloudWatch turns into metrics without an API call on the hot path.
//!
//! Every metric has exactly one dimension, `Service` (`ingest` or `insights`): workspace, import and month ids go
//! in the document as plain properties, searchable in Logs Insights, never as dimensions (one metric per
//! workspace would be thousands of custom metrics). The names below are the ones the template's alarms and
//! dashboard use; a template test compares the two lists.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::{json, Map, Value};

/// Environment variable naming the metrics namespace (the template sets `CreatorOS/<stack>`).
pub const ENV_METRICS_NAMESPACE: &str = "CREATOROS_METRICS_NAMESPACE";
/// Namespace when the variable is unset (the local stack).
pub const DEFAULT_NAMESPACE: &str = "CreatorOS";
/// The one dimension.
pub const DIMENSION: &str = "Service";

/// Rows written as metric items (at an import's end, its total).
pub const ROWS_INGESTED: &str = "RowsIngested";
/// Rows refused by validation (at an import's end, its total).
pub const ROWS_REJECTED: &str = "RowsRejected";
/// Wall time of one import's work in an invocation.
pub const IMPORT_DURATION: &str = "ImportDuration";
/// Imports that reached a final state.
pub const IMPORTS: &str = "Imports";
/// Messages or records handed back for a later attempt.
pub const RETRIES: &str = "Retries";
/// Messages that failed on their last receive: the queue moves them to its dead-letter queue next.
pub const DEAD_LETTERED: &str = "DeadLettered";
/// Imports a message's final failure leaves in `processing` (no later delivery will finish them).
pub const STUCK_IMPORTS: &str = "StuckImports";
/// Derivations computed.
pub const DERIVATIONS: &str = "Derivations";
/// Insights put or deleted by derivations.
pub const INSIGHTS_WRITTEN: &str = "InsightsWritten";
/// Tasks put, retired or reopened by derivations.
pub const TASKS_WRITTEN: &str = "TasksWritten";
/// Derivations handed to the insights queue (month busy, or the invocation out of time).
pub const DEFERRALS: &str = "Deferrals";
/// Age of the newest stream record of a batch when the batch was handled.
pub const STREAM_LAG: &str = "StreamLag";
/// Stream ranges read back from the stream after a failure notice was redriven.
pub const STREAM_RANGES_RECOVERED: &str = "StreamRangesRecovered";

/// What the ingest worker reports.
pub const INGEST_METRICS: &[&str] = &[
    ROWS_INGESTED,
    ROWS_REJECTED,
    IMPORT_DURATION,
    IMPORTS,
    RETRIES,
    DEAD_LETTERED,
    STUCK_IMPORTS,
];
/// What the insights worker reports.
pub const INSIGHTS_METRICS: &[&str] = &[
    DERIVATIONS,
    INSIGHTS_WRITTEN,
    TASKS_WRITTEN,
    DEFERRALS,
    RETRIES,
    DEAD_LETTERED,
    STREAM_LAG,
    STREAM_RANGES_RECOVERED,
];

/// EMF units used here (a subset of CloudWatch's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A count.
    Count,
    /// A duration.
    Milliseconds,
}

impl Unit {
    fn as_str(self) -> &'static str {
        match self {
            Unit::Count => "Count",
            Unit::Milliseconds => "Milliseconds",
        }
    }

    fn of(name: &str) -> Self {
        match name {
            IMPORT_DURATION | STREAM_LAG => Unit::Milliseconds,
            _ => Unit::Count,
        }
    }
}

/// EMF allows at most this many values per metric in one document.
const MAX_VALUES: usize = 100;

/// One invocation's metrics, collected from concurrent tasks and written once at the end.
#[derive(Debug)]
pub struct Metrics {
    service: &'static str,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    counts: BTreeMap<&'static str, f64>,
    samples: BTreeMap<&'static str, Vec<f64>>,
    properties: Map<String, Value>,
}

impl Metrics {
    /// Empty metrics of `service` (`ingest` or `insights`).
    pub fn new(service: &'static str) -> Self {
        Self {
            service,
            state: Mutex::default(),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        // A panic elsewhere must not lose the invocation's metrics.
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut state)
    }

    /// Adds `n` to a count.
    pub fn count(&self, name: &'static str, n: u64) {
        self.with(|s| *s.counts.entry(name).or_default() += n as f64);
    }

    /// Records one duration sample (milliseconds; EMF keeps each, CloudWatch aggregates them).
    pub fn duration(&self, name: &'static str, d: Duration) {
        self.with(|s| {
            let samples = s.samples.entry(name).or_default();
            if samples.len() < MAX_VALUES {
                samples.push(d.as_secs_f64() * 1000.0);
            }
        });
    }

    /// Sets a property: searchable in the log, never a dimension.
    pub fn property(&self, name: &str, value: impl Into<Value>) {
        self.with(|s| s.properties.insert(name.to_owned(), value.into()));
    }

    /// A count so far (tests, `creatoros` summaries).
    pub fn get(&self, name: &str) -> f64 {
        self.with(|s| s.counts.get(name).copied().unwrap_or_default())
    }

    /// The EMF document, or `None` when nothing was recorded. `timestamp_ms` is epoch milliseconds.
    pub fn document(&self, namespace: &str, timestamp_ms: u64) -> Option<Value> {
        self.with(|s| {
            if s.counts.is_empty() && s.samples.is_empty() {
                return None;
            }
            let mut root = s.properties.clone();
            let mut definitions = Vec::new();
            for (name, value) in &s.counts {
                definitions.push(json!({"Name": name, "Unit": Unit::of(name).as_str()}));
                root.insert((*name).to_owned(), json!(value));
            }
            for (name, values) in &s.samples {
                definitions.push(json!({"Name": name, "Unit": Unit::of(name).as_str()}));
                root.insert((*name).to_owned(), json!(values));
            }
            root.insert(DIMENSION.to_owned(), json!(self.service));
            root.insert(
                "_aws".to_owned(),
                json!({
                    "Timestamp": timestamp_ms,
                    "CloudWatchMetrics": [{
                        "Namespace": namespace,
                        "Dimensions": [[DIMENSION]],
                        "Metrics": definitions,
                    }]
                }),
            );
            Some(Value::Object(root))
        })
    }

    /// Writes the document to stdout as one line (what Lambda sends to the log stream), in the namespace the
    /// environment names.
    pub fn emit(&self) {
        let namespace = std::env::var(ENV_METRICS_NAMESPACE)
            .ok()
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| DEFAULT_NAMESPACE.to_owned());
        // A metrics line that cannot be written is not worth failing the invocation for.
        let _ = self.write_to(&mut std::io::stdout().lock(), &namespace);
    }

    /// Writes the document, stamped now, as one line to `out` (nothing when nothing was recorded).
    pub fn write_to(&self, out: &mut impl std::io::Write, namespace: &str) -> std::io::Result<()> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis() as u64;
        match self.document(namespace, now) {
            Some(doc) => writeln!(out, "{doc}"),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_add_up_and_durations_keep_their_samples() {
        let m = Metrics::new("ingest");
        assert!(
            m.document("N", 1).is_none(),
            "nothing recorded, nothing written"
        );
        m.count(ROWS_INGESTED, 3);
        m.count(ROWS_INGESTED, 4);
        m.duration(IMPORT_DURATION, Duration::from_millis(1500));
        m.property("importId", "i1");
        let doc = m.document("CreatorOS/test", 1_700_000_000_000).unwrap();
        assert_eq!(doc[ROWS_INGESTED], 7.0);
        assert_eq!(doc[IMPORT_DURATION], json!([1500.0]));
        assert_eq!(doc[DIMENSION], "ingest");
        assert_eq!(doc["importId"], "i1");
        let defs = &doc["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(defs["Namespace"], "CreatorOS/test");
        assert_eq!(defs["Dimensions"], json!([["Service"]]));
        let units: Vec<(&str, &str)> = defs["Metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| (d["Name"].as_str().unwrap(), d["Unit"].as_str().unwrap()))
            .collect();
        assert_eq!(
            units,
            [(ROWS_INGESTED, "Count"), (IMPORT_DURATION, "Milliseconds")]
        );
    }

    #[test]
    fn a_duration_metric_keeps_at_most_the_emf_limit_of_values() {
        let m = Metrics::new("insights");
        for i in 0..150 {
            m.duration(STREAM_LAG, Duration::from_millis(i));
        }
        let doc = m.document("N", 1).unwrap();
        assert_eq!(doc[STREAM_LAG].as_array().unwrap().len(), MAX_VALUES);
    }
}
