//! Fuzz targets of the pipeline around the readers (needs the `pipeline` feature: they link the AWS-facing
//! crates): S3 keys, ingest-queue messages, DynamoDB stream records.
//!
//! - [`object_key`]: an S3 key through the notification decoding and the workspace parser;
//! - [`ingest_message`]: an ingest-queue message body (S3 notifications, `reingest`, `continue`);
//! - [`stream_record`]: a DynamoDB stream record or event, or an insights-queue message, through the stream
//!   filter, the months a record touches, and the `rederive` command decoding.

use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::sqs::SqsEvent;
use creatoros_ingest::message::{self, Command as IngestCommand, CommandBody};
use creatoros_insights_worker::handler::{
    rederive_body, scheduled_body, Command as InsightsCommand, Rederive,
};
use creatoros_model::ids::{Month, WorkspaceId};
use creatoros_model::imports::import_id::import_id;
use creatoros_model::imports::object_key::{decode_notification_key, workspace_of, KeyError};
use creatoros_model::stream_filter::{is_trigger, touched};

/// An object key: as a notification carries it (URL-encoded, decoded once) and as a `reingest` command carries it
/// (plain). A key is accepted only as `imports/<valid workspace id>/<file>`.
pub fn object_key(data: &[u8]) {
    let Ok(key) = std::str::from_utf8(data) else {
        return;
    };
    check_plain_key(key);
    match decode_notification_key(key) {
        Ok(decoded) => {
            if !key.contains(['%', '+']) {
                assert_eq!(
                    decoded, key,
                    "nothing to decode, yet decoding changed the key"
                );
            }
            check_plain_key(&decoded);
        }
        Err(KeyError::Encoding(k)) => assert_eq!(k, key),
        Err(other) => panic!("decoding refused a key for layout: {other}"),
    }
}

fn check_plain_key(key: &str) {
    match workspace_of(key) {
        Ok(workspace) => {
            let file = key
                .strip_prefix("imports/")
                .and_then(|rest| rest.strip_prefix(workspace.as_str()))
                .and_then(|rest| rest.strip_prefix('/'))
                .unwrap_or_else(|| panic!("{key:?} is not imports/{workspace}/<file>"));
            assert!(!file.is_empty() && !file.ends_with('/'), "{key:?}");
            assert!(
                !workspace
                    .as_str()
                    .contains(['/', '.', '%', ' ', '+', '$', '\\']),
                "{workspace}"
            );
            assert_eq!(
                WorkspaceId::parse(workspace.as_str()).as_ref(),
                Ok(&workspace)
            );
            let id = import_id("uploads", key, None, None);
            assert_eq!(id, import_id("uploads", key, None, Some("")));
        }
        Err(KeyError::Encoding(_)) => panic!("a plain key is never decoded"),
        Err(e) => assert!(!e.to_string().is_empty()),
    }
}

/// An ingest-queue message body, alone and inside the SQS event Lambda delivers. Commands survive being printed
/// and read again (the worker sends `continue` bodies to itself).
pub fn ingest_message(data: &[u8]) {
    let body = String::from_utf8_lossy(data);
    check_ingest_body(&body);
    if let Ok(event) = serde_json::from_slice::<SqsEvent>(data) {
        for m in &event.records {
            check_ingest_body(m.body.as_deref().unwrap_or_default());
        }
    }
}

fn check_ingest_body(body: &str) {
    let command = match message::parse(body) {
        Ok(command) => command,
        Err(e) => {
            assert!(!e.to_string().is_empty());
            return;
        }
    };
    match command {
        IngestCommand::TestEvent => {}
        IngestCommand::Ingest(objects) => {
            for o in objects {
                if let Some(etag) = &o.etag {
                    assert!(!etag.starts_with('"') && !etag.ends_with('"'), "{etag:?}");
                }
                // What `import::run` does first with every object.
                if workspace_of(&o.key).is_ok() {
                    let id = import_id(
                        &o.bucket,
                        &o.key,
                        o.version_id.as_deref(),
                        o.etag.as_deref(),
                    );
                    assert!(id.as_str().starts_with("imp-"));
                }
            }
        }
        IngestCommand::Reingest(o) => {
            let again = serde_json::to_string(&CommandBody::Reingest {
                bucket: o.bucket.clone(),
                key: o.key.clone(),
            })
            .expect("serialisable");
            assert_eq!(
                message::parse(&again).ok(),
                Some(IngestCommand::Reingest(o))
            );
        }
        IngestCommand::Continue { object, import_id } => {
            let again = serde_json::to_string(&CommandBody::Continue {
                bucket: object.bucket.clone(),
                key: object.key.clone(),
                import_id: import_id.clone(),
                etag: object.etag.clone(),
            })
            .expect("serialisable");
            assert_eq!(
                message::parse(&again).ok(),
                Some(IngestCommand::Continue { object, import_id })
            );
        }
    }
}

/// A stream record or event as Lambda delivers it, or an insights-queue message: the filter, the months a trigger
/// touches (as the handler reads them, through `EventRecord`), and `rederive` commands.
pub fn stream_record(data: &[u8]) {
    if let Ok(command) = serde_json::from_slice::<InsightsCommand>(data) {
        check_rederive(command);
    }
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    // The filter on the record as the event source mapping sees it.
    let raw_trigger = is_trigger(&value);
    let raw_months = touched(&value);
    for (w, m) in &raw_months {
        let _ = month_key(w, m);
    }
    // The record as the handler sees it: deserialized, then back to JSON for the same filter.
    if let Ok(record) = serde_json::from_value::<EventRecord>(value.clone()) {
        let (trigger, months) = handler_view(&record);
        if raw_trigger {
            assert!(
                trigger,
                "the mapping delivers a record the handler then ignores"
            );
        }
        if trigger {
            if let Ok(months) = months {
                let raw: Vec<(String, String)> = raw_months.clone();
                let read: Vec<(String, String)> = months
                    .iter()
                    .map(|(w, m)| (w.to_string(), m.to_string()))
                    .collect();
                assert_eq!(
                    read, raw,
                    "the handler derives other months than the record names"
                );
            }
        }
    }
    // A whole invocation, dispatched as the Lambda `main` does.
    if value["Records"][0]["eventSource"].as_str() == Some("aws:dynamodb") {
        if let Ok(event) = serde_json::from_value::<Event>(value) {
            for record in &event.records {
                let _ = handler_view(record);
            }
        }
    } else if let Ok(event) = serde_json::from_value::<SqsEvent>(value) {
        for m in &event.records {
            let body = m.body.as_deref().unwrap_or_default();
            if let Ok(command) = serde_json::from_str::<InsightsCommand>(body) {
                check_rederive(command);
            }
        }
    }
}

/// `handle_stream`: the filter on the re-serialized record, then its months (`months_of`, private to the
/// handler, restated here).
fn handler_view(record: &EventRecord) -> (bool, Result<Vec<(WorkspaceId, Month)>, String>) {
    let json = serde_json::to_value(record).unwrap_or_default();
    if !is_trigger(&json) {
        return (false, Ok(Vec::new()));
    }
    let months = serde_json::to_value(record)
        .map_err(|e| e.to_string())
        .and_then(|json| {
            touched(&json)
                .into_iter()
                .map(|(w, m)| month_key(&w, &m))
                .collect()
        });
    (true, months)
}

/// A (workspace, month) a derivation runs for; the month before it is read too, so it must be a month as well.
fn month_key(workspace: &str, month: &str) -> Result<(WorkspaceId, Month), String> {
    let workspace = WorkspaceId::parse(workspace).map_err(|e| e.to_string())?;
    let month = Month::parse(month).map_err(|e| e.to_string())?;
    // The month before 0000-01 once came out as "-001-12" (regressions/stream_record/month-0000-01.json).
    match month.previous() {
        Some(previous) => assert!(
            Month::parse(previous.as_str()).is_ok(),
            "{month} has no valid previous month: {previous}"
        ),
        None => assert_eq!(month.as_str(), "0000-01", "only the first month has none"),
    }
    Ok((workspace, month))
}

/// `handle_sqs`: a `rederive` names a valid month or is dropped; the body a busy derivation queues reads back as
/// the same command.
fn check_rederive(command: InsightsCommand) {
    let InsightsCommand::Rederive(Rederive {
        workspace_id,
        month,
    }) = &command
    else {
        // A `scheduled` command round-trips through its own body.
        if let InsightsCommand::Scheduled(s) = &command {
            let body = scheduled_body(s.day.as_deref());
            assert_eq!(
                serde_json::from_str::<InsightsCommand>(&body).ok(),
                Some(command)
            );
        }
        return;
    };
    let Ok((workspace, month)) = month_key(workspace_id, month) else {
        return;
    };
    let body = rederive_body(&workspace, &month);
    assert_eq!(
        serde_json::from_str::<InsightsCommand>(&body).ok(),
        Some(command)
    );
}
