//! Peak resident memory of the ingest worker on one large export: the real handler, streaming the object from
//! S3 (moto) in one invocation, so memory that grew with the file would show.
//!
//! `--sink` puts a metering proxy that absorbs `BatchWriteItem`/`BatchGetItem` in front of the worker's DynamoDB
//! client (locks, import record and checkpoints still reach DynamoDB Local): it makes a 1 GB file (16 M rows)
//! take minutes instead of the hours DynamoDB Local would need, and does not change what the worker holds.
//!
//! The peak is the process's `VmHWM`, reset (`/proc/self/clear_refs`) after the set-up and upload, so it counts
//! the invocation: handler, SDK clients, runtime and (with `--sink`) the proxy's buffers.
//!
//! `make bench-worker-rss`, or with the stack's environment loaded:
//! `cargo run --release -p creatoros-benches --features stack --bin bench_rss -- --mb 100 [--sink]`

use std::path::PathBuf;
use std::time::Instant;

use aws_sdk_s3::primitives::ByteStream;
use creatoros_model::contract::KeyCodec;
use creatoros_model::entities::ImportStatus;
use creatoros_store::TableRepo;
use creatoros_tests::bench::{timed_invocation, write_canonical_file};
use creatoros_tests::ingest::IngestHarness;
use creatoros_tests::proxy::FaultProxy;

/// A field of `/proc/self/status` in KiB (`VmHWM`, `VmRSS`).
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("{field} in /proc/self/status"))
}

#[tokio::main]
async fn main() {
    let mut mb: u64 = 10;
    let mut sink = false;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--mb" => mb = it.next().and_then(|v| v.parse().ok()).expect("--mb N"),
            "--sink" => sink = true,
            other => panic!("unknown argument {other}"),
        }
    }
    let dir = PathBuf::from(".local/bench");
    std::fs::create_dir_all(&dir).expect("bench folder");
    let path = dir.join(format!("canonical-{mb}mb.csv"));
    let rows = write_canonical_file(&path, mb * 1024 * 1024).expect("generate the export");
    let size = std::fs::metadata(&path).expect("generated file").len();

    let mut h = IngestHarness::new("bench-rss").await;
    let meter = if sink {
        let upstream = std::env::var("CREATOROS_DYNAMODB_URL").expect("CREATOROS_DYNAMODB_URL");
        let proxy = FaultProxy::metering(&upstream, true).await;
        let codec: KeyCodec = *h.ctx.repo.codec();
        h.ctx.repo = TableRepo::new(proxy.dynamodb(&h.stack.sdk), &h.made.table, codec);
        Some(proxy)
    } else {
        None
    };
    let ws = "bench-rss";
    h.stack
        .s3()
        .put_object()
        .bucket(&h.made.bucket)
        .key(format!("imports/{ws}/export.csv"))
        .body(ByteStream::from_path(&path).await.expect("open the export"))
        .send()
        .await
        .expect("upload");
    std::fs::remove_file(&path).ok();

    let before = status_kib("VmRSS");
    std::fs::write("/proc/self/clear_refs", "5").expect("reset the peak (Linux 4.0+)");
    let started = Instant::now();
    let took = timed_invocation(&h).await;
    let peak = status_kib("VmHWM");
    let wall = started.elapsed();

    let imports = h.imports(ws).await;
    assert!(
        imports.len() == 1 && imports[0].status == ImportStatus::Completed,
        "the import did not complete in one invocation: {imports:?}"
    );
    assert_eq!(imports[0].rows_written, rows, "rows accepted");
    let batch_writes = meter.as_ref().and_then(|m| m.meter()).map(|m| {
        m.costs()
            .ops
            .get("BatchWriteItem")
            .map_or(0, |c| c.requests)
    });
    println!(
        "{mb} MB export ({size} bytes, {rows} rows){}: peak RSS {:.1} MiB (RSS before the invocation {:.1} MiB); \
         {:.1} s in the handler, {:.0} rows/s{}",
        if sink { ", batch writes absorbed" } else { ", into DynamoDB Local" },
        peak as f64 / 1024.0,
        before as f64 / 1024.0,
        took.as_secs_f64(),
        rows as f64 / wall.as_secs_f64(),
        batch_writes.map_or(String::new(), |n| format!(", {n} BatchWriteItem requests absorbed")),
    );
}
