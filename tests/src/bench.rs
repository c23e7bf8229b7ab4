//! Shared pieces of the bench binaries (`src/bin/bench_*.rs`, `load`): generated exports, the parse path as a
//! baseline would run it, one timed ingest invocation, and min/median/max over rounds kept in a results file.

use creatoros_runtime::metrics::Metrics;
use std::io::{BufRead, Cursor, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use creatoros_formats::decode;
use creatoros_formats::reader::{PartDating, RowReader};
use creatoros_formats::rows::RowOutcome;
use creatoros_ingest::handler;
use creatoros_model::contract::{Item, KeyCodec};
use creatoros_model::entities::Metric;
use creatoros_model::ids::WorkspaceId;
use creatoros_model::imports::items::Provenance;
use serde_json::Value;

use crate::ingest::IngestHarness;

/// A canonical export whose rows are all distinct metric items: `file` keeps post ids apart across files.
pub fn canonical_export(file: usize, rows: usize) -> Vec<u8> {
    let mut csv = String::with_capacity(rows * 48);
    csv.push_str("post_id,platform,date,impressions,likes,comments,shares\n");
    let platforms = ["x", "linkedin", "youtube", "rednote"];
    for i in 0..rows {
        let day = 1 + i % 28;
        csv.push_str(&format!(
            "f{file}-p{i},{},2026-{:02}-{day:02},{},{},{},{}\n",
            platforms[i % 4],
            9 + (i / 28) % 2,
            2_000 + (i * 31) % 5_000,
            40 + (i * 7) % 300,
            i % 17,
            i % 5
        ));
    }
    csv.into_bytes()
}

/// Writes a canonical export of at least `bytes` bytes to `path`, row by row (the rows of [`canonical_export`]),
/// without holding it in memory; returns the rows written.
pub fn write_canonical_file(path: &Path, bytes: u64) -> std::io::Result<u64> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    let header = "post_id,platform,date,impressions,likes,comments,shares\n";
    out.write_all(header.as_bytes())?;
    let mut written = header.len() as u64;
    let mut rows = 0u64;
    while written < bytes {
        let chunk = canonical_export(rows as usize / 10_000, 10_000);
        let body = &chunk[header.len()..];
        out.write_all(body)?;
        written += body.len() as u64;
        rows += 10_000;
    }
    out.flush()?;
    Ok(rows)
}

/// The items the worker would write for `bytes` in `workspace`: the same parse, validation and encoding, with
/// provenance attributes of the same size the worker stamps.
pub fn encode_export(bytes: &[u8], workspace: &str, codec: &KeyCodec) -> Vec<Item> {
    export_metrics(bytes, workspace)
        .iter()
        .map(|m| codec.encode(m).expect("encodable metric"))
        .collect()
}

/// The metrics of `bytes` in `workspace`, as [`encode_export`] encodes them.
pub fn export_metrics(bytes: &[u8], workspace: &str) -> Vec<Metric> {
    let ws = WorkspaceId::parse(workspace).expect("workspace id");
    let (text, _) = decode::open(Cursor::new(bytes.to_vec()), false).expect("decodable export");
    let dating = PartDating::upload_day("2026-11-24".parse().expect("day"));
    let mut reader = RowReader::open(text, &dating).expect("export with a header");
    let mut metrics = Vec::new();
    while let Some(row) = reader.next_row() {
        if let RowOutcome::Metric(m) = row.expect("readable row") {
            metrics.push(creatoros_model::imports::items::metric_of(
                &m,
                &ws,
                m.post.default_id().clone(),
                &Provenance {
                    source: Some(format!("canonical:imports/{workspace}/export.csv")),
                    captured_at: Some("2026-11-24T12:00:00.000Z".to_owned()),
                    import_id: Some("imp-0123456789abcdef0123".to_owned()),
                },
            ));
        }
    }
    metrics
}

/// Takes the next message off the ingest queue (waiting for S3's notification) and times the worker's handler on
/// it, as one Lambda invocation: the handler's time only, not the queue's. Panics when a record fails.
pub async fn timed_invocation(h: &IngestHarness) -> Duration {
    let ctx = &h.ctx;
    let deadline_for_bench = Duration::from_secs(3600);
    for _ in 0..60 {
        let mut took = None;
        let polled = h
            .runner
            .poll_once(Duration::from_secs(1), |event, _| {
                let took = &mut took;
                async move {
                    let started = Instant::now();
                    let answer = handler::handle(
                        ctx,
                        event,
                        started + deadline_for_bench,
                        &Metrics::new("ingest"),
                    )
                    .await;
                    *took = Some(started.elapsed());
                    answer
                }
            })
            .await
            .expect("ingest queue");
        assert_eq!(polled.failed, 0, "the ingest handler failed a record");
        if let Some(took) = took {
            return took;
        }
    }
    panic!("no ingest message arrived within a minute of the upload");
}

/// Smallest, middle and largest of some runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    /// Smallest.
    pub min: f64,
    /// Median (the lower middle of an even count).
    pub median: f64,
    /// Largest.
    pub max: f64,
}

impl Spread {
    /// The spread of `values`; `None` when there are none.
    pub fn of(values: &[f64]) -> Option<Self> {
        let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        sorted.sort_by(f64::total_cmp);
        Some(Spread {
            min: *sorted.first()?,
            median: sorted[(sorted.len() - 1) / 2],
            max: *sorted.last()?,
        })
    }
}

impl std::fmt::Display for Spread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let p = f.precision().unwrap_or(0);
        write!(
            f,
            "{:.p$} / {:.p$} / {:.p$}",
            self.min, self.median, self.max
        )
    }
}

/// The value at percentile `p` (nearest rank) of sorted values.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// Appends one round's results as a JSON line.
pub fn append_record(path: &Path, record: &Value) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    writeln!(file, "{record}")
}

/// Every round recorded in `path`.
pub fn read_records(path: &Path) -> std::io::Result<Vec<Value>> {
    let file = std::fs::File::open(path)?;
    std::io::BufReader::new(file)
        .lines()
        .filter(|l| l.as_ref().map_or(true, |l| !l.trim().is_empty()))
        .map(|l| l.and_then(|l| serde_json::from_str(&l).map_err(std::io::Error::other)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_and_percentiles() {
        let s = Spread::of(&[3.0, 1.0, f64::NAN, 2.0, 10.0]).unwrap();
        assert_eq!((s.min, s.median, s.max), (1.0, 2.0, 10.0));
        assert_eq!(format!("{s:.1}"), "1.0 / 2.0 / 10.0");
        assert!(Spread::of(&[]).is_none());
        let sorted = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(percentile(&sorted, 50.0), 3.0);
        assert_eq!(percentile(&sorted, 95.0), 5.0);
    }

    #[test]
    fn generated_exports_encode_one_item_per_row() {
        let items = encode_export(&canonical_export(3, 50), "ws-a", &KeyCodec::default());
        assert_eq!(items.len(), 50);
        let keys: std::collections::HashSet<_> =
            items.iter().map(|i| format!("{:?}", i["sk"])).collect();
        assert_eq!(keys.len(), 50, "every row is its own item");
    }
}
