//! Streams one export file through the parse path (container → decode → detect → parse → validate), as the
//! worker does, and reports rows per second; run it under `/usr/bin/time -v` to see the peak memory for a CSV,
//! a workbook or a zip of any size (see `BENCHMARKS.md`).
//!
//! `cargo run --release -p creatoros-benches --bin parse_file -- <file> [--generate-mb N]`

use std::io::{BufWriter, Write};
use std::ops::ControlFlow;
use std::time::Instant;

use creatoros_formats::export::{self, Event, Limits, Upload};
use creatoros_formats::rows::RowOutcome;

#[path = "../../../../core/formats/tests/support/containers.rs"]
mod containers;
#[path = "../../../../core/formats/tests/support/exports.rs"]
mod exports;

/// `--name N`: the number after a flag.
fn number(args: &[String], flag: &str) -> Result<Option<u64>, Box<dyn std::error::Error>> {
    match args.iter().position(|a| a == flag) {
        Some(i) => Ok(Some(
            args.get(i + 1)
                .ok_or_else(|| format!("{flag} needs a number"))?
                .parse()?,
        )),
        None => Ok(None),
    }
}

fn generate(path: &str, megabytes: u64) -> std::io::Result<()> {
    let mut out = BufWriter::new(std::fs::File::create(path)?);
    writeln!(out, "{}", exports::CANONICAL_HEADER)?;
    let mut written = 0u64;
    let mut i = 0u64;
    while written < megabytes * 1024 * 1024 {
        let line = exports::canonical_row(i);
        out.write_all(line.as_bytes())?;
        written += line.len() as u64;
        i += 1;
    }
    out.flush()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let path = args.get(1).ok_or(
        "usage: parse_file <file> [--generate-mb N | --generate-xlsx-rows N | --generate-zip-mb N] [--generate-only]",
    )?;
    if let Some(mb) = number(&args, "--generate-mb")? {
        generate(path, mb)?;
    }
    if let Some(rows) = number(&args, "--generate-xlsx-rows")? {
        // The canonical rows of `generate`, as a workbook.
        let csv = format!("{path}.csv");
        generate(&csv, rows * 80 / (1024 * 1024) + 1)?;
        let text = std::fs::read_to_string(&csv)?;
        let first: String = text
            .lines()
            .take(rows as usize + 1)
            .collect::<Vec<_>>()
            .join("\n");
        std::fs::write(path, containers::as_workbook(first.as_bytes()))?;
        std::fs::remove_file(&csv)?;
    }
    if let Some(mb) = number(&args, "--generate-zip-mb")? {
        let csv = format!("{path}.csv");
        generate(&csv, mb)?;
        std::fs::write(
            path,
            containers::as_zip("export.csv", &std::fs::read(&csv)?),
        )?;
        std::fs::remove_file(&csv)?;
    }
    if args.iter().any(|a| a == "--generate-only") {
        return Ok(());
    }
    let started = Instant::now();
    let file = std::fs::File::open(path)?;
    let upload = Upload {
        name: path.rsplit('/').next().unwrap_or(path).to_owned(),
        uploaded: "2026-11-30".parse()?,
        gzip_expected: path.ends_with(".gz"),
        limits: Limits::default(),
    };
    let (mut rows, mut rejected, mut formats) = (0u64, 0u64, Vec::new());
    export::read(Box::new(file), &upload, None, &mut |event| {
        match event {
            Event::Part(p) => formats.push(format!("{} {}", p.container.as_str(), p.format)),
            Event::Row(RowOutcome::Metric(_) | RowOutcome::Daily(_), _) => rows += 1,
            Event::Row(RowOutcome::Rejected(_), _) => rejected += 1,
            Event::Row(_, _) => {}
        }
        ControlFlow::Continue(())
    })?;
    let secs = started.elapsed().as_secs_f64();
    let bytes = std::fs::metadata(path)?.len();
    println!(
        "{path}: {}; {rows} rows ({rejected} rejected) in {secs:.2} s: {:.0} rows/s, {:.1} MB/s",
        formats.join(", "),
        rows as f64 / secs,
        bytes as f64 / 1e6 / secs
    );
    Ok(())
}
