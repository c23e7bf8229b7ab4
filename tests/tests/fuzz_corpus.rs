//! Replays every committed fuzz input on the stable toolchain, without cargo-fuzz: each file under
//! `fuzz/corpus/<target>/` and `fuzz/regressions/<target>/` goes through the same function the fuzz target calls
//! (`fuzz/src/formats.rs` and `fuzz/src/pipeline.rs`, included here), so a crash the fuzzer once found, or an
//! input that reached a corner of a parser, stays checked by `make test`. Needs no servers.

#[path = "../../fuzz/src/formats.rs"]
mod formats;
#[path = "../../fuzz/src/pipeline.rs"]
mod pipeline;

use std::path::{Path, PathBuf};

/// One input through one target.
type Target = fn(&[u8]);

/// Every target by name, as `fuzz/Cargo.toml` declares them.
const TARGETS: [(&str, Target); 6] = [
    ("parse_export", formats::parse_export),
    ("workbook", formats::workbook),
    ("zip_archive", formats::zip_archive),
    ("object_key", pipeline::object_key),
    ("ingest_message", pipeline::ingest_message),
    ("stream_record", pipeline::stream_record),
];

fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("readable directory").path())
        .filter(|p| p.is_file())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n != ".gitkeep" && n != "README.md")
        })
        .collect();
    files.sort();
    files
}

fn replay(target: &str) {
    let run = TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .map(|(_, run)| *run)
        .expect("a declared target");
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let corpus = inputs(&fuzz.join("corpus").join(target));
    let regressions = inputs(&fuzz.join("regressions").join(target));
    assert!(!corpus.is_empty(), "no corpus for {target}");
    for path in corpus.iter().chain(&regressions) {
        let data = std::fs::read(path).expect("readable input");
        let outcome = std::panic::catch_unwind(|| run(&data));
        assert!(outcome.is_ok(), "{target} failed on {}", path.display());
    }
    eprintln!(
        "{target}: {} corpus inputs, {} regressions",
        corpus.len(),
        regressions.len()
    );
}

#[test]
fn every_target_has_a_corpus_and_a_test() {
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/Cargo.toml"))
            .expect("fuzz manifest");
    let declared: Vec<&str> = manifest
        .lines()
        .filter_map(|l| l.strip_prefix("name = \""))
        .filter_map(|l| l.strip_suffix('"'))
        .filter(|n| *n != "creatoros-fuzz")
        .collect();
    let tested: Vec<&str> = TARGETS.iter().map(|(name, _)| *name).collect();
    assert_eq!(declared, tested);
}

#[test]
fn parse_export_corpus() {
    replay("parse_export");
}

#[test]
fn workbook_corpus() {
    replay("workbook");
}

#[test]
fn zip_archive_corpus() {
    replay("zip_archive");
}

#[test]
fn object_key_corpus() {
    replay("object_key");
}

#[test]
fn ingest_message_corpus() {
    replay("ingest_message");
}

#[test]
fn stream_record_corpus() {
    replay("stream_record");
}
