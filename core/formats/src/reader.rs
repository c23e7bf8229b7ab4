//! Streams a decoded CSV export row by row: finds the header (any of the first lines, `,` `;` or tab), settles
//! how the file writes its dates from the values in its first 64 KiB, then turns each record into a snapshot, a
//! daily value, a note, a located rejection, or a skip (blank and summary rows).
//!
//! Memory is bounded by the csv buffer plus one record, and a record longer than [`MAX_RECORD_BYTES`] stops the
//! file instead of growing without limit. Positions are tracked so a long file can stop after any row and a
//! continuation can resume there ([`RowReader::resume`]).

use std::cell::Cell;
use std::io::{self, Cursor, Read};
use std::rc::Rc;

use creatoros_ids::Day;
use csv::{ByteRecord, ReaderBuilder};

use crate::dates::{latest_for, DayOrder, DayOrderEvidence};
use crate::decode::{read_prefix, SNIFF_BYTES};
use crate::formats::{detect, normalise_header, ColumnMap, FormatSpec, HeaderProblem, FORMATS};
use crate::rows::{build_row, observe_dates, PartContext, RowOutcome};
use crate::FileError;

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
        let mut csv = csv_reader(delimiter, prefix);
        let mut record = ByteRecord::new();
        for index in 0..HEADER_SEARCH_LINES {
            let before = csv.position().line();
            match csv.read_byte_record(&mut record) {
                Ok(true) => {}
                _ => break,
            }
            let cells: Vec<String> = (0..record.len())
                .map(|i| {
                    String::from_utf8_lossy(field(&record, i).unwrap_or_default()).into_owned()
                })
                .collect();
            if let Some((format, columns)) = detect(&cells) {
                if best.as_ref().is_none_or(|(i, _)| index < *i) {
                    let at_end = csv.position().byte() as usize == prefix.len()
                        && prefix.last() != Some(&b'\n');
                    let line = start_line(csv.position().line(), &record, !at_end).max(before);
                    best = Some((
                        index,
                        HeaderFound {
                            format,
                            columns,
                            delimiter,
                            header: cells,
                            line,
                        },
                    ));
                }
                break;
            }
        }
    }
    best.map(|(_, h)| h)
}

/// What the records after the header in `prefix` say about how the file writes dates (the last record may be
/// cut short by the end of the prefix; a cut date says nothing).
fn prefix_evidence(
    prefix: &[u8],
    delimiter: u8,
    header_line: u64,
    columns: &ColumnMap,
) -> DayOrderEvidence {
    let mut evidence = DayOrderEvidence::default();
    let mut csv = csv_reader(delimiter, prefix);
    let mut record = ByteRecord::new();
    while let Ok(true) = csv.read_byte_record(&mut record) {
        if csv.position().line() > header_line {
            observe_dates(&mut evidence, columns, &record);
        }
    }
    evidence
}

/// Where a reader stands: the next unread byte of the decoded stream and its physical line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Position {
    /// Byte offset in the decoded text.
    pub byte: u64,
    /// 1-based line number.
    pub line: u64,
}

/// What the reader under the csv parser has seen: enough to stop runaway records and to tell whether the last
/// record of the file ended with a line break.
#[derive(Debug, Default)]
struct Feed {
    since_record: Cell<u64>,
    delivered: Cell<u64>,
    eof: Cell<bool>,
    last_byte: Cell<u8>,
}

/// Hands bytes to the csv parser, keeping [`Feed`] up to date.
struct Guarded<R> {
    inner: R,
    feed: Rc<Feed>,
}

impl<R: Read> Read for Guarded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let feed = &self.feed;
        if feed.since_record.get() > MAX_RECORD_BYTES {
            return Err(io::Error::other(RecordTooLong));
        }
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() {
            feed.eof.set(true);
        } else if n > 0 {
            feed.last_byte.set(buf[n - 1]);
        }
        feed.since_record.set(feed.since_record.get() + n as u64);
        feed.delivered.set(feed.delivered.get() + n as u64);
        Ok(n)
    }
}

/// Only `\n` ends a record (a `\r` before it is trimmed from the last field), so the parser's position after a
/// record is always the start of the next line: the resume point of a continuation.
fn csv_reader<R: Read>(delimiter: u8, input: R) -> csv::Reader<R> {
    ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_reader(input)
}

/// A field without the `\r` of a CRLF line ending.
pub(crate) fn field(record: &ByteRecord, i: usize) -> Option<&[u8]> {
    let f = record.get(i)?;
    Some(if i + 1 == record.len() {
        f.strip_suffix(b"\r").unwrap_or(f)
    } else {
        f
    })
}

/// The physical line a record started on, from the parser's line count after it: minus the line breaks inside
/// quoted fields, minus the record's own terminator unless it ended the file without one. (The parser's own
/// record positions point at skipped blank lines, so they cannot be used.)
fn start_line(end_line: u64, record: &ByteRecord, ended_with_newline: bool) -> u64 {
    let inner: u64 = record
        .iter()
        .map(|f| f.iter().filter(|b| **b == b'\n').count() as u64)
        .sum();
    end_line
        .saturating_sub(inner + u64::from(ended_with_newline))
        .max(1)
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
    feed: Rc<Feed>,
    /// Physical line of the record last read.
    record_line: u64,
    format: &'static FormatSpec,
    columns: ColumnMap,
    header: Vec<String>,
    delimiter: u8,
    /// What the rows are read against (dates, snapshot day).
    context: PartContext,
    /// Position of the csv reader's input start in the decoded stream (non-zero after a resume).
    base: Position,
    record: ByteRecord,
}

/// What a part's rows are dated by, before its own values settle how it writes dates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartDating {
    /// The part's name in located errors (`None` for a plain file).
    pub part: Option<String>,
    /// The day snapshot rows are as of.
    pub snapshot: Day,
    /// The first day of the period they cover, when known.
    pub period_start: Option<Day>,
    /// The day of the upload (the latest plausible day is the next).
    pub uploaded: Day,
}

impl PartDating {
    /// A plain file uploaded on `day`, whose snapshots (if its rows have no date) are as of that day.
    pub fn upload_day(day: Day) -> Self {
        Self {
            part: None,
            snapshot: day.clone(),
            period_start: None,
            uploaded: day,
        }
    }

    /// The part's context once its day-order evidence is in.
    pub fn context(&self, format: &FormatSpec, evidence: DayOrderEvidence) -> PartContext {
        self.context_with(format.day_order, evidence)
    }

    /// The part's context for an exporter whose convention is `convention`.
    pub fn context_with(
        &self,
        convention: Option<DayOrder>,
        evidence: DayOrderEvidence,
    ) -> PartContext {
        PartContext {
            part: self.part.clone(),
            dates: evidence.decide(convention, latest_for(&self.uploaded)),
            snapshot: self.snapshot.clone(),
            period_start: self.period_start.clone(),
        }
    }
}

impl<R: Read> std::fmt::Debug for RowReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowReader")
            .field("format", &self.format.name)
            .field("position", &self.position())
            .finish()
    }
}

impl<R: Read> RowReader<crate::decode::Prefixed<R>> {
    /// Detects the format of `text` (decoded UTF-8), settles its dates, and positions the reader on the first
    /// data row.
    pub fn open(text: R, dating: &PartDating) -> Result<Self, FileError> {
        let (prefix, rest) = read_prefix(text, SNIFF_BYTES)?;
        if prefix.iter().all(u8::is_ascii_whitespace) {
            return Err(FileError::Empty);
        }
        let found = find_header(&prefix).ok_or_else(|| FileError::NoHeader {
            lines: HEADER_SEARCH_LINES,
            formats: FORMATS
                .iter()
                .map(|f| f.description)
                .collect::<Vec<_>>()
                .join("; "),
        })?;
        let columns = found.columns.map_err(|problem| FileError::Header {
            line: found.line,
            problem,
        })?;
        let context = dating.context(
            found.format,
            prefix_evidence(&prefix, found.delimiter, found.line, &columns),
        );
        let mut reader = Self::new(
            Cursor::new(prefix).chain(rest),
            found.format,
            columns,
            found.header,
            found.delimiter,
            context,
            Position::default(),
        );
        // Skip everything up to and including the header row.
        loop {
            if !reader.read_record()? {
                return Err(FileError::read(io::Error::other(
                    "header vanished while re-reading",
                )));
            }
            if reader.record_line >= found.line {
                break;
            }
        }
        Ok(reader)
    }
}

impl<R: Read> RowReader<R> {
    /// Continues a file from a checkpoint: `text` starts at `at.byte` of the decoded stream; `context` is the one
    /// the file was opened with.
    pub fn resume(
        text: R,
        format: &'static FormatSpec,
        header: Vec<String>,
        delimiter: u8,
        context: PartContext,
        at: Position,
    ) -> Result<Self, FileError> {
        let columns = format
            .map_header(&header)
            .unwrap_or_else(|| Err(HeaderProblem::Missing(format.name, format.signature[0])))
            .map_err(|problem| FileError::Header {
                line: at.line,
                problem,
            })?;
        let base = Position {
            byte: at.byte,
            line: at.line.saturating_sub(1),
        };
        Ok(Self::new(
            text, format, columns, header, delimiter, context, base,
        ))
    }

    fn new(
        text: R,
        format: &'static FormatSpec,
        columns: ColumnMap,
        header: Vec<String>,
        delimiter: u8,
        context: PartContext,
        base: Position,
    ) -> Self {
        let feed = Rc::new(Feed::default());
        let csv = csv_reader(
            delimiter,
            Guarded {
                inner: text,
                feed: feed.clone(),
            },
        );
        Self {
            csv,
            feed,
            record_line: 0,
            format,
            columns,
            header,
            delimiter,
            context,
            base,
            record: ByteRecord::new(),
        }
    }

    fn read_record(&mut self) -> Result<bool, FileError> {
        let line = self.position().line;
        let more = self
            .csv
            .read_byte_record(&mut self.record)
            .map_err(|e| match e.kind() {
                csv::ErrorKind::Io(io) if io.get_ref().is_some_and(|i| i.is::<RecordTooLong>()) => {
                    FileError::RowTooLong {
                        line,
                        limit: MAX_RECORD_BYTES,
                    }
                }
                csv::ErrorKind::Io(_) => match e.into_kind() {
                    csv::ErrorKind::Io(io) => FileError::read(io),
                    _ => unreachable!("matched Io above"),
                },
                _ => FileError::read(io::Error::other(e.to_string())),
            })?;
        // Bytes already buffered by the parser count towards the next record; a fresh count per record is
        // close enough for a runaway guard.
        self.feed.since_record.set(0);
        if more {
            let end = self.csv.position();
            let at_end = self.feed.eof.get() && end.byte() == self.feed.delivered.get();
            let ended_with_newline = !at_end || self.feed.last_byte.get() == b'\n';
            // A record cut off by the end of the file inside a quote ends with a `\n` that is in its last field,
            // not a terminator; `start_line` cannot tell, but the record cannot start before where reading did.
            self.record_line = (self.base.line
                + start_line(end.line(), &self.record, ended_with_newline))
            .max(line);
        }
        Ok(more)
    }

    /// The next row, `None` at the end. An error ends the file (unreadable stream, runaway record).
    pub fn next_row(&mut self) -> Option<Result<RowOutcome, FileError>> {
        match self.read_record() {
            Ok(true) => Some(Ok(build_row(
                self.format,
                &self.columns,
                &self.header,
                &self.record,
                self.record_line,
                &self.context,
            ))),
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

    /// What the rows are read against.
    pub fn context(&self) -> &PartContext {
        &self.context
    }

    /// The next unread position: where a continuation starts.
    pub fn position(&self) -> Position {
        let p = self.csv.position();
        Position {
            byte: self.base.byte + p.byte(),
            line: self.base.line + p.line(),
        }
    }

    /// True when the header names `field` (used by callers deciding what a format can provide).
    pub fn has_column(&self, name: &str) -> bool {
        let wanted = normalise_header(name);
        self.header.iter().any(|h| normalise_header(h) == wanted)
    }
}
