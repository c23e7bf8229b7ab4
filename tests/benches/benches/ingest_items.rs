//! Rows per second of the whole ingest path (decode → detect → parse → validate → encode as a DynamoDB item)
//! against the encode floor (one owned SDK item cloned per row), on the bytes the parse bench reads.
//! `BENCHMARKS.md` records the ratios.
//!
//! `cargo bench -p creatoros-benches --bench ingest_items`

use std::io::Cursor;

use creatoros_formats::decode;
use creatoros_formats::reader::{PartDating, RowReader};
use creatoros_formats::rows::RowOutcome;
use creatoros_model::contract::{Item, KeyCodec};
use creatoros_model::ids::WorkspaceId;
use creatoros_model::imports::items::Provenance;
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};

#[path = "../../../core/formats/tests/support/exports.rs"]
mod exports;
use exports::{canonical, x_legacy, ROWS};

/// The whole path: every valid row of `bytes` as the item `BatchWriteItem` would send.
fn items<'a>(
    bytes: &[u8],
    codec: &'a KeyCodec,
    ws: &'a WorkspaceId,
) -> impl Iterator<Item = Item> + 'a {
    let (text, _) = decode::open(Cursor::new(bytes.to_vec()), false).unwrap();
    let mut reader =
        RowReader::open(text, &PartDating::upload_day("2026-11-30".parse().unwrap())).unwrap();
    std::iter::from_fn(move || reader.next_row()).filter_map(move |row| match row.unwrap() {
        RowOutcome::Metric(m) => {
            let metric = creatoros_model::imports::items::metric_of(
                &m,
                ws,
                m.post.default_id().clone(),
                &Provenance {
                    source: Some("bench".into()),
                    captured_at: None,
                    import_id: None,
                },
            );
            Some(codec.encode(&metric).unwrap())
        }
        _ => None,
    })
}

fn pipeline(bytes: &[u8], codec: &KeyCodec, ws: &WorkspaceId) -> usize {
    items(bytes, codec, ws).map(|item| item.len()).sum()
}

/// What any encoder that hands the SDK an owned item pays whatever it does: one representative metric item
/// (every attribute, keys, markers) cloned once per row, which allocates every name and value afresh.
fn sdk_item_floor(rows: usize, item: &Item) -> usize {
    let mut n = 0;
    for _ in 0..rows {
        n += black_box(item.clone()).len();
    }
    n
}

fn bench(c: &mut Criterion) {
    let codec = KeyCodec::default();
    let ws = WorkspaceId::parse("DEMO#bench").unwrap();
    for (name, bytes) in [("canonical", canonical()), ("x-tweet-activity", x_legacy())] {
        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Elements(ROWS as u64));
        group.sample_size(10);
        group.bench_function("decode+detect+parse+validate+encode", |b| {
            b.iter(|| black_box(pipeline(black_box(&bytes), &codec, &ws)))
        });
        let item = items(&bytes, &codec, &ws).next().unwrap();
        group.bench_function("SDK item clone only (encode floor)", |b| {
            b.iter(|| black_box(sdk_item_floor(ROWS, &item)))
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
