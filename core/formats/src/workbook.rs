//! Excel workbooks (`.xlsx`, `.xls`), read with `calamine` within the [`Limits`]: password-protected and damaged
//! workbooks are refused with a reason; LinkedIn's creator workbook and single-post export go to their own
//! readers ([`crate::linkedin`]); every other sheet is read as a table, and sheets that hold no known export
//! (demographics, notes) are passed over.

use std::io::Cursor;
use std::ops::ControlFlow;

use calamine::{Reader, Xls, XlsError, Xlsx, XlsxError};
use zip::ZipArchive;

use crate::export::{Dating, PartInfo, Parts};
use crate::formats::FORMATS;
use crate::linkedin;
use crate::rows::RowOutcome;
use crate::sheet::{data_ref_text, data_text, SheetFormat, SheetTable, TableSink};
use crate::{archive, FileError};

/// How the workbook's bytes are packaged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A zip container (`.xlsx`).
    Xlsx,
    /// An OLE compound file (`.xls`, or an encrypted `.xlsx`).
    Compound,
}

/// True when the zip `bytes` is an `.xlsx` workbook (it has `xl/workbook.xml`).
pub fn is_xlsx(bytes: &[u8]) -> bool {
    ZipArchive::new(Cursor::new(bytes))
        .map(|z| z.index_for_name("xl/workbook.xml").is_some())
        .unwrap_or(false)
}

/// An open workbook.
pub(crate) enum Book<'a> {
    Xlsx(Box<Xlsx<Cursor<&'a [u8]>>>),
    Xls(Box<Xls<Cursor<&'a [u8]>>>),
}

fn xlsx_error(e: XlsxError) -> FileError {
    match e {
        XlsxError::Password => FileError::Encrypted {
            what: "workbook".to_owned(),
        },
        other => FileError::Damaged {
            what: "workbook",
            reason: other.to_string(),
        },
    }
}

fn xls_error(e: XlsError) -> FileError {
    match e {
        XlsError::Password => FileError::Encrypted {
            what: "workbook".to_owned(),
        },
        other => FileError::Damaged {
            what: "workbook",
            reason: other.to_string(),
        },
    }
}

/// True when an OLE compound file holds an encrypted OOXML package (a password-protected `.xlsx`).
fn is_encrypted_package(bytes: &[u8]) -> bool {
    let name: Vec<u8> = "EncryptedPackage"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    bytes.windows(name.len()).any(|w| w == name.as_slice())
}

/// Refuses a compound file whose directory or sector chains are malformed (a chain that loops, a sector two
/// chains claim) before calamine follows them: it extends a chain until the length it expects, so a loop made
/// a 47 KB file take over 2 GB (found by fuzzing). `cfb` checks the FAT when it opens the file, and the chain of
/// every stream when it opens it. The workbook stream's sheet dimensions are checked too ([`check_dimensions`]).
fn check_compound(bytes: &[u8]) -> Result<(), FileError> {
    use std::io::Read;
    let damaged = |e: std::io::Error| FileError::Damaged {
        what: "workbook",
        reason: e.to_string(),
    };
    let mut file = cfb::CompoundFile::open(Cursor::new(bytes)).map_err(damaged)?;
    let streams: Vec<std::path::PathBuf> = file
        .walk()
        .filter(|e| e.is_stream())
        .map(|e| e.path().to_owned())
        .collect();
    for path in streams {
        let mut stream = file.open_stream(&path).map_err(damaged)?;
        let name = path.file_name().map(|n| n.to_string_lossy().to_lowercase());
        if matches!(name.as_deref(), Some("workbook" | "book")) {
            let mut records = Vec::new();
            // A stream is no longer than the file that holds it.
            (&mut stream)
                .take(bytes.len() as u64)
                .read_to_end(&mut records)
                .map_err(damaged)?;
            check_dimensions(&records)?;
        }
    }
    Ok(())
}

/// The most cells an `.xls` sheet holds (BIFF8: 65,536 rows, 256 columns).
const XLS_ROWS: u64 = 65_536;
/// See [`XLS_ROWS`].
const XLS_COLUMNS: u64 = 256;

/// Refuses a workbook stream whose Dimensions record (BIFF 0x0200) declares a sheet larger than an `.xls` can be:
/// calamine reserves room for every declared cell at once, and a few bytes declaring four billion rows made an
/// allocation of 800 TB (found by fuzzing).
fn check_dimensions(records: &[u8]) -> Result<(), FileError> {
    let mut at = 0;
    while at + 4 <= records.len() {
        let typ = u16::from_le_bytes([records[at], records[at + 1]]);
        let len = usize::from(u16::from_le_bytes([records[at + 2], records[at + 3]]));
        let data = records.get(at + 4..at + 4 + len).unwrap_or(&[]);
        if typ == 0x0200 {
            let u16_at = |i: usize| u64::from(u16::from_le_bytes([data[i], data[i + 1]]));
            let u32_at = |i: usize| {
                u64::from(u32::from_le_bytes([
                    data[i],
                    data[i + 1],
                    data[i + 2],
                    data[i + 3],
                ]))
            };
            let (first_row, last_row, first_col, last_col) = match data.len() {
                10 => (u16_at(0), u16_at(2), u16_at(4), u16_at(6)),
                14 | 16 => (u32_at(0), u32_at(4), u16_at(8), u16_at(10)),
                _ => (0, 0, 0, 0),
            };
            let rows = last_row.saturating_sub(first_row);
            let cols = last_col.saturating_sub(first_col.min(last_col));
            if rows > XLS_ROWS || cols > XLS_COLUMNS {
                return Err(FileError::Damaged {
                    what: "workbook",
                    reason: format!(
                        "a sheet declares {rows} rows by {cols} columns, more than an .xls holds \
                         ({XLS_ROWS} by {XLS_COLUMNS})"
                    ),
                });
            }
        }
        at += 4 + len;
    }
    Ok(())
}

/// Refuses a shared-strings table that announces more strings than its bytes can hold: calamine reserves room for
/// the announced count up front, so `uniqueCount="10000000000"` in a few bytes of XML would be an allocation of
/// hundreds of gigabytes. Each string takes at least `<si><t/></si>`, 12 bytes.
fn check_shared_strings(mut zip: ZipArchive<Cursor<&[u8]>>) -> Result<(), FileError> {
    use std::io::Read;
    let Ok(mut entry) = zip.by_name("xl/sharedStrings.xml") else {
        return Ok(());
    };
    let size = entry.size();
    let mut head = Vec::new();
    let _ = (&mut entry).take(4096).read_to_end(&mut head);
    let text = String::from_utf8_lossy(&head);
    let announced = text
        .split_once("uniqueCount=\"")
        .and_then(|(_, rest)| rest.split('"').next())
        .and_then(|n| n.parse::<u64>().ok());
    match announced {
        Some(n) if n > size / 12 + 1 => Err(FileError::Damaged {
            what: "workbook",
            reason: format!("its shared strings announce {n} strings in {size} bytes"),
        }),
        _ => Ok(()),
    }
}

impl<'a> Book<'a> {
    pub(crate) fn open(bytes: &'a [u8], kind: Kind, dating: &Dating) -> Result<Self, FileError> {
        match kind {
            Kind::Xlsx => {
                let zip = ZipArchive::new(Cursor::new(bytes)).map_err(|e| FileError::Damaged {
                    what: "workbook",
                    reason: e.to_string(),
                })?;
                archive::check_directory(&zip, &dating.upload.limits)?;
                check_shared_strings(zip)?;
                Ok(Book::Xlsx(Box::new(
                    Xlsx::new(Cursor::new(bytes)).map_err(xlsx_error)?,
                )))
            }
            Kind::Compound if is_encrypted_package(bytes) => Err(FileError::Encrypted {
                what: "workbook".to_owned(),
            }),
            Kind::Compound => {
                check_compound(bytes)?;
                Ok(Book::Xls(Box::new(
                    Xls::new(Cursor::new(bytes)).map_err(xls_error)?,
                )))
            }
        }
    }

    pub(crate) fn sheet_names(&self) -> Vec<String> {
        match self {
            Book::Xlsx(b) => b.sheet_names(),
            Book::Xls(b) => b.sheet_names(),
        }
    }

    /// Calls `each` with every row of `sheet` (1-based row number, cells as text), in order; at most
    /// `max_rows` rows.
    pub(crate) fn each_row(
        &mut self,
        sheet: &str,
        max_rows: u64,
        each: &mut dyn FnMut(u64, Vec<String>) -> ControlFlow<()>,
    ) -> Result<(), FileError> {
        let too_many = || FileError::TooManyRows {
            sheet: sheet.to_owned(),
            limit: max_rows,
        };
        match self {
            Book::Xlsx(book) => {
                // Streamed cell by cell: only the shared strings and one row are held.
                let mut cells = book.worksheet_cells_reader(sheet).map_err(xlsx_error)?;
                let mut current: Option<(u32, Vec<String>)> = None;
                let mut last_row: Option<u32> = None;
                while let Some(cell) = cells.next_cell().map_err(xlsx_error)? {
                    let (row, col) = cell.get_position();
                    // Excel writes rows in order; a row before one already read cannot be read again in order
                    // (nor continued from a checkpoint), so the sheet is damaged.
                    if current.as_ref().is_none_or(|(r, _)| *r != row)
                        && last_row.is_some_and(|l| row < l)
                    {
                        return Err(FileError::Damaged {
                            what: "workbook",
                            reason: format!(
                                "sheet {sheet:?} has row {} after row {}",
                                u64::from(row) + 1,
                                u64::from(last_row.unwrap_or(0)) + 1
                            ),
                        });
                    }
                    last_row = Some(row);
                    if current.as_ref().is_none_or(|(r, _)| *r != row) {
                        if let Some((r, values)) = current.take() {
                            if each(u64::from(r) + 1, values).is_break() {
                                return Ok(());
                            }
                        }
                        if u64::from(row) >= max_rows {
                            return Err(too_many());
                        }
                        current = Some((row, Vec::new()));
                    }
                    let values = &mut current.as_mut().expect("set above").1;
                    if (col as usize) < values.len() {
                        continue;
                    }
                    values.resize(col as usize, String::new());
                    values.push(data_ref_text(cell.get_value()));
                }
                if let Some((r, values)) = current {
                    let _ = each(u64::from(r) + 1, values);
                }
                Ok(())
            }
            Book::Xls(book) => {
                let range = book.worksheet_range(sheet).map_err(xls_error)?;
                let Some((row0, col0)) = range.start() else {
                    return Ok(());
                };
                if range.height() as u64 > max_rows {
                    return Err(too_many());
                }
                for (i, row) in range.rows().enumerate() {
                    let mut values = vec![String::new(); col0 as usize];
                    values.extend(row.iter().map(data_text));
                    if each(u64::from(row0) + i as u64 + 1, values).is_break() {
                        break;
                    }
                }
                Ok(())
            }
        }
    }

    /// Every row of `sheet`, held (for the small sheets of multi-table layouts).
    pub(crate) fn rows(
        &mut self,
        sheet: &str,
        max_rows: u64,
    ) -> Result<Vec<(u64, Vec<String>)>, FileError> {
        let mut out = Vec::new();
        self.each_row(sheet, max_rows, &mut |n, cells| {
            out.push((n, cells));
            ControlFlow::Continue(())
        })?;
        Ok(out)
    }
}

/// Hands a sheet's part and rows to the upload's parts.
struct SheetSink<'p, 's> {
    parts: &'p mut Parts<'s>,
    sheet: &'p str,
    note: String,
    recognised: &'p mut u32,
    stopped: bool,
}

impl TableSink for SheetSink<'_, '_> {
    fn format(&mut self, found: &SheetFormat) -> ControlFlow<()> {
        *self.recognised += 1;
        let context = found
            .context
            .clone()
            .expect("settled before the part starts");
        let sheet = self.sheet;
        let mut notes = Vec::new();
        if found.format.dated_by_export() {
            notes.push(self.note.clone());
        }
        notes.extend(context.dates.note());
        let flow = self.parts.part(PartInfo {
            index: 0,
            container: self.parts.container,
            name: Some(sheet.to_owned()),
            format: found.format.name,
            header: found.header.clone(),
            delimiter: b',',
            decoding: None,
            context,
            notes,
        });
        self.stopped |= flow.is_break();
        flow
    }

    fn row(&mut self, outcome: RowOutcome, after: u64) -> ControlFlow<()> {
        let flow = self.parts.row(outcome, after, 0);
        self.stopped |= flow.is_break();
        flow
    }
}

/// Reads every export in the workbook `bytes`.
pub(crate) fn read(
    bytes: &[u8],
    kind: Kind,
    dating: &Dating,
    parts: &mut Parts<'_>,
) -> Result<(), FileError> {
    read_book(bytes, kind, dating, parts)
}

fn read_book(
    bytes: &[u8],
    kind: Kind,
    dating: &Dating,
    parts: &mut Parts<'_>,
) -> Result<(), FileError> {
    let mut book = Book::open(bytes, kind, dating)?;
    let sheets = book.sheet_names();
    let max_rows = dating.upload.limits.max_sheet_rows;
    if linkedin::is_creator_workbook(&sheets) {
        return linkedin::read_creator(&mut book, &sheets, dating, parts);
    }
    let mut recognised = 0;
    let mut problem = None;
    for sheet in &sheets {
        let (part_dating, note) = dating.part(Some(sheet), None);
        let mut table = SheetTable::new(part_dating);
        let mut sink = SheetSink {
            parts,
            sheet,
            note,
            recognised: &mut recognised,
            stopped: false,
        };
        book.each_row(sheet, max_rows, &mut |row, cells| {
            if table.push(row, cells, &mut sink).is_break() || table.is_unknown() {
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        })?;
        let _ = table.finish(&mut sink);
        if problem.is_none() {
            problem = table.problem.take();
        }
        if sink.stopped {
            return Ok(());
        }
    }
    if recognised > 0 {
        return Ok(());
    }
    if linkedin::read_single_post(&mut book, &sheets, dating, parts)? {
        return Ok(());
    }
    Err(problem.unwrap_or_else(|| FileError::NoKnownSheet {
        sheets: sheets.join(", "),
        formats: FORMATS
            .iter()
            .map(|f| f.description)
            .chain([linkedin::CREATOR_DESCRIPTION, linkedin::POST_DESCRIPTION])
            .collect::<Vec<_>>()
            .join("; "),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    /// A workbook of one sheet with shared strings (rust_xlsxwriter's default), its strings table rewritten by
    /// `edit`.
    fn workbook_with_strings(edit: impl Fn(String) -> String) -> Vec<u8> {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write_string(0, 0, "post_id").unwrap();
        sheet.write_string(0, 1, "platform").unwrap();
        sheet.write_string(0, 2, "date").unwrap();
        sheet.write_string(1, 0, "p1").unwrap();
        sheet.write_string(1, 1, "x").unwrap();
        sheet.write_string(1, 2, "2026-10-06").unwrap();
        let bytes = book.save_to_buffer().unwrap();
        let mut source = ZipArchive::new(Cursor::new(bytes)).unwrap();
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for i in 0..source.len() {
            let mut entry = source.by_index(i).unwrap();
            let name = entry.name().unwrap().to_string();
            let mut body = Vec::new();
            entry.read_to_end(&mut body).unwrap();
            if name == "xl/sharedStrings.xml" {
                body = edit(String::from_utf8(body).unwrap()).into_bytes();
            }
            out.start_file(name, zip::write::SimpleFileOptions::default())
                .unwrap();
            out.write_all(&body).unwrap();
        }
        out.finish().unwrap().into_inner()
    }

    #[test]
    fn a_sheet_declaring_more_cells_than_an_xls_holds_is_refused() {
        let dimensions = |rows: u32, cols: u16| {
            let mut r = vec![0x00, 0x02, 14, 0];
            r.extend(0u32.to_le_bytes());
            r.extend(rows.to_le_bytes());
            r.extend(0u16.to_le_bytes());
            r.extend(cols.to_le_bytes());
            r.extend(0u16.to_le_bytes());
            r
        };
        assert!(check_dimensions(&dimensions(400, 20)).is_ok());
        assert!(check_dimensions(&dimensions(65_536, 256)).is_ok());
        let err = check_dimensions(&dimensions(u32::MAX, 9)).unwrap_err();
        assert!(
            err.to_string().contains("4294967295 rows by 9 columns"),
            "{err}"
        );
        assert!(check_dimensions(&dimensions(10, 40_000)).is_err());
        // Truncated or odd records say nothing.
        assert!(check_dimensions(&[0x00, 0x02, 14]).is_ok());
        assert!(check_dimensions(&[0x00, 0x02, 3, 0, 1, 2, 3]).is_ok());
    }

    #[test]
    fn a_strings_table_announcing_more_than_it_holds_is_refused_before_calamine_reserves_it() {
        let honest = workbook_with_strings(|xml| xml);
        let zip = ZipArchive::new(Cursor::new(honest.as_slice())).unwrap();
        assert!(check_shared_strings(zip).is_ok());
        let lying = workbook_with_strings(|xml| {
            let at = xml.find("uniqueCount=\"").unwrap() + "uniqueCount=\"".len();
            let end = at + xml[at..].find('"').unwrap();
            format!("{}10000000000{}", &xml[..at], &xml[end..])
        });
        let zip = ZipArchive::new(Cursor::new(lying.as_slice())).unwrap();
        let err = check_shared_strings(zip).unwrap_err();
        assert!(
            err.to_string().contains("announce 10000000000 strings"),
            "{err}"
        );
    }
}
