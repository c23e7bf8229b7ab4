//! Zip archives of exports: YouTube Studio downloads Table data, Chart data and Totals together in one zip, and
//! any zip holding one export (a CSV or a workbook) is read the same way.
//!
//! The archive is checked against [`Limits`] from its central directory before anything is expanded (entry
//! count, declared sizes, expansion ratio), and every entry is read through a counter that stops at the same
//! limits whatever its header claims. Entries are read in a fixed order, daily series first, so that a Table
//! data part knows the period its siblings cover when the zip's name does not say.

use std::io::{Cursor, Read};

use zip::result::ZipError;
use zip::ZipArchive;

use crate::decode::{self, Content, SNIFF_BYTES};
use crate::export::{read_csv, Dating, Limits, Parts};
use crate::formats::Rows;
use crate::reader::find_header;
use crate::{workbook, FileError};

/// What an entry turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EntryKind {
    /// A CSV of a daily format (read first: it dates its siblings).
    DailyCsv,
    /// A CSV of a snapshot format.
    SnapshotCsv,
    /// A workbook.
    Workbook,
}

/// Everything about an entry needed to read it.
#[derive(Debug)]
struct Entry {
    index: usize,
    name: String,
    kind: EntryKind,
}

/// Entry names that are never exports: folders, macOS resource forks, hidden files.
fn is_noise(name: &str) -> bool {
    name.ends_with('/')
        || name.starts_with("__MACOSX/")
        || name.rsplit('/').next().is_some_and(|f| f.starts_with('.'))
}

fn damaged(e: ZipError) -> FileError {
    match e {
        ZipError::UnsupportedArchive(m) if m == ZipError::PASSWORD_REQUIRED => {
            FileError::Encrypted {
                what: "zip".to_owned(),
            }
        }
        other => FileError::Damaged {
            what: "zip",
            reason: other.to_string(),
        },
    }
}

/// Checks the central directory of `archive` against `limits` (entries, declared sizes, ratios).
pub(crate) fn check_directory<R: Read + std::io::Seek>(
    archive: &ZipArchive<R>,
    limits: &Limits,
) -> Result<(), FileError> {
    if archive.len() > limits.max_entries {
        return Err(FileError::Damaged {
            what: "zip",
            reason: format!(
                "it has {} entries, more than {}",
                archive.len(),
                limits.max_entries
            ),
        });
    }
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let entry = archive.by_index_data(i).map_err(damaged)?;
        total = total.saturating_add(entry.size());
        let name = entry.name().unwrap_or_default().to_string();
        expansion(&name, entry.size(), entry.compressed_size(), total, limits)?;
    }
    Ok(())
}

/// Refuses an entry of `size` bytes (of `compressed`) when it, or the `total` so far, breaks the limits.
fn expansion(
    name: &str,
    size: u64,
    compressed: u64,
    total: u64,
    limits: &Limits,
) -> Result<(), FileError> {
    let ratio = size / compressed.max(1);
    let over_ratio = size > 1024 * 1024 && ratio > limits.max_ratio;
    if over_ratio || total > limits.max_uncompressed_bytes {
        return Err(FileError::Expands {
            entry: name.to_owned(),
            size,
            ratio,
            max_size: limits.max_uncompressed_bytes,
            max_ratio: limits.max_ratio,
        });
    }
    Ok(())
}

/// Reads an entry whole, counting: an entry whose header understated its size stops at the limits too.
fn entry_bytes<R: Read + std::io::Seek>(
    archive: &mut ZipArchive<R>,
    index: usize,
    total: &mut u64,
    limits: &Limits,
) -> Result<Vec<u8>, FileError> {
    let mut file = archive.by_index(index).map_err(damaged)?;
    let name = file.name().map(|n| n.into_owned()).unwrap_or_default();
    let compressed = file.compressed_size();
    let budget = limits.max_uncompressed_bytes.saturating_sub(*total);
    let cap = budget.min(
        compressed
            .max(1)
            .saturating_mul(limits.max_ratio)
            .max(1024 * 1024),
    );
    let mut bytes = Vec::new();
    (&mut file)
        .take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| FileError::Damaged {
            what: "zip",
            reason: format!("{name}: {e}"),
        })?;
    *total += bytes.len() as u64;
    if bytes.len() as u64 > cap {
        return Err(FileError::Expands {
            entry: name,
            size: bytes.len() as u64,
            ratio: bytes.len() as u64 / compressed.max(1),
            max_size: limits.max_uncompressed_bytes,
            max_ratio: limits.max_ratio,
        });
    }
    Ok(bytes)
}

/// Reads every export in the zip `bytes`.
pub(crate) fn read(bytes: &[u8], dating: &Dating, parts: &mut Parts<'_>) -> Result<(), FileError> {
    let limits = dating.upload.limits;
    let mut archive = ZipArchive::new(Cursor::new(bytes)).map_err(damaged)?;
    check_directory(&archive, &limits)?;
    let mut total = 0;
    let mut entries = Vec::new();
    let mut skipped = Vec::new();
    for index in 0..archive.len() {
        let name = archive
            .by_index_data(index)
            .map_err(damaged)?
            .name()
            .unwrap_or_default()
            .to_string();
        if is_noise(&name) {
            continue;
        }
        let body = entry_bytes(&mut archive, index, &mut total, &limits)?;
        match classify(&body) {
            Some(kind) => entries.push(Entry { index, name, kind }),
            None => skipped.push(format!("{name}: not a known export")),
        }
    }
    if entries.is_empty() {
        return Err(FileError::NoExportInZip {
            entries: if skipped.is_empty() {
                "it is empty".to_owned()
            } else {
                skipped.join("; ")
            },
        });
    }
    // Daily series first: their range dates the Table data beside them.
    entries.sort_by_key(|e| (e.kind != EntryKind::DailyCsv, e.index));
    parts.notes.extend(skipped);
    let mut total = 0;
    for entry in entries {
        let body = entry_bytes(&mut archive, entry.index, &mut total, &limits)?;
        match entry.kind {
            EntryKind::DailyCsv | EntryKind::SnapshotCsv => {
                let fallback = parts.daily_range.clone().map(|(s, e)| (Some(s), e));
                let (part_dating, note) = dating.part(Some(&entry.name), fallback);
                let (text, decoding) = decode::open(Cursor::new(body), false)?;
                read_csv(
                    text,
                    Some(decoding),
                    Some(&entry.name),
                    &part_dating,
                    note,
                    parts,
                )?;
            }
            EntryKind::Workbook => {
                let kind = if workbook::is_xlsx(&body) {
                    workbook::Kind::Xlsx
                } else {
                    workbook::Kind::Compound
                };
                workbook::read(&body, kind, dating, parts)?;
            }
        }
    }
    Ok(())
}

/// The kind of export an entry holds, from its content.
fn classify(body: &[u8]) -> Option<EntryKind> {
    let prefix = body[..body.len().min(SNIFF_BYTES)].to_vec();
    match decode::open_content(Cursor::new(prefix), false, u64::MAX) {
        Ok(Content::Text(mut text, _)) => {
            let mut head = Vec::new();
            text.read_to_end(&mut head).ok()?;
            let found = find_header(&head)?;
            Some(match found.format.rows {
                Rows::Daily => EntryKind::DailyCsv,
                Rows::Snapshots(_) => EntryKind::SnapshotCsv,
            })
        }
        // A workbook inside the zip; a zip inside a zip is not an export.
        Ok(Content::Zip { .. }) => workbook::is_xlsx(body).then_some(EntryKind::Workbook),
        Ok(Content::Compound { .. }) => Some(EntryKind::Workbook),
        Err(_) => None,
    }
}
