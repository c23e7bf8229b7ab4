//! Every export fixture read end to end in memory (decode → detect → rows), compared with its reviewed golden
//! rendering in `tests/fixtures/exports/expected/`. `UPDATE_GOLDEN=1 cargo test -p creatoros-core --test
//! ingest_reader` rewrites the goldens; review the diff before committing.

use std::path::{Path, PathBuf};

use creatoros_formats::decode;
use creatoros_formats::reader::RowReader;
use creatoros_formats::rows::{PostRef, RowOutcome};

fn fixtures(corpus: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(corpus)
}

/// One line per row: the metric as it will be keyed, or the rejection as it will be reported.
fn render(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    let gz = path.extension().is_some_and(|e| e == "gz");
    let (text, decoding) = match decode::open(std::io::Cursor::new(bytes), gz) {
        Ok(t) => t,
        Err(e) => return format!("file error: {e}\n"),
    };
    let mut reader = match RowReader::open(text) {
        Ok(r) => r,
        Err(e) => return format!("file error: {e}\n"),
    };
    let mut out = format!(
        "format {} delimiter {:?} charset {:?} gzip {}\n",
        reader.format().name,
        reader.delimiter() as char,
        decoding.charset,
        decoding.gzip
    );
    while let Some(row) = reader.next_row() {
        match row {
            Ok(RowOutcome::Metric(m)) => {
                let post = match &m.post {
                    PostRef::App(id) => id.to_string(),
                    PostRef::Native { derived, .. } => derived.to_string(),
                };
                let c = &m.counts;
                let n = |v: Option<u64>| v.map_or("-".to_owned(), |v| v.to_string());
                out.push_str(&format!(
                    "line {} {} {} {} imp={} likes={} comments={} shares={} saves={} clicks={} views={} watch={} followers={}\n",
                    m.line, m.platform, post, m.date, n(c.impressions), n(c.likes), n(c.comments), n(c.shares),
                    n(c.saves), n(c.clicks), n(c.views),
                    c.watch_time_seconds.map_or("-".to_owned(), |v| v.to_string()),
                    c.followers_gained.map_or("-".to_owned(), |v| v.to_string()),
                ));
            }
            Ok(RowOutcome::Rejected(r)) => out.push_str(&format!(
                "line {} REJECTED {}: {}\n",
                r.error.line,
                r.error.column.as_deref().unwrap_or("(row)"),
                r.error.reason
            )),
            Ok(RowOutcome::Skipped) => {}
            Err(e) => {
                out.push_str(&format!("file error: {e}\n"));
                break;
            }
        }
    }
    out
}

/// Renders every file of a corpus and compares it with its golden; returns how many files were checked.
fn check_corpus(corpus: &str) -> usize {
    let dir = fixtures(corpus);
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    let mut checked = 0;
    for path in entries
        .into_iter()
        .filter(|p| p.is_file() && !p.extension().is_some_and(|e| e == "md" || e == "py"))
    {
        let got = render(&path);
        let golden = dir.join("expected").join(format!(
            "{}.txt",
            path.file_name().unwrap().to_string_lossy()
        ));
        if update {
            std::fs::create_dir_all(golden.parent().unwrap()).unwrap();
            std::fs::write(&golden, &got).unwrap();
        }
        let want = std::fs::read_to_string(&golden).unwrap_or_else(|_| {
            panic!(
                "no golden {}: run with UPDATE_GOLDEN=1 and review it",
                golden.display()
            )
        });
        assert_eq!(got, want, "{}", path.display());
        checked += 1;
    }
    checked
}

#[test]
fn every_export_fixture_reads_as_its_golden() {
    assert!(check_corpus("exports") >= 9);
}

#[test]
fn every_bad_input_has_its_exact_outcome() {
    assert!(check_corpus("bad") >= 25);
}
