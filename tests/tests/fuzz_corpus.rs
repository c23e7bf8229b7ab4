//! Replays every committed fuzz input on the stable toolchain, without cargo-fuzz: each file under
//! `fuzz/corpus/<target>/` and `fuzz/regressions/<target>/` goes through the same function the fuzz target calls
//! (`fuzz/src/lib.rs`, included here), so a crash the fuzzer once found, or an input that reached a corner of a
//! parser, stays checked by `make test`. Needs no servers.

#[path = "../../fuzz/src/lib.rs"]
mod targets;

use std::path::{Path, PathBuf};

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

fn replay(target: &str, run: fn(&[u8])) {
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
fn every_target_has_a_test() {
    let names: Vec<&str> = targets::TARGETS.iter().map(|(name, _)| *name).collect();
    assert_eq!(
        names,
        [
            "parse_export",
            "object_key",
            "ingest_message",
            "stream_record"
        ]
    );
}

#[test]
fn parse_export_corpus() {
    replay("parse_export", targets::TARGETS[0].1);
}

#[test]
fn object_key_corpus() {
    replay("object_key", targets::TARGETS[1].1);
}

#[test]
fn ingest_message_corpus() {
    replay("ingest_message", targets::TARGETS[2].1);
}

#[test]
fn stream_record_corpus() {
    replay("stream_record", targets::TARGETS[3].1);
}
