//! The reader side of an import: a blocking thread streams the upload through `creatoros-formats` and sends
//! parts and rows in chunks over a bounded channel; checkpoints say where a later invocation continues.

use tokio::sync::mpsc;

use creatoros_formats::export::{self, Event, PartInfo, Position, Resume, TextResume, Upload};
use creatoros_formats::rows::RowOutcome;
use creatoros_formats::FileError;
use creatoros_model::entities::Checkpoint;

/// Everything the reader thread reports.
pub(super) enum ReadEvent {
    /// A part (the file, a sheet, a zip entry) starts.
    Part(Box<PartInfo>),
    /// Rows, and the position after the last.
    Chunk {
        rows: Vec<RowOutcome>,
        end: Position,
    },
    /// The file cannot be read further.
    Failed(FileError),
}

/// How to continue from a stored checkpoint: text files continue in place (from the byte offset, with the
/// format, header and dates they were opened with); anything else is read again from its start.
pub(super) fn resume_of(cp: &Checkpoint, container: Option<&str>) -> Resume {
    let text_file = matches!(container, None | Some("plain") | Some("gzip"));
    let text = match (&cp.format, &cp.context) {
        (Some(format), Some(context)) if text_file && cp.part == 0 => Some(TextResume {
            format: format.clone(),
            header: cp.header.clone(),
            delimiter: cp.delimiter.bytes().next().unwrap_or(b','),
            context: context.clone(),
        }),
        _ => None,
    };
    Resume {
        at: Position {
            part: cp.part,
            byte: cp.byte_offset,
            line: cp.line,
        },
        in_place: text.is_some() && cp.raw_offset.is_some(),
        text,
    }
}

/// A checkpoint at `end` of `part`; the raw offset is known only when the text is the object's own bytes.
pub(super) fn checkpoint(
    end: Position,
    part: &PartInfo,
    previous: Option<&Checkpoint>,
) -> Checkpoint {
    let text_file = matches!(
        part.container,
        export::Container::Plain | export::Container::Gzip
    );
    // A part continued in place has no decoding of its own: it continues a plain UTF-8 file at a raw offset.
    let raw_base = match (&part.decoding, text_file) {
        (_, false) => None,
        (Some(d), true) if d.offsets_are_raw() => Some(d.bom_len),
        (Some(_), true) => None,
        (None, true) => previous.and_then(|p| p.raw_offset.map(|r| r - p.byte_offset)),
    };
    Checkpoint {
        part: end.part,
        byte_offset: end.byte,
        raw_offset: raw_base.map(|b| b + end.byte),
        line: end.line,
        format: Some(part.format.to_owned()),
        header: part.header.clone(),
        delimiter: (part.delimiter as char).to_string(),
        context: Some(part.context.clone()),
    }
}

/// The reader thread: reads the upload (from its start, or continuing a checkpoint) and sends parts and rows in
/// chunks until the end, an error, or until the receiver hangs up (the worker stopped for time).
pub(super) fn read_rows(
    raw: Box<dyn std::io::Read + Send>,
    upload: Upload,
    resume: Option<Resume>,
    chunk_rows: usize,
    tx: mpsc::Sender<ReadEvent>,
) {
    let send = |event| tx.blocking_send(event).is_ok();
    let mut rows = Vec::with_capacity(chunk_rows);
    let mut last = Position::default();
    let result = export::read(raw, &upload, resume.as_ref(), &mut |event| {
        let flowing = match event {
            Event::Part(info) => {
                // The rows so far belong to the part before.
                (rows.is_empty()
                    || send(ReadEvent::Chunk {
                        rows: std::mem::replace(&mut rows, Vec::with_capacity(chunk_rows)),
                        end: last,
                    }))
                    && send(ReadEvent::Part(Box::new(info.clone())))
            }
            Event::Row(row, at) => {
                rows.push(row);
                last = at;
                rows.len() < chunk_rows
                    || send(ReadEvent::Chunk {
                        rows: std::mem::replace(&mut rows, Vec::with_capacity(chunk_rows)),
                        end: at,
                    })
            }
        };
        if flowing {
            std::ops::ControlFlow::Continue(())
        } else {
            std::ops::ControlFlow::Break(())
        }
    });
    if !rows.is_empty() && !send(ReadEvent::Chunk { rows, end: last }) {
        return;
    }
    if let Err(e) = result {
        send(ReadEvent::Failed(e));
    }
}
