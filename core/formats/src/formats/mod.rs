//! The supported tabular export formats, each a small table of header aliases (one file per platform), and
//! their detection from a header row.
//!
//! Adding a format (or a language of an existing one) means adding aliases here, not writing a parser: the reader
//! maps columns to [`Field`]s and the row builder interprets fields the same way for every format. Exports that
//! are not one table (LinkedIn's creator workbook, its single-post export) have readers of their own in
//! [`crate::workbook`]. Sources of every header are listed in `core/formats/FORMATS.md`.

use creatoros_ids::Platform;

use crate::dates::DayOrder;

/// What a column means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// The app's post id (canonical format).
    PostId,
    /// Platform name (canonical format).
    Platform,
    /// The day a row is about: the snapshot day (canonical) or the day of a daily value.
    Date,
    /// Post title or text.
    Title,
    /// When the post was published.
    PublishedAt,
    /// The platform's own post id (tweet id, video id).
    NativeId,
    /// Link or URN of the published post.
    Link,
    /// Post type (Rednote 体裁: image note or video), part of Rednote identities.
    Kind,
    /// Impressions.
    Impressions,
    /// Likes or reactions.
    Likes,
    /// Comments or replies.
    Comments,
    /// Shares, reposts, retweets.
    Shares,
    /// Saves, bookmarks.
    Saves,
    /// Link clicks.
    Clicks,
    /// Video or note views.
    Views,
    /// Watch time in seconds.
    WatchTimeSeconds,
    /// Watch time in hours (YouTube).
    WatchTimeHours,
    /// Average watch time per view, in seconds (Rednote); multiplied by views.
    AverageWatchSeconds,
    /// Net followers gained (or new followers, in account series).
    FollowersGained,
    /// Followers lost (account series).
    FollowersLost,
    /// Total followers (account series).
    Followers,
    /// Engagements of every kind, as the platform counts them (account series).
    Engagements,
    /// Profile visits (account series).
    ProfileVisits,
    /// Posts published that day (account series).
    PostsPublished,
    /// Thumbnail or cover click-through rate, written as a percentage (`3.51` is 3.51%).
    ClickThroughPercent,
    /// Thumbnail or cover click-through rate, written as a fraction (`0.221`) or with `%`.
    ClickThroughRate,
}

/// How a row names its post.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identity {
    /// A `post_id` column holds the app's id.
    PostIdColumn,
    /// A native id column (tweet id, video id).
    NativeId,
    /// A link or URN column (LinkedIn).
    Link,
    /// Only title and publish time (Rednote).
    TitleAndTime,
    /// Rows are about the whole account, not a post.
    Account,
}

/// What an export's numbers measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// Each post's totals to date.
    Lifetime,
    /// Each post's totals over the period the export covers (may be negative where removals are subtracted).
    Period,
}

/// What a format's rows are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rows {
    /// One snapshot of a post's numbers per row.
    Snapshots(Measure),
    /// One day's values per row, of the account or (with a post identity) of one post.
    Daily,
}

/// A column: the field and the header names that mean it, in order of preference.
#[derive(Debug, Clone, Copy)]
pub struct ColumnSpec {
    /// What the column means.
    pub field: Field,
    /// Header names (compared after [`normalise_header`]); the first present wins.
    pub aliases: &'static [&'static str],
}

/// One export format.
#[derive(Debug)]
pub struct FormatSpec {
    /// Stable name, stored on import records and metric `source`.
    pub name: &'static str,
    /// For people: where the file comes from.
    pub description: &'static str,
    /// The platform of every row; `None` when a column says (canonical).
    pub platform: Option<Platform>,
    /// The columns read.
    pub columns: &'static [ColumnSpec],
    /// Fields whose presence identifies the format (all of them).
    pub signature: &'static [Field],
    /// Of these, at least one must be present too (empty: no such condition).
    pub signature_any: &'static [Field],
    /// Fields whose presence means another format (a Table data header never has a `Date` column).
    pub excludes: &'static [Field],
    /// Fields a row cannot do without (the header must have them).
    pub required: &'static [Field],
    /// How a row names its post.
    pub identity: Identity,
    /// What the rows are.
    pub rows: Rows,
    /// Rows whose first cell is one of these (after [`normalise_header`]) are summaries, skipped.
    pub summary_rows: &'static [&'static str],
    /// The exporter cuts its tables at this many rows and ends them with a one-cell note (YouTube: 500).
    pub truncates_at: Option<u32>,
    /// How the exporter writes year-last numeric dates when the file's own values do not tell.
    pub day_order: Option<DayOrder>,
}

mod canonical;
mod linkedin;
mod rednote;
mod x;
mod youtube;

pub use canonical::CANONICAL;
pub use linkedin::{LINKEDIN_PAGE_METRICS, LINKEDIN_POSTS};
pub use rednote::REDNOTE_NOTES;
pub use x::{X_ACCOUNT_OVERVIEW, X_CONTENT, X_DAILY_ACTIVITY, X_TWEET_ACTIVITY};
pub use youtube::{YOUTUBE_CHART, YOUTUBE_STUDIO, YOUTUBE_TOTALS};

const fn col(field: Field, aliases: &'static [&'static str]) -> ColumnSpec {
    ColumnSpec { field, aliases }
}

/// Every tabular format, canonical first.
pub static FORMATS: [&FormatSpec; 11] = [
    &CANONICAL,
    &X_TWEET_ACTIVITY,
    &X_CONTENT,
    &X_ACCOUNT_OVERVIEW,
    &X_DAILY_ACTIVITY,
    &LINKEDIN_POSTS,
    &LINKEDIN_PAGE_METRICS,
    &YOUTUBE_STUDIO,
    &YOUTUBE_CHART,
    &YOUTUBE_TOTALS,
    &REDNOTE_NOTES,
];

/// Looks a format up by name (as stored in checkpoints).
pub fn format_by_name(name: &str) -> Option<&'static FormatSpec> {
    FORMATS.iter().copied().find(|f| f.name == name)
}

/// Header cell as compared with aliases: BOM, soft hyphens and zero-width characters removed, full-width
/// parentheses as ASCII, trimmed, lower-cased, inner whitespace collapsed.
pub fn normalise_header(cell: &str) -> String {
    let cleaned: String = cell
        .chars()
        .filter(|c| {
            !matches!(
                c,
                '\u{feff}' | '\u{ad}' | '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{2060}'
            )
        })
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            other => other,
        })
        .collect();
    cleaned
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// How many fields there are (the last variant of [`Field`] plus one).
const FIELDS: usize = Field::ClickThroughRate as usize + 1;

/// Where each field of a format sits in a header.
#[derive(Debug, Clone)]
pub struct ColumnMap {
    positions: Vec<(Field, usize)>,
    /// The same, by field: every row asks for every field.
    by_field: [Option<usize>; FIELDS],
}

impl ColumnMap {
    fn new(positions: Vec<(Field, usize)>) -> Self {
        let mut by_field = [None; FIELDS];
        for (field, i) in &positions {
            by_field[*field as usize] = Some(*i);
        }
        Self {
            positions,
            by_field,
        }
    }

    /// The column index of `field`, if the header has it.
    pub fn get(&self, field: Field) -> Option<usize> {
        self.by_field[field as usize]
    }

    /// Every mapped field with its column.
    pub fn iter(&self) -> impl Iterator<Item = (Field, usize)> + '_ {
        self.positions.iter().copied()
    }
}

/// Why a header row cannot be used with a format it resembles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderProblem {
    /// A column the format needs is absent.
    Missing(&'static str, Field),
    /// One header name appears in two columns.
    Duplicate {
        /// The header text.
        name: String,
        /// 1-based column numbers.
        first: usize,
        /// 1-based column numbers.
        second: usize,
    },
}

impl std::fmt::Display for HeaderProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HeaderProblem::Missing(format, field) => {
                write!(
                    f,
                    "{format} header is missing the required {field:?} column"
                )
            }
            HeaderProblem::Duplicate {
                name,
                first,
                second,
            } => write!(
                f,
                "column {name:?} appears twice (columns {first} and {second})"
            ),
        }
    }
}

impl FormatSpec {
    /// True when the format's snapshots take their day from the export as a whole (its period, its upload),
    /// not from a column of their own.
    pub fn dated_by_export(&self) -> bool {
        matches!(self.rows, Rows::Snapshots(_))
            && self.columns.iter().all(|c| c.field != Field::Date)
    }

    /// Maps `header` for this format: `None` when the header does not look like this format at all, an error
    /// when it does but cannot be used.
    pub fn map_header(&self, header: &[String]) -> Option<Result<ColumnMap, HeaderProblem>> {
        let names: Vec<String> = header.iter().map(|h| normalise_header(h)).collect();
        let mut positions = Vec::new();
        for spec in self.columns {
            let found = spec
                .aliases
                .iter()
                .find_map(|alias| names.iter().position(|n| n == alias));
            if let Some(i) = found {
                // A column means one thing: an alias listed twice (or a header shared by two fields) is kept by
                // the first field that claims it.
                if positions.iter().all(|(_, j)| *j != i) {
                    positions.push((spec.field, i));
                }
            }
        }
        let map = ColumnMap::new(positions);
        if !self.signature.iter().all(|f| map.get(*f).is_some())
            || (!self.signature_any.is_empty()
                && !self.signature_any.iter().any(|f| map.get(*f).is_some()))
            || self.excludes.iter().any(|f| other_format_has(*f, &names))
        {
            return None;
        }
        for (_, i) in map.iter() {
            if let Some(j) = names.iter().skip(i + 1).position(|n| *n == names[i]) {
                return Some(Err(HeaderProblem::Duplicate {
                    name: header[i].trim().to_owned(),
                    first: i + 1,
                    second: i + j + 2,
                }));
            }
        }
        if let Some(missing) = self.required.iter().find(|f| map.get(**f).is_none()) {
            return Some(Err(HeaderProblem::Missing(self.name, *missing)));
        }
        Some(Ok(map))
    }
}

/// True when some format's alias for `field` is among `names` (an excluded field counts whichever format would
/// name it).
fn other_format_has(field: Field, names: &[String]) -> bool {
    FORMATS.iter().any(|spec| {
        spec.columns
            .iter()
            .filter(|c| c.field == field)
            .any(|c| c.aliases.iter().any(|a| names.iter().any(|n| n == a)))
    })
}

/// The format a header row belongs to: the recognised format that maps the most columns.
pub fn detect(
    header: &[String],
) -> Option<(&'static FormatSpec, Result<ColumnMap, HeaderProblem>)> {
    FORMATS
        .iter()
        .filter_map(|spec| spec.map_header(header).map(|m| (*spec, m)))
        .max_by_key(|(spec, m)| match m {
            Ok(map) => (1, map.iter().count(), std::cmp::Reverse(spec.name)),
            Err(_) => (0, 0, std::cmp::Reverse(spec.name)),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(line: &str) -> Vec<String> {
        line.split(',')
            .map(|c| c.trim_matches('"').to_owned())
            .collect()
    }

    #[test]
    fn every_format_detects_its_own_header() {
        let cases = [
            ("post_id,platform,date,impressions", "canonical"),
            ("\"Tweet id\",\"Tweet permalink\",\"Tweet text\",\"time\",\"impressions\"", "x-tweet-activity"),
            ("Post id,Date,Post text,Post Link,Impressions,Likes,Engagements,Bookmarks", "x-content"),
            ("Post id,Date,Post text,Link,Impressions,Likes,Engagements,Bookmarks,Share,New follows", "x-content"),
            ("Date,Impressions,Likes,Engagements,Bookmarks,Shares,New follows,Unfollows,Replies,Reposts,Profile visits,Create Post,Video views,Media views", "x-account-overview"),
            ("\"Date\",\"Tweets published\",\"impressions\",\"engagements\",\"engagement rate\",\"retweets\"", "x-daily-activity"),
            ("Post title,Post link,Post type,Created date,Impressions,Views,Clicks,Likes,Comments,Reposts,Follows", "linkedin-posts"),
            ("Update title,Update link,Update type,Created date,Impressions,Clicks,Likes,Comments,Shares,Follows", "linkedin-posts"),
            ("Date,Impressions (organic),Impressions (sponsored),Impressions (total),Clicks (total),Reactions (total)", "linkedin-page-metrics"),
            ("Content,Video title,Video publish time,Duration,Likes,Views,Watch time (hours),Subscribers", "youtube-studio"),
            ("Date,Content,Video title,Video publish time,Duration,Views", "youtube-chart"),
            ("Date,Views", "youtube-totals"),
            ("笔记标题,首次发布时间,体裁,曝光,观看量,封面点击率,点赞,评论,收藏,涨粉,分享", "rednote-notes"),
        ];
        for (line, name) in cases {
            let (spec, map) =
                detect(&header(line)).unwrap_or_else(|| panic!("{name} not detected"));
            assert_eq!(spec.name, name, "{line}");
            assert!(map.is_ok(), "{name}: {:?}", map.err());
        }
    }

    #[test]
    fn chart_data_is_never_taken_for_table_data() {
        let h = header("Date,Content,Video title,Video publish time,Duration,Views");
        assert!(YOUTUBE_STUDIO.map_header(&h).is_none());
        let de = header("Da\u{ad}tum,Vi\u{ad}deo,Vi\u{ad}deo\u{ad}ti\u{ad}tel,Auf\u{ad}ru\u{ad}fe");
        assert_eq!(detect(&de).unwrap().0.name, "youtube-chart");
    }

    #[test]
    fn header_cells_compare_without_bom_case_soft_hyphens_or_extra_spaces() {
        assert_eq!(normalise_header("\u{feff} Post  ID "), "post id");
        assert_eq!(normalise_header("Auf\u{ad}ru\u{ad}fe"), "aufrufe");
        assert_eq!(
            normalise_header("総再生時間（単位: 時間）"),
            "総再生時間(単位: 時間)"
        );
        let (spec, _) = detect(&header("\u{feff}POST_ID,Platform,DATE")).unwrap();
        assert_eq!(spec.name, "canonical");
    }

    #[test]
    fn a_header_missing_a_required_column_says_which() {
        let (spec, map) = detect(&header("post_id,platform,impressions")).unwrap();
        assert_eq!(spec.name, "canonical");
        assert_eq!(
            map.unwrap_err().to_string(),
            "canonical header is missing the required Date column"
        );
    }

    #[test]
    fn a_duplicated_mapped_column_is_refused_with_both_positions() {
        let (_, map) = detect(&header("post_id,platform,date,likes,likes")).unwrap();
        assert_eq!(
            map.unwrap_err().to_string(),
            "column \"likes\" appears twice (columns 4 and 5)"
        );
    }

    #[test]
    fn aliases_prefer_the_first_listed() {
        let h = header("Content,Video title,Video publish time,Subscribers,Subscribers gained");
        let (spec, map) = detect(&h).unwrap();
        assert_eq!(spec.name, "youtube-studio");
        assert_eq!(map.unwrap().get(Field::FollowersGained), Some(4));
    }

    #[test]
    fn unrelated_headers_are_not_detected() {
        assert!(detect(&header("name,email,phone")).is_none());
        assert!(
            detect(&header("Date,Impressions,Engagements")).is_none(),
            "LinkedIn's ENGAGEMENT sheet is read with its workbook, never alone"
        );
        assert!(detect(&header("Subscription status,Views,Watch time (hours)")).is_none());
    }
}
