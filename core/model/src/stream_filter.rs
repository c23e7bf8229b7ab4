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

/// True when the stream record `record` (as Lambda delivers it: `eventName`, `dynamodb.NewImage` in DynamoDB
/// JSON, ...) matches any of [`STREAM_FILTER_PATTERNS`].
pub fn is_trigger(record: &serde_json::Value) -> bool {
    STREAM_FILTER_PATTERNS.iter().any(|p| {
        let pattern: serde_json::Value = serde_json::from_str(p).expect("patterns are JSON");
        matches(&pattern, record)
    })
}

/// Lambda event-filter matching, for the operators the patterns use: an object matches when every key matches;
/// a list of alternatives matches when any does; an alternative is a literal (equal to the value) or
/// `{"exists": bool}`, `{"prefix": "..."}`, `{"anything-but": [...]}`.
pub fn matches(pattern: &serde_json::Value, value: &serde_json::Value) -> bool {
    use serde_json::Value;
    match pattern {
        Value::Object(fields) => fields.iter().all(|(key, sub)| {
            let child = value.get(key).unwrap_or(&Value::Null);
            matches(sub, child)
        }),
        Value::Array(alternatives) => alternatives.iter().any(|alt| leaf(alt, value)),
        literal => literal == value,
    }
}

fn leaf(alternative: &serde_json::Value, value: &serde_json::Value) -> bool {
    use serde_json::Value;
    let present = !value.is_null();
    match alternative {
        Value::Object(op) if op.contains_key("exists") => op["exists"].as_bool() == Some(present),
        Value::Object(op) if op.contains_key("prefix") => {
            matches!((value, &op["prefix"]), (Value::String(v), Value::String(p)) if v.starts_with(p.as_str()))
        }
        Value::Object(op) if op.contains_key("anything-but") => {
            present
                && match &op["anything-but"] {
                    Value::Array(excluded) => !excluded.contains(value),
                    other => other != value,
                }
        }
        literal => present && literal == value,
    }
}

/// The (workspace, month) pairs a trigger record asks to derive: a metric's own month (new image, or old image
/// for a removal); every month an import wrote.
pub fn touched(record: &serde_json::Value) -> Vec<(String, String)> {
    let image = match record["eventName"].as_str() {
        Some("REMOVE") => &record["dynamodb"]["OldImage"],
        _ => &record["dynamodb"]["NewImage"],
    };
    let s = |v: &serde_json::Value| v["S"].as_str().map(str::to_owned);
    let Some(workspace) = s(&image["workspaceId"]) else {
        return Vec::new();
    };
    match image["__edb_e__"]["S"].as_str() {
        Some("metric") => s(&image["month"])
            .map(|m| vec![(workspace, m)])
            .unwrap_or_default(),
        Some("import") => image["months"]["L"]
            .as_array()
            .map(|months| {
                months
                    .iter()
                    .filter_map(s)
                    .map(|m| (workspace.clone(), m))
                    .collect()
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(event: &str, image: serde_json::Value) -> serde_json::Value {
        let key = if event == "REMOVE" {
            "OldImage"
        } else {
            "NewImage"
        };
        json!({"eventName": event, "dynamodb": {key: image}})
    }

    #[test]
    fn patterns_are_json_objects() {
        for p in STREAM_FILTER_PATTERNS {
            let v: serde_json::Value = serde_json::from_str(p).unwrap();
            assert!(v.is_object(), "{p}");
        }
    }

    #[test]
    fn app_metric_writes_trigger_and_import_rows_do_not() {
        let app = json!({"__edb_e__": {"S": "metric"}, "workspaceId": {"S": "w"}, "month": {"S": "2026-07"}});
        assert!(is_trigger(&record("INSERT", app.clone())));
        assert!(is_trigger(&record("MODIFY", app.clone())));
        assert!(is_trigger(&record("REMOVE", app.clone())));
        assert_eq!(
            touched(&record("MODIFY", app.clone())),
            [("w".to_owned(), "2026-07".to_owned())]
        );
        let mut ingested = app;
        ingested["importId"] = json!({"S": "imp-1"});
        assert!(!is_trigger(&record("INSERT", ingested.clone())));
        assert!(
            is_trigger(&record("REMOVE", ingested)),
            "any metric removal changes the month"
        );
    }

    #[test]
    fn only_finished_imports_with_rows_trigger() {
        let import = |status: &str| {
            json!({"__edb_e__": {"S": "import"}, "workspaceId": {"S": "w"}, "status": {"S": status},
            "months": {"L": [{"S": "2026-06"}, {"S": "2026-07"}]}})
        };
        assert!(is_trigger(&record("MODIFY", import("completed"))));
        assert!(is_trigger(&record("MODIFY", import("partial"))));
        assert!(!is_trigger(&record("MODIFY", import("processing"))));
        assert!(!is_trigger(&record("MODIFY", import("failed"))));
        assert!(!is_trigger(&record("REMOVE", import("completed"))));
        assert_eq!(touched(&record("MODIFY", import("completed"))).len(), 2);
    }

    #[test]
    fn the_workers_own_writes_never_trigger() {
        for entity in ["insight", "task", "derivation", "lock", "post", "variant"] {
            let image = json!({"__edb_e__": {"S": entity}, "workspaceId": {"S": "w"}, "month": {"S": "2026-07"}, "status": {"S": "completed"}});
            for event in ["INSERT", "MODIFY", "REMOVE"] {
                assert!(
                    !is_trigger(&record(event, image.clone())),
                    "{entity} {event}"
                );
            }
        }
    }

    #[test]
    fn operators() {
        assert!(matches(
            &json!({"a": [{"prefix": "imp-"}]}),
            &json!({"a": "imp-1"})
        ));
        assert!(!matches(
            &json!({"a": [{"anything-but": ["x"]}]}),
            &json!({"a": "x"})
        ));
        assert!(matches(
            &json!({"a": [{"anything-but": ["x"]}]}),
            &json!({"a": "y"})
        ));
        assert!(!matches(
            &json!({"a": [{"anything-but": ["x"]}]}),
            &json!({})
        ));
        assert!(matches(
            &json!({"a": {"b": [{"exists": false}]}}),
            &json!({"a": {}})
        ));
        assert!(matches(
            &json!({"a": {"b": [{"exists": false}]}}),
            &json!({})
        ));
        assert!(!matches(
            &json!({"a": {"b": [{"exists": false}]}}),
            &json!({"a": {"b": 1}})
        ));
    }
}
