//! The revised time model on the local stack: a metric is a snapshot dated the day its numbers are as of, so a
//! re-export adds history instead of erasing it, and daily series live apart from snapshots, so a YouTube
//! export's Chart data can never overwrite its Table data.

use std::collections::BTreeMap;
use std::path::PathBuf;

use creatoros_model::contract::Casing;
use creatoros_model::entities::{Daily, Measure, Metric};
use creatoros_stack::electrodb::ElectroDb;
use creatoros_tests::ingest::IngestHarness;
use serde_json::json;

fn fixture(corpus: &str, name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(corpus)
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Data lines of a CSV fixture (lines after the header that are not the `Total` row).
fn data_lines(name: &str) -> usize {
    let text = String::from_utf8(fixture("exports", name)).unwrap();
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty() && !l.starts_with("Total,"))
        .count()
}

/// Views, impressions and subscribers gained.
type Numbers = (Option<i64>, Option<i64>, Option<i64>);

/// Each post's numbers, whatever day they are dated.
fn numbers(metrics: &[Metric]) -> BTreeMap<String, Numbers> {
    metrics
        .iter()
        .map(|m| {
            (
                m.post_id.to_string(),
                (m.views, m.impressions, m.followers_gained),
            )
        })
        .collect()
}

/// Each daily value as (subject, day, views).
fn series(daily: &[Daily]) -> Vec<(String, String, Option<i64>)> {
    let mut out: Vec<_> = daily
        .iter()
        .map(|d| (d.subject.to_string(), d.day.to_string(), d.views))
        .collect();
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_youtube_export_as_three_files_or_one_zip_keeps_table_data_and_stores_the_daily_series() {
    let h = IngestHarness::new("youtube-export").await;
    let table = fixture("exports", "youtube-en Table data.csv");
    let chart = fixture("exports", "youtube-en Chart data.csv");
    let totals = fixture("exports", "youtube-en Totals.csv");
    h.upload("imports/alone/Table data.csv", table.clone())
        .await;
    h.upload("imports/three/Table data.csv", table).await;
    h.upload("imports/three/Chart data.csv", chart).await;
    h.upload("imports/three/Totals.csv", totals).await;
    h.upload(
        "imports/zip/Content 2025-06-13_2026-06-12 Demo Channel.zip",
        fixture("exports", "Content 2025-06-13_2026-06-12 Demo Channel.zip"),
    )
    .await;
    h.run().await;

    let alone = h.metrics("alone").await;
    let three = h.metrics("three").await;
    let zipped = h.metrics("zip").await;
    let videos = data_lines("youtube-en Table data.csv");
    assert_eq!(alone.len(), videos, "one snapshot per video of Table data");
    assert_eq!(
        numbers(&three),
        numbers(&alone),
        "Chart data and Totals beside it leave Table data's numbers as they are"
    );
    assert_eq!(numbers(&zipped), numbers(&alone), "the same from the zip");
    let video = "yt-UWQNrpakgcA";
    assert_eq!(
        numbers(&three)[video].0,
        Some(30331),
        "{video} keeps its total over the range, not one day's views"
    );
    for m in &zipped {
        assert_eq!(
            m.date.as_str(),
            "2026-06-12",
            "dated by the period the zip names"
        );
        assert_eq!(m.measure, Some(Measure::Period));
        assert_eq!(
            m.period_start.as_ref().map(|d| d.as_str()),
            Some("2025-06-13")
        );
    }

    let daily_three = h.of_workspace::<Daily>("three").await;
    let daily_zip = h.of_workspace::<Daily>("zip").await;
    let expected = data_lines("youtube-en Chart data.csv") + data_lines("youtube-en Totals.csv");
    assert_eq!(
        daily_three.len(),
        expected,
        "every day of Chart data and Totals stored"
    );
    assert_eq!(
        series(&daily_zip),
        series(&daily_three),
        "the same from the zip"
    );
    let account = daily_three
        .iter()
        .filter(|d| d.subject.as_str() == "account")
        .count();
    assert_eq!(
        account,
        data_lines("youtube-en Totals.csv"),
        "Totals is the channel's series"
    );
    let first_day = daily_three
        .iter()
        .find(|d| d.subject.as_str() == "account" && d.day.as_str() == "2025-06-13")
        .expect("the channel's first day");
    assert_eq!(
        first_day.views,
        Some(1224),
        "Totals' 13-06-2025 read day-first"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_x_content_exported_a_week_apart_adds_a_snapshot_per_post_and_electrodb_reads_the_history(
) {
    let h = IngestHarness::new("x-reexport").await;
    for name in [
        "account_analytics_content_2026-07-01_2026-07-14.csv",
        "account_analytics_content_2026-07-01_2026-07-21.csv",
    ] {
        h.upload(&format!("imports/ws/{name}"), fixture("reexport", name))
            .await;
        // One at a time, as a creator would upload them.
        h.run().await;
    }
    let metrics = h.metrics("ws").await;
    let mut by_post: BTreeMap<String, Vec<&Metric>> = BTreeMap::new();
    for m in &metrics {
        by_post.entry(m.post_id.to_string()).or_default().push(m);
    }
    let twice: Vec<&String> = by_post
        .iter()
        .filter(|(_, snapshots)| snapshots.len() == 2)
        .map(|(post, _)| post)
        .collect();
    assert_eq!(
        twice.len(),
        4,
        "the four posts in both exports: {by_post:?}"
    );
    assert_eq!(by_post.len(), 6, "plus the two only the second export has");
    for post in &twice {
        let s = &by_post[*post];
        assert_eq!(
            (s[0].date.as_str(), s[1].date.as_str()),
            ("2026-07-14", "2026-07-21"),
            "each export's end day"
        );
        assert!(
            s[1].impressions > s[0].impressions,
            "{post}: the later snapshot holds the later, larger totals"
        );
        assert!(s[0].title.is_some() && s[0].published_at.is_some());
    }

    // What the app runs to draw a post's history.
    let post = twice[0].as_str();
    let electrodb = ElectroDb::new(&h.made.table, Casing::None);
    let answers = electrodb
        .run(vec![
            json!({"op": "query", "entity": "metric", "accessPattern": "byPost",
            "composites": {"workspaceId": "ws", "postId": post, "platform": "x"}}),
        ])
        .await
        .unwrap();
    let history = answers[0].as_ref().unwrap();
    let dates: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["date"].as_str().unwrap())
        .collect();
    assert_eq!(dates, ["2026-07-14", "2026-07-21"]);
    assert_eq!(history[0]["measure"], "lifetime");
    assert!(history[1]["impressions"].as_i64() > history[0]["impressions"].as_i64());
}
