//! What the pipeline costs in DynamoDB, and how long an upload takes to become insights, on the local stack.
//!
//! Costs are read off DynamoDB Local's own `ConsumedCapacity` (a metering proxy in front of each worker's
//! client, [`creatoros_tests::meter`]); they are counts, not timings, so one run gives them exactly:
//!
//! 1. an import of `--rows` rows (two months): write units and requests per 1,000 rows, by operation;
//!    derivations per import; what the insights worker wrote;
//! 2. the same object re-ingested (`reingest`): what an unchanged replay writes;
//! 3. a `rederive` of an unchanged month: items written (target 0);
//! 4. read units (and time) of one derivation over months of 100, 10,000 and 100,000 metrics.
//!
//! Then latency: `--uploads` small exports, one at a time, each to its own workspace, with the local pipeline
//! polling continuously; upload → first insight readable, p50/p95/max.
//!
//! `make bench-cost` (costs, then latency on a restarted stack), or with the stack's environment loaded:
//! `cargo run --release -p creatoros-benches --features stack --bin bench_cost -- [--rows N] [--uploads N] [--sizes 100,10000]
//! [--only costs|latency]`

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use creatoros_insights_worker::context::Counters;
use creatoros_insights_worker::derive::derive_month;
use creatoros_insights_worker::handler::rederive_body;
use creatoros_model::contract::KeyCodec;
use creatoros_model::entities::{ImportStatus, Insight, Metric, Platform};
use creatoros_model::ids::{Day, Month, PostId, WorkspaceId};
use creatoros_stack::resources;
use creatoros_store::TableRepo;
use creatoros_tests::bench::{canonical_export, percentile};
use creatoros_tests::meter::Costs;
use creatoros_tests::pipeline::PipelineHarness;
use creatoros_tests::proxy::FaultProxy;

struct Args {
    rows: usize,
    uploads: usize,
    sizes: Vec<usize>,
    /// `costs`, `latency` or both.
    only: Option<String>,
}

fn args() -> Args {
    let mut out = Args {
        rows: 10_000,
        uploads: 20,
        sizes: vec![100, 10_000, 100_000],
        only: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--rows" => out.rows = value().parse().expect("--rows N"),
            "--uploads" => out.uploads = value().parse().expect("--uploads N"),
            "--only" => out.only = Some(value()),
            "--sizes" => {
                out.sizes = value()
                    .split(',')
                    .map(|s| s.parse().expect("--sizes N,N"))
                    .collect()
            }
            other => panic!("unknown argument {other}"),
        }
    }
    out
}

fn per_thousand(value: f64, rows: usize) -> f64 {
    value * 1000.0 / rows as f64
}

fn print_costs(label: &str, costs: &Costs, rows: usize) {
    println!(
        "{label}: {} requests ({:.1} per 1,000 rows), write units {:.0} ({:.1} per 1,000 rows), read units {:.1}",
        costs.requests(),
        per_thousand(costs.requests() as f64, rows),
        costs.write_units(),
        per_thousand(costs.write_units(), rows),
        costs.read_units()
    );
    println!("    {}", costs.summary());
}

/// `n` metrics of one month in `workspace`, as the ingest worker would have written them.
fn month_of_metrics(workspace: &WorkspaceId, n: usize) -> Vec<Metric> {
    (0..n)
        .map(|i| {
            let date = Day::parse(format!("2026-10-{:02}", i % 28 + 1)).expect("day");
            Metric {
                impressions: Some(1_000 + (i as i64 * 37) % 9_000),
                likes: Some((i as i64 * 7) % 400),
                comments: Some(i as i64 % 30),
                shares: Some(i as i64 % 12),
                source: Some("bench".into()),
                captured_at: Some("2026-11-01T00:00:00.000Z".into()),
                import_id: Some("imp-bench".into()),
                ..Metric::new(
                    workspace.clone(),
                    PostId::parse(format!("p{}", i / 28)).expect("post id"),
                    Platform::ALL[(i / 28) % 4],
                    date,
                )
            }
        })
        .collect()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args = args();
    if args.only.as_deref() != Some("latency") {
        costs(&args).await;
    }
    // DynamoDB Local serves new tables slowly after heavy traffic: `make bench-cost` restarts it in between.
    if args.only.as_deref() != Some("costs") {
        latency(args.uploads).await;
    }
}

async fn costs(args: &Args) {
    let upstream = std::env::var("CREATOROS_DYNAMODB_URL").expect("CREATOROS_DYNAMODB_URL");
    let mut p = PipelineHarness::new("bench-cost").await;
    let ingest_meter = FaultProxy::metering(&upstream, false).await;
    let insights_meter = FaultProxy::metering(&upstream, false).await;
    let table = p.h.made.table.clone();
    let codec: KeyCodec = *p.pipeline.ingest.repo.codec();
    let sdk = p.h.stack.sdk.clone();
    p.pipeline.ingest.repo = TableRepo::new(ingest_meter.dynamodb(&sdk), &table, codec);
    p.pipeline.insights.repo = TableRepo::new(insights_meter.dynamodb(&sdk), &table, codec);
    let ingest_costs = || ingest_meter.meter().expect("metering").costs();
    let insights_costs = || insights_meter.meter().expect("metering").costs();
    let counters = p.pipeline.insights.counters.clone();
    let derivations = || Counters::get(&counters.derivations);
    let item_writes = || Counters::get(&counters.item_writes);

    // 1. One import.
    let rows = args.rows;
    let key = "imports/cost-a/export.csv";
    p.h.upload(key, canonical_export(0, rows)).await;
    p.run_all().await;
    assert_eq!(p.h.metrics("cost-a").await.len(), rows, "rows stored");
    let ingested = ingest_costs();
    println!("== DynamoDB cost of one import of {rows} rows (2 months), DynamoDB Local's ConsumedCapacity");
    print_costs("ingest worker", &ingested, rows);
    let derived = insights_costs();
    print_costs("insights worker", &derived, rows);
    println!(
        "derivations for the import: {} ({} workspace-months); insight/task items written {}",
        derivations(),
        2,
        item_writes()
    );

    // 2. The same object again: newest-wins sees identical rows and writes none of them.
    let (before_ingest, before_insights, before_derivations) =
        (ingest_costs(), insights_costs(), derivations());
    p.h.send(&format!(
        r#"{{"type":"reingest","bucket":"{}","key":"{key}"}}"#,
        p.h.made.bucket
    ))
    .await;
    p.run_all().await;
    print_costs(
        "re-ingest of the same object, ingest worker",
        &ingest_costs().since(&before_ingest),
        rows,
    );
    print_costs(
        "re-ingest of the same object, insights worker",
        &insights_costs().since(&before_insights),
        rows,
    );
    println!(
        "derivations after the re-ingest: {}",
        derivations() - before_derivations
    );

    // 3. An unchanged month re-derived.
    let (before, writes_before) = (insights_costs(), item_writes());
    let ws = WorkspaceId::parse("cost-a").expect("workspace");
    let month = Month::parse("2026-10").expect("month");
    let insights_queue = p.h.made.queue_urls[resources::INSIGHTS_QUEUE_ID].clone();
    p.h.stack
        .sqs()
        .send_message()
        .queue_url(&insights_queue)
        .message_body(rederive_body(&ws, &month))
        .send()
        .await
        .expect("send rederive");
    p.run_all().await;
    let rederive = insights_costs().since(&before);
    println!(
        "unchanged re-derivation of 2026-10: items written {}, write requests {}, write units {:.1}, read units {:.1}",
        item_writes() - writes_before,
        rederive.write_requests(),
        rederive.write_units(),
        rederive.read_units()
    );

    // 5 (printed after 4). What one derivation of October reads as daily exports accumulate in its window.
    let window_section = async {
        println!("\n== one derivation of 2026-10 after N days of daily exports of 200 posts (window Aug-Oct)");
        let ws = WorkspaceId::parse("cost-daily").expect("workspace");
        let october = Month::parse("2026-10").expect("month");
        let mut seeded = 0;
        for until in [
            time::macros::date!(2026 - 08 - 31),
            time::macros::date!(2026 - 09 - 30),
            time::macros::date!(2026 - 10 - 31),
        ] {
            let all = daily_snapshots(&ws, until);
            let items: Vec<_> = all[seeded..]
                .iter()
                .map(|m| codec.encode(m).expect("encode"))
                .collect();
            let n = items.len();
            let written = p.h.ctx.repo.batch().put_items(items).await.into_result();
            assert_eq!(written.expect("seed the window"), n);
            seeded = all.len();
            let before = insights_costs();
            let started = Instant::now();
            let outcome = derive_month(p.insights(), &ws, &october)
                .await
                .expect("derive");
            let took = started.elapsed().as_secs_f64();
            let cost = insights_costs().since(&before);
            println!(
                "{seeded:>6} snapshots to {until}: {outcome:?} in {took:.2} s: read units {:.1} ({} requests)",
                cost.read_units(),
                cost.requests()
            );
        }
    };

    // 4. Read cost of a derivation as months grow.
    println!("\n== one derivation by month size (no previous month)");
    for &n in &args.sizes {
        let ws = WorkspaceId::parse(format!("cost-m{n}")).expect("workspace");
        let items = month_of_metrics(&ws, n)
            .iter()
            .map(|m| codec.encode(m).expect("encode"))
            .collect();
        let written = p.h.ctx.repo.batch().put_items(items).await.into_result();
        assert_eq!(written.expect("seed the month"), n);
        let before = insights_costs();
        let started = Instant::now();
        let first = derive_month(p.insights(), &ws, &month)
            .await
            .expect("derive");
        let took = started.elapsed().as_secs_f64();
        let changed = insights_costs().since(&before);
        let before = insights_costs();
        let again = derive_month(p.insights(), &ws, &month)
            .await
            .expect("derive");
        let unchanged = insights_costs().since(&before);
        println!(
            "{n:>7} metrics: first {first:?} in {took:.2} s: read units {:.1} ({} requests), write units {:.1}; \
             again {again:?}: read units {:.1}, write units {:.1}",
            changed.read_units(),
            changed.requests(),
            changed.write_units(),
            unchanged.read_units(),
            unchanged.write_units()
        );
    }
    window_section.await;
}

/// 200 X posts published over the first ten days from 2026-08-03, each with a snapshot every day from publishing
/// to `until` (a daily export): about 17,000 items over the 90-day window of October.
fn daily_snapshots(workspace: &WorkspaceId, until: time::Date) -> Vec<Metric> {
    let start = time::macros::date!(2026 - 08 - 03);
    let mut out = Vec::new();
    for post in 0..200i64 {
        let published = start + time::Duration::days(post % 10);
        let mut day = published;
        while day <= until {
            let age = (day - published).whole_days();
            out.push(Metric {
                measure: Some(creatoros_model::entities::Measure::Lifetime),
                published_at: Some(format!("{published}T09:00:00Z")),
                title: Some(format!("Post {post}")),
                impressions: Some(800 + (post * 7_919) % 6_000 + age * 15),
                likes: Some(20 + (post * 31) % 200 + age / 3),
                comments: Some(post % 30),
                source: Some("bench".into()),
                captured_at: Some(format!("{day}T06:00:00.000Z")),
                import_id: Some(format!("imp-{day}")),
                ..Metric::new(
                    workspace.clone(),
                    PostId::parse(format!("p{post}")).expect("post id"),
                    Platform::X,
                    Day::from_date(day).expect("day"),
                )
            });
            day += time::Duration::days(1);
        }
    }
    out
}

async fn latency(uploads: usize) {
    let PipelineHarness { h, mut pipeline } = PipelineHarness::new("bench-latency").await;
    let stop = Arc::new(AtomicBool::new(false));
    let polling = {
        let stop = stop.clone();
        tokio::spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                match pipeline.poll_once().await {
                    Ok(t) if t.ingest_batches + t.insights_batches + t.stream_delivered > 0 => {}
                    Ok(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                    Err(e) => panic!("pipeline: {e}"),
                }
            }
        })
    };
    let mut seconds = Vec::with_capacity(uploads);
    let mut imported = Vec::with_capacity(uploads);
    for i in 0..uploads {
        let ws = format!("lat-{i:03}");
        let started = Instant::now();
        // 200 rows and one post far ahead of them, so the workspace has an insight to wait for.
        let mut export = canonical_export(i, 200);
        export.extend_from_slice(format!("f{i}-star,x,2026-09-15,5000,2500,0,0\n").as_bytes());
        h.upload(&format!("imports/{ws}/export.csv"), export).await;
        let mut import_done = None;
        loop {
            if import_done.is_none() {
                let imports = h.imports(&ws).await;
                if imports.iter().any(|i| i.status == ImportStatus::Completed) {
                    import_done = Some(started.elapsed().as_secs_f64());
                }
            }
            if !h.of_workspace::<Insight>(&ws).await.is_empty() {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "no insight for {ws} after 120 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let total = started.elapsed().as_secs_f64();
        seconds.push(total);
        imported.push(import_done.unwrap_or(total));
    }
    stop.store(true, Ordering::SeqCst);
    polling.await.expect("pipeline task");
    seconds.sort_by(f64::total_cmp);
    imported.sort_by(f64::total_cmp);
    println!(
        "\n== upload -> import completed: p50 {:.2} s, p95 {:.2} s, min {:.2} s, max {:.2} s",
        percentile(&imported, 50.0),
        percentile(&imported, 95.0),
        imported[0],
        imported[imported.len() - 1]
    );
    println!(
        "== upload -> first insight readable, {uploads} uploads of 200 rows one at a time: \
         p50 {:.2} s, p95 {:.2} s, min {:.2} s, max {:.2} s",
        percentile(&seconds, 50.0),
        percentile(&seconds, 95.0),
        seconds[0],
        seconds[seconds.len() - 1]
    );
}
