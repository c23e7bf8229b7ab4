//! Metric write strategies against DynamoDB Local, in one process, same data: how much newest-upload-wins costs.
//!
//! 1. plain `BatchWriteItem` of encoded items (no newest-wins check: the floor);
//! 2. [`WriteMode::Batch`]: `BatchGetItem` of the chunk's keys, drop older/identical rows, `BatchWriteItem`;
//! 3. [`WriteMode::Conditional`]: one conditional `PutItem` per item, 32 in flight;
//! 4. [`WriteMode::Batch`] again on the same data (a replay: reads only, writes nothing).
//!
//! `make bench-writes` (starts the stack), or with the stack's environment loaded:
//! `cargo run --release -p creatoros-benches --features stack --bin bench_writes -- [items]`

use std::time::Instant;

use creatoros_ingest::writer::{MetricWriter, WriteMode};
use creatoros_model::contract::KeyCodec;
use creatoros_model::entities::Metric;
use creatoros_store::TableRepo;
use creatoros_tests::LocalStack;
use serde_json::json;

fn metrics(workspace: &str, n: usize, import: &str) -> Vec<Metric> {
    (0..n)
        .map(|i| {
            serde_json::from_value(json!({
                "workspaceId": workspace, "postId": format!("p{}", i / 28), "platform": "x",
                "date": format!("2026-10-{:02}", i % 28 + 1), "month": "2026-10",
                "impressions": 1000 + i, "likes": i % 97, "comments": i % 13, "shares": i % 7,
                "capturedAt": "2026-10-30T00:00:00.000Z", "importId": import, "source": "bench"
            }))
            .unwrap()
        })
        .collect()
}

/// Writes `items` with `writer` in chunks of 1,000, as the ingest worker does; returns items written.
async fn write_all(writer: &MetricWriter<'_>, codec: &KeyCodec, items: &[Metric]) -> usize {
    let mut written = 0;
    for chunk in items.chunks(1000) {
        let encoded = chunk.iter().map(|m| codec.encode(m).unwrap()).collect();
        written += writer.write(encoded).await.unwrap().written;
    }
    written
}

/// Runs one strategy and prints its rate; returns items per second.
async fn timed<F, Fut>(label: &str, items: usize, run: F) -> f64
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = usize>,
{
    let started = Instant::now();
    let written = run().await;
    let rate = items as f64 / started.elapsed().as_secs_f64();
    println!("{label:<58} {rate:>9.0} items/s  ({written} written)");
    rate
}

async fn create_without_stream(
    client: &aws_sdk_dynamodb::Client,
    spec: &creatoros_stack::resources::TableSpec,
) {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    };
    let key = |n: &str, t| {
        KeySchemaElement::builder()
            .attribute_name(n)
            .key_type(t)
            .build()
            .unwrap()
    };
    let attr = |n: &str| {
        AttributeDefinition::builder()
            .attribute_name(n)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .unwrap()
    };
    client
        .create_table()
        .table_name(&spec.name)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key(spec.hash_key, KeyType::Hash))
        .key_schema(key(spec.range_key, KeyType::Range))
        .attribute_definitions(attr(spec.hash_key))
        .attribute_definitions(attr(spec.range_key))
        .send()
        .await
        .unwrap();
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .map_or(20_000, |a| a.parse().expect("item count"));
    let stack = LocalStack::connect().await;
    let table = stack.fresh_table("bench-writes").await;
    let repo = TableRepo::new(stack.dynamodb(), &table, KeyCodec::default()).with_concurrency(16);
    println!("{n} metric items into one workspace partition, chunks of 1,000, DynamoDB Local\n");

    // For reference: the same floor on a table without GSIs and stream (the shape of the earlier bare-table measurement, BENCHMARKS.md).
    let bare = creatoros_tests::unique("bench-bare");
    let mut spec = creatoros_stack::resources::Resources::named(&bare).table;
    spec.indexes.clear();
    create_without_stream(&stack.dynamodb(), &spec).await;
    let bare_repo =
        TableRepo::new(stack.dynamodb(), &bare, KeyCodec::default()).with_concurrency(16);
    let bare_items = metrics("ws-bare", n, "imp-a");
    timed(
        "0. BatchWriteItem on a table without GSIs or stream",
        n,
        || async {
            let mut written = 0;
            for chunk in bare_items.chunks(1000) {
                let items = chunk
                    .iter()
                    .map(|m| bare_repo.codec().encode(m).unwrap())
                    .collect();
                written += bare_repo
                    .batch()
                    .put_items(items)
                    .await
                    .into_result()
                    .unwrap();
            }
            written
        },
    )
    .await;

    let plain = metrics("ws-plain", n, "imp-a");
    let floor = timed(
        "1. BatchWriteItem, no newest-wins check (floor)",
        n,
        || async {
            let mut written = 0;
            for chunk in plain.chunks(1000) {
                let items = chunk
                    .iter()
                    .map(|m| repo.codec().encode(m).unwrap())
                    .collect();
                written += repo.batch().put_items(items).await.into_result().unwrap();
            }
            written
        },
    )
    .await;

    let batch_items = metrics("ws-batch", n, "imp-a");
    let writer = MetricWriter::new(&repo, WriteMode::Batch, 32);
    let batch = timed(
        "2. read + filter + BatchWriteItem (default, under lock)",
        n,
        || write_all(&writer, repo.codec(), &batch_items),
    )
    .await;

    let cond_items = metrics("ws-conditional", n, "imp-a");
    let conditional_writer = MetricWriter::new(&repo, WriteMode::Conditional, 32);
    let conditional = timed(
        "3. conditional PutItem, 32 in flight (no lock needed)",
        n,
        || write_all(&conditional_writer, repo.codec(), &cond_items),
    )
    .await;

    let replay = timed(
        "4. replay of (2): read + filter, nothing to write",
        n,
        || write_all(&writer, repo.codec(), &batch_items),
    )
    .await;

    println!(
        "\nratios: (2)/(1) = {:.2}, (3)/(1) = {:.2}, (2)/(3) = {:.2}, (4)/(1) = {:.2}",
        batch / floor,
        conditional / floor,
        batch / conditional,
        replay / floor
    );
}
