//! One CSV record of a detected format → a metric row, or a rejection naming the line, the column and the reason.
//!
//! Every format goes through this one function: the format table says which column holds which field, and each
//! field is interpreted the same way whatever the export.

use csv::ByteRecord;

use crate::formats::{ColumnMap, Field, FormatSpec, Identity};
use crate::native::{native_key, rednote_identity, NativeKey};
use crate::reader::field;
use crate::values::{
    parse_count, parse_day, parse_decimal, parse_duration_seconds, parse_hours_as_seconds,
    parse_signed, show,
};
use crate::RowError;
use creatoros_ids::Platform;
use creatoros_ids::{Day, ItemId};

/// The numbers of one row (all optional: exports leave cells empty).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Counts {
    /// Impressions.
    pub impressions: Option<u64>,
    /// Likes.
    pub likes: Option<u64>,
    /// Comments.
    pub comments: Option<u64>,
    /// Shares.
    pub shares: Option<u64>,
    /// Saves.
    pub saves: Option<u64>,
    /// Clicks.
    pub clicks: Option<u64>,
    /// Views.
    pub views: Option<u64>,
    /// Watch time, seconds.
    pub watch_time_seconds: Option<f64>,
    /// Net followers gained.
    pub followers_gained: Option<i64>,
}

/// Which post a row is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostRef {
    /// The app's own id (canonical CSV).
    App(ItemId),
    /// The platform's identity; `derived` is the id used when no planned post claims it.
    Native {
        /// Normalised native key, for linking to a variant.
        key: NativeKey,
        /// Deterministic id for an unplanned post.
        derived: ItemId,
    },
}

/// A valid row, ready to become a metric once its post is resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricRow {
    /// Physical line (1-based).
    pub line: u64,
    /// Platform.
    pub platform: Platform,
    /// The post.
    pub post: PostRef,
    /// Snapshot day (publish day for native exports).
    pub date: Day,
    /// The numbers.
    pub counts: Counts,
}

impl PostRef {
    /// The id used when no planned post claims the row.
    pub fn default_id(&self) -> &ItemId {
        match self {
            PostRef::App(id) => id,
            PostRef::Native { derived, .. } => derived,
        }
    }
}

/// A rejected row: where and why, and its cells for the rejects file.
#[derive(Debug, Clone, PartialEq)]
pub struct RejectedRow {
    /// Located reason.
    pub error: RowError,
    /// The row's cells as read (invalid UTF-8 replaced).
    pub cells: Vec<String>,
}

/// The cells a rejected row keeps for the rejects file: all of them up to one more than the header has, then a
/// note of how many were dropped. A row of millions of empty fields (a few MiB of `,`) must not become millions of
/// strings held until the chunk is written.
fn kept_cells(record: &ByteRecord, header_len: usize) -> Vec<String> {
    let keep = record.len().min(header_len + 1);
    let mut cells: Vec<String> = (0..keep)
        .map(|i| String::from_utf8_lossy(field(record, i).unwrap_or_default()).into_owned())
        .collect();
    if record.len() > keep {
        cells.push(format!("… {} more fields not kept", record.len() - keep));
    }
    cells
}

/// What one record became.
#[derive(Debug, Clone, PartialEq)]
pub enum RowOutcome {
    /// A valid row.
    Metric(MetricRow),
    /// A row refused.
    Rejected(RejectedRow),
    /// A blank or summary row, not data.
    Skipped,
}

/// Builds the row for `record` read at physical `line`.
pub fn build_row(
    spec: &FormatSpec,
    columns: &ColumnMap,
    header: &[String],
    record: &ByteRecord,
    line: u64,
) -> RowOutcome {
    if record.iter().all(|c| c.iter().all(u8::is_ascii_whitespace)) {
        return RowOutcome::Skipped;
    }
    if !spec.summary_rows.is_empty() {
        let first = String::from_utf8_lossy(field(record, 0).unwrap_or_default());
        if spec
            .summary_rows
            .contains(&first.trim().to_lowercase().as_str())
        {
            return RowOutcome::Skipped;
        }
    }
    let reject = |column: Option<usize>, reason: String| {
        RowOutcome::Rejected(RejectedRow {
            error: RowError {
                line,
                column: column.map(|i| {
                    header
                        .get(i)
                        .map_or_else(|| format!("column {}", i + 1), |h| h.trim().to_owned())
                }),
                reason,
            },
            cells: kept_cells(record, header.len()),
        })
    };
    if record.len() != header.len() {
        return reject(
            None,
            format!(
                "row has {} fields but the header has {}",
                record.len(),
                header.len()
            ),
        );
    }
    if let Some(i) = (0..record.len())
        .find(|i| std::str::from_utf8(field(record, *i).unwrap_or_default()).is_err())
    {
        return reject(
            Some(i),
            "is not valid UTF-8 text (save the file as UTF-8)".to_owned(),
        );
    }
    let cell = |wanted: Field| -> Option<(usize, &str)> {
        let i = columns.get(wanted)?;
        Some((
            i,
            std::str::from_utf8(field(record, i)?).expect("checked above"),
        ))
    };
    match row(spec, &cell, line) {
        Ok(row) => RowOutcome::Metric(row),
        Err((column, reason)) => reject(column, reason),
    }
}

type Located = (Option<usize>, String);

fn row<'a>(
    spec: &FormatSpec,
    cell: &dyn Fn(Field) -> Option<(usize, &'a str)>,
    line: u64,
) -> Result<MetricRow, Located> {
    let required = |field: Field, what: &str| -> Result<(usize, &'a str), Located> {
        match cell(field) {
            Some((i, v)) if !v.trim().is_empty() => Ok((i, v)),
            Some((i, _)) => Err((Some(i), format!("{what} is empty"))),
            None => Err((None, format!("{what} column missing"))),
        }
    };
    let platform = match spec.platform {
        Some(p) => p,
        None => {
            let (i, v) = required(Field::Platform, "platform")?;
            // Most files already write the stored form; only the others pay for lower-casing.
            v.trim()
                .parse::<Platform>()
                .or_else(|_| v.trim().to_lowercase().parse::<Platform>())
                .map_err(|e| (Some(i), e.to_string()))?
        }
    };
    // Native exports give a post's totals against its publish day; the canonical CSV states the snapshot day.
    let date_what = if spec.identity == Identity::PostIdColumn {
        "date"
    } else {
        "publish date"
    };
    let (date_col, date_text) = required(Field::Date, date_what)?;
    let date = parse_day(date_text)
        .map_err(|e| (Some(date_col), e))?
        .ok_or((Some(date_col), format!("{date_what} is empty")))?;
    let post = match spec.identity {
        Identity::PostIdColumn => {
            let (i, v) = required(Field::PostId, "post id")?;
            PostRef::App(ItemId::parse(v.trim()).map_err(|e| (Some(i), e.to_string()))?)
        }
        Identity::NativeId | Identity::Link => {
            let field = if spec.identity == Identity::NativeId {
                Field::NativeId
            } else {
                Field::Link
            };
            let (i, v) = required(field, "post id")?;
            let key = native_key(platform, v).ok_or_else(|| {
                (
                    Some(i),
                    format!(
                        "{} is not a valid {platform} post id or link",
                        show(v.trim())
                    ),
                )
            })?;
            PostRef::Native {
                derived: key.derived_post_id(),
                key,
            }
        }
        Identity::TitleAndTime => {
            let (i, title) = required(Field::Title, "title")?;
            let kind = cell(Field::Kind).map_or("", |(_, k)| k);
            let (key, derived) = rednote_identity(title, date_text, kind).ok_or((
                Some(i),
                "title or publish time unusable as an id".to_owned(),
            ))?;
            PostRef::Native { key, derived }
        }
    };
    let count = |field: Field| -> Result<Option<u64>, Located> {
        match cell(field) {
            Some((i, v)) => parse_count(v).map_err(|e| (Some(i), e)),
            None => Ok(None),
        }
    };
    let mut counts = Counts {
        impressions: count(Field::Impressions)?,
        likes: count(Field::Likes)?,
        comments: count(Field::Comments)?,
        shares: count(Field::Shares)?,
        saves: count(Field::Saves)?,
        clicks: count(Field::Clicks)?,
        views: count(Field::Views)?,
        watch_time_seconds: None,
        followers_gained: match cell(Field::FollowersGained) {
            Some((i, v)) => parse_signed(v).map_err(|e| (Some(i), e))?,
            None => None,
        },
    };
    if let Some((i, v)) = cell(Field::WatchTimeSeconds) {
        counts.watch_time_seconds = parse_duration_seconds(v).map_err(|e| (Some(i), e))?;
    }
    if let Some((i, v)) = cell(Field::WatchTimeHours) {
        counts.watch_time_seconds = parse_hours_as_seconds(v).map_err(|e| (Some(i), e))?;
    }
    if let Some((i, v)) = cell(Field::AverageWatchSeconds) {
        let per_view =
            parse_decimal(v.trim().trim_end_matches(['秒', 's'])).map_err(|e| (Some(i), e))?;
        if let (Some(avg), Some(views)) = (per_view, counts.views) {
            if avg < 0.0 {
                return Err((
                    Some(i),
                    format!("{} is a negative duration", show(v.trim())),
                ));
            }
            // Rednote gives the average per view; the total is what the contract stores.
            let total = (avg * views as f64 * 1000.0).round() / 1000.0;
            if !total.is_finite() {
                return Err((Some(i), format!("{} is too large", show(v.trim()))));
            }
            counts.watch_time_seconds = Some(total);
        }
    }
    Ok(MetricRow {
        line,
        platform,
        post,
        date,
        counts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rejected_row_keeps_a_bounded_number_of_cells() {
        let record = ByteRecord::from(vec!["a"; 100_000]);
        let cells = kept_cells(&record, 5);
        assert_eq!(cells.len(), 7, "header + 1 cells, then the note");
        assert_eq!(cells[6], "… 99994 more fields not kept");
        let short = ByteRecord::from(vec!["x", "y"]);
        assert_eq!(kept_cells(&short, 5), vec!["x", "y"]);
    }
}
