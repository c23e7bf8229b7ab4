//! The import's run: from the record's checkpoint (or the start) to the end of the file, a permanent file error,
//! a lost lease or the deadline. Rows become items chunk by chunk; every `checkpoint_chunks` chunks (and when
//! time runs short) the rejects so far, the months touched and the position are saved with the lease renewed.

use std::collections::BTreeSet;
use std::time::Instant;

use time::OffsetDateTime;
use tokio::sync::mpsc;
use tracing::{info, warn};

use creatoros_formats::export::{PartInfo, Upload};
use creatoros_formats::rejects::RejectsWriter;
use creatoros_formats::rows::{RejectedRow, RowOutcome};
use creatoros_formats::FileError;
use creatoros_model::contract::{Item, KeyCodec};
use creatoros_model::entities::{Import, RowError};
use creatoros_model::ids::timestamp::iso_millis;
use creatoros_model::ids::{Day, Month};
use creatoros_model::imports::items::{daily_of, metric_of, Provenance};
use creatoros_store::RepoError;

use super::lease::save;
use super::reader::{checkpoint, read_rows, resume_of, ReadEvent};
use super::ImportError;
use crate::context::Ingest;
use crate::linker::Linker;
use crate::lock::{self, Taken};
use crate::rejects_store::RejectsStore;
use crate::source::{self, ObjectInfo};
use crate::writer::{MetricWriter, WriteMode, WriteStats};

/// How a run ended.
pub(super) enum End {
    /// Read to the end (or to a permanent file error); `header` is the file's header row, if one was found.
    Finished {
        error: Option<FileError>,
        header: Vec<String>,
    },
    OutOfTime,
    LostLease,
}

/// Reads from the record's checkpoint (or the start) until the end, a permanent file error, or the deadline.
pub(super) async fn process(
    ctx: &Ingest,
    record: &mut Import,
    info: &ObjectInfo,
    owner: &str,
    deadline: Instant,
) -> Result<End, ImportError> {
    let resume = record
        .checkpoint
        .as_ref()
        .map(|cp| resume_of(cp, record.container.as_deref()));
    if let (Some(cp), Some(r)) = (&record.checkpoint, &resume) {
        if r.in_place && cp.raw_offset.is_some_and(|o| o >= info.size) {
            return Ok(End::Finished {
                error: None,
                header: cp.header.clone(),
            });
        }
    }
    let from = match (&record.checkpoint, &resume) {
        (Some(cp), Some(r)) if r.in_place => cp.raw_offset.unwrap_or(0),
        _ => 0,
    };
    let raw = source::open(&ctx.s3, info, from).await?;
    let upload = Upload {
        name: info.key.rsplit('/').next().unwrap_or(&info.key).to_owned(),
        uploaded: Day::parse(&iso_millis(info.last_modified)[..10]).expect("ISO day"),
        gzip_expected: info.gzip,
        limits: ctx.settings.limits,
    };
    let (tx, mut rx) = mpsc::channel::<ReadEvent>(2);
    let chunk_rows = ctx.settings.chunk_rows.max(1);
    let reader_thread =
        tokio::task::spawn_blocking(move || read_rows(raw, upload, resume, chunk_rows, tx));

    let linker = Linker::load(&ctx.repo, &record.workspace_id).await?;
    let writer = MetricWriter::new(&ctx.repo, ctx.settings.write_mode, 32);
    let rejects = RejectsStore::new(
        ctx.s3.clone(),
        &info.bucket,
        record.workspace_id.as_str(),
        record.import_id.as_str(),
    );
    let mut months: BTreeSet<Month> = record.months.iter().cloned().collect();
    let mut part = RejectsWriter::new(Vec::new(), None).expect("in memory");
    let mut part_start = record.checkpoint.as_ref().map_or(0, |c| c.line);
    let mut current: Option<Box<PartInfo>> = None;
    let mut formats: Vec<String> = Vec::new();
    let mut since_checkpoint = 0;
    let mut stats = WriteStats::default();
    let provenance = |record: &Import| Provenance {
        source: record.format.clone(),
        captured_at: Some(iso_millis(info.last_modified)),
        import_id: Some(record.import_id.to_string()),
    };

    let end = loop {
        let Some(event) = rx.recv().await else {
            break End::Finished {
                error: None,
                header: Vec::new(),
            };
        };
        match event {
            ReadEvent::Part(p) => {
                record.container = Some(p.container.as_str().to_owned());
                if !formats.iter().any(|f| f == p.format) {
                    formats.push(p.format.to_owned());
                }
                record.format = Some(formats.join(", "));
                for note in &p.notes {
                    add_note(record, p.name.as_deref(), note);
                }
                current = Some(p);
            }
            ReadEvent::Failed(e) if e.is_retryable() => {
                return Err(ImportError::Read(e.to_string()))
            }
            ReadEvent::Failed(e) => {
                break End::Finished {
                    error: Some(e),
                    header: Vec::new(),
                }
            }
            ReadEvent::Chunk { rows, end } => {
                let rows_of = ChunkRows {
                    codec: ctx.repo.codec(),
                    linker: &linker,
                    provenance: provenance(record),
                    part: current.as_ref().and_then(|p| p.name.clone()),
                };
                let items = rows_of.items(rows, record, &mut part, &mut months)?;
                record.rows_written += items.len() as u64;
                stats += writer.write(items).await?;
                since_checkpoint += 1;
                // `<=`: with no margin and no time left, stop after this chunk (every invocation makes progress).
                let out_of_time =
                    deadline.saturating_duration_since(Instant::now()) <= ctx.settings.stop_margin;
                if since_checkpoint >= ctx.settings.checkpoint_chunks || out_of_time {
                    let Some(current) = &current else {
                        unreachable!("chunks follow a part")
                    };
                    let full = std::mem::replace(
                        &mut part,
                        RejectsWriter::new(Vec::new(), None).expect("in memory"),
                    );
                    rejects.put_part(part_start, full).await?;
                    part_start = end.line;
                    record.months = months.iter().cloned().collect();
                    record.checkpoint = Some(checkpoint(end, current, record.checkpoint.as_ref()));
                    record.lease_expires_at =
                        Some(iso_millis(OffsetDateTime::now_utc() + ctx.settings.lease));
                    match save(ctx, record).await {
                        Ok(()) => {}
                        Err(RepoError::VersionConflict { .. }) => {
                            warn!(import = %record.import_id, "lease lost to another worker; stopping");
                            break End::LostLease;
                        }
                        Err(e) => return Err(e.into()),
                    }
                    if ctx.settings.write_mode == WriteMode::Batch
                        && lock::take(
                            &ctx.repo,
                            &record.workspace_id,
                            owner,
                            record.import_id.as_str(),
                            ctx.settings.lease,
                        )
                        .await?
                            != Taken::Held
                    {
                        warn!(import = %record.import_id, "workspace lock lost; stopping");
                        break End::LostLease;
                    }
                    since_checkpoint = 0;
                    if out_of_time {
                        break End::OutOfTime;
                    }
                }
            }
        }
    };
    drop(rx);
    // A reader that panicked closed its channel like one that finished: its rows so far are kept, and the file is
    // recorded as failed there rather than completed.
    let end = match (reader_thread.await, end) {
        (
            Err(panic),
            End::Finished {
                error: None,
                header,
            },
        ) if panic.is_panic() => {
            tracing::error!(import = %record.import_id, "the reader panicked; the file stops there");
            End::Finished {
                error: Some(FileError::Read {
                    message: "the reader stopped on this file unexpectedly (a bug worth reporting, with the file)"
                        .to_owned(),
                    transient: false,
                }),
                header,
            }
        }
        (_, end) => end,
    };
    let end = match end {
        End::Finished { error, .. } => {
            rejects.put_part(part_start, part).await?;
            record.months = months.into_iter().collect();
            // One part: its rejects keep its header; several parts have no header in common.
            let single = formats.len() <= 1
                && record
                    .container
                    .as_deref()
                    .is_none_or(|c| c == "plain" || c == "gzip");
            let header = match (&current, &record.checkpoint) {
                (Some(p), _) if single => p.header.clone(),
                (None, Some(cp)) => cp.header.clone(),
                _ => Vec::new(),
            };
            End::Finished { error, header }
        }
        other => other,
    };
    info!(import = %record.import_id, written = stats.written, unchanged = stats.unchanged,
          superseded = stats.superseded, "item writes");
    Ok(end)
}

/// What a chunk's rows become items with: the codec, the post links, the provenance every item carries, and the
/// part (sheet, zip entry) the rows come from.
struct ChunkRows<'a> {
    codec: &'a KeyCodec,
    linker: &'a Linker,
    provenance: Provenance,
    part: Option<String>,
}

impl ChunkRows<'_> {
    /// The items of `rows`, with the months they touch added to `months`. Rejected rows, and rows the contract
    /// refuses to store (reported like any rejected row: it is the row's fault), are counted on the record and
    /// added to the rejects `part`; notes go to the record.
    fn items(
        &self,
        rows: Vec<RowOutcome>,
        record: &mut Import,
        part: &mut RejectsWriter<Vec<u8>>,
        months: &mut BTreeSet<Month>,
    ) -> Result<Vec<Item>, ImportError> {
        let mut items: Vec<Item> = Vec::with_capacity(rows.len());
        for row in rows {
            let encoded = match row {
                RowOutcome::Metric(m) => {
                    record.rows_seen += 1;
                    let (post_id, _planned) = self.linker.resolve(&m.post);
                    let metric = metric_of(&m, &record.workspace_id, post_id, &self.provenance);
                    Some((m.line, m.date.month(), self.codec.encode(&metric)))
                }
                RowOutcome::Daily(d) => {
                    record.rows_seen += 1;
                    let post_id = d.post.as_ref().map(|p| self.linker.resolve(p).0);
                    let daily = daily_of(&d, &record.workspace_id, post_id, &self.provenance);
                    Some((d.line, d.day.month(), self.codec.encode(&daily)))
                }
                RowOutcome::Rejected(r) => {
                    record.rows_seen += 1;
                    reject(record, part, &r)?;
                    None
                }
                RowOutcome::Note(note) => {
                    add_note(record, self.part.as_deref(), &note);
                    None
                }
                RowOutcome::Skipped => None,
            };
            match encoded {
                Some((_, month, Ok(item))) => {
                    months.insert(month);
                    items.push(item);
                }
                Some((line, _, Err(e))) => {
                    let r = RejectedRow {
                        error: RowError {
                            part: self.part.clone(),
                            line,
                            column: None,
                            reason: format!("cannot be stored: {e}"),
                        },
                        cells: Vec::new(),
                    };
                    reject(record, part, &r)?;
                }
                None => {}
            }
        }
        Ok(items)
    }
}

/// Counts a rejected row, keeps it among the first errors, and adds it to the rejects file's current part.
fn reject(
    record: &mut Import,
    part: &mut RejectsWriter<Vec<u8>>,
    row: &RejectedRow,
) -> Result<(), ImportError> {
    record.rows_rejected += 1;
    if record.errors.len() < Import::MAX_ERRORS {
        record.errors.push(row.error.clone());
    }
    part.write(row)
        .map_err(|e| ImportError::Read(e.to_string()))
}

/// Adds a note (prefixed by the part it is about) unless the record has it or is full.
fn add_note(record: &mut Import, part: Option<&str>, note: &str) {
    let text = match part {
        Some(p) => format!("{p}: {note}"),
        None => note.to_owned(),
    };
    if record.notes.len() < Import::MAX_ERRORS && !record.notes.contains(&text) {
        record.notes.push(text);
    }
}
