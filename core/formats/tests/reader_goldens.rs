//! Every export fixture read end to end in memory (container → decode → detect → rows), compared with its
//! reviewed golden rendering in `tests/fixtures/<corpus>/expected/`. `UPDATE_GOLDEN=1 cargo test -p
//! creatoros-formats --test reader_goldens` rewrites the goldens; review the diff before committing.
//!
//! The goldens are read as uploaded on [`UPLOAD_DAY`]; a day equal to it is written `upload-day`, so the
//! end-to-end test (`tests/tests/ingest_formats.rs`), whose uploads happen today, compares the same text.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use creatoros_formats::export::{self, Event, Limits, Upload};
use creatoros_formats::rows::{Counts, Measured, PostRef, RowOutcome};

/// The day the goldens are read as uploaded.
const UPLOAD_DAY: &str = "2026-11-30";

fn fixtures(corpus: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(corpus)
}

fn day(d: &str) -> String {
    if d == UPLOAD_DAY {
        "upload-day".to_owned()
    } else {
        d.to_owned()
    }
}

/// The numbers present, in a fixed order (the end-to-end test renders stored items the same way).
fn counts(c: &Counts) -> String {
    let mut out = Vec::new();
    let mut n = |name: &str, v: Option<i64>| {
        if let Some(v) = v {
            out.push(format!("{name}={v}"));
        }
    };
    n("imp", c.impressions);
    n("likes", c.likes);
    n("comments", c.comments);
    n("shares", c.shares);
    n("saves", c.saves);
    n("clicks", c.clicks);
    n("views", c.views);
    n("followers", c.followers_gained);
    n("lost", c.followers_lost);
    n("total", c.followers);
    n("eng", c.engagements);
    n("visits", c.profile_visits);
    n("posts", c.posts_published);
    if let Some(w) = c.watch_time_seconds {
        out.push(format!("watch={w}"));
    }
    if let Some(r) = c.click_through_rate {
        out.push(format!("ctr={r}"));
    }
    out.join(" ")
}

fn post(p: &PostRef) -> String {
    p.default_id().to_string()
}

/// One line per part, note and row: what will be stored, or the rejection as it will be reported.
fn render(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let upload = Upload {
        gzip_expected: name.ends_with(".gz"),
        name,
        uploaded: UPLOAD_DAY.parse().unwrap(),
        limits: Limits::default(),
    };
    let mut out = String::new();
    let result = export::read(
        Box::new(std::io::Cursor::new(bytes)),
        &upload,
        None,
        &mut |event| {
            match event {
                Event::Part(p) => {
                    out.push_str(&format!(
                        "part {} {} {:?} {} delimiter {:?} charset {}\n",
                        p.index,
                        p.container.as_str(),
                        p.name.as_deref().unwrap_or("-"),
                        p.format,
                        p.delimiter as char,
                        p.decoding.map_or("-".to_owned(), |d| format!(
                            "{:?}{}",
                            d.charset,
                            if d.gzip { " gzip" } else { "" }
                        )),
                    ));
                    for note in &p.notes {
                        out.push_str(&format!(
                            "note {}\n",
                            note.replace(UPLOAD_DAY, "upload-day")
                        ));
                    }
                }
                Event::Row(row, _) => match row {
                    RowOutcome::Metric(m) => {
                        let measure = match &m.measured {
                            Measured::Lifetime => "lifetime".to_owned(),
                            Measured::Period { start, end } => format!(
                                "period:{}..{}",
                                start.as_ref().map_or("?".to_owned(), |s| day(s.as_str())),
                                day(end.as_str())
                            ),
                        };
                        out.push_str(&format!(
                            "metric {} {} {} {measure} published={} title=\"{}\" {}\n",
                            m.platform,
                            post(&m.post),
                            day(m.date.as_str()),
                            m.published_at.as_ref().map_or("-", |t| t.as_str()),
                            m.title.as_deref().unwrap_or("").replace('"', "\\\""),
                            counts(&m.counts)
                        ));
                    }
                    RowOutcome::Daily(d) => out.push_str(&format!(
                        "daily {} {} {} {}\n",
                        d.platform,
                        d.post
                            .as_ref()
                            .map_or("account".to_owned(), |p| format!("post-{}", post(p))),
                        day(d.day.as_str()),
                        counts(&d.counts)
                    )),
                    RowOutcome::Rejected(r) => out.push_str(&format!(
                        "REJECTED {}line {} {}: {}\n",
                        r.error
                            .part
                            .as_ref()
                            .map_or(String::new(), |p| format!("{p} ")),
                        r.error.line,
                        r.error.column.as_deref().unwrap_or("(row)"),
                        r.error.reason.replace(UPLOAD_DAY, "upload-day")
                    )),
                    RowOutcome::Note(n) => out.push_str(&format!("note {n}\n")),
                    RowOutcome::Skipped => {}
                },
            }
            ControlFlow::Continue(())
        },
    );
    if let Err(e) = result {
        out.push_str(&format!("file error: {e}\n"));
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
    assert!(check_corpus("exports") >= 40);
}

#[test]
fn every_bad_input_has_its_exact_outcome() {
    assert!(check_corpus("bad") >= 35);
}

#[test]
fn every_reexport_fixture_reads_as_its_golden() {
    assert!(check_corpus("reexport") >= 2);
}
