//! Streams one export file through the ingest path (decode → detect → parse → validate → encode), as the worker
//! does, and reports rows per second; run it under `/usr/bin/time -v` to see that memory stays flat whatever the
//! file size (see `BENCHMARKS.md`).
//!
//! `cargo run --release -p creatoros-core --example parse_file -- <file> [--generate-mb N]`

use std::io::{BufWriter, Write};
use std::time::Instant;

use creatoros_core::contract::KeyCodec;
use creatoros_core::ids::WorkspaceId;
use creatoros_formats::decode;
use creatoros_formats::reader::RowReader;
use creatoros_formats::rows::RowOutcome;

fn generate(path: &str, megabytes: u64) -> std::io::Result<()> {
    let mut out = BufWriter::new(std::fs::File::create(path)?);
    writeln!(out, "post_id,platform,date,impressions,likes,comments,shares,saves,clicks,views,watch_time_seconds,followers_gained")?;
    let mut written = 0u64;
    let mut i = 0u64;
    while written < megabytes * 1024 * 1024 {
        let line = format!(
            "post-{},{},2026-{:02}-{:02},{},{},{},{},{},{},{},{}.5,{}\n",
            i % 50_000,
            ["x", "linkedin", "youtube", "rednote"][(i % 4) as usize],
            i % 12 + 1,
            i % 28 + 1,
            1000 + i,
            i % 500,
            i % 50,
            i % 20,
            i % 30,
            i % 70,
            i % 9000,
            i % 600,
            i as i64 % 11 - 5
        );
        out.write_all(line.as_bytes())?;
        written += line.len() as u64;
        i += 1;
    }
    out.flush()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let path = args
        .get(1)
        .ok_or("usage: parse_file <file> [--generate-mb N]")?;
    if let Some(i) = args.iter().position(|a| a == "--generate-mb") {
        let mb: u64 = args
            .get(i + 1)
            .ok_or("--generate-mb needs a number")?
            .parse()?;
        generate(path, mb)?;
    }
    let started = Instant::now();
    let file = std::fs::File::open(path)?;
    let gzip = path.ends_with(".gz");
    let (text, decoding) = decode::open(file, gzip)?;
    let mut reader = RowReader::open(text)?;
    let codec = KeyCodec::default();
    let ws = WorkspaceId::parse("DEMO#bench")?;
    let (mut rows, mut rejected, mut attributes) = (0u64, 0u64, 0usize);
    while let Some(row) = reader.next_row() {
        match row? {
            RowOutcome::Metric(m) => {
                let metric = creatoros_core::ingest::items::metric_of(
                    &m,
                    &ws,
                    m.post.default_id().clone(),
                    Some("bench".into()),
                    None,
                    None,
                );
                attributes += codec.encode(&metric)?.len();
                rows += 1;
            }
            RowOutcome::Rejected(_) => rejected += 1,
            RowOutcome::Skipped => {}
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let bytes = std::fs::metadata(path)?.len();
    println!(
        "{path}: {} format, {:?}; {rows} rows ({rejected} rejected, {attributes} attributes encoded) in {secs:.1} s: {:.0} rows/s, {:.1} MB/s",
        reader.format().name,
        decoding.charset,
        rows as f64 / secs,
        bytes as f64 / 1e6 / secs
    );
    Ok(())
}
