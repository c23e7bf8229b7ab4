//! The insight rules over months of 100, 10,000 and 100,000 metrics: the compute of one derivation, without its
//! reads. `BENCHMARKS.md` sets it beside the read units and wall time `bench_cost` measures on DynamoDB Local.
//!
//! `cargo bench -p creatoros-core --bench derive`

use creatoros_core::entities::{Metric, Platform};
use creatoros_core::ids::{Day, Month, PostId, WorkspaceId};
use creatoros_core::insights::{derive, MonthData};
use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};

/// `n` metrics of October 2026: `n / 28` posts on rotating platforms, one snapshot a day, varied numbers so the
/// outlier rules have something to find.
fn month(n: usize) -> Vec<Metric> {
    let ws = WorkspaceId::parse("bench").unwrap();
    (0..n)
        .map(|i| {
            let date = Day::parse(format!("2026-10-{:02}", i % 28 + 1)).unwrap();
            let post = i / 28;
            Metric {
                impressions: Some(1_000 + (post as i64 * 7_919) % 90_000 + (i % 28) as i64 * 50),
                likes: Some((post as i64 * 31) % 4_000 + (i % 28) as i64),
                comments: Some(post as i64 % 300),
                shares: Some(post as i64 % 120),
                source: Some("bench".into()),
                captured_at: Some("2026-11-01T00:00:00.000Z".into()),
                import_id: Some("imp-bench".into()),
                ..Metric::new(
                    ws.clone(),
                    PostId::parse(format!("p{post}")).unwrap(),
                    Platform::ALL[post % 4],
                    date,
                )
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("derive");
    group.sample_size(10);
    for n in [100usize, 10_000, 100_000] {
        let metrics = month(n);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_function(format!("{n} metrics"), |b| {
            b.iter_batched(
                || metrics.clone(),
                |metrics| {
                    let data = MonthData::new(
                        WorkspaceId::parse("bench").unwrap(),
                        Month::parse("2026-10").unwrap(),
                        Day::parse("2026-11-24").unwrap(),
                        metrics,
                        Vec::new(),
                        Vec::new(),
                    );
                    black_box(derive(&data).insights.len())
                },
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
