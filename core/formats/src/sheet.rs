//! Workbook sheets as tables of text: every cell as the text a person sees (numbers without a trailing `.0`,
//! dates as ISO, errors as `#NAME?`), and a sheet read like a CSV file (header in the first rows, day order
//! settled from the first rows' values, each row built by [`crate::rows::build_row`]).
//!
//! Rows arrive one at a time ([`SheetTable::push`]): an `.xlsx` sheet is streamed cell by cell, so memory holds
//! the shared strings and a sample of rows, never the whole sheet.

use std::ops::ControlFlow;

use calamine::{Data, DataRef, ExcelDateTime};
use csv::ByteRecord;
use time::{Date, Duration, PrimitiveDateTime, Time};

use crate::dates::DayOrderEvidence;
use crate::formats::{detect, ColumnMap, FormatSpec};
use crate::reader::{PartDating, HEADER_SEARCH_LINES};
use crate::rows::{build_row, observe_dates, PartContext, RowOutcome};
use crate::FileError;

/// Rows sampled before a sheet's day order is settled (the CSV reader samples 64 KiB, about as many rows).
pub const SAMPLE_ROWS: usize = 1000;

/// The text of a cell, as a CSV export of the sheet would write it.
pub fn data_text(cell: &Data) -> String {
    match cell {
        Data::Int(i) => i.to_string(),
        Data::Float(f) => float_text(*f),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
        Data::DateTime(d) => excel_date_text(d),
        Data::Error(e) => e.to_string(),
        Data::Empty => String::new(),
    }
}

/// [`data_text`] of a streamed cell.
pub fn data_ref_text(cell: &DataRef<'_>) -> String {
    match cell {
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => float_text(*f),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_owned(),
        DataRef::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
        DataRef::DateTime(d) => excel_date_text(d),
        DataRef::Error(e) => e.to_string(),
        DataRef::Empty => String::new(),
    }
}

/// Whole floats without `.0` (exports store counts as floats), others in their shortest exact form.
fn float_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

/// An Excel serial date (days since 1899-12-30 in the 1900 date system) as ISO; a duration as `h:mm:ss`.
fn excel_date_text(d: &ExcelDateTime) -> String {
    let serial = d.as_f64();
    if d.is_duration() {
        let secs = (serial * 86_400.0).round() as i64;
        return format!("{}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
    }
    let epoch = PrimitiveDateTime::new(
        Date::from_calendar_date(1899, time::Month::December, 30).expect("valid"),
        Time::MIDNIGHT,
    );
    let millis = (serial * 86_400_000.0).round() as i64;
    match epoch.checked_add(Duration::milliseconds(millis)) {
        Some(at) if at.time() == Time::MIDNIGHT => format!(
            "{:04}-{:02}-{:02}",
            at.year(),
            u8::from(at.month()),
            at.day()
        ),
        Some(at) => format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            at.year(),
            u8::from(at.month()),
            at.day(),
            at.hour(),
            at.minute(),
            at.second()
        ),
        None => serial.to_string(),
    }
}

/// What a recognised sheet is read as.
#[derive(Debug, Clone)]
pub struct SheetFormat {
    /// The format.
    pub format: &'static FormatSpec,
    /// Its columns.
    pub columns: ColumnMap,
    /// The header as written.
    pub header: Vec<String>,
    /// The header's row number.
    pub header_row: u64,
    /// What the rows are read against (known once the sample is in).
    pub context: Option<PartContext>,
}

impl SheetFormat {
    /// What sheet row `row` holding `record` becomes (once the context is settled).
    fn build(&self, record: &ByteRecord, row: u64) -> RowOutcome {
        let context = self
            .context
            .as_ref()
            .expect("rows are built once the dates are settled");
        build_row(
            self.format,
            &self.columns,
            &self.header,
            record,
            row,
            context,
        )
    }
}

/// Where a sheet table's results go.
pub trait TableSink {
    /// The header was recognised and the day order settled: a part starts.
    fn format(&mut self, found: &SheetFormat) -> ControlFlow<()>;
    /// A row's outcome, with the row number after it.
    fn row(&mut self, outcome: RowOutcome, after: u64) -> ControlFlow<()>;
}

/// Where a sheet table stands.
#[derive(Debug)]
enum State {
    /// Looking for a header among the first rows.
    Header(Vec<(u64, Vec<String>)>),
    /// Header found; sampling rows for the day order.
    Sample(Vec<(u64, ByteRecord)>),
    /// Rows go straight out.
    Rows,
    /// No known header in the first rows.
    Unknown,
}

/// One sheet read as a table, pushed a row at a time.
#[derive(Debug)]
pub struct SheetTable {
    dating: PartDating,
    state: State,
    found: Option<SheetFormat>,
    /// A header problem (a recognised format missing a required column), reported if nothing else fits.
    pub problem: Option<FileError>,
}

impl SheetTable {
    /// A table for the sheet described by `dating` (its `part` is the sheet name).
    pub fn new(dating: PartDating) -> Self {
        Self {
            dating,
            state: State::Header(Vec::new()),
            found: None,
            problem: None,
        }
    }

    /// The format, once the header is found.
    pub fn format(&self) -> Option<&SheetFormat> {
        self.found.as_ref()
    }

    /// True once the first rows held no known header: later rows are ignored.
    pub fn is_unknown(&self) -> bool {
        matches!(self.state, State::Unknown)
    }

    /// Takes sheet row `row` (1-based).
    pub fn push(
        &mut self,
        row: u64,
        cells: Vec<String>,
        sink: &mut dyn TableSink,
    ) -> ControlFlow<()> {
        match &mut self.state {
            State::Unknown => ControlFlow::Continue(()),
            State::Header(seen) => {
                let searched = seen.len() + 1;
                match detect(&cells) {
                    Some((format, Ok(columns))) => {
                        self.found = Some(SheetFormat {
                            format,
                            columns,
                            header: cells,
                            header_row: row,
                            context: None,
                        });
                        self.state = State::Sample(Vec::new());
                        return ControlFlow::Continue(());
                    }
                    Some((_, Err(problem))) => {
                        self.problem
                            .get_or_insert(FileError::Header { line: row, problem });
                    }
                    None => {}
                }
                seen.push((row, cells));
                if searched >= HEADER_SEARCH_LINES {
                    self.state = State::Unknown;
                }
                ControlFlow::Continue(())
            }
            State::Sample(sample) => {
                sample.push((row, ByteRecord::from(cells)));
                if sample.len() >= SAMPLE_ROWS {
                    self.settle(sink)
                } else {
                    ControlFlow::Continue(())
                }
            }
            State::Rows => {
                let found = self.found.as_ref().expect("rows follow a header");
                sink.row(found.build(&ByteRecord::from(cells), row), row + 1)
            }
        }
    }

    /// Ends the sheet: a sample still held is settled and sent.
    pub fn finish(&mut self, sink: &mut dyn TableSink) -> ControlFlow<()> {
        match self.state {
            State::Sample(_) => self.settle(sink),
            State::Header(_) => {
                self.state = State::Unknown;
                ControlFlow::Continue(())
            }
            _ => ControlFlow::Continue(()),
        }
    }

    fn settle(&mut self, sink: &mut dyn TableSink) -> ControlFlow<()> {
        let State::Sample(sample) = std::mem::replace(&mut self.state, State::Rows) else {
            return ControlFlow::Continue(());
        };
        let found = self.found.as_mut().expect("sampling follows a header");
        let mut evidence = DayOrderEvidence::default();
        for (_, record) in &sample {
            observe_dates(&mut evidence, &found.columns, record);
        }
        found.context = Some(self.dating.context(found.format, evidence));
        sink.format(found)?;
        for (row, record) in sample {
            sink.row(found.build(&record, row), row + 1)?;
        }
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{CellErrorType, ExcelDateTimeType};

    #[test]
    fn cells_read_as_a_person_sees_them() {
        assert_eq!(data_text(&Data::Float(12235.0)), "12235");
        assert_eq!(data_text(&Data::Float(0.221)), "0.221");
        assert_eq!(data_text(&Data::Int(-3)), "-3");
        assert_eq!(data_text(&Data::Error(CellErrorType::Name)), "#NAME?");
        assert_eq!(
            data_text(&Data::DateTime(ExcelDateTime::new(
                45366.0,
                ExcelDateTimeType::DateTime,
                false
            ))),
            "2024-03-15"
        );
        assert_eq!(
            data_text(&Data::DateTime(ExcelDateTime::new(
                45366.75,
                ExcelDateTimeType::DateTime,
                false
            ))),
            "2024-03-15T18:00:00"
        );
        assert_eq!(data_text(&Data::Empty), "");
    }
}
