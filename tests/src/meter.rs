//! What DynamoDB calls cost: requests and capacity units per operation, read off the server's own answers.
//!
//! A metering [`crate::proxy::FaultProxy`] adds `ReturnConsumedCapacity: INDEXES` to every DynamoDB call that
//! accepts it and adds up the `ConsumedCapacity` that comes back (DynamoDB Local computes it as DynamoDB does:
//! 1 KB write units and 4 KB read units per item, index writes included). The workers under test are unchanged.
//!
//! A *sink* meter answers `BatchWriteItem` and `BatchGetItem` itself (all written, nothing stored) so the memory
//! of a worker can be measured on files far larger than DynamoDB Local could take in a session; everything else
//! (locks, import records, checkpoints) still reaches the server.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde_json::{json, Value};

/// The calls that take `ReturnConsumedCapacity`.
const METERED: [&str; 10] = [
    "GetItem",
    "BatchGetItem",
    "Query",
    "Scan",
    "TransactGetItems",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "BatchWriteItem",
    "TransactWriteItems",
];

/// Calls whose units are read units; the others in [`METERED`] consume write units.
const READS: [&str; 5] = [
    "GetItem",
    "BatchGetItem",
    "Query",
    "Scan",
    "TransactGetItems",
];

/// One operation's totals.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct OpCost {
    /// Requests sent (retries count again: they cost again).
    pub requests: u64,
    /// Capacity units, table and indexes.
    pub units: f64,
}

/// Totals by operation (`PutItem`, `BatchWriteItem`, ...).
#[derive(Debug, Default)]
pub struct Meter {
    sink: bool,
    ops: Mutex<BTreeMap<String, OpCost>>,
}

/// A snapshot of a [`Meter`]; the difference of two snapshots is what happened in between.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Costs {
    /// Totals by operation.
    pub ops: BTreeMap<String, OpCost>,
}

impl Meter {
    /// A meter; a `sink` one answers batch reads and writes itself.
    pub fn new(sink: bool) -> Self {
        Self {
            sink,
            ops: Mutex::default(),
        }
    }

    /// The operation named by an `x-amz-target` header (`DynamoDB_20120810.PutItem`), if it is DynamoDB's.
    pub fn operation(target: &str) -> Option<&str> {
        target
            .strip_prefix("DynamoDB_20120810.")
            .filter(|op| !op.is_empty())
    }

    /// The request body to forward: the same call asking for its consumed capacity.
    pub fn request(&self, op: &str, body: &[u8]) -> Option<Vec<u8>> {
        if !METERED.contains(&op) {
            return None;
        }
        let mut value: Value = serde_json::from_slice(body).ok()?;
        value
            .as_object_mut()?
            .insert("ReturnConsumedCapacity".into(), json!("INDEXES"));
        serde_json::to_vec(&value).ok()
    }

    /// The answer a sink gives instead of the server, for the calls it absorbs.
    pub fn sink_answer(&self, op: &str, body: &[u8]) -> Option<Value> {
        if !self.sink {
            return None;
        }
        match op {
            "BatchWriteItem" => Some(json!({"UnprocessedItems": {}})),
            "BatchGetItem" => {
                let request: Value = serde_json::from_slice(body).ok()?;
                let tables: serde_json::Map<String, Value> = request
                    .get("RequestItems")?
                    .as_object()?
                    .keys()
                    .map(|t| (t.clone(), json!([])))
                    .collect();
                Some(json!({"Responses": tables, "UnprocessedKeys": {}}))
            }
            _ => None,
        }
    }

    /// Adds one request of `op` and the capacity its answer reports.
    pub fn record(&self, op: &str, answer: &[u8]) {
        let units = serde_json::from_slice::<Value>(answer)
            .ok()
            .map_or(0.0, |v| consumed_units(&v));
        let mut ops = self.ops.lock().unwrap_or_else(|p| p.into_inner());
        let entry = ops.entry(op.to_owned()).or_default();
        entry.requests += 1;
        entry.units += units;
    }

    /// Totals so far.
    pub fn costs(&self) -> Costs {
        Costs {
            ops: self.ops.lock().unwrap_or_else(|p| p.into_inner()).clone(),
        }
    }
}

/// `ConsumedCapacity` of an answer: one object, or one per table for batch and transaction calls.
fn consumed_units(answer: &Value) -> f64 {
    match answer.get("ConsumedCapacity") {
        Some(Value::Array(tables)) => tables.iter().map(units_of).sum(),
        Some(one) => units_of(one),
        None => 0.0,
    }
}

fn units_of(capacity: &Value) -> f64 {
    capacity
        .get("CapacityUnits")
        .and_then(Value::as_f64)
        .unwrap_or(0.0)
}

impl Costs {
    /// What happened between `earlier` and this snapshot.
    pub fn since(&self, earlier: &Costs) -> Costs {
        let ops = self
            .ops
            .iter()
            .map(|(op, now)| {
                let before = earlier.ops.get(op).copied().unwrap_or_default();
                let cost = OpCost {
                    requests: now.requests - before.requests,
                    units: now.units - before.units,
                };
                (op.clone(), cost)
            })
            .filter(|(_, c)| c.requests > 0)
            .collect();
        Costs { ops }
    }

    /// Requests of every operation.
    pub fn requests(&self) -> u64 {
        self.ops.values().map(|c| c.requests).sum()
    }

    /// Requests of the calls that write.
    pub fn write_requests(&self) -> u64 {
        self.writes().map(|(_, c)| c.requests).sum()
    }

    /// Write units (table and indexes).
    pub fn write_units(&self) -> f64 {
        // `+ 0.0`: an empty f64 sum is -0.0, which prints as "-0".
        self.writes().map(|(_, c)| c.units).sum::<f64>() + 0.0
    }

    /// Read units.
    pub fn read_units(&self) -> f64 {
        self.ops
            .iter()
            .filter(|(op, _)| READS.contains(&op.as_str()))
            .map(|(_, c)| c.units)
            .sum::<f64>()
            + 0.0
    }

    fn writes(&self) -> impl Iterator<Item = (&String, &OpCost)> {
        self.ops
            .iter()
            .filter(|(op, _)| METERED.contains(&op.as_str()) && !READS.contains(&op.as_str()))
    }

    /// One line: `BatchWriteItem 400 req 8000.0 u, Query 3 req 1.5 u`.
    pub fn summary(&self) -> String {
        let parts: Vec<String> = self
            .ops
            .iter()
            .map(|(op, c)| format!("{op} {} req {:.1} u", c.requests, c.units))
            .collect();
        parts.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_calls_that_take_the_parameter_are_rewritten() {
        let meter = Meter::new(false);
        let put = meter.request("PutItem", br#"{"TableName":"t"}"#).unwrap();
        let put: Value = serde_json::from_slice(&put).unwrap();
        assert_eq!(put["ReturnConsumedCapacity"], "INDEXES");
        assert_eq!(put["TableName"], "t");
        assert!(meter
            .request("DescribeTable", br#"{"TableName":"t"}"#)
            .is_none());
        assert_eq!(Meter::operation("DynamoDB_20120810.Query"), Some("Query"));
        assert_eq!(Meter::operation("AmazonSQS.SendMessage"), None);
    }

    #[test]
    fn units_add_up_over_tables_and_split_into_reads_and_writes() {
        let meter = Meter::new(false);
        meter.record(
            "BatchWriteItem",
            br#"{"ConsumedCapacity":[{"TableName":"a","CapacityUnits":6.0},{"TableName":"b","CapacityUnits":2.0}]}"#,
        );
        let before = meter.costs();
        meter.record("Query", br#"{"ConsumedCapacity":{"CapacityUnits":0.5}}"#);
        meter.record("DescribeTable", b"{}");
        let all = meter.costs();
        assert_eq!(all.write_units(), 8.0);
        assert_eq!(all.read_units(), 0.5);
        assert_eq!(all.requests(), 3);
        let since = all.since(&before);
        assert_eq!(since.write_requests(), 0);
        assert_eq!(since.requests(), 2);
        assert_eq!(since.read_units(), 0.5);
    }

    #[test]
    fn a_sink_answers_batches_for_every_table_asked() {
        let sink = Meter::new(true);
        let got = sink
            .sink_answer("BatchGetItem", br#"{"RequestItems":{"t":{"Keys":[]}}}"#)
            .unwrap();
        assert_eq!(got["Responses"]["t"], json!([]));
        assert!(sink.sink_answer("PutItem", b"{}").is_none());
        assert!(Meter::new(false)
            .sink_answer("BatchWriteItem", b"{}")
            .is_none());
    }
}
