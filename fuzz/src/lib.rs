//! One input through one parser, with the invariants that must hold whatever the bytes: the fuzz targets
//! (`fuzz/fuzz_targets/*.rs`, run by `cargo fuzz`) are one-liners calling these, and
//! `tests/tests/fuzz_corpus.rs` includes the modules to replay every committed corpus and regression input on
//! the stable toolchain. Only dependencies the `creatoros-tests` crate also has may be used here.
//!
//! - [`formats`]: the export readers, on `creatoros-formats` alone (no AWS crate): `parse_export`,
//!   `workbook`, `zip_archive`;
//! - `pipeline` (feature `pipeline`): object keys, ingest messages and stream records, which link the workers.

pub mod formats;
#[cfg(feature = "pipeline")]
pub mod pipeline;

/// One input through one target.
pub type Target = fn(&[u8]);

/// The readers' targets by name (the directory names under `fuzz/corpus/` and `fuzz/regressions/`).
pub const FORMAT_TARGETS: [(&str, Target); 3] = [
    ("parse_export", formats::parse_export),
    ("workbook", formats::workbook),
    ("zip_archive", formats::zip_archive),
];
