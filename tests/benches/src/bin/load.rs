//! Load run: 50 exports of 10,000 rows each, uploaded at once over 10 workspaces, ingested by 10 concurrent
//! pollers of the ingest queue (the template's `MaximumConcurrency`, one message per invocation) while the stream
//! and insights runners derive. It then checks that every row is in the table, every import completed, and both
//! dead-letter queues are empty, and prints throughput and per-import latency.
//!
//! `make load` runs it on a freshly started local stack (DynamoDB Local slows down for new tables after heavy
//! stream traffic, so the numbers are only comparable from a fresh start). Sizes can be changed:
//! `load [files] [rows-per-file] [workspaces] [pollers]`.

use creatoros_runtime::metrics::Metrics;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use creatoros_ingest::handler;
use creatoros_model::entities::ImportStatus;
use creatoros_runners::queue::QueueRunner;
use creatoros_stack::resources;
use creatoros_tests::bench::{canonical_export, percentile};
use creatoros_tests::pipeline::PipelineHarness;
use futures::future::join_all;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

fn arg(n: usize, default: usize) -> usize {
    std::env::args()
        .nth(n)
        .and_then(|a| a.parse().ok())
        .unwrap_or(default)
}

fn parse_time(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).ok()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 4)]
async fn main() {
    let files = arg(1, 50);
    let rows = arg(2, 10_000);
    let workspaces = arg(3, 10).max(1);
    let pollers = arg(4, 10).max(1);
    println!(
        "load: {files} files x {rows} rows over {workspaces} workspaces, {pollers} ingest pollers"
    );

    let mut p = PipelineHarness::new("load").await;
    p.pipeline.ingest.settings.lease = Duration::from_secs(60);
    let exports: Vec<(String, String, Vec<u8>)> = (0..files)
        .map(|f| {
            let ws = format!("load-{:02}", f % workspaces);
            (
                ws.clone(),
                format!("imports/{ws}/export-{f:03}.csv"),
                canonical_export(f, rows),
            )
        })
        .collect();

    let started = Instant::now();
    let wall_start = OffsetDateTime::now_utc();
    join_all(
        exports
            .iter()
            .map(|(_, key, bytes)| p.h.upload(key, bytes.clone())),
    )
    .await;
    println!(
        "uploaded {files} files in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // Extra ingest pollers, one message each, as concurrent Lambda invocations would take them.
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for _ in 1..pollers {
        let ctx = p.pipeline.ingest.clone();
        let mut runner = QueueRunner::new(
            p.h.stack.sqs(),
            p.h.made.queue_urls[resources::INGEST_QUEUE_ID].clone(),
        );
        runner.batch_size = 1;
        let stop = stop.clone();
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                let polled = runner
                    .poll_once(Duration::from_secs(1), |event, deadline| {
                        let ctx = &ctx;
                        async move {
                            handler::handle(ctx, event, deadline, &Metrics::new("ingest")).await
                        }
                    })
                    .await;
                if let Err(e) = polled {
                    eprintln!("poller: {e}");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        }));
    }
    p.pipeline.ingest_queue.batch_size = 1;
    let totals = p
        .pipeline
        .run_until_idle(Duration::from_secs(5), Duration::from_secs(3600))
        .await
        .expect("pipeline");
    stop.store(true, Ordering::SeqCst);
    join_all(tasks).await;
    let elapsed = started.elapsed().as_secs_f64();

    // Verdict: every row, every import completed, no dead letter.
    let mut metrics = 0usize;
    let mut latencies = Vec::new();
    let mut not_completed = Vec::new();
    let mut last_finish = wall_start;
    for w in 0..workspaces {
        let ws = format!("load-{w:02}");
        metrics += p.h.metrics(&ws).await.len();
        for import in p.h.imports(&ws).await {
            if import.status != ImportStatus::Completed {
                not_completed.push(format!("{} {:?}", import.key, import.status));
            }
            if let Some(done) = import.finished_at.as_deref().and_then(parse_time) {
                latencies.push((done - wall_start).as_seconds_f64());
                last_finish = last_finish.max(done);
            }
        }
    }
    let depth = |id: &'static str| {
        let runner = QueueRunner::new(p.h.stack.sqs(), p.h.made.queue_urls[id].clone());
        async move { runner.backlog().await.expect("queue depth") }
    };
    let dead = (
        depth(resources::INGEST_DLQ_ID).await,
        depth(resources::INSIGHTS_DLQ_ID).await,
    );
    latencies.sort_by(f64::total_cmp);
    let ingest_secs = (last_finish - wall_start).as_seconds_f64();

    println!(
        "rows expected {}, metric items found {metrics}",
        files * rows
    );
    println!(
        "imports completed {}/{files}; dead letters (ingest, insights) {dead:?}",
        files - not_completed.len()
    );
    println!(
        "ingest: all imports finished {ingest_secs:.1} s after the first upload: {:.0} rows/s",
        (files * rows) as f64 / ingest_secs
    );
    println!(
        "upload -> import finished, per file: p50 {:.1} s, p95 {:.1} s, max {:.1} s",
        percentile(&latencies, 50.0),
        percentile(&latencies, 95.0),
        percentile(&latencies, 100.0)
    );
    println!(
        "whole pipeline idle (insights derived) after {elapsed:.1} s; {} stream records read, {} to the insights worker, {} derivations",
        totals.stream_records,
        totals.stream_delivered,
        p.derivations()
    );
    let ok = metrics == files * rows && not_completed.is_empty() && dead == (0, 0);
    if !ok {
        eprintln!("LOAD RUN FAILED: not completed {not_completed:?}");
        std::process::exit(1);
    }
    println!("load: OK");
}
