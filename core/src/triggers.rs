//! Which table changes trigger a derivation: the DynamoDB stream filter, defined once.
//!
//! The SAM template's `FilterCriteria` must hold exactly these patterns (a test compares them); the local event
//! source runner and the insights handler apply the same ones. They select the records that change metrics:
//! a metric the app wrote or edited (the ingest worker stamps `importId` on its own rows, which are covered by
//! the import reaching a final state instead), a metric deleted, and an import that finished with rows written.
//! The worker's own insight and task writes match none of them, so derivations never trigger themselves.

/// Lambda event-filter patterns (JSON), in template order.
pub const STREAM_FILTER_PATTERNS: [&str; 3] = [
    r#"{"eventName":["INSERT","MODIFY"],"dynamodb":{"NewImage":{"__edb_e__":{"S":["metric"]},"importId":{"S":[{"exists":false}]}}}}"#,
    r#"{"eventName":["REMOVE"],"dynamodb":{"OldImage":{"__edb_e__":{"S":["metric"]}}}}"#,
    r#"{"eventName":["INSERT","MODIFY"],"dynamodb":{"NewImage":{"__edb_e__":{"S":["import"]},"status":{"S":["completed","partial"]}}}}"#,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_are_json_objects() {
        for p in STREAM_FILTER_PATTERNS {
            let v: serde_json::Value = serde_json::from_str(p).unwrap();
            assert!(v.is_object(), "{p}");
        }
    }
}
