//! Streams a decoded export row by row: finds the header (any of the first lines, `,` `;` or tab), then turns
//! each record into a metric row, a located rejection, or a skip (blank and summary rows).
//!
//! Memory is bounded by the csv buffer plus one record, and a record longer than [`MAX_RECORD_BYTES`] stops the
//! file instead of growing without limit. Positions are tracked so a long file can stop after any row and a
//! continuation can resume there ([`RowReader::resume`]).

use std::cell::Cell;
use std::io::{self, Cursor, Read};
use std::rc::Rc;

use csv::{ByteRecord, ReaderBuilder};

use super::decode::{read_prefix, SNIFF_BYTES};
use super::formats::{detect, normalise_header, ColumnMap, FormatSpec, HeaderProblem, FORMATS};
use super::rows::{build_row, RowOutcome};
use super::FileError;

/// Lines examined for a header row (exports put titles and notes above it).
pub const HEADER_SEARCH_LINES: usize = 10;
/// Delimiters tried, in order.
pub const DELIMITERS: [u8; 3] = [b',', b';', b'\t'];
/// A record longer than this ends the file with an error (a file with no line breaks, or an unclosed quote).
pub const MAX_RECORD_BYTES: u64 = 8 * 1024 * 1024;

/// A header found at the start of a file.
#[derive(Debug, Clone)]
pub struct HeaderFound {
    /// The format it belongs to.
    pub format: &'static FormatSpec,
    /// Its columns, or why they cannot be used.
    pub columns: Result<ColumnMap, HeaderProblem>,
    /// Delimiter.
    pub delimiter: u8,
    /// Header cells as written.
    pub header: Vec<String>,
    /// Physical line of the header row (1-based).
    pub line: u64,
}

/// Looks for a known header in the first lines of `prefix`, trying each delimiter; the earliest header wins.
pub fn find_header(prefix: &[u8]) -> Option<HeaderFound> {
    let mut best: Option<(usize, HeaderFound)> = None;
    for delimiter in DELIMITERS {
        let mut csv = ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(prefix);
        let mut record = ByteRecord::new();
        for index in 0..HEADER_SEARCH_LINES {
            match csv.read_byte_record(&mut record) {
                Ok(true) => {}
                _ => break,
            }
            let cells: Vec<String> = record.iter().map(|c| String::from_utf8_lossy(c).into_owned()).collect();
            if let Some((format, columns)) = detect(&cells) {
                if best.as_ref().is_none_or(|(i, _)| index < *i) {
                    let line = record.position().map_or(1, |p| p.line());
                    best = Some((index, HeaderFound { format, columns, delimiter, header: cells, line }));
                }
                break;
            }
        }
    }
    best.map(|(_, h)| h)
}

/// Where a reader stands: the next unread byte of the decoded stream and its physical line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Position {
    /// Byte offset in the decoded text.
    pub byte: u64,
    /// 1-based line number.
    pub line: u64,
}

/// Counts the bytes handed to the csv parser since the last record, to stop runaway records.
struct Guarded<R> {
    inner: R,
    since_record: Rc<Cell<u64>>,
}

impl<R: Read> Read for Guarded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.since_record.get() > MAX_RECORD_BYTES {
            return Err(io::Error::other(RecordTooLong));
        }
        let n = self.inner.read(buf)?;
        self.since_record.set(self.since_record.get() + n as u64);
        Ok(n)
    }
}

#[derive(Debug)]
struct RecordTooLong;

impl std::fmt::Display for RecordTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "a row is longer than {MAX_RECORD_BYTES} bytes")
    }
}

impl std::error::Error for RecordTooLong {}

/// Reads the rows of one export.
pub struct RowReader<R: Read> {
    csv: csv::Reader<Guarded<R>>,
    since_record: Rc<Cell<u64>>,
    format: &'static FormatSpec,
    columns: ColumnMap,
    header: Vec<String>,
    delimiter: u8,
    /// Position of the csv reader's input start in the decoded stream (non-zero after a resume).
    base: Position,
    record: ByteRecord,
}

impl<R: Read> std::fmt::Debug for RowReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowReader")
            .field("format", &self.format.name)
            .field("position", &self.position())
            .finish()
    }
}

impl<R: Read> RowReader<std::io::Chain<Cursor<Vec<u8>>, R>> {
    /// Detects the format of `text` (decoded UTF-8) and positions the reader on the first data row.
    pub fn open(text: R) -> Result<Self, FileError> {
        let (prefix, rest) = read_prefix(text, SNIFF_BYTES)?;
        if prefix.iter().all(u8::is_ascii_whitespace) {
            return Err(FileError::Empty);
        }
        let found = find_header(&prefix).ok_or_else(|| FileError::NoHeader {
            lines: HEADER_SEARCH_LINES,
            formats: FORMATS.iter().map(|f| f.description).collect::<Vec<_>>().join("; "),
        })?;
        let columns = found.columns.map_err(|problem| FileError::Header { line: found.line, problem })?;
        let mut reader = Self::new(Cursor::new(prefix).chain(rest), found.format, columns, found.header, found.delimiter, Position::default());
        // Skip everything up to and including the header row.
        loop {
            if !reader.read_record()? {
                return Err(FileError::read(io::Error::other("header vanished while re-reading")));
            }
            if reader.record.position().map_or(u64::MAX, |p| p.line()) >= found.line {
                break;
            }
        }
        Ok(reader)
    }
}

impl<R: Read> RowReader<R> {
    /// Continues a file from a checkpoint: `text` starts at `at.byte` of the decoded stream.
    pub fn resume(text: R, format: &'static FormatSpec, header: Vec<String>, delimiter: u8, at: Position) -> Result<Self, FileError> {
        let columns = format
            .map_header(&header)
            .unwrap_or_else(|| Err(HeaderProblem::Missing(format.name, format.signature[0])))
            .map_err(|problem| FileError::Header { line: at.line, problem })?;
        let base = Position { byte: at.byte, line: at.line.saturating_sub(1) };
        Ok(Self::new(text, format, columns, header, delimiter, base))
    }

    fn new(text: R, format: &'static FormatSpec, columns: ColumnMap, header: Vec<String>, delimiter: u8, base: Position) -> Self {
        let since_record = Rc::new(Cell::new(0));
        let csv = ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(Guarded { inner: text, since_record: since_record.clone() });
        Self { csv, since_record, format, columns, header, delimiter, base, record: ByteRecord::new() }
    }

    fn read_record(&mut self) -> Result<bool, FileError> {
        let line = self.position().line;
        let more = self.csv.read_byte_record(&mut self.record).map_err(|e| match e.kind() {
            csv::ErrorKind::Io(io) if io.get_ref().is_some_and(|i| i.is::<RecordTooLong>()) => {
                FileError::RowTooLong { line, limit: MAX_RECORD_BYTES }
            }
            csv::ErrorKind::Io(_) => match e.into_kind() {
                csv::ErrorKind::Io(io) => FileError::read(io),
                _ => unreachable!("matched Io above"),
            },
            _ => FileError::read(io::Error::other(e.to_string())),
        })?;
        // Bytes already buffered by the parser count towards the next record; a fresh count per record is
        // close enough for a runaway guard.
        self.since_record.set(0);
        Ok(more)
    }

    /// The next row, `None` at the end. An error ends the file (unreadable stream, runaway record).
    pub fn next_row(&mut self) -> Option<Result<RowOutcome, FileError>> {
        let line = self.position().line;
        match self.read_record() {
            Ok(true) => {
                let line = self.record.position().map_or(line, |p| self.base.line + p.line());
                Some(Ok(build_row(self.format, &self.columns, &self.header, &self.record, line)))
            }
            Ok(false) => None,
            Err(e) => Some(Err(e)),
        }
    }

    /// The format being read.
    pub fn format(&self) -> &'static FormatSpec {
        self.format
    }

    /// The header row as written.
    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// The delimiter.
    pub fn delimiter(&self) -> u8 {
        self.delimiter
    }

    /// The next unread position: where a continuation starts.
    pub fn position(&self) -> Position {
        let p = self.csv.position();
        Position { byte: self.base.byte + p.byte(), line: self.base.line + p.line() }
    }

    /// True when the header names `field` (used by callers deciding what a format can provide).
    pub fn has_column(&self, name: &str) -> bool {
        let wanted = normalise_header(name);
        self.header.iter().any(|h| normalise_header(h) == wanted)
    }
}
