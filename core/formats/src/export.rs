//! One upload, read whole: what it is (text, gzip, zip, workbook), its parts (the file itself, each sheet, each
//! zip entry), what day its numbers are as of, and every row, handed to a sink as they are read.
//!
//! [`read`] calls the sink back (push, not pull) so that a workbook or zip can be read inside the scope that owns
//! it. A read can stop after any row ([`ControlFlow::Break`]) and continue later from the [`Position`] after the
//! last row taken ([`Resume`]): a plain CSV continues from its byte offset, anything else is read again from the
//! start and the rows before the position are not handed out twice.
//!
//! Dating ("Metric meaning"): a snapshot is as of the end of the period the export covers, taken from the
//! sheet's own period, the file name or the zip's name, else the upload day; never the publish day.

use std::io::{self, Read};
use std::ops::ControlFlow;

use serde::{Deserialize, Serialize};

use creatoros_ids::Day;

use crate::dates::period_in_name;
use crate::decode::{self, Content, Decoding};
use crate::formats::{format_by_name, FormatSpec};
use crate::reader::{PartDating, Position as CsvPosition, RowReader};
use crate::rows::{PartContext, RowOutcome};
use crate::{archive, workbook, FileError};

/// Bounds on what is read whole (workbooks, zips) and how far it may expand. Each breach fails the import with
/// a reason; CSV and gzip are streamed and need none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest workbook or zip (as uploaded, after any gzip).
    pub max_container_bytes: u64,
    /// Most bytes all entries of a zip (or the parts of an `.xlsx`) may expand to together.
    pub max_uncompressed_bytes: u64,
    /// Largest expansion of one entry over its compressed size (entries above 1 MiB).
    pub max_ratio: u64,
    /// Most entries a zip (or `.xlsx`) may have.
    pub max_entries: usize,
    /// Most rows a sheet may have (Excel's own limit).
    pub max_sheet_rows: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_container_bytes: 64 * 1024 * 1024,
            max_uncompressed_bytes: 256 * 1024 * 1024,
            max_ratio: 200,
            max_entries: 1000,
            max_sheet_rows: 1_048_576,
        }
    }
}

/// How an upload is packaged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Container {
    /// A text file.
    Plain,
    /// A gzip-compressed text file.
    Gzip,
    /// A zip archive of exports.
    Zip,
    /// An Excel workbook (`.xlsx`).
    Xlsx,
    /// A legacy Excel workbook (`.xls`).
    Xls,
}

impl Container {
    /// As stored on the import record.
    pub fn as_str(self) -> &'static str {
        match self {
            Container::Plain => "plain",
            Container::Gzip => "gzip",
            Container::Zip => "zip",
            Container::Xlsx => "xlsx",
            Container::Xls => "xls",
        }
    }
}

/// Where a read stands: the part, and within it the next unread byte (text parts) and line (row, in sheets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Position {
    /// Index of the part, in reading order.
    pub part: u32,
    /// Byte offset in the part's decoded text (0 in sheets).
    pub byte: u64,
    /// Line (sheet row) of the next row.
    pub line: u64,
}

/// One part of an upload, as it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct PartInfo {
    /// Its index, in reading order.
    pub index: u32,
    /// How the upload is packaged.
    pub container: Container,
    /// The sheet or zip entry (`None` for a plain file).
    pub name: Option<String>,
    /// The format read: a tabular format's name, `linkedin-creator` or `linkedin-post`.
    pub format: &'static str,
    /// The header row as written (empty for multi-table layouts).
    pub header: Vec<String>,
    /// The delimiter (text parts).
    pub delimiter: u8,
    /// How the text was decoded (text parts read from their start).
    pub decoding: Option<Decoding>,
    /// What its rows are read against.
    pub context: PartContext,
    /// Notes for the import record (how it was dated, how its dates are written).
    pub notes: Vec<String>,
}

/// What one read hands the sink.
// Rows are nearly every event: boxing them to shrink the rare `Part` would allocate once per row.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Event<'a> {
    /// A part starts.
    Part(&'a PartInfo),
    /// A row, and the position after it.
    Row(RowOutcome, Position),
}

/// What the reader needs to know about an upload beyond its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    /// The object's file name (the last segment of its key), for the period it names.
    pub name: String,
    /// The day it was uploaded (UTC): snapshots are as of this day when nothing else says, and no day after the
    /// next is plausible.
    pub uploaded: Day,
    /// The key or the object says gzip.
    pub gzip_expected: bool,
    /// Bounds on what is read whole.
    pub limits: Limits,
}

/// Where to continue a read that stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Resume {
    /// The position after the last row taken.
    pub at: Position,
    /// The text part's format, header, delimiter and context, for continuing a plain text file in place.
    pub text: Option<TextResume>,
    /// True when the bytes handed to [`read`] start at the part's byte offset (a ranged read of a plain,
    /// UTF-8 file).
    pub in_place: bool,
}

/// How a text part was being read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TextResume {
    /// Format name.
    pub format: String,
    /// Header as written.
    pub header: Vec<String>,
    /// Delimiter (one ASCII byte).
    pub delimiter: u8,
    /// What its rows are read against.
    pub context: PartContext,
}

/// How snapshots of an upload are dated when its parts say nothing themselves.
#[derive(Debug, Clone)]
pub(crate) struct Dating {
    pub upload: Upload,
    /// The period named by the upload's file name.
    pub named: Option<(Option<Day>, Day)>,
}

impl Dating {
    fn new(upload: &Upload) -> Self {
        Self {
            named: period_in_name(&upload.name, &upload.uploaded),
            upload: upload.clone(),
        }
    }

    /// The dating of a part named `part` (its own name may state a period too), with `fallback` (a period the
    /// upload's other parts cover) before the upload day.
    pub(crate) fn part(
        &self,
        part: Option<&str>,
        fallback: Option<(Option<Day>, Day)>,
    ) -> (PartDating, String) {
        let own = part.and_then(|p| period_in_name(p, &self.upload.uploaded));
        let (period, why) = match (own, &self.named, fallback) {
            (Some(p), _, _) => (Some(p), "its name"),
            (None, Some(p), _) => (Some(p.clone()), "the file name"),
            (None, None, Some(p)) => (Some(p), "the daily rows beside it"),
            (None, None, None) => (None, ""),
        };
        let (start, snapshot, note) = match period {
            Some((start, end)) => {
                let note = format!("dated {end}, the end of the period {why} states");
                (start, end, note)
            }
            None => (
                None,
                self.upload.uploaded.clone(),
                format!(
                    "dated {}, the day it was uploaded (the export states no period)",
                    self.upload.uploaded
                ),
            ),
        };
        (
            PartDating {
                part: part.map(str::to_owned),
                snapshot,
                period_start: start,
                uploaded: self.upload.uploaded.clone(),
            },
            note,
        )
    }
}

/// Assigns part indexes, skips what a resumed read already handed out, and forwards the rest.
pub(crate) struct Parts<'s> {
    sink: &'s mut dyn FnMut(Event<'_>) -> ControlFlow<()>,
    resume: Option<Position>,
    next: u32,
    current: u32,
    pub(crate) container: Container,
    /// The first and last day of every daily row seen so far (skipped ones too, so a resumed read dates its
    /// snapshot parts as the first read did).
    pub(crate) daily_range: Option<(Day, Day)>,
    /// Notes for the next part to carry (entries of a zip that were not exports).
    pub(crate) notes: Vec<String>,
}

impl Parts<'_> {
    /// A part starts; `info.index` is set here.
    pub(crate) fn part(&mut self, mut info: PartInfo) -> ControlFlow<()> {
        info.notes.append(&mut self.notes);
        info.index = self.next;
        info.container = self.container;
        self.current = self.next;
        self.next += 1;
        (self.sink)(Event::Part(&info))
    }

    /// A row of the current part, with the line (and byte) after it.
    pub(crate) fn row(
        &mut self,
        outcome: RowOutcome,
        line_after: u64,
        byte_after: u64,
    ) -> ControlFlow<()> {
        let at = Position {
            part: self.current,
            byte: byte_after,
            line: line_after,
        };
        if let RowOutcome::Daily(d) = &outcome {
            let (start, end) = self
                .daily_range
                .get_or_insert_with(|| (d.day.clone(), d.day.clone()));
            if d.day < *start {
                *start = d.day.clone();
            }
            if d.day > *end {
                *end = d.day.clone();
            }
        }
        if let Some(from) = self.resume {
            if (at.part, at.line) <= (from.part, from.line) {
                return ControlFlow::Continue(());
            }
        }
        (self.sink)(Event::Row(outcome, at))
    }
}

/// Reads the upload `raw` (from its start, or from the part's byte offset when `resume.in_place`), calling
/// `sink` with each part and row. Rows read before a file-level error are handed out before it is returned.
pub fn read(
    raw: Box<dyn Read + Send>,
    upload: &Upload,
    resume: Option<&Resume>,
    sink: &mut dyn FnMut(Event<'_>) -> ControlFlow<()>,
) -> Result<(), FileError> {
    let dating = Dating::new(upload);
    if let Some(r) = resume.filter(|r| r.at.part == 0) {
        if let Some(text) = &r.text {
            return resume_text(raw, upload, r, text, sink);
        }
    }
    let content =
        decode::open_content(raw, upload.gzip_expected, upload.limits.max_container_bytes)?;
    let mut parts = Parts {
        sink,
        resume: resume.map(|r| r.at),
        next: 0,
        current: 0,
        container: Container::Plain,
        daily_range: None,
        notes: Vec::new(),
    };
    match content {
        Content::Text(text, decoding) => {
            parts.container = if decoding.gzip {
                Container::Gzip
            } else {
                Container::Plain
            };
            let (part_dating, note) = dating.part(None, None);
            read_csv(text, Some(decoding), None, &part_dating, note, &mut parts)
        }
        Content::Zip { bytes, .. } => {
            let xlsx = workbook::is_xlsx(&bytes);
            parts.container = if xlsx {
                Container::Xlsx
            } else {
                Container::Zip
            };
            guarded(if xlsx { "workbook" } else { "zip" }, || {
                if xlsx {
                    workbook::read(&bytes, workbook::Kind::Xlsx, &dating, &mut parts)
                } else {
                    archive::read(&bytes, &dating, &mut parts)
                }
            })
        }
        Content::Compound { bytes, .. } => {
            parts.container = Container::Xls;
            guarded("workbook", || {
                workbook::read(&bytes, workbook::Kind::Compound, &dating, &mut parts)
            })
        }
    }
}

/// Runs a container's reader, for which `calamine` and `zip` parse bytes of any origin: a panic inside them
/// (fuzzing found an arithmetic overflow in calamine's `.xls` reader) is this file's failure, reported as
/// damaged, never the worker's.
fn guarded(
    what: &'static str,
    read: impl FnOnce() -> Result<(), FileError>,
) -> Result<(), FileError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(read)).unwrap_or_else(|panic| {
        let message = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".to_owned());
        Err(FileError::Damaged {
            what,
            reason: format!("its reader gave up on it ({message})"),
        })
    })
}

/// Reads one CSV text as a part named `name`.
pub(crate) fn read_csv<R: Read>(
    text: R,
    decoding: Option<Decoding>,
    name: Option<&str>,
    dating: &PartDating,
    note: String,
    parts: &mut Parts<'_>,
) -> Result<(), FileError> {
    let mut reader = RowReader::open(text, dating)?;
    let mut notes = Vec::new();
    if reader.format().dated_by_export() {
        notes.push(note);
    }
    notes.extend(reader.context().dates.note());
    let info = PartInfo {
        index: 0,
        container: parts.container,
        name: name.map(str::to_owned),
        format: reader.format().name,
        header: reader.header().to_vec(),
        delimiter: reader.delimiter(),
        decoding,
        context: reader.context().clone(),
        notes,
    };
    if parts.part(info).is_break() {
        return Ok(());
    }
    csv_rows(&mut reader, parts)
}

fn csv_rows<R: Read>(reader: &mut RowReader<R>, parts: &mut Parts<'_>) -> Result<(), FileError> {
    while let Some(row) = reader.next_row() {
        let row = row?;
        let CsvPosition { byte, line } = reader.position();
        if parts.row(row, line, byte).is_break() {
            break;
        }
    }
    Ok(())
}

/// Continues a plain (or gzip, or transcoded) text file at its byte offset.
fn resume_text(
    raw: Box<dyn Read + Send>,
    upload: &Upload,
    resume: &Resume,
    text: &TextResume,
    sink: &mut dyn FnMut(Event<'_>) -> ControlFlow<()>,
) -> Result<(), FileError> {
    let format: &'static FormatSpec = format_by_name(&text.format).ok_or_else(|| {
        FileError::read(io::Error::other(format!(
            "checkpoint names an unknown format {:?}",
            text.format
        )))
    })?;
    let stream: Box<dyn Read + Send> = if resume.in_place {
        raw
    } else {
        // Compressed or transcoded: decode from the start and skip what was read before.
        let (mut t, _) = decode::open(raw, upload.gzip_expected)?;
        io::copy(&mut (&mut t).take(resume.at.byte), &mut io::sink()).map_err(FileError::read)?;
        t
    };
    let at = CsvPosition {
        byte: resume.at.byte,
        line: resume.at.line,
    };
    let mut reader = RowReader::resume(
        stream,
        format,
        text.header.clone(),
        text.delimiter,
        text.context.clone(),
        at,
    )?;
    let container = if upload.gzip_expected {
        Container::Gzip
    } else {
        Container::Plain
    };
    let mut parts = Parts {
        sink,
        resume: None,
        next: 0,
        current: 0,
        container,
        daily_range: None,
        notes: Vec::new(),
    };
    let info = PartInfo {
        index: 0,
        container,
        name: None,
        format: format.name,
        header: text.header.clone(),
        delimiter: text.delimiter,
        decoding: None,
        context: text.context.clone(),
        notes: Vec::new(),
    };
    if parts.part(info).is_break() {
        return Ok(());
    }
    csv_rows(&mut reader, &mut parts)
}
