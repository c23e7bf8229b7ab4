//! Every export fixture and every bad input, uploaded to local S3 and ingested through the queue by the real
//! handler: the table holds exactly the metric and daily items the reviewed goldens list, and each import record
//! says what happened (status, counts, first errors, notes, rejects file).
//!
//! The goldens (`tests/fixtures/<corpus>/expected/`, written by `core/formats/tests/reader_goldens.rs`) are read
//! as uploaded on a fixed day and write that day `upload-day`; items here are rendered the same way, with the
//! import's own upload day in its place.

use std::collections::BTreeMap;
use std::path::PathBuf;

use creatoros_model::entities::{Daily, ImportStatus, Measure, Metric};
use creatoros_tests::ingest::IngestHarness;

fn corpus(name: &str) -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && !p.extension().is_some_and(|e| e == "md" || e == "py"))
        .collect();
    files.sort();
    files
}

/// What a golden says a file yields.
#[derive(Debug, Default)]
struct Golden {
    /// Item key (`metric x <post> <date>` / `daily x <subject> <day>`) → its whole line; the last row wins.
    items: BTreeMap<String, String>,
    /// `part line` of each rejected row, in order.
    rejected: Vec<String>,
    /// Notes as the import records them (prefixed by their part).
    notes: Vec<String>,
    file_error: Option<String>,
    rows: u64,
}

fn golden(path: &std::path::Path) -> Golden {
    let name = path.file_name().unwrap().to_string_lossy();
    let text = std::fs::read_to_string(
        path.parent()
            .unwrap()
            .join("expected")
            .join(format!("{name}.txt")),
    )
    .unwrap();
    let mut g = Golden::default();
    let mut part: Option<String> = None;
    for line in text.lines() {
        if let Some(e) = line.strip_prefix("file error: ") {
            g.file_error = Some(e.to_owned());
        } else if line.starts_with("part ") {
            // part N container "name" format …
            let name = line.split('"').nth(1).unwrap_or("-");
            part = (name != "-").then(|| name.to_owned());
        } else if let Some(note) = line.strip_prefix("note ") {
            let text = match &part {
                Some(p) => format!("{p}: {note}"),
                None => note.to_owned(),
            };
            if g.notes.len() < 20 && !g.notes.contains(&text) {
                g.notes.push(text);
            }
        } else if let Some(rest) = line.strip_prefix("REJECTED ") {
            g.rows += 1;
            // [part] line N column: reason
            let (before, _) = rest.split_once(": ").unwrap_or((rest, ""));
            let at = before.find("line ").unwrap();
            let part_name = before[..at].trim();
            let number = before[at + 5..].split(' ').next().unwrap();
            g.rejected.push(format!("{part_name}|{number}"));
        } else if line.starts_with("metric ") || line.starts_with("daily ") {
            g.rows += 1;
            let key: Vec<&str> = line.splitn(5, ' ').take(4).collect();
            g.items.insert(key.join(" "), line.to_owned());
        }
    }
    g
}

/// Numbers in the goldens' order.
fn counts(fields: &[(&str, Option<i64>)], watch: Option<f64>, ctr: Option<f64>) -> String {
    let mut out: Vec<String> = fields
        .iter()
        .filter_map(|(n, v)| v.map(|v| format!("{n}={v}")))
        .collect();
    if let Some(w) = watch {
        out.push(format!("watch={w}"));
    }
    if let Some(r) = ctr {
        out.push(format!("ctr={r}"));
    }
    out.join(" ")
}

/// A stored metric, written like a golden line (`day` renders the import's upload day as the goldens do).
fn render_metric(m: &Metric, day: &dyn Fn(&str) -> String) -> String {
    let measure = match m.measure {
        Some(Measure::Period) => format!(
            "period:{}..{}",
            m.period_start
                .as_ref()
                .map_or("?".to_owned(), |d| day(d.as_str())),
            m.period_end
                .as_ref()
                .map_or("?".to_owned(), |d| day(d.as_str()))
        ),
        _ => "lifetime".to_owned(),
    };
    format!(
        "metric {} {} {} {measure} published={} title=\"{}\" {}",
        m.platform,
        m.post_id,
        day(m.date.as_str()),
        m.published_at.as_deref().unwrap_or("-"),
        m.title.as_deref().unwrap_or("").replace('"', "\\\""),
        counts(
            &[
                ("imp", m.impressions),
                ("likes", m.likes),
                ("comments", m.comments),
                ("shares", m.shares),
                ("saves", m.saves),
                ("clicks", m.clicks),
                ("views", m.views),
                ("followers", m.followers_gained),
                ("eng", m.engagements),
            ],
            m.watch_time_seconds,
            m.click_through_rate
        )
    )
}

/// A stored daily value, written like a golden line.
fn render_daily(d: &Daily, day: &dyn Fn(&str) -> String) -> String {
    format!(
        "daily {} {} {} {}",
        d.platform,
        d.subject,
        day(d.day.as_str()),
        counts(
            &[
                ("imp", d.impressions),
                ("likes", d.likes),
                ("comments", d.comments),
                ("shares", d.shares),
                ("saves", d.saves),
                ("clicks", d.clicks),
                ("views", d.views),
                ("followers", d.followers_gained),
                ("lost", d.followers_lost),
                ("total", d.followers),
                ("eng", d.engagements),
                ("visits", d.profile_visits),
                ("posts", d.posts_published),
            ],
            d.watch_time_seconds,
            d.click_through_rate
        )
    )
}

async fn ingest_corpus(name: &str) {
    let h = IngestHarness::new(&format!("corpus-{name}")).await;
    let files = corpus(name);
    for (i, path) in files.iter().enumerate() {
        let file = path.file_name().unwrap().to_string_lossy();
        h.upload(
            &format!("imports/ws{i}/{file}"),
            std::fs::read(path).unwrap(),
        )
        .await;
    }
    h.run().await;
    for (i, path) in files.iter().enumerate() {
        let ws = format!("ws{i}");
        let g = golden(path);
        let what = path.display().to_string();
        let imports = h.imports(&ws).await;
        assert_eq!(imports.len(), 1, "{what}: one import record");
        let import = &imports[0];
        assert!(import.status.is_final(), "{what}: {:?}", import.status);
        assert!(
            import.lease_owner.is_none() && import.checkpoint.is_none(),
            "{what}: lease and checkpoint cleared"
        );
        let upload_day = import.source_time[..10].to_owned();
        let day = |d: &str| {
            if d == upload_day {
                "upload-day".to_owned()
            } else {
                d.to_owned()
            }
        };

        let mut stored: BTreeMap<String, String> = BTreeMap::new();
        for m in h.metrics(&ws).await {
            let line = render_metric(&m, &day);
            let key: Vec<&str> = line.splitn(5, ' ').take(4).collect();
            stored.insert(key.join(" "), line);
        }
        for d in h.of_workspace::<Daily>(&ws).await {
            let line = render_daily(&d, &day);
            let key: Vec<&str> = line.splitn(5, ' ').take(4).collect();
            stored.insert(key.join(" "), line);
        }
        assert_eq!(stored, g.items, "{what}: items");

        assert_eq!(import.rows_seen, g.rows, "{what}: rows seen");
        assert_eq!(
            import.rows_rejected,
            g.rejected.len() as u64,
            "{what}: rows rejected"
        );
        assert_eq!(
            import.rows_written,
            g.rows - g.rejected.len() as u64,
            "{what}: rows written"
        );
        let shown: Vec<String> = import
            .errors
            .iter()
            .map(|e| format!("{}|{}", e.part.as_deref().unwrap_or(""), e.line))
            .collect();
        let expected: Vec<String> = g.rejected.iter().take(20).cloned().collect();
        assert_eq!(shown, expected, "{what}: first errors by part and line");
        let notes: Vec<String> = import
            .notes
            .iter()
            .map(|n| n.replace(&upload_day, "upload-day"))
            .collect();
        assert_eq!(notes, g.notes, "{what}: notes");
        let status = match (
            import.rows_written,
            g.rejected.is_empty() && g.file_error.is_none(),
        ) {
            (0, _) => ImportStatus::Failed,
            (_, true) => ImportStatus::Completed,
            (_, false) => ImportStatus::Partial,
        };
        assert_eq!(import.status, status, "{what}: status");
        match &g.file_error {
            Some(e) => assert_eq!(
                import.failure.as_deref(),
                Some(e.as_str()),
                "{what}: failure"
            ),
            None if g.rows == 0 => assert_eq!(
                import.failure.as_deref(),
                Some("the file has a header but no data rows"),
                "{what}"
            ),
            None => {}
        }
        match &import.rejects_key {
            Some(key) => {
                assert!(
                    !g.rejected.is_empty(),
                    "{what}: rejects file without rejected rows"
                );
                let text = h.object_text(key).await;
                assert!(text.starts_with("line,error"), "{what}: {text}");
                let lines: Vec<String> = records(&text).iter().map(|r| r[0].to_owned()).collect();
                let want: Vec<String> = g
                    .rejected
                    .iter()
                    .map(|l| l.split('|').nth(1).unwrap().to_owned())
                    .collect();
                assert_eq!(
                    lines, want,
                    "{what}: every rejected row in the rejects file, in order"
                );
            }
            None => assert!(
                g.rejected.is_empty(),
                "{what}: rejected rows but no rejects file"
            ),
        }
    }
}

/// Data records of a rejects file (ragged rows are kept as they were, so lengths vary).
fn records(text: &str) -> Vec<csv::StringRecord> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(text.as_bytes());
    reader.records().map(Result::unwrap).skip(1).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_export_format_lands_its_exact_items() {
    ingest_corpus("exports").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_input_ends_in_its_exact_outcome() {
    ingest_corpus("bad").await;
}
