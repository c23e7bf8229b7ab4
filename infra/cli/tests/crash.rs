//! Crash recovery: the `creatoros run` process killed with SIGKILL in the middle of an import, in the middle of a
//! derivation and at seeded random moments, then restarted, must end exactly where an uninterrupted run ends.
//! On top of the redeliveries the kills cause, every S3 notification is delivered twice in a shuffled order, and
//! one restart loses the stream checkpoints so the whole stream is delivered again, old records after new state.
//!
//! Short queue visibility (4 s) and leases (`CREATOROS_LEASE_SECS=3`) let a killed worker's messages and leases
//! come back within seconds, as they would after Lambda's timeout. Reproduce one run with
//! `CREATOROS_CRASH_SEED=<n> cargo nextest run -p creatoros-cli --test crash`.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use creatoros_model::entities::ImportStatus;
use creatoros_stack::resources;
use creatoros_tests::pipeline::PipelineHarness;
use creatoros_tests::reliability::{self, Outcome, Workload, WORKSPACES};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

/// Where each kill lands.
#[derive(Debug, Clone, Copy)]
enum KillPoint {
    /// While an import has written rows but is not finished.
    MidImport,
    /// While a month's derive lock is held.
    MidDerivation,
    /// After a seeded random delay.
    Random,
}

fn seed() -> u64 {
    std::env::var("CREATOROS_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20261124)
}

fn spawn_runner(p: &PipelineHarness, checkpoints: &Path, until_idle: bool, log: &Path) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_creatoros"));
    cmd.arg("run").arg("--checkpoints").arg(checkpoints);
    if until_idle {
        cmd.args(["--until-idle", "--quiet-secs", "6"]);
    }
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .expect("runner log");
    cmd.envs(p.h.made.env_pairs())
        .env("CREATOROS_LEASE_SECS", "3")
        .env("CREATOROS_CHUNK_ROWS", "100")
        .env("CREATOROS_CHECKPOINT_CHUNKS", "2")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(log.try_clone().expect("log handle"))
        .spawn()
        .expect("start creatoros run")
}

/// True once an import of the workload has written rows and is not yet final.
async fn import_in_flight(p: &PipelineHarness) -> bool {
    for ws in WORKSPACES {
        for i in p.h.imports(ws).await {
            let final_ = matches!(
                i.status,
                ImportStatus::Completed | ImportStatus::Partial | ImportStatus::Failed
            );
            if !final_ && i.rows_written > 0 {
                return true;
            }
        }
    }
    false
}

/// True while some month's derive lock is held.
async fn derivation_in_flight(p: &PipelineHarness) -> bool {
    for ws in WORKSPACES {
        if p.h.locks(ws).await.iter().any(|n| n.starts_with("derive-")) {
            return true;
        }
    }
    false
}

/// Waits for the kill point (at most 40 s); returns whether it was reached.
async fn reach(p: &PipelineHarness, point: KillPoint, rng: &mut StdRng) -> bool {
    let started = Instant::now();
    match point {
        KillPoint::Random => {
            tokio::time::sleep(Duration::from_millis(rng.gen_range(300..4000))).await;
            true
        }
        KillPoint::MidImport | KillPoint::MidDerivation => {
            while started.elapsed() < Duration::from_secs(40) {
                let there = match point {
                    KillPoint::MidImport => import_in_flight(p).await,
                    _ => derivation_in_flight(p).await,
                };
                if there {
                    return true;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            false
        }
    }
}

/// Takes every notification off the ingest queue and puts each back twice, in a seeded shuffled order.
async fn duplicate_and_shuffle_notifications(p: &PipelineHarness, rng: &mut StdRng) -> usize {
    let sqs = p.h.stack.sqs();
    let url = p.h.made.queue_urls[resources::INGEST_QUEUE_ID].clone();
    let expected = Workload::standard().first.len() + Workload::standard().later.len();
    let mut bodies = Vec::new();
    let started = Instant::now();
    while bodies.len() < expected && started.elapsed() < Duration::from_secs(30) {
        let out = sqs
            .receive_message()
            .queue_url(&url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .expect("receive notifications");
        for m in out.messages() {
            bodies.push(m.body().unwrap_or_default().to_owned());
            sqs.delete_message()
                .queue_url(&url)
                .receipt_handle(m.receipt_handle().unwrap_or_default())
                .send()
                .await
                .expect("delete notification");
        }
    }
    assert_eq!(
        bodies.len(),
        expected,
        "one notification per upload was expected"
    );
    let mut twice: Vec<String> = bodies.iter().chain(bodies.iter()).cloned().collect();
    twice.shuffle(rng);
    for body in &twice {
        sqs.send_message()
            .queue_url(&url)
            .message_body(body)
            .send()
            .await
            .expect("send notification");
    }
    twice.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_killed_runner_restarts_to_the_result_of_a_clean_run() {
    let seed = seed();
    let mut rng = StdRng::seed_from_u64(seed);
    let clean = tokio::spawn(async { reliability::run_workload("crash-clean", None, 0).await.0 });

    let p = PipelineHarness::new_with("crash", |r| {
        for q in &mut r.queues {
            q.visibility_timeout_secs = 4;
        }
    })
    .await;
    reliability::upload_workload(&p, &Workload::standard()).await;
    let delivered = duplicate_and_shuffle_notifications(&p, &mut rng).await;

    let dir = tempfile::tempdir().unwrap();
    let checkpoints = dir.path().join("stream-checkpoints.json");
    let log = dir.path().join("runner.log");
    let plan = [
        KillPoint::MidImport,
        KillPoint::MidImport,
        KillPoint::MidDerivation,
        KillPoint::Random,
        KillPoint::Random,
        KillPoint::Random,
    ];
    let mut reached = Vec::new();
    for (n, point) in plan.iter().enumerate() {
        if n == 3 {
            // The restart after this kill starts from the stream's trim horizon again.
            let _ = std::fs::remove_file(&checkpoints);
        }
        let mut child = spawn_runner(&p, &checkpoints, false, &log);
        let hit = reach(&p, *point, &mut rng).await;
        child.kill().expect("SIGKILL the runner");
        child.wait().expect("reap the runner");
        eprintln!("kill {n}: {point:?} reached: {hit}");
        reached.push((*point, hit));
    }

    let finished = spawn_runner(&p, &checkpoints, true, &log)
        .wait()
        .expect("final run");
    let runner_log = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        finished.success(),
        "the final run failed: {finished:?}\n{runner_log}"
    );

    let crashed: Outcome = reliability::outcome(&p).await;
    let clean = clean.await.expect("clean run");
    assert!(clean.item_count() > 1500, "{} items", clean.item_count());
    if let Some(diff) = crashed.differences(&clean) {
        panic!("seed {seed}: after {reached:?} the table differs from a clean run:\n{diff}\nrunner log:\n{runner_log}");
    }
    // The kills must have landed where they were meant to, or the test proved less than it says.
    assert!(
        reached
            .iter()
            .any(|(p, hit)| matches!(p, KillPoint::MidImport) && *hit),
        "no kill landed mid-import: {reached:?}"
    );
    assert!(
        reached
            .iter()
            .any(|(p, hit)| matches!(p, KillPoint::MidDerivation) && *hit),
        "no kill landed mid-derivation: {reached:?}"
    );
    assert_eq!(delivered, 2 * 9);
}
