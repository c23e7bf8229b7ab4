//! Rows per second of the ingest path (decode → detect → parse → validate → encode as a DynamoDB item) against
//! the floor: the `csv` crate reading the same bytes as raw `ByteRecord`s. `BENCHMARKS.md` records the ratio.
//!
//! `cargo bench -p creatoros-core --bench ingest_parse`

use std::io::Cursor;

use creatoros_core::contract::{Item, KeyCodec};
use creatoros_core::ids::WorkspaceId;
use creatoros_core::ingest::decode;
use creatoros_core::ingest::reader::RowReader;
use creatoros_core::ingest::rows::RowOutcome;
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};

const ROWS: usize = 100_000;

/// A canonical export of `ROWS` rows, every column filled.
fn canonical() -> Vec<u8> {
    let mut s = String::from("post_id,platform,date,impressions,likes,comments,shares,saves,clicks,views,watch_time_seconds,followers_gained\n");
    for i in 0..ROWS {
        s.push_str(&format!(
            "post-{},{},2026-{:02}-{:02},{},{},{},{},{},{},{},{}.5,{}\n",
            i % 5000,
            ["x", "linkedin", "youtube", "rednote"][i % 4],
            i % 12 + 1,
            i % 28 + 1,
            1000 + i,
            i % 500,
            i % 50,
            i % 20,
            i % 30,
            i % 70,
            i % 9000,
            i % 600,
            i as i64 % 11 - 5
        ));
    }
    s.into_bytes()
}

/// A legacy X export: every value quoted, counts as floats, many unused columns, like the real files.
fn x_legacy() -> Vec<u8> {
    let mut s = String::from("\"Tweet id\",\"Tweet permalink\",\"Tweet text\",\"time\",\"impressions\",\"engagements\",\"engagement rate\",\"retweets\",\"replies\",\"likes\",\"user profile clicks\",\"url clicks\",\"hashtag clicks\",\"detail expands\",\"permalink clicks\",\"app opens\",\"app installs\",\"follows\",\"email tweet\",\"dial phone\",\"media views\",\"media engagements\"\n");
    for i in 0..ROWS {
        let id = 1_465_712_230_054_432_768u64 + i as u64;
        s.push_str(&format!(
            "\"{id}\",\"https://twitter.com/acme/status/{id}\",\"Shipping day {i}, with a link https://t.co/x and #tags\",\"2021-11-{:02} 16:00 +0000\",\"{}.0\",\"5.0\",\"0.0028\",\"{}.0\",\"{}.0\",\"{}.0\",\"0.0\",\"{}.0\",\"0.0\",\"3.0\",\"0.0\",\"0\",\"0\",\"{}\",\"0\",\"0\",\"{}\",\"0\"\n",
            i % 28 + 1, 1777 + i, i % 9, i % 4, i % 40, i % 12, i % 3, i % 100
        ));
    }
    s.into_bytes()
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
    let mut reader = RowReader::open(text).unwrap();
    let mut rows = 0;
    while let Some(row) = reader.next_row() {
        if let RowOutcome::Metric(_) = row.unwrap() {
            rows += 1;
        }
    }
    rows
}

/// The whole path: every valid row of `bytes` as the item `BatchWriteItem` would send.
fn items<'a>(
    bytes: &[u8],
    codec: &'a KeyCodec,
    ws: &'a WorkspaceId,
) -> impl Iterator<Item = Item> + 'a {
    let (text, _) = decode::open(Cursor::new(bytes.to_vec()), false).unwrap();
    let mut reader = RowReader::open(text).unwrap();
    std::iter::from_fn(move || reader.next_row()).filter_map(move |row| match row.unwrap() {
        RowOutcome::Metric(m) => {
            let metric = m.to_metric(
                ws,
                m.post.default_id().clone(),
                Some("bench".into()),
                None,
                None,
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
        group.bench_function("raw csv ByteRecord (floor)", |b| {
            b.iter(|| black_box(raw_csv(black_box(&bytes))))
        });
        group.bench_function("decode+detect+parse+validate", |b| {
            b.iter(|| black_box(parse_only(black_box(&bytes))))
        });
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
