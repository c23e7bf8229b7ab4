//! The supported export formats, each a small table of header aliases, and their detection from a header row.
//!
//! Adding a format (or a language of an existing one) means adding aliases here, not writing a parser: the reader
//! maps columns to [`Field`]s and the row builder interprets fields the same way for every format.
//! Sources of the headers (real exports and exporters' own code) are listed in `core/src/ingest/FORMATS.md`.

use creatoros_ids::Platform;

/// What a column means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// The app's post id (canonical format).
    PostId,
    /// Platform name (canonical format).
    Platform,
    /// Snapshot day (canonical) or publish day/time (native exports).
    Date,
    /// Post title or text.
    Title,
    /// Publish time (canonical, optional).
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
    /// Net followers gained.
    FollowersGained,
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
    /// Fields whose presence identifies the format.
    pub signature: &'static [Field],
    /// Fields a row cannot do without (the header must have them).
    pub required: &'static [Field],
    /// How a row names its post.
    pub identity: Identity,
    /// Rows whose first cell is one of these are summaries, skipped (YouTube's `Total`).
    pub summary_rows: &'static [&'static str],
}

const fn col(field: Field, aliases: &'static [&'static str]) -> ColumnSpec {
    ColumnSpec { field, aliases }
}

use Field::*;

/// The CreatorOS canonical CSV (documented in the README).
pub static CANONICAL: FormatSpec = FormatSpec {
    name: "canonical",
    description: "CreatorOS canonical CSV",
    platform: None,
    columns: &[
        col(PostId, &["post_id"]),
        col(Platform, &["platform"]),
        col(Date, &["date"]),
        col(Impressions, &["impressions"]),
        col(Likes, &["likes"]),
        col(Comments, &["comments"]),
        col(Shares, &["shares"]),
        col(Saves, &["saves"]),
        col(Clicks, &["clicks"]),
        col(Views, &["views"]),
        col(WatchTimeSeconds, &["watch_time_seconds"]),
        col(FollowersGained, &["followers_gained"]),
        col(Title, &["title"]),
        col(PublishedAt, &["published_at"]),
    ],
    signature: &[PostId, Platform],
    required: &[PostId, Platform, Date],
    identity: Identity::PostIdColumn,
    summary_rows: &[],
};

/// X's legacy "Tweet activity" export (analytics.twitter.com), English and Japanese.
pub static X_TWEET_ACTIVITY: FormatSpec = FormatSpec {
    name: "x-tweet-activity",
    description: "X (Twitter) tweet activity export",
    platform: Some(creatoros_ids::Platform::X),
    columns: &[
        col(NativeId, &["tweet id", "ツイートid"]),
        col(Link, &["tweet permalink", "ツイートの固定リンク"]),
        col(Title, &["tweet text", "ツイート本文"]),
        col(Date, &["time", "時間"]),
        col(Impressions, &["impressions", "インプレッション"]),
        col(Likes, &["likes", "favorites", "いいね"]),
        col(Comments, &["replies", "返信"]),
        col(Shares, &["retweets", "リツイート"]),
        col(Clicks, &["url clicks", "urlクリック数"]),
        col(Views, &["media views", "メディアの再生数"]),
        col(FollowersGained, &["follows", "フォローしている"]),
    ],
    signature: &[NativeId, Link, Date, Impressions],
    required: &[NativeId, Date],
    identity: Identity::NativeId,
    summary_rows: &[],
};

/// X's current account analytics "Content" export (x.com/i/account_analytics), several UI languages.
pub static X_CONTENT: FormatSpec = FormatSpec {
    name: "x-content",
    description: "X account analytics content export",
    platform: Some(creatoros_ids::Platform::X),
    columns: &[
        col(
            NativeId,
            &[
                "post id",
                "ポストid",
                "post-id",
                "id del post",
                "identifiant du post",
                "id do post",
                "게시물 id",
                "帖子 id",
                "貼文 id",
            ],
        ),
        col(
            Date,
            &["date", "日付", "datum", "fecha", "data", "날짜", "日期"],
        ),
        col(
            Title,
            &[
                "post text",
                "ポスト本文",
                "post-text",
                "texto del post",
                "texte du post",
                "texto do post",
                "게시물 본문",
                "帖子文本",
                "貼文文字",
            ],
        ),
        col(
            Link,
            &[
                "post link",
                "link",
                "ポストのリンク",
                "post-link",
                "postear enlace",
                "lien du post",
                "postar link",
                "게시물 링크",
                "帖子链接",
                "貼文連結",
            ],
        ),
        col(
            Impressions,
            &[
                "impressions",
                "インプレッション数",
                "impresiones",
                "impressões",
                "노출수",
                "展示量",
                "曝光次數",
            ],
        ),
        col(
            Likes,
            &[
                "likes",
                "いいね",
                "gefällt mir",
                "me gusta",
                "j'aime",
                "curtidas",
                "마음에 들어요",
                "喜欢",
                "喜歡的內容",
            ],
        ),
        col(
            Saves,
            &[
                "bookmarks",
                "ブックマーク",
                "lesezeichen",
                "guardados",
                "signets",
                "itens salvos",
                "북마크",
                "书签",
                "書籤",
            ],
        ),
        col(
            Comments,
            &[
                "replies",
                "返信",
                "antworten",
                "respuestas",
                "réponses",
                "respostas",
                "답글",
                "回复",
                "回覆",
            ],
        ),
        col(Shares, &["reposts", "リポスト", "재게시", "转帖", "轉發"]),
        col(Clicks, &["url clicks", "urlのクリック数"]),
        col(
            FollowersGained,
            &[
                "new follows",
                "新しいフォロー",
                "neue follower*innen",
                "nuevos seguidores",
                "nouveaux abonnés",
                "novos seguidores",
                "새로운 팔로우",
                "新关注",
                "新跟隨人數",
            ],
        ),
    ],
    signature: &[NativeId, Date, Title, Impressions],
    required: &[NativeId, Date],
    identity: Identity::NativeId,
    summary_rows: &[],
};

/// LinkedIn Page analytics, "All posts" sheet saved as CSV.
pub static LINKEDIN_POSTS: FormatSpec = FormatSpec {
    name: "linkedin-posts",
    description: "LinkedIn post analytics (Page content export, All posts)",
    platform: Some(creatoros_ids::Platform::Linkedin),
    columns: &[
        col(Title, &["post title", "update title"]),
        col(Link, &["post link", "update link"]),
        col(Date, &["created date"]),
        col(Impressions, &["impressions"]),
        col(
            Views,
            &[
                "views",
                "views (excluding offsite video views)",
                "views (excluding off-site video views)",
            ],
        ),
        col(Clicks, &["clicks"]),
        col(Likes, &["likes", "reactions"]),
        col(Comments, &["comments"]),
        col(Shares, &["reposts", "shares"]),
        col(FollowersGained, &["follows"]),
    ],
    signature: &[Link, Date, Impressions, Clicks],
    required: &[Link, Date],
    identity: Identity::Link,
    summary_rows: &[],
};

/// YouTube Studio, Advanced mode, Content, "Table data.csv" (any selection of metric columns).
pub static YOUTUBE_STUDIO: FormatSpec = FormatSpec {
    name: "youtube-studio",
    description: "YouTube Studio table data export",
    platform: Some(creatoros_ids::Platform::Youtube),
    columns: &[
        col(NativeId, &["content", "video"]),
        col(Title, &["video title"]),
        col(Date, &["video publish time"]),
        col(Impressions, &["impressions", "thumbnail impressions"]),
        col(Views, &["views"]),
        col(WatchTimeHours, &["watch time (hours)"]),
        col(Likes, &["likes"]),
        col(Comments, &["comments added"]),
        col(Shares, &["shares"]),
        // Gross gains when exported; otherwise the net `Subscribers` column.
        col(FollowersGained, &["subscribers gained", "subscribers"]),
    ],
    signature: &[NativeId, Title, Date],
    required: &[NativeId, Date],
    identity: Identity::NativeId,
    summary_rows: &["total"],
};

/// Rednote (Xiaohongshu) creator centre, note data export (笔记列表明细表) saved as CSV.
pub static REDNOTE_NOTES: FormatSpec = FormatSpec {
    name: "rednote-notes",
    description: "Rednote (Xiaohongshu) note data export",
    platform: Some(creatoros_ids::Platform::Rednote),
    columns: &[
        col(Title, &["笔记标题", "标题"]),
        col(Date, &["首次发布时间", "发布时间"]),
        col(Kind, &["体裁"]),
        col(Impressions, &["曝光"]),
        col(Views, &["观看量", "观看"]),
        col(Likes, &["点赞", "点赞数"]),
        col(Comments, &["评论", "评论数"]),
        col(Saves, &["收藏", "收藏数"]),
        col(FollowersGained, &["涨粉"]),
        col(Shares, &["分享", "分享数"]),
        col(AverageWatchSeconds, &["人均观看时长"]),
    ],
    signature: &[Title, Date, Impressions],
    required: &[Title, Date],
    identity: Identity::TitleAndTime,
    summary_rows: &["合计", "总计", "累计"],
};

/// Every format, canonical first.
pub static FORMATS: [&FormatSpec; 6] = [
    &CANONICAL,
    &X_TWEET_ACTIVITY,
    &X_CONTENT,
    &LINKEDIN_POSTS,
    &YOUTUBE_STUDIO,
    &REDNOTE_NOTES,
];

/// Looks a format up by name (as stored in checkpoints).
pub fn format_by_name(name: &str) -> Option<&'static FormatSpec> {
    FORMATS.iter().copied().find(|f| f.name == name)
}

/// Header cell as compared with aliases: BOM and zero-width characters removed, trimmed, lower-cased, inner
/// whitespace collapsed.
pub fn normalise_header(cell: &str) -> String {
    let cleaned: String = cell
        .chars()
        .filter(|c| {
            !matches!(
                c,
                '\u{feff}' | '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{2060}'
            )
        })
        .collect();
    cleaned
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Where each field of a format sits in a header.
#[derive(Debug, Clone)]
pub struct ColumnMap {
    positions: Vec<(Field, usize)>,
}

impl ColumnMap {
    /// The column index of `field`, if the header has it.
    pub fn get(&self, field: Field) -> Option<usize> {
        self.positions
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, i)| *i)
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
                positions.push((spec.field, i));
            }
        }
        let map = ColumnMap { positions };
        if !self.signature.iter().all(|f| map.get(*f).is_some()) {
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
        line.split(',').map(str::to_owned).collect()
    }

    #[test]
    fn every_format_detects_its_own_header() {
        let cases = [
            ("post_id,platform,date,impressions", "canonical"),
            ("\"Tweet id\",\"Tweet permalink\",\"Tweet text\",\"time\",\"impressions\"", "x-tweet-activity"),
            ("Post id,Date,Post text,Post Link,Impressions,Likes,Engagements,Bookmarks", "x-content"),
            ("Post title,Post link,Post type,Created date,Impressions,Views,Clicks,Likes,Comments,Reposts,Follows", "linkedin-posts"),
            ("Content,Video title,Video publish time,Duration,Likes,Views,Watch time (hours),Subscribers", "youtube-studio"),
            ("笔记标题,首次发布时间,体裁,曝光,观看量,封面点击率,点赞,评论,收藏,涨粉,分享", "rednote-notes"),
        ];
        for (line, name) in cases {
            let cells: Vec<String> = header(line)
                .into_iter()
                .map(|c| c.trim_matches('"').to_owned())
                .collect();
            let (spec, map) = detect(&cells).unwrap_or_else(|| panic!("{name} not detected"));
            assert_eq!(spec.name, name);
            assert!(map.is_ok(), "{name}: {:?}", map.err());
        }
    }

    #[test]
    fn header_cells_compare_without_bom_case_or_extra_spaces() {
        assert_eq!(normalise_header("\u{feff} Post  ID "), "post id");
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
            "account totals are not per post"
        );
        assert!(detect(&header("Subscription status,Views,Watch time (hours)")).is_none());
    }
}
