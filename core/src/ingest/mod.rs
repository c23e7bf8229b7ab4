//! Ingest logic that needs no AWS: which workspace a key names, how an export is decoded, detected and read, what
//! each row means, which post it is about, and what goes into the rejects file.
//!
//! The ingest worker (`ingest/`) streams the object through [`decode::open`] and [`reader::RowReader`] and
//! writes what comes out; everything here is testable with bytes in memory.

pub mod decode;
pub mod formats;
pub mod import_id;
pub mod native;
pub mod object_key;
pub mod reader;
pub mod rejects;
pub mod rows;
pub mod values;

use formats::HeaderProblem;

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
