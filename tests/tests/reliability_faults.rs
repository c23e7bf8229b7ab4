//! At-least-once under the faults AWS produces. The standard workload runs once clean and once per fault mix,
//! each mix with the workers' DynamoDB, S3 and SQS traffic going through the fault proxy (its own seed per mix).
//! Every faulty run must leave the same items and rejects files as the clean run, every import final, and both
//! dead-letter queues empty; and each mix must really have injected the faults it is named for.
//!
//! The mixes run concurrently, which is also what makes the proxies' victims vary between runs: the rates and
//! seeds repeat, the exact requests hit do not. `CREATOROS_FAULT_SEED` shifts every seed.

use creatoros_tests::proxy::{Fault, FaultMix};
use creatoros_tests::reliability::{run_workload, Outcome};
use futures::future::join_all;

struct Mix {
    name: &'static str,
    mix: FaultMix,
    /// Faults this mix must have injected for the run to prove anything.
    expect: &'static [Fault],
}

fn mixes() -> Vec<Mix> {
    let none = FaultMix::none();
    vec![
        Mix {
            name: "throttling",
            mix: FaultMix {
                throttle: 0.15,
                ..none
            },
            expect: &[Fault::Throttle],
        },
        Mix {
            name: "unprocessed batch items",
            mix: FaultMix {
                unprocessed: 0.6,
                ..none
            },
            expect: &[Fault::Unprocessed],
        },
        Mix {
            name: "500s before and after applying",
            mix: FaultMix {
                error_before: 0.06,
                error_after: 0.06,
                ..none
            },
            expect: &[Fault::ErrorBefore, Fault::ErrorAfter],
        },
        Mix {
            name: "dropped connections and cut downloads",
            mix: FaultMix {
                drop_before: 0.05,
                drop_after: 0.05,
                truncate: 0.2,
                ..none
            },
            expect: &[Fault::DropBefore, Fault::DropAfter, Fault::Truncate],
        },
        Mix {
            name: "added latency",
            mix: FaultMix {
                latency: 0.3,
                latency_ms: (20, 250),
                ..none
            },
            expect: &[Fault::Latency],
        },
        Mix {
            name: "everything at once",
            mix: FaultMix {
                throttle: 0.04,
                unprocessed: 0.2,
                error_before: 0.02,
                error_after: 0.02,
                drop_before: 0.02,
                drop_after: 0.02,
                truncate: 0.05,
                latency: 0.1,
                latency_ms: (5, 100),
            },
            expect: &[
                Fault::Throttle,
                Fault::Unprocessed,
                Fault::ErrorAfter,
                Fault::DropAfter,
            ],
        },
    ]
}

fn base_seed() -> u64 {
    std::env::var("CREATOROS_FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(11)
}

fn assert_clean_run_exercises_the_pipeline(clean: &Outcome) {
    assert!(
        clean.differences(clean).is_none(),
        "the clean run itself left work unfinished or dead-lettered: {:?}",
        clean.differences(clean)
    );
    assert!(clean.item_count() > 1200, "{} items", clean.item_count());
    // Negative counts and formula cells (YouTube's unlisted videos without a publish day land since snapshots are
    // dated by the export).
    assert!(clean.rejects.len() >= 2, "{:?}", clean.rejects.keys());
    let has = |kind: &str| {
        clean
            .items
            .values()
            .flatten()
            .any(|v| v["__edb_e__"] == kind)
    };
    for kind in ["metric", "import", "insight", "task", "derivation"] {
        assert!(has(kind), "the clean run wrote no {kind}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_fault_mix_ends_where_a_clean_run_ends() {
    let seed = base_seed();
    let mixes = mixes();
    let clean = run_workload("faults-clean", None, 0);
    let faulty = join_all(mixes.iter().enumerate().map(|(i, m)| {
        let name = format!("faults-{i}");
        async move { run_workload(&name, Some(m.mix), seed + i as u64).await }
    }));
    let (clean, faulty) = tokio::join!(clean, faulty);
    let clean = clean.0;
    assert_clean_run_exercises_the_pipeline(&clean);

    let mut failures = Vec::new();
    for (m, (outcome, stats)) in mixes.iter().zip(&faulty) {
        eprintln!("{}: {}", m.name, stats.summary());
        for kind in m.expect {
            if stats.injected(*kind) == 0 {
                failures.push(format!("{}: no {kind:?} fault was injected", m.name));
            }
        }
        if let Some(diff) = outcome.differences(&clean) {
            failures.push(format!("{}: differs from the clean run:\n{diff}", m.name));
        }
    }
    assert!(failures.is_empty(), "seed {seed}:\n{}", failures.join("\n"));
}
