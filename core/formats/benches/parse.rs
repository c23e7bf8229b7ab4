//! Rows per second of the parse path (decode → detect → parse → validate) against the floor: the `csv` crate
//! reading the same bytes as raw `ByteRecord`s. Depends on `creatoros-formats` alone; `BENCHMARKS.md` records the
//! ratio.
//!
//! `cargo bench -p creatoros-formats --bench parse`

use std::io::Cursor;

use creatoros_formats::decode;
use creatoros_formats::reader::{PartDating, RowReader};
use creatoros_formats::rows::RowOutcome;
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};

mod exports;
use exports::{canonical, x_legacy, ROWS};

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
}

criterion_group!(benches, bench);
criterion_main!(benches);
