//! The compute of one derivation, without its reads: a workspace with 90 days of daily snapshots of 200 posts
//! (18,000 metric items in the window), and the same with one weekly snapshot. `BENCHMARKS.md` sets it beside the
//! read units and wall time `bench_cost` measures on DynamoDB Local.
//!
//! `cargo bench -p creatoros-benches --bench derive`

use creatoros_model::entities::{Measure, Metric, Platform};
use creatoros_model::ids::{Day, Month, PostId, WorkspaceId};
use creatoros_rules::{derive, MonthData};
use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};

/// 200 posts over the 90 days to 2026-10-31 on X and LinkedIn, a snapshot every `every` days from publishing.
fn window(every: i64) -> MonthData {
    let ws = WorkspaceId::parse("bench").unwrap();
    let end = time::macros::date!(2026 - 10 - 31);
    let start = end - time::Duration::days(89);
    let mut data = MonthData::new(
        ws.clone(),
        Month::parse("2026-10").unwrap(),
        Day::parse("2026-11-02").unwrap(),
    );
    for post in 0..200i64 {
        let published = start + time::Duration::days(post * 90 / 200);
        let platform = if post % 2 == 0 {
            Platform::X
        } else {
            Platform::Linkedin
        };
        let mut day = published;
        while day <= end {
            let age = (day - published).whole_days();
            let mut m = Metric::new(
                ws.clone(),
                PostId::parse(format!("p{post}")).unwrap(),
                platform,
                Day::from_date(day).unwrap(),
            );
            m.measure = Some(Measure::Lifetime);
            m.published_at = Some(format!("{published}T09:00:00Z"));
            m.title = Some(format!("Post {post}: what we learned?"));
            m.impressions = Some(500 + (post * 7_919) % 9_000 + age * 20);
            m.likes = Some(10 + (post * 31) % 400 + age);
            m.comments = Some(post % 30);
            m.shares = Some(post % 12);
            data.metrics.push(m);
            day += time::Duration::days(every);
        }
    }
    data
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("derive");
    group.sample_size(10);
    for (name, every) in [("daily snapshots", 1), ("weekly snapshots", 7)] {
        let data = window(every);
        group.throughput(Throughput::Elements(data.metrics.len() as u64));
        group.bench_function(format!("200 posts, 90 days, {name}"), |b| {
            b.iter_batched(
                || data.clone(),
                |data| black_box(derive(&data).insights.len()),
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
