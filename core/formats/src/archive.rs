//! Zip archives of exports: YouTube Studio downloads Table data, Chart data and Totals together in one zip, and
//! any zip holding one export (a CSV or a workbook) is read the same way.
//!
//! The archive is checked against [`Limits`] from its central directory before anything is expanded (entry
//! count, declared sizes, expansion ratio), and every entry is read through a counter that stops at the same
//! limits whatever its header claims. CSV entries stream out of the archive (memory holds the zip, not what it
//! expands to); a workbook inside one is read whole. Entries are read in a fixed order, daily series first, so that a Table
//! data part knows the period its siblings cover when the zip's name does not say.

use std::io::{Cursor, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

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

/// How many bytes entry `file` may expand to: what is left of the zip's budget, and at most its ratio limit (an
/// entry of at most 1 MiB passes whatever its ratio).
fn entry_cap(compressed: u64, total: u64, limits: &Limits) -> u64 {
    let budget = limits.max_uncompressed_bytes.saturating_sub(total);
    budget.min(
        compressed
            .max(1)
            .saturating_mul(limits.max_ratio)
            .max(1024 * 1024),
    )
}

/// An entry's bytes as they expand, counted: past its cap the read fails with [`FileError::Expands`], whatever
/// the entry's header claimed.
struct Counted<R> {
    inner: R,
    name: String,
    compressed: u64,
    cap: u64,
    read: u64,
    limits: Limits,
    /// The archive's running total, kept up to date as this entry expands.
    total: Arc<AtomicU64>,
}

impl<R> Counted<R> {
    fn over(&self) -> FileError {
        FileError::Expands {
            entry: self.name.clone(),
            size: self.read,
            ratio: self.read / self.compressed.max(1),
            max_size: self.limits.max_uncompressed_bytes,
            max_ratio: self.limits.max_ratio,
        }
    }
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.read > self.cap {
            return Err(self.over().into_io());
        }
        let n = self.inner.read(buf).map_err(|e| {
            FileError::Damaged {
                what: "zip",
                reason: format!("{}: {e}", self.name),
            }
            .into_io()
        })?;
        self.read += n as u64;
        self.total.fetch_add(n as u64, Ordering::Relaxed);
        if self.read > self.cap {
            return Err(self.over().into_io());
        }
        Ok(n)
    }
}

/// Entry `index` as a counted stream (what the archive expanded to so far, `total`, decides its cap).
fn entry_stream<'z, R: Read + std::io::Seek>(
    archive: &'z mut ZipArchive<R>,
    index: usize,
    total: &Arc<AtomicU64>,
    limits: &Limits,
) -> Result<Counted<zip::read::ZipFile<'z, R>>, FileError> {
    let file = archive.by_index(index).map_err(damaged)?;
    let compressed = file.compressed_size();
    Ok(Counted {
        name: file.name().map(|n| n.into_owned()).unwrap_or_default(),
        compressed,
        cap: entry_cap(compressed, total.load(Ordering::Relaxed), limits),
        read: 0,
        limits: *limits,
        total: total.clone(),
        inner: file,
    })
}

/// Reads at most `limit` bytes of entry `index` (all of it when `limit` is `None`), counted.
fn entry_bytes<R: Read + std::io::Seek>(
    archive: &mut ZipArchive<R>,
    index: usize,
    total: &Arc<AtomicU64>,
    limits: &Limits,
    limit: Option<u64>,
) -> Result<Vec<u8>, FileError> {
    let stream = entry_stream(archive, index, total, limits)?;
    let mut bytes = Vec::new();
    stream
        .take(limit.unwrap_or(u64::MAX))
        .read_to_end(&mut bytes)
        .map_err(FileError::read)?;
    Ok(bytes)
}

/// Reads every export in the zip `bytes`. CSV entries stream out of the archive; a workbook inside is read whole.
pub(crate) fn read(bytes: &[u8], dating: &Dating, parts: &mut Parts<'_>) -> Result<(), FileError> {
    let limits = dating.upload.limits;
    let mut archive = ZipArchive::new(Cursor::new(bytes)).map_err(damaged)?;
    check_directory(&archive, &limits)?;
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
        // Each entry's head is read from a budget of its own: the heads are not kept.
        let head = entry_bytes(
            &mut archive,
            index,
            &Arc::new(AtomicU64::new(0)),
            &limits,
            Some(SNIFF_BYTES as u64),
        )?;
        match classify(&head) {
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
    let total = Arc::new(AtomicU64::new(0));
    for entry in entries {
        match entry.kind {
            EntryKind::DailyCsv | EntryKind::SnapshotCsv => {
                let fallback = parts.daily_range.clone().map(|(s, e)| (Some(s), e));
                let (part_dating, note) = dating.part(Some(&entry.name), fallback);
                let stream = entry_stream(&mut archive, entry.index, &total, &limits)?;
                let (text, decoding) = decode::open(stream, false)?;
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
                let body = entry_bytes(&mut archive, entry.index, &total, &limits, None)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::{self, Event, Upload};
    use std::io::Write;

    fn zip_of(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, bytes) in entries {
            zip.start_file(
                *name,
                zip::write::SimpleFileOptions::default()
                    .compression_method(zip::CompressionMethod::Deflated),
            )
            .unwrap();
            zip.write_all(bytes).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    fn read_zip(bytes: Vec<u8>, limits: Limits) -> (usize, Result<(), FileError>) {
        let upload = Upload {
            name: "export.zip".into(),
            uploaded: "2026-11-30".parse().unwrap(),
            gzip_expected: false,
            limits,
        };
        let mut rows = 0;
        let result = export::read(Box::new(Cursor::new(bytes)), &upload, None, &mut |e| {
            if let Event::Row(..) = e {
                rows += 1;
            }
            std::ops::ControlFlow::Continue(())
        });
        (rows, result)
    }

    /// A CSV of `rows` canonical rows.
    fn csv(rows: usize) -> Vec<u8> {
        let mut s = String::from("post_id,platform,date,likes\n");
        for i in 0..rows {
            s.push_str(&format!("p{i},x,2026-10-06,{i}\n"));
        }
        s.into_bytes()
    }

    #[test]
    fn an_entry_whose_header_understates_its_size_stops_at_the_limits() {
        let mut bytes = zip_of(&[("export.csv", csv(100_000))]);
        // Claim 100 bytes uncompressed in the local header and the central directory.
        let small = 100u32.to_le_bytes();
        bytes[22..26].copy_from_slice(&small);
        let cd = bytes.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
        bytes[cd + 24..cd + 28].copy_from_slice(&small);
        let limits = Limits {
            max_uncompressed_bytes: 512 * 1024,
            ..Limits::default()
        };
        let (rows, result) = read_zip(bytes, limits);
        let err = result.expect_err("the entry cannot expand past the limits");
        assert!(!err.is_retryable());
        assert!(rows < 100_000, "{rows} rows read from a lying entry");
    }

    #[test]
    fn entries_within_the_limits_stream_and_the_budget_covers_them_all() {
        let bytes = zip_of(&[("a.csv", csv(1000)), ("b.csv", csv(1000))]);
        let (rows, result) = read_zip(bytes.clone(), Limits::default());
        assert!(result.is_ok(), "{result:?}");
        assert_eq!(rows, 2000);
        // Two entries of about 26 KB each: a 40 KB budget takes the first, not both.
        let tight = Limits {
            max_uncompressed_bytes: 40 * 1024,
            ..Limits::default()
        };
        let (_, result) = read_zip(bytes, tight);
        assert!(
            matches!(result, Err(FileError::Expands { .. })),
            "{result:?}"
        );
    }
}
