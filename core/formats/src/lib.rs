//! CreatorOS export readers: how an analytics export is opened (gzip, zip, workbook), decoded, detected and
//! read, what each row means (a snapshot of a post, a daily value), which post it is about, and what goes into
//! the rejects file. No AWS in sight: everything here works on bytes, so it fuzzes, benches and tests in seconds.
//!
//! The ingest worker hands the object's bytes to [`export::read`], which calls it back with each part and row;
//! [`reader::RowReader`] is the streaming CSV reader under it.

#![deny(clippy::all)]
#![warn(missing_docs)]

pub mod archive;
pub mod dates;
pub mod decode;
pub mod export;
pub mod formats;
pub mod linkedin;
pub mod native;
pub mod reader;
pub mod rejects;
pub mod rows;
pub mod sheet;
pub mod values;
pub mod workbook;

use formats::HeaderProblem;
use serde::{Deserialize, Serialize};

/// A rejected row, located for a person to fix it.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RowError {
    /// The sheet or zip entry the row is in, when the upload has several.
    pub part: Option<String>,
    /// 1-based physical line of the row in the file (its row number in a sheet).
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
    /// A workbook or zip larger than the limit for files read whole.
    #[error("the {what} is larger than {}, the limit for workbooks and zips", mib(*limit))]
    TooLarge {
        /// `workbook` or `zip`.
        what: &'static str,
        /// The limit, in bytes.
        limit: u64,
    },
    /// A zip entry (or a workbook's part) that expands beyond the limits: a zip bomb, or simply too much.
    #[error("{entry:?} expands to {} ({ratio}× its compressed size), over the limits of {} and {max_ratio}× (a zip bomb?)", mib(*size), mib(*max_size))]
    Expands {
        /// The entry.
        entry: String,
        /// Its uncompressed size (declared or counted).
        size: u64,
        /// Uncompressed / compressed.
        ratio: u64,
        /// The size limit (all entries together).
        max_size: u64,
        /// The ratio limit.
        max_ratio: u64,
    },
    /// A password-protected workbook or zip entry.
    #[error("the {what} is password-protected: remove the password and upload it again")]
    Encrypted {
        /// `workbook` or `zip entry "<name>"`.
        what: String,
    },
    /// A workbook or zip that cannot be read.
    #[error("the {what} is damaged or incomplete: {reason}")]
    Damaged {
        /// `workbook` or `zip`.
        what: &'static str,
        /// What the reader found.
        reason: String,
    },
    /// A workbook none of whose sheets holds a known export.
    #[error("no sheet holds a known export (sheets: {sheets}); supported: {formats}")]
    NoKnownSheet {
        /// The workbook's sheet names.
        sheets: String,
        /// What would have been recognised.
        formats: String,
    },
    /// A zip none of whose entries is a known export.
    #[error("the zip holds no known export ({entries})")]
    NoExportInZip {
        /// What each entry was.
        entries: String,
    },
    /// A sheet with more rows than any spreadsheet holds.
    #[error("sheet {sheet:?} has more than {limit} rows")]
    TooManyRows {
        /// The sheet.
        sheet: String,
        /// The limit.
        limit: u64,
    },
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

/// A [`FileError`] travelling inside an `io::Error`.
#[derive(Debug)]
struct Carried(FileError);

impl std::fmt::Display for Carried {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for Carried {}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

impl FileError {
    /// Wraps an I/O error, sorting corrupt data (permanent) from a failed stream (transient).
    pub fn read(e: std::io::Error) -> Self {
        use std::io::ErrorKind::*;
        // A reader under the parser that stopped with a reason of its own (a zip entry over the limits).
        if e.get_ref().is_some_and(|inner| inner.is::<Carried>()) {
            let inner = e.into_inner().expect("checked above");
            return inner.downcast::<Carried>().expect("checked above").0;
        }
        let transient = !matches!(e.kind(), InvalidData | InvalidInput | UnexpectedEof);
        FileError::Read {
            message: e.to_string(),
            transient,
        }
    }

    /// This error as an `io::Error` that [`FileError::read`] turns back into it: for readers under the parser.
    pub(crate) fn into_io(self) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::InvalidData, Carried(self))
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
