//! Fuzz targets of the export readers (`creatoros-formats` alone, no AWS crate): an uploaded object's bytes
//! through [`export::read`] as the ingest worker drives it, and a continuation from a checkpoint half way,
//! which must hand out exactly the rows the first read did after it.
//!
//! - [`parse_export`]: any bytes, named like a CSV (text, gzip, or whatever the content turns out to be);
//! - [`workbook`]: bytes named like a workbook (seeded with `.xlsx` and `.xls` files);
//! - [`zip_archive`]: bytes named like a zip (seeded with YouTube's export zip and bad zips).

use std::io::Cursor;
use std::ops::ControlFlow;

use creatoros_formats::dates::EARLIEST;
use creatoros_formats::decode;
use creatoros_formats::export::{
    self, Container, Event, Limits, PartInfo, Position, Resume, TextResume, Upload,
};
use creatoros_formats::formats::format_by_name;
use creatoros_formats::rejects::RejectsWriter;
use creatoros_formats::rows::{Measured, RowOutcome};
use creatoros_formats::values::TITLE_CHARS;
use creatoros_formats::FileError;

/// Rows read per input at most (a small gzip can inflate to millions of blank lines; the invariants are the
/// same on the first rows as on the rest).
const MAX_ROWS: usize = 100_000;

/// Limits small enough that a fuzzed zip bomb costs milliseconds, not seconds.
const LIMITS: Limits = Limits {
    max_container_bytes: 8 * 1024 * 1024,
    max_uncompressed_bytes: 16 * 1024 * 1024,
    max_ratio: 200,
    max_entries: 200,
    max_sheet_rows: 200_000,
};

/// A CSV-named upload.
pub fn parse_export(data: &[u8]) {
    // A key ending in `.gz` promises gzip: anything else is refused before a byte is decoded.
    if !data.starts_with(&[0x1f, 0x8b]) {
        assert!(matches!(
            decode::open(Cursor::new(data.to_vec()), true),
            Err(FileError::NotGzip)
        ));
    }
    read_upload(data, "export.csv");
}

/// A workbook-named upload.
pub fn workbook(data: &[u8]) {
    read_upload(data, "AggregateAnalytics_Fuzz_2026-06-01_2026-06-07.xlsx");
}

/// A zip-named upload.
pub fn zip_archive(data: &[u8]) {
    read_upload(data, "Content 2025-06-13_2026-06-12 Fuzz.zip");
}

fn upload(name: &str) -> Upload {
    Upload {
        name: name.to_owned(),
        uploaded: "2026-11-30".parse().expect("day"),
        gzip_expected: false,
        limits: LIMITS,
    }
}

/// What one read handed out.
#[derive(Debug, Default)]
struct Read {
    parts: Vec<PartInfo>,
    rows: Vec<(RowOutcome, Position)>,
    error: Option<String>,
}

fn read(data: &[u8], upload: &Upload, resume: Option<&Resume>, from: usize) -> Read {
    let mut out = Read::default();
    let result = export::read(
        Box::new(Cursor::new(data[from..].to_vec())),
        upload,
        resume,
        &mut |event| {
            match event {
                Event::Part(p) => out.parts.push(p.clone()),
                Event::Row(row, at) => out.rows.push((row, at)),
            }
            if out.rows.len() >= MAX_ROWS {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        },
    );
    if let Err(e) = result {
        assert!(!e.is_retryable(), "in-memory input failed transiently: {e}");
        assert!(!e.to_string().is_empty());
        out.error = Some(e.to_string());
    }
    out
}

/// libfuzzer-sys aborts on every panic, caught or not; the readers catch panics inside `calamine` and `zip` (they
/// parse bytes of any origin and have panicked on some: see RELIABILITY.md) and report the file as damaged. So a
/// panic located in those crates unwinds to that guard, and any other still aborts: a crash in our own code.
fn panics_in_container_crates_unwind() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let abort = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let in_dependency = info.location().is_some_and(|l| {
                let file = l.file();
                file.contains("/calamine-") || file.contains("/zip-")
            });
            if !in_dependency {
                abort(info);
            }
        }));
    });
}

fn read_upload(data: &[u8], name: &str) {
    panics_in_container_crates_unwind();
    let upload = upload(name);
    let first = read(data, &upload, None, 0);
    check_parts(&first.parts);
    check_rows(&first);
    if first.error.is_none() && first.rows.len() < MAX_ROWS {
        check_continuation(data, &upload, &first);
    }
}

fn check_parts(parts: &[PartInfo]) {
    for (i, p) in parts.iter().enumerate() {
        assert_eq!(p.index as usize, i, "parts are numbered in order");
        if let Some(spec) = format_by_name(p.format) {
            assert!(
                !p.header.is_empty(),
                "{}: a tabular part has a header",
                spec.name
            );
        }
        assert!(p.context.snapshot.to_date() >= EARLIEST);
        assert!(p.context.snapshot <= p.context.dates.latest);
    }
}

/// Every row is a snapshot, a daily value, a note or a located rejection, in reading order, and what it says is
/// storable: plausible days, periods that end on their day, counts to date that are not negative, short titles.
fn check_rows(read: &Read) {
    let mut last = Position::default();
    let mut rejects: Option<RejectsWriter<Vec<u8>>> = None;
    let single_text = read.parts.len() == 1
        && matches!(read.parts[0].container, Container::Plain | Container::Gzip);
    if single_text {
        rejects =
            Some(RejectsWriter::new(Vec::new(), Some(&read.parts[0].header)).expect("in memory"));
    }
    let mut rejected = Vec::new();
    for (outcome, at) in &read.rows {
        assert!(
            (at.part, at.line) >= (last.part, last.line),
            "the reader went backwards: {last:?} then {at:?}"
        );
        let latest = read.parts[at.part as usize].context.dates.latest.clone();
        match outcome {
            RowOutcome::Metric(m) => {
                assert!(
                    m.date.to_date() >= EARLIEST && m.date <= latest,
                    "{:?}",
                    m.date
                );
                if let Some(p) = &m.published_at {
                    assert!(p.day().to_date() >= EARLIEST && *p.day() <= latest);
                }
                match &m.measured {
                    Measured::Lifetime => {
                        let c = &m.counts;
                        for v in [
                            c.impressions,
                            c.likes,
                            c.comments,
                            c.shares,
                            c.saves,
                            c.clicks,
                            c.views,
                        ] {
                            assert!(v.is_none_or(|v| v >= 0), "negative count to date: {m:?}");
                        }
                    }
                    Measured::Period { start, end } => {
                        assert_eq!(end, &m.date);
                        assert!(start.as_ref().is_none_or(|s| s <= end));
                    }
                }
                assert!(m
                    .title
                    .as_ref()
                    .is_none_or(|t| t.chars().count() <= TITLE_CHARS));
                for v in [m.counts.watch_time_seconds, m.counts.click_through_rate] {
                    assert!(v.is_none_or(f64::is_finite));
                }
                assert!(m
                    .counts
                    .click_through_rate
                    .is_none_or(|r| (0.0..=1.0).contains(&r)));
            }
            RowOutcome::Daily(d) => {
                assert!(
                    d.day.to_date() >= EARLIEST && d.day <= latest,
                    "{:?}",
                    d.day
                );
                assert!(d.counts.watch_time_seconds.is_none_or(f64::is_finite));
            }
            RowOutcome::Rejected(r) => {
                assert!(!r.error.reason.is_empty(), "unexplained rejection");
                assert!(r.error.reason.len() < 600, "bounded message");
                if let Some(w) = rejects.as_mut() {
                    w.write(r).expect("in memory");
                    rejected.push(r.error.line);
                }
            }
            RowOutcome::Note(n) => assert!(!n.is_empty()),
            RowOutcome::Skipped => {}
        }
        last = *at;
    }
    if let Some(w) = rejects {
        check_rejects_file(w, read.parts[0].header.len(), &rejected);
    }
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

/// A continuation as the worker runs it from a checkpoint after row `k` (`ingest/src/import.rs`: `checkpoint`,
/// `resume_of`): a text file continues in place (from its raw offset when the decoded text is the object's own
/// bytes), anything else is read again from its start; either way exactly the rows after row `k` come out.
fn check_continuation(data: &[u8], upload: &Upload, first: &Read) {
    if first.rows.is_empty() {
        return;
    }
    let k = first.rows.len().div_ceil(2);
    let at = first.rows[k - 1].1;
    let expected: Vec<&(RowOutcome, Position)> = first.rows[k..].iter().collect();
    let part = &first.parts[at.part as usize];
    let text_file = matches!(part.container, Container::Plain | Container::Gzip) && at.part == 0;
    let raw_offset = part
        .decoding
        .filter(|d| text_file && d.offsets_are_raw())
        .map(|d| d.bom_len + at.byte);
    let resume = Resume {
        at,
        text: text_file.then(|| TextResume {
            format: part.format.to_owned(),
            header: part.header.clone(),
            delimiter: part.delimiter,
            context: part.context.clone(),
        }),
        in_place: raw_offset.is_some(),
    };
    if let Some(raw) = raw_offset {
        if raw >= data.len() as u64 {
            // The worker finishes without reading: nothing may be left.
            assert!(expected.is_empty(), "rows after a checkpoint at the end");
            return;
        }
    }
    let again = read(
        data,
        upload,
        Some(&resume),
        raw_offset.unwrap_or(0) as usize,
    );
    assert!(
        again.error.is_none(),
        "a continuation failed where the first read did not: {:?}",
        again.error
    );
    let got: Vec<&(RowOutcome, Position)> = again.rows.iter().collect();
    assert_eq!(
        got, expected,
        "a continuation from {at:?} read different rows"
    );
}
