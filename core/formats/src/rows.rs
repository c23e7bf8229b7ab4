//! One record of a detected tabular format → a snapshot of a post, a daily value, a note, or a rejection naming
//! the line, the column and the reason.
//!
//! Every tabular format goes through [`build_row`]: the format table says which column holds which field, the
//! part's [`PartContext`] says what day the numbers are as of and how dates are written, and each field is
//! interpreted the same way whatever the export.

use csv::ByteRecord;

use creatoros_ids::{Day, ItemId, Platform};

use crate::dates::{parse_day, parse_timestamp, DateRules, DayOrderEvidence, Timestamp};
use crate::formats::{normalise_header, ColumnMap, Field, FormatSpec, Identity, Measure, Rows};
use crate::native::{native_key, rednote_identity, NativeKey};
use crate::reader::field;
use crate::values::{
    clean_title, parse_count, parse_duration_seconds, parse_hours_as_seconds, parse_rate,
    parse_signed, show,
};
use crate::RowError;

/// The numbers of one row (all optional: exports leave cells empty). Counts are signed: totals over a period
/// and daily values can subtract removals; totals to date cannot (the row builder refuses them).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Counts {
    /// Impressions.
    pub impressions: Option<i64>,
    /// Likes.
    pub likes: Option<i64>,
    /// Comments.
    pub comments: Option<i64>,
    /// Shares.
    pub shares: Option<i64>,
    /// Saves.
    pub saves: Option<i64>,
    /// Clicks.
    pub clicks: Option<i64>,
    /// Views.
    pub views: Option<i64>,
    /// Watch time, seconds.
    pub watch_time_seconds: Option<f64>,
    /// Net followers gained (new followers, in account series).
    pub followers_gained: Option<i64>,
    /// Followers lost (account series).
    pub followers_lost: Option<i64>,
    /// Total followers (account series).
    pub followers: Option<i64>,
    /// Engagements as the platform counts them (account series).
    pub engagements: Option<i64>,
    /// Profile visits (account series).
    pub profile_visits: Option<i64>,
    /// Posts published (account series).
    pub posts_published: Option<i64>,
    /// Thumbnail or cover click-through rate, 0..=1.
    pub click_through_rate: Option<f64>,
}

impl Counts {
    /// True when no number is present.
    pub fn is_empty(&self) -> bool {
        *self == Counts::default()
    }
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

impl PostRef {
    /// The id used when no planned post claims the row.
    pub fn default_id(&self) -> &ItemId {
        match self {
            PostRef::App(id) => id,
            PostRef::Native { derived, .. } => derived,
        }
    }
}

/// What a snapshot's numbers measure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Measured {
    /// Totals to date (as of the snapshot day).
    Lifetime,
    /// Totals over a period ending on the snapshot day; its start, when the export says.
    Period {
        /// First day of the period, if known.
        start: Option<Day>,
        /// Last day (the snapshot day).
        end: Day,
    },
}

/// A post's numbers on one platform as of one day.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricRow {
    /// Physical line (1-based), or the sheet row.
    pub line: u64,
    /// Platform.
    pub platform: Platform,
    /// The post.
    pub post: PostRef,
    /// The day the numbers are as of.
    pub date: Day,
    /// What they measure.
    pub measured: Measured,
    /// When the post was published, as precisely as the export says.
    pub published_at: Option<Timestamp>,
    /// The post's title or first words.
    pub title: Option<String>,
    /// The numbers.
    pub counts: Counts,
}

/// One day's values of an account (or of one post) on one platform.
#[derive(Debug, Clone, PartialEq)]
pub struct DailyRow {
    /// Physical line (1-based), or the sheet row.
    pub line: u64,
    /// Platform.
    pub platform: Platform,
    /// The post, or `None` for the whole account.
    pub post: Option<PostRef>,
    /// The day.
    pub day: Day,
    /// When the post was published (post series).
    pub published_at: Option<Timestamp>,
    /// The post's title (post series).
    pub title: Option<String>,
    /// The day's values.
    pub counts: Counts,
}

/// A rejected row: where and why, and its cells for the rejects file.
#[derive(Debug, Clone, PartialEq)]
pub struct RejectedRow {
    /// Located reason.
    pub error: RowError,
    /// The row's cells as read (invalid UTF-8 replaced).
    pub cells: Vec<String>,
}

/// What one record became.
#[derive(Debug, Clone, PartialEq)]
pub enum RowOutcome {
    /// A snapshot of a post.
    Metric(MetricRow),
    /// A daily value.
    Daily(DailyRow),
    /// A row refused.
    Rejected(RejectedRow),
    /// Not data, but something the import should say (a table cut short by its exporter).
    Note(String),
    /// A blank or summary row.
    Skipped,
}

/// What the rows of one part (a file, a sheet, a zip entry) are read against.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PartContext {
    /// The part's name in located errors (`None` for a plain file).
    pub part: Option<String>,
    /// How its dates are written, and the latest plausible day.
    pub dates: DateRules,
    /// The day snapshot rows without a date of their own are as of: the end of the period the export covers,
    /// else the upload day.
    pub snapshot: Day,
    /// The first day of that period, when known.
    pub period_start: Option<Day>,
}

/// Adds what `record`'s date cells say about the file's day order to `evidence`.
pub fn observe_dates(evidence: &mut DayOrderEvidence, columns: &ColumnMap, record: &ByteRecord) {
    for wanted in [Field::Date, Field::PublishedAt] {
        if let Some(text) = columns
            .get(wanted)
            .and_then(|i| field(record, i))
            .and_then(|c| std::str::from_utf8(c).ok())
        {
            evidence.observe(text);
        }
    }
}

/// Excel's error values: a cell showing one held a formula that did not compute (or an id Excel took for one).
const SPREADSHEET_ERRORS: [&str; 10] = [
    "#NAME?", "#DIV/0!", "#REF!", "#VALUE!", "#N/A", "#NUM!", "#NULL!", "#SPILL!", "#CALC!",
    "#FIELD!",
];

/// True when `cell` is a spreadsheet error value.
pub fn is_spreadsheet_error(cell: &str) -> bool {
    let cell = cell.trim();
    cell.starts_with('#') && SPREADSHEET_ERRORS.contains(&cell)
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

/// The note a truncated table ends with: one cell, mentioning the cut (`Showing top 500 results`,
/// `Die 500 besten Ergebnisse werden angezeigt`, `Mostrando los 500 resultados principales`, …). Told apart from
/// data by its shape, whatever the UI language: data rows have more than one cell filled.
fn truncation_note(spec: &FormatSpec, record: &ByteRecord) -> Option<String> {
    let limit = spec.truncates_at?;
    let filled: Vec<&[u8]> = (0..record.len())
        .filter_map(|i| field(record, i))
        .filter(|c| !c.iter().all(u8::is_ascii_whitespace))
        .collect();
    let [only] = filled.as_slice() else {
        return None;
    };
    let text = String::from_utf8_lossy(only);
    let mentions_limit = text
        .split(|c: char| !c.is_ascii_digit())
        .any(|n| n == limit.to_string());
    (mentions_limit && text.split_whitespace().count() >= 3).then(|| {
        format!(
            "this export was truncated at {limit} rows (its last line says {:?})",
            text.replace('\u{ad}', "")
        )
    })
}

/// Builds the row for `record` read at physical `line`.
pub fn build_row(
    spec: &FormatSpec,
    columns: &ColumnMap,
    header: &[String],
    record: &ByteRecord,
    line: u64,
    ctx: &PartContext,
) -> RowOutcome {
    if record.iter().all(|c| c.iter().all(u8::is_ascii_whitespace)) {
        return RowOutcome::Skipped;
    }
    if !spec.summary_rows.is_empty() {
        let first = String::from_utf8_lossy(field(record, 0).unwrap_or_default());
        if spec
            .summary_rows
            .contains(&normalise_header(&first).as_str())
        {
            return RowOutcome::Skipped;
        }
    }
    if let Some(note) = truncation_note(spec, record) {
        return RowOutcome::Note(note);
    }
    let reject = |column: Option<usize>, reason: String| {
        RowOutcome::Rejected(RejectedRow {
            error: RowError {
                part: ctx.part.clone(),
                line,
                column: column.map(|i| {
                    header.get(i).map_or_else(
                        || format!("column {}", i + 1),
                        |h| h.replace('\u{ad}', "").trim().to_owned(),
                    )
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
    if let Some((i, v)) = columns
        .iter()
        .filter_map(|(f, _)| cell(f))
        .find(|(_, v)| is_spreadsheet_error(v))
    {
        let what = if matches!(spec.identity, Identity::NativeId | Identity::Link)
            && Some(i) == columns.get(Field::NativeId).or(columns.get(Field::Link))
        {
            "a spreadsheet error where the post id should be: the file was opened and saved in a spreadsheet \
             app, which takes ids starting with - or = for formulas; upload the export as downloaded"
        } else {
            "a spreadsheet error, not a value (a formula that did not compute)"
        };
        return reject(Some(i), format!("{} is {what}", show(v.trim())));
    }
    match row(spec, &cell, line, ctx) {
        Ok(outcome) => outcome,
        Err((column, reason)) => reject(column, reason),
    }
}

type Located = (Option<usize>, String);

fn row<'a>(
    spec: &FormatSpec,
    cell: &dyn Fn(Field) -> Option<(usize, &'a str)>,
    line: u64,
    ctx: &PartContext,
) -> Result<RowOutcome, Located> {
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
    let dates: &DateRules = &ctx.dates;
    let published_at = match cell(Field::PublishedAt) {
        Some((i, v)) => parse_timestamp(v, dates).map_err(|e| (Some(i), e))?,
        None => None,
    };
    let title = cell(Field::Title).and_then(|(_, t)| clean_title(t));
    let post = match spec.identity {
        Identity::Account => None,
        Identity::PostIdColumn => {
            let (i, v) = required(Field::PostId, "post id")?;
            Some(PostRef::App(
                ItemId::parse(v.trim()).map_err(|e| (Some(i), e.to_string()))?,
            ))
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
            Some(PostRef::Native {
                derived: key.derived_post_id(),
                key,
            })
        }
        Identity::TitleAndTime => {
            let (i, _) = required(Field::PublishedAt, "first publish time")?;
            let at = published_at
                .as_ref()
                .ok_or((Some(i), "first publish time is empty".to_owned()))?;
            let raw_title = cell(Field::Title).map_or("", |(_, t)| t);
            let kind = cell(Field::Kind).map_or("", |(_, k)| k);
            let (key, derived) = rednote_identity(raw_title, at, kind);
            Some(PostRef::Native { key, derived })
        }
    };
    let day_of_row = match cell(Field::Date) {
        Some((i, v)) => Some(
            parse_day(v, dates)
                .map_err(|e| (Some(i), e))?
                .ok_or((Some(i), "date is empty".to_owned()))?,
        ),
        None => None,
    };
    let signed = match spec.rows {
        Rows::Snapshots(Measure::Lifetime) => false,
        Rows::Snapshots(Measure::Period) | Rows::Daily => true,
    };
    let counts = counts(cell, signed)?;
    match spec.rows {
        Rows::Daily => Ok(RowOutcome::Daily(DailyRow {
            line,
            platform,
            post,
            day: day_of_row.ok_or((None, "date column missing".to_owned()))?,
            published_at,
            title,
            counts,
        })),
        Rows::Snapshots(measure) => {
            let date = day_of_row.unwrap_or_else(|| ctx.snapshot.clone());
            let measured = match measure {
                Measure::Lifetime => Measured::Lifetime,
                Measure::Period => Measured::Period {
                    start: ctx.period_start.clone(),
                    end: date.clone(),
                },
            };
            Ok(RowOutcome::Metric(MetricRow {
                line,
                platform,
                post: post.expect("snapshot formats name their post"),
                date,
                measured,
                published_at,
                title,
                counts,
            }))
        }
    }
}

/// Every number of a row; `signed` when the numbers may be negative (period totals, daily values).
fn counts<'a>(
    cell: &dyn Fn(Field) -> Option<(usize, &'a str)>,
    signed: bool,
) -> Result<Counts, Located> {
    let count = |field: Field| -> Result<Option<i64>, Located> {
        let Some((i, v)) = cell(field) else {
            return Ok(None);
        };
        if signed {
            parse_signed(v).map_err(|e| (Some(i), e))
        } else {
            // A count of at most 9e15 always fits.
            parse_count(v)
                .map(|c| c.map(|c| c as i64))
                .map_err(|e| (Some(i), e))
        }
    };
    let signed_value = |field: Field| -> Result<Option<i64>, Located> {
        match cell(field) {
            Some((i, v)) => parse_signed(v).map_err(|e| (Some(i), e)),
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
        followers_gained: signed_value(Field::FollowersGained)?,
        followers_lost: count(Field::FollowersLost)?,
        followers: count(Field::Followers)?,
        engagements: count(Field::Engagements)?,
        profile_visits: count(Field::ProfileVisits)?,
        posts_published: count(Field::PostsPublished)?,
        click_through_rate: None,
    };
    if let Some((i, v)) = cell(Field::WatchTimeSeconds) {
        counts.watch_time_seconds = parse_duration_seconds(v).map_err(|e| (Some(i), e))?;
    }
    if let Some((i, v)) = cell(Field::WatchTimeHours) {
        counts.watch_time_seconds = parse_hours_as_seconds(v).map_err(|e| (Some(i), e))?;
    }
    if let Some((i, v)) = cell(Field::ClickThroughPercent) {
        counts.click_through_rate = parse_rate(v, true).map_err(|e| (Some(i), e))?;
    }
    if let Some((i, v)) = cell(Field::ClickThroughRate) {
        counts.click_through_rate = parse_rate(v, false).map_err(|e| (Some(i), e))?;
    }
    if let Some((i, v)) = cell(Field::AverageWatchSeconds) {
        let per_view = parse_duration_seconds(v).map_err(|e| (Some(i), e))?;
        if let (Some(avg), Some(views)) = (per_view, counts.views) {
            // Rednote gives the average per view; the total is what the contract stores.
            let total = (avg * views as f64 * 1000.0).round() / 1000.0;
            if !total.is_finite() {
                return Err((Some(i), format!("{} is too large", show(v.trim()))));
            }
            counts.watch_time_seconds = Some(total);
        }
    }
    Ok(counts)
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

    #[test]
    fn truncation_trailers_in_any_language_become_a_note() {
        let spec = &crate::formats::YOUTUBE_STUDIO;
        for trailer in [
            "Showing top 500 results",
            "Die 500 be\u{ad}sten Er\u{ad}geb\u{ad}nis\u{ad}se wer\u{ad}den an\u{ad}ge\u{ad}zeigt",
            "Mostrando los 500 resultados principales",
        ] {
            let note = truncation_note(spec, &ByteRecord::from(vec![trailer])).unwrap();
            assert!(
                note.starts_with("this export was truncated at 500 rows"),
                "{note}"
            );
            assert!(!note.contains('\u{ad}'));
        }
        assert_eq!(
            truncation_note(spec, &ByteRecord::from(vec!["abcdefgh500", "", ""])),
            None,
            "an id is not a note"
        );
        assert_eq!(
            truncation_note(spec, &ByteRecord::from(vec!["x", "500 views", ""])),
            None
        );
    }
}
