//! Ingest end to end into DynamoDB Local, against a naive baseline and the server's ceiling, in one process on
//! one server, same rows:
//!
//! - **pipeline**: the real ingest handler on the S3 notification of an uploaded export (download, decode,
//!   detect, validate, workspace lock, import record and checkpoints, newest-wins reads, batch writes, completion);
//! - **naive**: written for this bench: download, parse, then one `PutItem` per row, in sequence;
//! - **ceiling**: the same items built beforehand, then `BatchWriteItem` at the worker's concurrency and nothing
//!   else;
//! - **checked**: the same metrics built beforehand, written by the worker's own newest-wins writer in chunks of
//!   1,000 (`BatchGetItem` of the chunk's keys, then `BatchWriteItem`): what newest-wins costs on this server,
//!   which splits the distance between pipeline and ceiling into the check and everything else.
//!
//! The order of the four rotates with `--round` (DynamoDB Local slows as it fills, so no strategy always goes
//! last). `--record FILE` appends the round as a JSON line; `--summary FILE` prints min/median/max over the
//! recorded rounds. `make bench-ingest` runs several rounds, each on a freshly started stack.
//!
//! `cargo run --release -p creatoros-benches --features stack --bin bench_ingest -- [--rows N] [--round R] [--record FILE]`

use std::path::{Path, PathBuf};
use std::time::Instant;

use creatoros_ingest::writer::{MetricWriter, WriteMode};
use creatoros_model::entities::ImportStatus;
use creatoros_store::TableRepo;
use creatoros_tests::bench::{
    append_record, canonical_export, encode_export, export_metrics, read_records, timed_invocation,
    Spread,
};
use creatoros_tests::ingest::IngestHarness;
use serde_json::{json, Value};

/// Rows each strategy writes, untimed, before the measured rounds.
const WARM_UP_ROWS: usize = 3_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Strategy {
    Pipeline,
    Naive,
    Ceiling,
    Checked,
}

impl Strategy {
    const ALL: [Strategy; 4] = [
        Strategy::Ceiling,
        Strategy::Naive,
        Strategy::Pipeline,
        Strategy::Checked,
    ];

    fn name(self) -> &'static str {
        match self {
            Strategy::Pipeline => "pipeline",
            Strategy::Naive => "naive",
            Strategy::Ceiling => "ceiling",
            Strategy::Checked => "checked",
        }
    }

    fn workspace(self, prefix: &str) -> String {
        format!("{prefix}-{}", self.name())
    }
}

struct Args {
    rows: usize,
    round: usize,
    record: Option<PathBuf>,
    summary: Option<PathBuf>,
}

fn args() -> Args {
    let mut out = Args {
        rows: 10_000,
        round: 0,
        record: None,
        summary: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--rows" => out.rows = value().parse().expect("--rows N"),
            "--round" => out.round = value().parse().expect("--round R"),
            "--record" => out.record = Some(value().into()),
            "--summary" => out.summary = Some(value().into()),
            other => panic!("unknown argument {other}"),
        }
    }
    out
}

/// Runs one strategy; returns rows per second.
async fn run(h: &IngestHarness, strategy: Strategy, bytes: &[u8], prefix: &str) -> f64 {
    let ws = strategy.workspace(prefix);
    let rows = bytes.iter().filter(|b| **b == b'\n').count() - 1;
    let repo = &h.ctx.repo;
    let seconds = match strategy {
        Strategy::Ceiling => {
            let items = encode_export(bytes, &ws, repo.codec());
            let started = Instant::now();
            let written = repo.batch().put_items(items).await.into_result().unwrap();
            assert_eq!(written, rows);
            started.elapsed().as_secs_f64()
        }
        Strategy::Checked => {
            let metrics = export_metrics(bytes, &ws);
            let writer = MetricWriter::new(repo, WriteMode::Batch, 32);
            let started = Instant::now();
            let mut written = 0;
            for chunk in metrics.chunks(1000) {
                // Encoding stays inside the timing, as it is inside the worker's chunk loop.
                let items = chunk
                    .iter()
                    .map(|m| repo.codec().encode(m).unwrap())
                    .collect();
                written += writer.write(items).await.unwrap().written;
            }
            assert_eq!(written, rows);
            started.elapsed().as_secs_f64()
        }
        Strategy::Naive => {
            // Outside the notification prefix: only this baseline reads it.
            let key = format!("bench/{ws}.csv");
            h.upload(&key, bytes.to_vec()).await;
            let started = Instant::now();
            let body = h.object_bytes(&key).await;
            let client = h.stack.dynamodb();
            for item in encode_export(&body, &ws, repo.codec()) {
                client
                    .put_item()
                    .table_name(&h.made.table)
                    .set_item(Some(creatoros_store::item::to_sdk(item)))
                    .send()
                    .await
                    .unwrap();
            }
            started.elapsed().as_secs_f64()
        }
        Strategy::Pipeline => {
            h.upload(&format!("imports/{ws}/export.csv"), bytes.to_vec())
                .await;
            let took = timed_invocation(h).await.as_secs_f64();
            let imports = h.imports(&ws).await;
            assert!(
                imports.len() == 1 && imports[0].status == ImportStatus::Completed,
                "the import did not complete in one invocation: {imports:?}"
            );
            took
        }
    };
    let stored = h.metrics(&ws).await.len();
    assert_eq!(stored, rows, "{}: rows in the table", strategy.name());
    rows as f64 / seconds
}

fn summary(path: &Path) {
    let records = read_records(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let column = |name: &str| -> Vec<f64> {
        records
            .iter()
            .filter_map(|r| r.get(name).and_then(Value::as_f64))
            .collect()
    };
    println!(
        "{} rounds of {} rows; min / median / max",
        records.len(),
        records
            .first()
            .and_then(|r| r.get("rows"))
            .unwrap_or(&json!("?"))
    );
    for (name, label, precision) in [
        (
            "ceiling",
            "ceiling: BatchWriteItem of pre-built items, rows/s",
            0,
        ),
        ("naive", "naive: one PutItem per row in sequence, rows/s", 0),
        ("pipeline", "pipeline: the ingest worker, rows/s", 0),
        (
            "checked",
            "checked: newest-wins writer on pre-built metrics, rows/s",
            0,
        ),
        ("pipeline_vs_ceiling", "pipeline / ceiling (same round)", 2),
        ("pipeline_vs_naive", "pipeline / naive (same round)", 2),
        ("checked_vs_ceiling", "checked / ceiling (same round)", 2),
        ("pipeline_vs_checked", "pipeline / checked (same round)", 2),
    ] {
        if let Some(s) = Spread::of(&column(name)) {
            println!("  {label:<56} {s:.precision$}");
        }
    }
}

#[tokio::main]
async fn main() {
    let args = args();
    if let Some(path) = &args.summary {
        summary(path);
        return;
    }
    let h = IngestHarness::new("bench-ingest").await;
    let bytes = canonical_export(0, args.rows);
    let mut order = Strategy::ALL.to_vec();
    order.rotate_left(args.round % Strategy::ALL.len());
    println!(
        "round {}: {} rows, {} concurrent batch writes, order {:?}",
        args.round,
        args.rows,
        TableRepo::DEFAULT_CONCURRENCY,
        order.iter().map(|s| s.name()).collect::<Vec<_>>()
    );
    // DynamoDB Local runs on a JVM: the first thousands of requests are slower whatever sends them.
    for strategy in Strategy::ALL {
        run(&h, strategy, &canonical_export(1, WARM_UP_ROWS), "warm").await;
    }
    let mut record = json!({"round": args.round, "rows": args.rows});
    for strategy in order {
        let rate = run(&h, strategy, &bytes, "bench").await;
        println!("  {:<9} {rate:>8.0} rows/s", strategy.name());
        record[strategy.name()] = json!(rate);
    }
    let rate = |s: Strategy| record[s.name()].as_f64().unwrap_or(f64::NAN);
    let (pipeline, ceiling, naive, checked) = (
        rate(Strategy::Pipeline),
        rate(Strategy::Ceiling),
        rate(Strategy::Naive),
        rate(Strategy::Checked),
    );
    record["pipeline_vs_ceiling"] = json!(pipeline / ceiling);
    record["pipeline_vs_naive"] = json!(pipeline / naive);
    record["checked_vs_ceiling"] = json!(checked / ceiling);
    record["pipeline_vs_checked"] = json!(pipeline / checked);
    println!(
        "  pipeline / ceiling {:.2}, pipeline / naive {:.1}, checked / ceiling {:.2}",
        pipeline / ceiling,
        pipeline / naive,
        checked / ceiling
    );
    if let Some(path) = &args.record {
        append_record(path, &record).expect("record the round");
    }
}
