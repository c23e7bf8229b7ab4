//! CreatorOS export readers: how an analytics export is decoded, detected and read, what each row means, which
//! post it is about, and what goes into the rejects file. No AWS in sight: everything here works on bytes in
//! memory, so it fuzzes, benches and tests in seconds.
//!
//! The ingest worker streams the object through [`decode::open`] and [`reader::RowReader`] and writes what comes
//! out.

#![deny(clippy::all)]
#![warn(missing_docs)]

pub mod decode;
pub mod formats;
pub mod native;
pub mod reader;
pub mod rejects;
pub mod rows;
pub mod values;

use formats::HeaderProblem;
use serde::{Deserialize, Serialize};

/// A rejected row, located for a person to fix it.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RowError {
    /// 1-based physical line of the row in the file.
    pub line: u64,
    /// Header name of the offending column, if one cell is to blame.
    pub column: Option<String>,
    /// Why the row was refused.
    pub reason: String,
}

/// Why a whole file (rather than one row) cannot be read further.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// Nothing in it.
    #[error("the file is empty")]
    Empty,
    /// Named or encoded as gzip, but not gzip.
    #[error("the file is named or marked as gzip but is not gzip-compressed")]
    NotGzip,
    /// An Excel workbook uploaded as if it were CSV.
    #[error("the file is an Excel workbook (.xlsx), not CSV: export or save it as CSV")]
    Spreadsheet,
    /// No known header in the first lines.
    #[error("no known header in the first {lines} lines; supported: {formats}")]
    NoHeader {
        /// Lines searched.
        lines: usize,
        /// What would have been recognised.
        formats: String,
    },
    /// A recognised header that cannot be used.
    #[error("line {line}: {problem}")]
    Header {
        /// Header line.
        line: u64,
        /// What is wrong with it.
        problem: HeaderProblem,
    },
    /// A record that never ends (no line breaks, or an unclosed quote).
    #[error("line {line}: a row is longer than {limit} bytes (an unclosed quote?)")]
    RowTooLong {
        /// Line where the record starts.
        line: u64,
        /// The limit.
        limit: u64,
    },
    /// The bytes could not be read: corrupt compression (permanent) or the stream failed (transient).
    #[error("reading the file failed: {message}")]
    Read {
        /// What happened.
        message: String,
        /// True when reading again may work (network), false when the bytes are bad.
        transient: bool,
    },
}

impl FileError {
    /// Wraps an I/O error, sorting corrupt data (permanent) from a failed stream (transient).
    pub fn read(e: std::io::Error) -> Self {
        use std::io::ErrorKind::*;
        let transient = !matches!(e.kind(), InvalidData | InvalidInput | UnexpectedEof);
        FileError::Read {
            message: e.to_string(),
            transient,
        }
    }

    /// True when reading the object again may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            FileError::Read {
                transient: true,
                ..
            }
        )
    }
}
