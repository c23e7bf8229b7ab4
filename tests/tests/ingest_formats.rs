//! Every export fixture and every bad input, uploaded to local S3 and ingested through the queue by the real
//! handler: the table holds exactly the items the reviewed goldens list, and each import record says what
//! happened (status, counts, first errors, rejects file).

use std::collections::BTreeMap;
use std::path::PathBuf;

use creatoros_core::entities::{ImportStatus, Metric};
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
    /// `post|platform|date` → the golden's metric line (values part).
    metrics: BTreeMap<String, String>,
    rejected: Vec<String>,
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
    for line in text.lines() {
        if let Some(e) = line.strip_prefix("file error: ") {
            g.file_error = Some(e.to_owned());
        } else if line.contains(" REJECTED ") {
            g.rows += 1;
            g.rejected.push(line.to_owned());
        } else if let Some(rest) = line.strip_prefix("line ") {
            g.rows += 1;
            let parts: Vec<&str> = rest.splitn(5, ' ').collect();
            // line N platform post date values...; the last row for a key wins, as in the table.
            g.metrics.insert(
                format!("{}|{}|{}", parts[2], parts[1], parts[3]),
                parts[4].to_owned(),
            );
        }
    }
    g
}

/// The table's metric rendered like a golden line's values.
fn render(m: &Metric) -> String {
    let n = |v: Option<u64>| v.map_or("-".to_owned(), |v| v.to_string());
    format!(
        "imp={} likes={} comments={} shares={} saves={} clicks={} views={} watch={} followers={}",
        n(m.impressions),
        n(m.likes),
        n(m.comments),
        n(m.shares),
        n(m.saves),
        n(m.clicks),
        n(m.views),
        m.watch_time_seconds
            .map_or("-".to_owned(), |v| v.to_string()),
        m.followers_gained.map_or("-".to_owned(), |v| v.to_string()),
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

        let stored: BTreeMap<String, String> = h
            .metrics(&ws)
            .await
            .iter()
            .map(|m| {
                (
                    format!("{}|{}|{}", m.post_id, m.platform, m.date),
                    render(m),
                )
            })
            .collect();
        assert_eq!(stored, g.metrics, "{what}: items");

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
        let shown: Vec<String> = import.errors.iter().map(|e| e.line.to_string()).collect();
        let expected: Vec<String> = g
            .rejected
            .iter()
            .take(20)
            .map(|l| l.split(' ').nth(1).unwrap().to_owned())
            .collect();
        assert_eq!(shown, expected, "{what}: first errors by line");
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
                assert!(text.starts_with("line,error,"), "{what}: {text}");
                let lines: Vec<String> = records(&text).iter().map(|r| r[0].to_owned()).collect();
                let want: Vec<String> = g
                    .rejected
                    .iter()
                    .map(|l| l.split(' ').nth(1).unwrap().to_owned())
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
    csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes())
        .records()
        .map(Result::unwrap)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_export_format_lands_its_exact_items() {
    ingest_corpus("exports").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_input_ends_in_its_exact_outcome() {
    ingest_corpus("bad").await;
}
