//! The project's docs against the code (no servers): the numbers they state that are constants, the paths they
//! name, the "where things are" table against the workspace, and the pure crates' dependency trees.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use creatoros_formats::export::Limits;
use creatoros_model::entities::Import;
use creatoros_store::batch::MAX_BATCH;
use creatoros_store::retry::SDK_MAX_ATTEMPTS;
use creatoros_store::TableRepo;
use serde_json::Value;

/// The repository's root.
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn doc(name: &str) -> String {
    std::fs::read_to_string(root().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

const DOCS: [&str; 4] = [
    "README.md",
    "ARCHITECTURE.md",
    "RELIABILITY.md",
    "BENCHMARKS.md",
];

/// `1,000` for 1000, as the docs write numbers.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn assert_states(name: &str, text: &str, phrase: &str) {
    assert!(
        text.contains(phrase),
        "{name} should state `{phrase}` (the code's constant); it does not"
    );
}

#[test]
fn numbers_the_docs_state_are_the_codes_constants() {
    let readme = doc("README.md");
    let architecture = doc("ARCHITECTURE.md");
    let batch = format!(
        "chunks of {MAX_BATCH}, {} in flight",
        TableRepo::DEFAULT_CONCURRENCY
    );
    assert_states("README.md", &readme, &batch);
    assert_states("ARCHITECTURE.md", &architecture, &batch);

    let ingest = creatoros_ingest::Settings::defaults(String::new());
    let insights = creatoros_insights_worker::Settings::defaults(String::new());
    assert_states(
        "README.md",
        &readme,
        &format!(
            "ingest chunk size ({} rows) and chunks between checkpoints ({})",
            grouped(ingest.chunk_rows as u64),
            ingest.checkpoint_chunks
        ),
    );
    assert_states(
        "README.md",
        &readme,
        &format!(
            "default {} s ingest, {} s insights",
            ingest.lease.as_secs(),
            insights.lease.as_secs()
        ),
    );
    assert_states(
        "README.md",
        &readme,
        &format!("Each chunk of {} rows", grouped(ingest.chunk_rows as u64)),
    );

    let limits = Limits::default();
    let mib = |b: u64| b / (1024 * 1024);
    assert_states(
        "README.md",
        &readme,
        &format!(
            "({} MiB as uploaded; entries expanding to {} MiB in all and {} times",
            mib(limits.max_container_bytes),
            mib(limits.max_uncompressed_bytes),
            limits.max_ratio
        ),
    );
    assert_states(
        "README.md",
        &readme,
        &format!(
            "{} entries; Excel's {} rows a sheet",
            grouped(limits.max_entries as u64),
            grouped(limits.max_sheet_rows)
        ),
    );

    assert_states(
        "ARCHITECTURE.md",
        &architecture,
        &format!(
            "10 per `SendMessageBatch`, {} batches in flight",
            creatoros_insights_worker::handler::QUEUEING_CONCURRENCY
        ),
    );
    assert_states(
        "RELIABILITY.md",
        &doc("RELIABILITY.md"),
        &format!("`SDK_MAX_ATTEMPTS` is {SDK_MAX_ATTEMPTS} now"),
    );
    assert_states(
        "README.md",
        &readme,
        &format!("the first {} errors", Import::MAX_ERRORS),
    );
}

/// Backticked repository paths in a document (`core/model/src/lib.rs`, `infra/cli/tests/`), without any `:line`.
fn named_paths(text: &str) -> BTreeSet<String> {
    const TOP: [&str; 7] = [
        "core/",
        "ingest/",
        "insights-worker/",
        "infra/",
        "tests/",
        "fuzz/",
        "samples/",
    ];
    text.split('`')
        .skip(1)
        .step_by(2)
        .filter(|s| TOP.iter().any(|t| s.starts_with(t)))
        .filter(|s| !s.contains(|c: char| c.is_whitespace() || "<>*{}$".contains(c)))
        .map(|s| s.split(':').next().unwrap_or(s).to_owned())
        .collect()
}

/// Named on purpose though absent: where `infra/scripts/tools.sh` looks for an advisory database snapshot, which
/// the README says is not committed yet.
const NOT_COMMITTED: [&str; 1] = ["infra/advisory-db"];

#[test]
fn every_path_the_docs_name_exists_and_none_leaves_the_repository() {
    let mut missing = Vec::new();
    for name in DOCS {
        let text = doc(name);
        for path in named_paths(&text) {
            if !root().join(&path).exists() && !NOT_COMMITTED.contains(&path.as_str()) {
                missing.push(format!("{name}: {path}"));
            }
        }
        // Spelled in pieces, so that this file does not itself name what lies outside the repository.
        let outside = [concat!("..", "/shared"), concat!("DESIGN", ".md")];
        assert!(
            !outside.iter().any(|o| text.contains(o)),
            "{name} refers to a file outside the repository"
        );
    }
    assert!(missing.is_empty(), "named but not there: {missing:#?}");
}

/// The workspace's packages: name → folder relative to the root.
fn members() -> BTreeMap<String, String> {
    let out = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(root())
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).expect("metadata is JSON");
    let root = std::fs::canonicalize(root()).unwrap();
    meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let manifest = Path::new(p["manifest_path"].as_str().unwrap());
            let dir = manifest.parent().unwrap().strip_prefix(&root).unwrap();
            (
                p["name"].as_str().unwrap().to_owned(),
                format!("{}/", dir.display()),
            )
        })
        .collect()
}

#[test]
fn the_readme_table_lists_every_crate_where_it_is() {
    let readme = doc("README.md");
    let start = readme.find("## Where things are").expect("the section");
    let table = &readme[start..];
    let rows: BTreeMap<String, String> = table
        .lines()
        .skip_while(|l| !l.starts_with("| folder"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let strip = |c: &str| c.trim_matches(|c| c == '`' || c == '*').to_owned();
            (strip(cells[1]), strip(cells[2]))
        })
        .collect();
    for folder in rows.keys() {
        assert!(
            root().join(folder).is_dir(),
            "the table names {folder}, which is not there"
        );
    }
    for (name, dir) in members() {
        assert_eq!(
            rows.get(&dir).map(String::as_str),
            Some(name.as_str()),
            "the table should list {name} in {dir}"
        );
    }
}

/// Every package `name` depends on through normal and build dependencies, with default features.
fn dependency_closure(name: &str) -> BTreeSet<String> {
    let out = Command::new(env!("CARGO"))
        .args([
            "tree",
            "--offline",
            "-p",
            name,
            "-e",
            "normal,build",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .current_dir(root())
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn pure_crates_build_without_aws_or_lambda() {
    let pure = [
        "creatoros-ids",
        "creatoros-formats",
        "creatoros-model",
        "creatoros-rules",
        "creatoros-runtime",
        "creatoros-benches",
    ];
    for name in pure {
        let deps = dependency_closure(name);
        assert!(
            deps.contains("serde") || deps.contains("thiserror"),
            "{name}: {deps:?}"
        );
        let impure: Vec<&String> = deps
            .iter()
            .filter(|d| d.starts_with("aws-") || d.starts_with("aws_") || *d == "lambda_runtime")
            .collect();
        assert!(impure.is_empty(), "{name} depends on {impure:?}");
    }
    // Only the workers' Lambda binaries bring in lambda_runtime: their libraries, as the runners and CLI use
    // them, do not.
    for name in ["creatoros-store", "creatoros-runners", "creatoros-cli"] {
        assert!(
            !dependency_closure(name).contains("lambda_runtime"),
            "{name} depends on lambda_runtime"
        );
    }
}
