//! Rows per second of the parse path (decode → detect → parse → validate) against the floor: the `csv` crate
//! reading the same bytes as raw `ByteRecord`s; and the same rows read whole through `export::read` as a plain
//! CSV, as an `.xlsx` workbook and inside a zip, in one process. Depends on `creatoros-formats` alone;
//! `BENCHMARKS.md` records the ratios.
//!
//! `cargo bench -p creatoros-benches --bench parse`

use std::io::Cursor;

use std::ops::ControlFlow;

use creatoros_formats::decode;
use creatoros_formats::export::{self, Event, Limits, Upload};
use creatoros_formats::reader::{PartDating, RowReader};
use creatoros_formats::rows::RowOutcome;
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};

#[path = "../../../core/formats/tests/support/containers.rs"]
mod containers;
#[path = "../../../core/formats/tests/support/exports.rs"]
mod exports;
use containers::{as_workbook, as_zip};
use exports::{canonical, x_legacy, ROWS};

/// Rows an upload yields through `export::read`, whatever its container.
fn read_upload(bytes: &[u8], name: &str) -> usize {
    let upload = Upload {
        name: name.to_owned(),
        uploaded: "2026-11-30".parse().unwrap(),
        gzip_expected: false,
        limits: Limits::default(),
    };
    let mut rows = 0;
    export::read(
        Box::new(Cursor::new(bytes.to_vec())),
        &upload,
        None,
        &mut |event| {
            if let Event::Row(RowOutcome::Metric(_), _) = event {
                rows += 1;
            }
            ControlFlow::Continue(())
        },
    )
    .unwrap();
    rows
}

fn raw_csv(bytes: &[u8]) -> usize {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut record = csv::ByteRecord::new();
    let mut n = 0;
    while reader.read_byte_record(&mut record).unwrap() {
        n += record.len();
    }
    n
}

fn parse_only(bytes: &[u8]) -> usize {
    let (text, _) = decode::open(Cursor::new(bytes.to_vec()), false).unwrap();
    let mut reader =
        RowReader::open(text, &PartDating::upload_day("2026-11-30".parse().unwrap())).unwrap();
    let mut rows = 0;
    while let Some(row) = reader.next_row() {
        if let RowOutcome::Metric(_) = row.unwrap() {
            rows += 1;
        }
    }
    rows
}

fn bench(c: &mut Criterion) {
    for (name, bytes) in [("canonical", canonical()), ("x-tweet-activity", x_legacy())] {
        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Elements(ROWS as u64));
        group.sample_size(10);
        group.bench_function("raw csv ByteRecord (floor)", |b| {
            b.iter(|| black_box(raw_csv(black_box(&bytes))))
        });
        group.bench_function("decode+detect+parse+validate", |b| {
            b.iter(|| black_box(parse_only(black_box(&bytes))))
        });
        group.finish();
    }
    // The same 100,000 rows in each container, read whole as the worker reads an upload.
    let csv = canonical();
    let xlsx = as_workbook(&csv);
    let zip = as_zip("export.csv", &csv);
    assert_eq!(
        read_upload(&xlsx, "export.xlsx"),
        read_upload(&csv, "export.csv")
    );
    assert_eq!(
        read_upload(&zip, "export.zip"),
        read_upload(&csv, "export.csv")
    );
    let mut group = c.benchmark_group("containers");
    group.throughput(Throughput::Elements(ROWS as u64));
    group.sample_size(10);
    for (name, bytes) in [
        ("export.csv", &csv),
        ("export.xlsx", &xlsx),
        ("export.zip", &zip),
    ] {
        group.bench_function(format!("{name} ({} bytes)", bytes.len()), |b| {
            b.iter(|| black_box(read_upload(black_box(bytes), name)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
