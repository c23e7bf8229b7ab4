//! A backlog: `--uploads` exports (default 500) over `--workspaces` workspaces (default 100) land at once, and
//! the local pipeline works through them. Measured: the time from the first upload until every touched month's
//! insights are derived and the pipeline is idle, the stream batches that ran past the function timeout, the
//! stream records given up on (their ranges sent to the dead-letter queue), the deferrals to the insights
//! queue, and the months left stale (derived again at the end, they would still change).
//!
//! Two configurations, each on a freshly started stack (`make bench-backlog` restarts it between them: DynamoDB
//! Local slows down after heavy stream traffic, and a second run on the same stack took 4 to 6 times as long
//! whichever configuration it was), recorded to one file and summarised together:
//! - `before`: what the workers did before: one message and one derivation at a time, no deadline (a batch runs
//!   until the function timeout stops it);
//! - `after`: the defaults: 4 messages and 4 derivations at once, and derivations that would not finish before
//!   the deadline handed to the insights queue.
//!
//! With `--stream-behind`, the stream is read only once ingest has drained, so the whole backlog reaches the
//! insights worker in full batches, as after an outage of the insights function.
//!
//! The local runners stand in for Lambda's mappings: one batch at a time (no `ParallelizationFactor`, no
//! bisecting), the function timeout enforced on stream batches (`--timeout-secs`, default the insights function's
//! 120 s).
//!
//! With the stack's environment loaded: `target/release/bench_backlog --only before|after [--uploads N]
//! [--workspaces N] [--timeout-secs N] [--stream-behind] [--record FILE]`, then `--summary FILE`; or `make bench-backlog`.

use std::time::{Duration, Instant};

use creatoros_insights_worker::derive::{derive_month, DeriveOutcome};
use creatoros_model::ids::{Month, WorkspaceId};
use creatoros_runtime::metrics;
use creatoros_tests::bench::{append_record, read_records};
use creatoros_tests::pipeline::PipelineHarness;
use futures::stream::{self, StreamExt};

struct Args {
    uploads: usize,
    workspaces: usize,
    timeout: Duration,
    only: Option<String>,
    record: Option<std::path::PathBuf>,
    summary: Option<std::path::PathBuf>,
    stream_behind: bool,
}

fn args() -> Args {
    let mut out = Args {
        uploads: 500,
        workspaces: 100,
        timeout: Duration::from_secs(120),
        only: None,
        record: None,
        summary: None,
        stream_behind: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--uploads" => out.uploads = value().parse().expect("--uploads N"),
            "--workspaces" => out.workspaces = value().parse().expect("--workspaces N"),
            "--timeout-secs" => {
                out.timeout = Duration::from_secs(value().parse().expect("--timeout-secs N"))
            }
            "--only" => out.only = Some(value()),
            "--record" => out.record = Some(value().into()),
            "--summary" => out.summary = Some(value().into()),
            "--stream-behind" => out.stream_behind = true,
            other => panic!("unknown flag {other}"),
        }
    }
    out
}

/// A small export of upload `u`: 5 posts on 3 platforms in June and July 2026, post ids of its own.
fn export(u: usize) -> Vec<u8> {
    let mut csv = String::from("post_id,platform,date,impressions,likes,comments,shares\n");
    for month in ["06", "07"] {
        for platform in ["x", "linkedin", "youtube"] {
            for i in 0..5 {
                let impressions = 2_000 + ((u * 31 + i * 17) % 900);
                let likes = 40 + ((u * 7 + i * 13) % 50);
                csv.push_str(&format!(
                    "u{u}-{platform}-{month}-{i},{platform},2026-{month}-{:02},{impressions},{likes},{},{}\n",
                    1 + (u + i) % 28,
                    i % 5,
                    i % 3
                ));
            }
        }
    }
    csv.into_bytes()
}

struct Run {
    seconds: f64,
    timeouts: usize,
    dropped: usize,
    deferrals: f64,
    stale: usize,
}

async fn run(name: &str, a: &Args) -> Run {
    let mut p = PipelineHarness::new(&format!("backlog-{name}")).await;
    let before = name == "before";
    for s in [&mut p.h.ctx.settings, &mut p.pipeline.ingest.settings] {
        s.concurrency = if before { 1 } else { 4 };
    }
    p.pipeline.insights.settings.derive_concurrency = if before { 1 } else { 4 };
    p.pipeline.insights.settings.derive_margin = if before {
        Duration::ZERO
    } else {
        // The default margin's share of the default timeout (20 s of 120 s) for a scaled timeout, but at least a
        // second: the derivations in flight at the margin and the queueing of the rest must fit in it.
        (a.timeout / 6).max(Duration::from_secs(1))
    };
    p.pipeline.stream.timeout = Some(a.timeout);
    let uploads: Vec<(String, Vec<u8>)> = (0..a.uploads)
        .map(|u| {
            (
                format!("imports/bk-{}/export-{u}.csv", u % a.workspaces),
                export(u),
            )
        })
        .collect();
    let started = Instant::now();
    let h = &p.h;
    stream::iter(uploads)
        .for_each_concurrent(
            16,
            |(key, bytes)| async move { h.upload(&key, bytes).await },
        )
        .await;
    if a.stream_behind {
        // The insights side starts only once ingest has drained: the whole backlog waits on the stream, as after
        // an outage of the insights function or a burst it could not keep up with.
        let ingest = &p.pipeline.ingest;
        let metrics = &p.pipeline.ingest_metrics;
        creatoros_runners::queue::run_until_idle(
            &p.pipeline.ingest_queue,
            Duration::from_millis(1500),
            Duration::from_secs(3600),
            |e, d| creatoros_ingest::handler::handle(ingest, e, d, metrics),
        )
        .await
        .expect("ingest went idle");
    }
    let quiet = Duration::from_millis(1500);
    let totals = p
        .pipeline
        .run_until_idle(quiet, Duration::from_secs(3600))
        .await
        .expect("the pipeline went idle");
    let seconds = (started.elapsed() - quiet).as_secs_f64();
    // Every touched month must be up to date: derived again now, it finds nothing to change. A month whose
    // trigger was dropped (or never derived) would write here.
    let mut stale = 0;
    for w in 0..a.workspaces.min(a.uploads) {
        let workspace: WorkspaceId = format!("bk-{w}").parse().expect("a workspace id");
        for month in ["2026-05", "2026-06", "2026-07", "2026-08", "2026-09"] {
            let month: Month = month.parse().expect("a month");
            let outcome = derive_month(&p.pipeline.insights, &workspace, &month)
                .await
                .expect("a derivation");
            stale += usize::from(!matches!(outcome, DeriveOutcome::Unchanged));
        }
    }
    Run {
        seconds,
        timeouts: totals.stream_timeouts,
        dropped: totals.stream_dropped,
        deferrals: p.pipeline.insights_metrics.get(metrics::DEFERRALS),
        stale,
    }
}

#[tokio::main]
async fn main() {
    let a = args();
    if let Some(path) = &a.summary {
        summary(path);
        return;
    }
    println!(
        "backlog: {} uploads over {} workspaces at once; stream function timeout {} s",
        a.uploads,
        a.workspaces,
        a.timeout.as_secs()
    );
    for name in ["before", "after"] {
        if a.only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        let r = run(name, &a).await;
        println!(
            "{name}: {:.1} s, {} stream timeouts, {} records dropped, {} deferrals, {} months stale",
            r.seconds, r.timeouts, r.dropped, r.deferrals, r.stale
        );
        if let Some(path) = &a.record {
            let record = serde_json::json!({
                "config": name, "uploads": a.uploads, "workspaces": a.workspaces,
                "timeoutSecs": a.timeout.as_secs(), "streamBehind": a.stream_behind, "seconds": r.seconds, "timeouts": r.timeouts,
                "dropped": r.dropped, "deferrals": r.deferrals, "stale": r.stale,
            });
            append_record(path, &record).expect("recording the run");
        }
    }
}

/// A recorded count, for a fixed-width column.
fn n(v: &serde_json::Value) -> u64 {
    v.as_f64().unwrap_or_default() as u64
}

/// The recorded runs side by side, and after / before.
fn summary(path: &std::path::Path) {
    let records = read_records(path).expect("the recorded runs");
    println!("config   uploads  workspaces  timeout s  seconds  stream timeouts  records dropped  deferrals  months stale");
    for r in &records {
        println!(
            "{:<8} {:>7}  {:>10}  {:>9}  {:>7.1}  {:>15}  {:>15}  {:>9}  {:>12}",
            r["config"].as_str().unwrap_or_default(),
            n(&r["uploads"]),
            n(&r["workspaces"]),
            n(&r["timeoutSecs"]),
            r["seconds"].as_f64().unwrap_or_default(),
            n(&r["timeouts"]),
            n(&r["dropped"]),
            n(&r["deferrals"]),
            n(&r["stale"])
        );
    }
    let seconds = |config: &str| {
        records
            .iter()
            .filter(|r| r["config"] == config)
            .filter_map(|r| r["seconds"].as_f64())
            .next()
    };
    if let (Some(before), Some(after)) = (seconds("before"), seconds("after")) {
        println!("after/before time: {:.2} (lower is better)", after / before);
    }
}
