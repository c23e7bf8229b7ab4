//! Properties of the ingest reader over generated input: arbitrary bytes never panic it, and generated canonical
//! rows come back exactly, wherever the file is cut and resumed.

use std::io::Cursor;
use std::ops::ControlFlow;

use creatoros_formats::decode;
use creatoros_formats::export::{self, Event, Limits, Upload};
use creatoros_formats::formats::CANONICAL;
use creatoros_formats::reader::{PartDating, RowReader};
use creatoros_formats::rows::{PostRef, RowOutcome};
use proptest::prelude::*;

#[path = "support/containers.rs"]
mod containers;

fn upload(gz: bool) -> Upload {
    Upload {
        name: "export.csv".into(),
        uploaded: "2026-11-30".parse().unwrap(),
        gzip_expected: gz,
        limits: Limits::default(),
    }
}

fn dating() -> PartDating {
    PartDating {
        part: None,
        snapshot: "2026-11-30".parse().unwrap(),
        period_start: None,
        uploaded: "2026-11-30".parse().unwrap(),
    }
}

/// Reads everything; returns (metrics, rejected, file error?).
fn read_all(bytes: Vec<u8>, gz: bool) -> (usize, usize, bool) {
    let (mut ok, mut bad) = (0, 0);
    let result = export::read(
        Box::new(Cursor::new(bytes)),
        &upload(gz),
        None,
        &mut |event| {
            match event {
                Event::Row(RowOutcome::Metric(m), _) => {
                    assert!(m.line >= 2, "a data row cannot be on the header's line");
                    ok += 1
                }
                Event::Row(RowOutcome::Daily(_), _) => ok += 1,
                Event::Row(RowOutcome::Rejected(r), _) => {
                    assert!(!r.error.reason.is_empty());
                    assert!(
                        r.error.reason.len() < 400,
                        "bounded message: {}",
                        r.error.reason.len()
                    );
                    bad += 1
                }
                _ => {}
            }
            ControlFlow::Continue(())
        },
    );
    (ok, bad, result.is_err())
}

fn row() -> impl Strategy<Value = (String, &'static str, String, u64, u64)> {
    (
        "[A-Za-z0-9_-]{1,20}",
        prop::sample::select(vec!["linkedin", "x", "youtube", "rednote"]),
        (2004i32..2026, 1u8..=12, 1u8..=28).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")),
        0u64..10_000_000,
        0u64..100_000,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..4096), gz in any::<bool>()) {
        read_all(bytes, gz);
    }

    #[test]
    fn arbitrary_bytes_after_a_valid_header_never_panic(tail in prop::collection::vec(any::<u8>(), 0..4096)) {
        let lines = tail.iter().filter(|b| **b == b'\n').count();
        let mut bytes = b"post_id,platform,date,impressions,likes,title\n".to_vec();
        bytes.extend(tail);
        let (ok, bad, file_error) = read_all(bytes, false);
        // Whatever the rows hold, a file with a good header reads to the end, one outcome per line at most.
        prop_assert!(!file_error);
        prop_assert!(ok + bad <= lines + 1, "{} outcomes from {} lines", ok + bad, lines + 1);
    }

    #[test]
    fn text_with_quotes_delimiters_and_newlines_never_panics(tail in "[a-z0-9,;\"\t\r\n -]{0,2000}") {
        let bytes = format!("post_id,platform,date,likes\n{tail}").into_bytes();
        let (_, _, file_error) = read_all(bytes, false);
        prop_assert!(!file_error);
    }

    #[test]
    fn generated_rows_read_back_exactly_and_resume_anywhere(
        rows in prop::collection::vec(row(), 1..40),
        crlf in any::<bool>(),
        cut in any::<prop::sample::Index>(),
    ) {
        let nl = if crlf { "\r\n" } else { "\n" };
        let mut text = format!("post_id,platform,date,impressions,likes{nl}");
        for (id, platform, date, imp, likes) in &rows {
            text.push_str(&format!("{id},{platform},{date},{imp},{likes}{nl}"));
        }
        let bytes = text.into_bytes();

        // One pass, stopping after `stop` rows to take a checkpoint.
        let stop = cut.index(rows.len() + 1);
        let (t, _) = decode::open(Cursor::new(bytes.clone()), false).unwrap();
        let mut reader = RowReader::open(t, &dating()).unwrap();
        let mut got = Vec::new();
        for _ in 0..stop {
            match reader.next_row().unwrap().unwrap() {
                RowOutcome::Metric(m) => got.push(m),
                other => prop_assert!(false, "unexpected {:?}", other),
            }
        }
        let at = reader.position();
        let header = reader.header().to_vec();
        // A continuation reads on from the checkpoint's byte offset, as a ranged GET would.
        let context = reader.context().clone();
        let mut resumed = RowReader::resume(Cursor::new(bytes[at.byte as usize..].to_vec()), &CANONICAL, header, b',', context, at).unwrap();
        while let Some(row) = resumed.next_row() {
            match row.unwrap() {
                RowOutcome::Metric(m) => got.push(m),
                other => prop_assert!(false, "unexpected {:?}", other),
            }
        }
        prop_assert_eq!(got.len(), rows.len());
        for (i, (m, (id, platform, date, imp, likes))) in got.iter().zip(&rows).enumerate() {
            prop_assert_eq!(m.line, i as u64 + 2);
            prop_assert_eq!(&m.post, &PostRef::App(id.parse().unwrap()));
            prop_assert_eq!(m.platform.as_str(), *platform);
            prop_assert_eq!(m.date.as_str(), date.as_str());
            prop_assert_eq!(m.counts.impressions, Some(*imp as i64));
            prop_assert_eq!(m.counts.likes, Some(*likes as i64));
        }
    }
}

#[test]
fn a_row_that_never_ends_stops_the_file_with_its_line() {
    let mut bytes = b"post_id,platform,date,title\np1,x,2026-10-06,ok\np2,x,2026-10-06,\"".to_vec();
    bytes.extend(std::iter::repeat_n(b'a', 9 * 1024 * 1024));
    let (t, _) = decode::open(Cursor::new(bytes), false).unwrap();
    let mut reader = RowReader::open(t, &dating()).unwrap();
    assert!(matches!(reader.next_row(), Some(Ok(RowOutcome::Metric(_)))));
    let err = reader.next_row().unwrap().unwrap_err();
    assert_eq!(
        err.to_string(),
        "line 3: a row is longer than 8388608 bytes (an unclosed quote?)"
    );
}

/// A snapshot as compared here: (line, post, platform, date, impressions, likes).
type Seen = (u64, String, String, String, Option<i64>, Option<i64>);

/// The snapshots an upload yields.
fn snapshots(bytes: &[u8], name: &str) -> Vec<Seen> {
    let mut up = upload(false);
    up.name = name.to_owned();
    let mut out = Vec::new();
    export::read(
        Box::new(Cursor::new(bytes.to_vec())),
        &up,
        None,
        &mut |event| {
            if let Event::Row(RowOutcome::Metric(m), _) = event {
                out.push((
                    m.line,
                    m.post.default_id().to_string(),
                    m.platform.to_string(),
                    m.date.to_string(),
                    m.counts.impressions,
                    m.counts.likes,
                ));
            }
            ControlFlow::Continue(())
        },
    )
    .unwrap();
    out
}

proptest! {
    // Each case writes a workbook: fewer cases, the same reach.
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// A CSV, the same CSV alone in a zip, and its rows saved as a workbook are one export: the same snapshots,
    /// at the same lines (sheet rows).
    #[test]
    fn the_same_rows_read_the_same_from_csv_zip_and_workbook(rows in prop::collection::vec(row(), 1..25)) {
        let mut text = String::from("post_id,platform,date,impressions,likes\n");
        for (id, platform, date, imp, likes) in &rows {
            text.push_str(&format!("{id},{platform},{date},{imp},{likes}\n"));
        }
        let csv = text.into_bytes();
        let plain = snapshots(&csv, "export.csv");
        prop_assert_eq!(plain.len(), rows.len());
        prop_assert_eq!(&snapshots(&containers::as_zip("export.csv", &csv), "export.zip"), &plain);
        prop_assert_eq!(&snapshots(&containers::as_workbook(&csv), "export.xlsx"), &plain);
    }

    /// Whatever bytes a zip entry holds, reading the zip never panics and every failure is permanent.
    #[test]
    fn arbitrary_bytes_inside_a_zip_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
        let zip = containers::as_zip("Table data.csv", &bytes);
        let mut up = upload(false);
        up.name = "export.zip".into();
        let result = export::read(Box::new(Cursor::new(zip)), &up, None, &mut |_| ControlFlow::Continue(()));
        if let Err(e) = result {
            prop_assert!(!e.is_retryable());
        }
    }
}
