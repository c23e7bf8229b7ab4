//! The rejects file: every refused row, as read, plus `line` and `error` columns, safe to open in a spreadsheet.
//! For an upload of several parts (sheets, zip entries) the error names the part, and the rows follow no one
//! header.
//!
//! A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return would run as a formula in Excel or
//! Sheets (CSV injection), so it is prefixed with `'`, which spreadsheets show as text. The original bytes are
//! in the uploaded object; this file is for people.

use std::io::Write;

use crate::rows::RejectedRow;

/// Writes rejected rows as CSV.
#[derive(Debug)]
pub struct RejectsWriter<W: Write> {
    csv: csv::Writer<W>,
    rows: u64,
}

/// A cell as it is safe to show in a spreadsheet.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

impl<W: Write> RejectsWriter<W> {
    /// Starts a file with the export's header plus `line` and `error`; `header: None` continues a file whose
    /// header was written by an earlier part.
    pub fn new(out: W, header: Option<&[String]>) -> csv::Result<Self> {
        let mut csv = csv::WriterBuilder::new().flexible(true).from_writer(out);
        if let Some(header) = header {
            let mut row: Vec<String> = vec!["line".to_owned(), "error".to_owned()];
            row.extend(header.iter().map(|h| neutralise(h).into_owned()));
            csv.write_record(&row)?;
        }
        Ok(Self { csv, rows: 0 })
    }

    /// Appends one rejected row.
    pub fn write(&mut self, row: &RejectedRow) -> csv::Result<()> {
        let place = match (&row.error.part, &row.error.column) {
            (Some(part), Some(column)) => format!("{part}, {column}: "),
            (Some(part), None) => format!("{part}: "),
            (None, Some(column)) => format!("{column}: "),
            (None, None) => String::new(),
        };
        let error = format!("{place}{}", row.error.reason);
        let mut out: Vec<String> =
            vec![row.error.line.to_string(), neutralise(&error).into_owned()];
        out.extend(row.cells.iter().map(|c| neutralise(c).into_owned()));
        self.rows += 1;
        self.csv.write_record(&out)
    }

    /// Rows written.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Flushes and returns the sink.
    pub fn finish(self) -> std::io::Result<W> {
        self.csv.into_inner().map_err(|e| e.into_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RowError;

    #[test]
    fn formulas_are_neutralised_and_errors_located() {
        let mut w =
            RejectsWriter::new(Vec::new(), Some(&["post_id".into(), "likes".into()])).unwrap();
        w.write(&RejectedRow {
            error: RowError {
                part: None,
                line: 7,
                column: Some("likes".into()),
                reason: "\"=1+1\" is not a number".into(),
            },
            cells: vec!["p1".into(), "=1+1".into()],
        })
        .unwrap();
        w.write(&RejectedRow {
            error: RowError {
                part: None,
                line: 9,
                column: None,
                reason: "row has 3 fields but the header has 2".into(),
            },
            cells: vec!["@SUM(A1)".into(), "-2".into(), "+x".into()],
        })
        .unwrap();
        let text = String::from_utf8(w.finish().unwrap()).unwrap();
        assert_eq!(
            text,
            "line,error,post_id,likes\n\
             7,\"likes: \"\"=1+1\"\" is not a number\",p1,'=1+1\n\
             9,row has 3 fields but the header has 2,'@SUM(A1),'-2,'+x\n"
        );
    }
}
