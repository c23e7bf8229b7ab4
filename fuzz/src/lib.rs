//! One input through one parser, with the invariants that must hold whatever the bytes: the fuzz targets
//! (`fuzz/fuzz_targets/*.rs`, run by `cargo fuzz`) are one-liners calling these, and
//! `tests/tests/fuzz_corpus.rs` includes this file to replay every committed corpus and regression input on the
//! stable toolchain. Only dependencies the `creatoros-tests` crate also has may be used here.
//!
//! - [`parse_export`]: an uploaded file through decode → detect → rows → metric items and rejects, and a
//!   continuation from a checkpoint, as the ingest worker drives them;
//! - [`object_key`]: an S3 key through the notification decoding and the workspace parser;
//! - [`ingest_message`]: an ingest-queue message body (S3 notifications, `reingest`, `continue`);
//! - [`stream_record`]: a DynamoDB stream record or event, or an insights-queue message, through the stream
//!   filter, the months a record touches, and the `rederive` command decoding.

use std::io::{Cursor, Read};

use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::sqs::SqsEvent;
use creatoros_core::contract::KeyCodec;
use creatoros_core::ids::{Month, WorkspaceId};
use creatoros_core::ingest::import_id::import_id;
use creatoros_core::ingest::object_key::{decode_notification_key, workspace_of, KeyError};
use creatoros_core::triggers::{is_trigger, touched};
use creatoros_formats::decode::{self, Decoding};
use creatoros_formats::formats::format_by_name;
use creatoros_formats::reader::{Position, RowReader, DELIMITERS};
use creatoros_formats::rejects::RejectsWriter;
use creatoros_formats::rows::RowOutcome;
use creatoros_formats::FileError;
use creatoros_ingest::linker::Linker;
use creatoros_ingest::message::{self, Command as IngestCommand, CommandBody};
use creatoros_insights_worker::handler::{rederive_body, Command as InsightsCommand, Rederive};

/// One input through one target.
pub type Target = fn(&[u8]);

/// Every target by name (the directory names under `fuzz/corpus/` and `fuzz/regressions/`).
pub const TARGETS: [(&str, Target); 4] = [
    ("parse_export", parse_export),
    ("object_key", object_key),
    ("ingest_message", ingest_message),
    ("stream_record", stream_record),
];

/// Rows read per input at most (a small gzip can inflate to millions of blank lines; the invariants are the
/// same on the first rows as on the rest).
const MAX_ROWS: usize = 100_000;

/// The workspace the fuzzed file was uploaded to.
const WORKSPACE: &str = "DEMO#fuzz";

/// What one row became and where the reader stood after it.
type RowRead = (RowOutcome, Position);

/// An uploaded object's bytes through the ingest path, as `ingest/src/import.rs` drives it: `decode::open`,
/// `RowReader::open`, each row to a metric item (linked, stamped, encoded by the table codec) or a rejects-file
/// line; then a continuation from a checkpoint half way, which must read exactly the same rows.
pub fn parse_export(data: &[u8]) {
    // A key ending in `.gz` promises gzip: anything else is refused before a byte is decoded.
    if !data.starts_with(&[0x1f, 0x8b]) {
        assert!(matches!(
            decode::open(Cursor::new(data.to_vec()), true),
            Err(FileError::NotGzip)
        ));
    }
    let (text, decoding) = match decode::open(Cursor::new(data.to_vec()), false) {
        Ok(opened) => opened,
        Err(e) => return permanent(&e),
    };
    let mut reader = match RowReader::open(text) {
        Ok(reader) => reader,
        Err(e) => return permanent(&e),
    };
    let format = reader.format();
    let header = reader.header().to_vec();
    let delimiter = reader.delimiter();
    assert!(DELIMITERS.contains(&delimiter));
    assert!(!header.is_empty());
    assert_eq!(
        format_by_name(format.name).map(|f| f.name),
        Some(format.name)
    );
    let start = reader.position();
    assert!(start.line >= 1);

    let (rows, error) = read_all(&mut reader);
    if let Some(e) = &error {
        permanent(e);
    }
    check_rows(&rows, start, &header, format.name);
    if error.is_none() && rows.len() < MAX_ROWS {
        check_continuation(data, &decoding, &rows, &header, format.name, delimiter);
    }
}

/// Errors reading bytes held in memory can never be worth a retry: a transient one would send a bad file round
/// the queue until the dead-letter queue.
fn permanent(e: &FileError) {
    assert!(!e.is_retryable(), "in-memory input failed transiently: {e}");
    assert!(!e.to_string().is_empty());
}

fn read_all<R: Read>(reader: &mut RowReader<R>) -> (Vec<RowRead>, Option<FileError>) {
    let mut rows = Vec::new();
    while rows.len() < MAX_ROWS {
        match reader.next_row() {
            Some(Ok(outcome)) => rows.push((outcome, reader.position())),
            Some(Err(e)) => return (rows, Some(e)),
            None => break,
        }
    }
    (rows, None)
}

/// Every row is a metric item or a located rejection (or a skipped blank/summary line), in file order.
fn check_rows(rows: &[RowRead], start: Position, header: &[String], format: &str) {
    let workspace = WorkspaceId::parse(WORKSPACE).expect("valid workspace");
    let linker = Linker::from_variants(&[]);
    let codec = KeyCodec::default();
    let import = import_id(
        "uploads",
        "imports/DEMO#fuzz/export.csv",
        None,
        Some("\"e\""),
    );
    let mut rejects = RejectsWriter::new(Vec::new(), Some(header)).expect("in memory");
    let mut rejected = Vec::new();
    let mut last_line = start.line.saturating_sub(1);
    let mut last = start;
    for (outcome, at) in rows {
        assert!(
            at.byte > last.byte && at.line >= last.line,
            "the reader went backwards or stood still: {last:?} then {at:?}"
        );
        let line = match outcome {
            RowOutcome::Metric(m) => {
                let (post_id, _) = linker.resolve(&m.post);
                assert_eq!(&post_id, m.post.default_id());
                let metric = creatoros_core::ingest::items::metric_of(
                    m,
                    &workspace,
                    post_id,
                    Some(format.to_owned()),
                    Some("2026-10-06T09:00:00.000Z".to_owned()),
                    Some(import.to_string()),
                );
                assert_eq!(metric.month, m.date.month());
                if let Err(e) = codec.encode(&metric) {
                    panic!("line {}: a valid row cannot be stored: {e}", m.line);
                }
                Some(m.line)
            }
            RowOutcome::Rejected(r) => {
                assert!(!r.error.reason.is_empty(), "unexplained rejection");
                rejects.write(r).expect("in memory");
                rejected.push(r.error.line);
                Some(r.error.line)
            }
            RowOutcome::Skipped => None,
        };
        if let Some(line) = line {
            assert!(
                line > last_line && line >= last.line && line <= at.line,
                "row at line {line} after line {last_line}, reader from {last:?} to {at:?}"
            );
            last_line = line;
        }
        last = *at;
    }
    check_rejects_file(rejects, header.len(), &rejected);
}

/// The rejects file reads back as CSV: the header, then one line per rejection naming its line, and no cell a
/// spreadsheet would run as a formula.
fn check_rejects_file(rejects: RejectsWriter<Vec<u8>>, columns: usize, lines: &[u64]) {
    assert_eq!(rejects.rows(), lines.len() as u64);
    let bytes = rejects.finish().expect("in memory");
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes.as_slice());
    // One record reused: `records()` clones each record with the widest record's bounds.
    let mut record = csv::StringRecord::new();
    let mut read = 0;
    while csv
        .read_record(&mut record)
        .expect("the rejects file is CSV")
    {
        if read == 0 {
            assert_eq!(record.len(), columns + 2);
            assert_eq!(&record[0], "line");
        } else {
            let line = lines.get(read - 1).expect("one line per rejected row");
            assert_eq!(record[0], line.to_string());
        }
        for cell in record.iter().skip(1) {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "formula cell in the rejects file: {cell:?}"
            );
        }
        read += 1;
    }
    assert_eq!(read, lines.len() + 1, "header plus one per row");
}

/// A continuation as the worker runs it from a checkpoint after row `k`: a ranged read from the raw offset when
/// the decoded text is the object's own bytes, otherwise decoding again and skipping what was read; either way it
/// must read exactly the rows the first reader read after row `k`, at the same lines and positions.
fn check_continuation(
    data: &[u8],
    decoding: &Decoding,
    rows: &[RowRead],
    header: &[String],
    format: &str,
    delimiter: u8,
) {
    if rows.is_empty() {
        return;
    }
    let k = rows.len().div_ceil(2);
    let at = rows[k - 1].1;
    let expected = &rows[k..];
    // What the checkpoint stores, and how the worker reads it back (`import::checkpoint`, `import::read_rows`).
    let stored_delimiter = (delimiter as char).to_string();
    let delimiter = stored_delimiter.bytes().next().unwrap_or(b',');
    let format = format_by_name(format).expect("stored format names resolve");
    let resumed: Vec<RowRead> = if decoding.offsets_are_raw() {
        let raw = decoding.bom_len + at.byte;
        if raw >= data.len() as u64 {
            // The worker finishes without reading: nothing may be left.
            assert!(expected.is_empty(), "rows after a checkpoint at the end");
            return;
        }
        let text = Cursor::new(&data[raw as usize..]);
        let mut reader = RowReader::resume(text, format, header.to_vec(), delimiter, at)
            .expect("a stored header resumes");
        read_resumed(&mut reader)
    } else {
        let (mut text, _) = decode::open(Cursor::new(data.to_vec()), false).expect("opened before");
        std::io::copy(&mut (&mut text).take(at.byte), &mut std::io::sink()).expect("read before");
        let mut reader = RowReader::resume(text, format, header.to_vec(), delimiter, at)
            .expect("a stored header resumes");
        read_resumed(&mut reader)
    };
    assert_eq!(
        resumed, expected,
        "a continuation from {at:?} read different rows"
    );
}

fn read_resumed<R: Read>(reader: &mut RowReader<R>) -> Vec<RowRead> {
    let (rows, error) = read_all(reader);
    if let Some(e) = error {
        panic!("a continuation failed where the first reader did not: {e}");
    }
    rows
}

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
    }) = &command;
    let Ok((workspace, month)) = month_key(workspace_id, month) else {
        return;
    };
    let body = rederive_body(&workspace, &month);
    assert_eq!(
        serde_json::from_str::<InsightsCommand>(&body).ok(),
        Some(command)
    );
}
