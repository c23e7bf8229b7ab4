//! LinkedIn's exports that are not one table.
//!
//! - The personal creator workbook (`Content_<from>_<to>_<name>.xlsx`, newer `AggregateAnalytics_<name>_<from>_
//!   <to>.xlsx`): DISCOVERY states the period; TOP POSTS holds two side-by-side top-50 tables (by engagements, by
//!   impressions) that are merged by post URL into one snapshot per post over that period; ENGAGEMENT (daily
//!   impressions and engagements) and FOLLOWERS (daily new followers, and the total on the last day) are merged by
//!   day into the account's daily values. Headers may sit on any of the first rows; numbers may be stored as
//!   numbers or as text.
//! - The single-post export (`SinglePostAnalytics_<name>_<id>.xlsx`): label/value rows (`Post URL`,
//!   `Impressions`, `Reactions`, …) for one post, a snapshot to date.

use creatoros_ids::{Day, Platform};
use std::collections::BTreeMap;

use crate::dates::{latest_for, parse_day, parse_timestamp, DateRules, DayOrder, DayOrderEvidence};
use crate::export::{Dating, PartInfo, Parts};
use crate::formats::normalise_header;
use crate::native::native_key;
use crate::rows::{
    is_spreadsheet_error, Counts, DailyRow, Measured, MetricRow, PartContext, PostRef, RejectedRow,
    RowOutcome,
};
use crate::values::{clean_title, parse_count, parse_signed, show};
use crate::workbook::Book;
use crate::{FileError, RowError};

/// For people: the creator workbook.
pub const CREATOR_DESCRIPTION: &str =
    "LinkedIn creator analytics workbook (Content_… or AggregateAnalytics_…)";
/// For people: the single-post export.
pub const POST_DESCRIPTION: &str = "LinkedIn single-post analytics (SinglePostAnalytics_…)";
/// Format name of the creator workbook's parts.
pub const CREATOR: &str = "linkedin-creator";
/// Format name of the single-post export.
pub const POST: &str = "linkedin-post";

/// Rows read from one of the workbook's small sheets.
const SMALL_SHEET_ROWS: u64 = 100_000;

fn has(sheets: &[String], name: &str) -> bool {
    sheets.iter().any(|s| normalise_header(s) == name)
}

fn sheet<'a>(sheets: &'a [String], name: &str) -> Option<&'a str> {
    sheets
        .iter()
        .find(|s| normalise_header(s) == name)
        .map(String::as_str)
}

/// True for the creator workbook's sheet set.
pub fn is_creator_workbook(sheets: &[String]) -> bool {
    has(sheets, "top posts") && (has(sheets, "discovery") || has(sheets, "engagement"))
}

fn text(cells: &[String], i: usize) -> &str {
    cells.get(i).map_or("", |c| c.trim())
}

/// A located rejection of sheet `part`, row `line`.
fn rejected(part: &str, line: u64, column: &str, reason: String, cells: &[String]) -> RowOutcome {
    RowOutcome::Rejected(RejectedRow {
        error: RowError {
            part: Some(part.to_owned()),
            line,
            column: Some(column.to_owned()),
            reason,
        },
        cells: cells.to_vec(),
    })
}

/// A count in a cell of the creator workbook (numbers, numbers as text, or spreadsheet errors).
fn count(cell: &str, signed: bool) -> Result<Option<i64>, String> {
    if is_spreadsheet_error(cell) {
        return Err(format!(
            "{} is a spreadsheet error, not a value (a formula that did not compute)",
            show(cell)
        ));
    }
    if signed {
        parse_signed(cell)
    } else {
        parse_count(cell).map(|c| c.map(|c| c as i64))
    }
}

/// Reads the creator workbook.
pub(crate) fn read_creator(
    book: &mut Book<'_>,
    sheets: &[String],
    dating: &Dating,
    parts: &mut Parts<'_>,
) -> Result<(), FileError> {
    let mut read = |name: &str| -> Result<Vec<(u64, Vec<String>)>, FileError> {
        match sheet(sheets, name) {
            Some(s) => book.rows(s, SMALL_SHEET_ROWS),
            None => Ok(Vec::new()),
        }
    };
    let discovery = read("discovery")?;
    let top = read("top posts")?;
    let engagement = read("engagement")?;
    let followers = read("followers")?;

    // LinkedIn writes M/D/YYYY; the values themselves can say otherwise.
    let mut evidence = DayOrderEvidence::default();
    for (_, cells) in discovery
        .iter()
        .chain(&top)
        .chain(&engagement)
        .chain(&followers)
    {
        for cell in cells {
            for piece in cell.split([' ', '-']).filter(|p| p.contains('/')) {
                evidence.observe(piece.trim_end_matches(':'));
            }
        }
    }
    let uploaded = &dating.upload.uploaded;
    let rules = evidence.decide(Some(DayOrder::MonthFirst), latest_for(uploaded));
    let period = discovery_period(&discovery, &rules);
    let (fallback, note) = dating.part(
        Some(sheet(sheets, "top posts").unwrap_or("TOP POSTS")),
        None,
    );
    let (start, end, note) = match period {
        Some((s, e)) => (
            Some(s),
            e.clone(),
            format!("dated {e}, the end of the period its DISCOVERY sheet states"),
        ),
        None => (fallback.period_start, fallback.snapshot, note),
    };
    let context = |part: &str| PartContext {
        part: Some(part.to_owned()),
        dates: rules.clone(),
        snapshot: end.clone(),
        period_start: start.clone(),
    };
    let mut notes = vec![note];
    notes.extend(rules.note());

    let top_name = sheet(sheets, "top posts").unwrap_or("TOP POSTS").to_owned();
    let (header, outcomes) = top_posts(&top, &top_name, &context(&top_name));
    let started = parts.part(PartInfo {
        index: 0,
        container: parts.container,
        name: Some(top_name),
        format: CREATOR,
        header,
        delimiter: b',',
        decoding: None,
        context: context("TOP POSTS"),
        notes,
    });
    if started.is_break() {
        return Ok(());
    }
    // Two tables share each sheet row: the merged rows' order is their position.
    for (i, (_, outcome)) in outcomes.into_iter().enumerate() {
        if parts.row(outcome, i as u64 + 1, 0).is_break() {
            return Ok(());
        }
    }

    let daily = daily_values(
        &engagement,
        sheet(sheets, "engagement").unwrap_or("ENGAGEMENT"),
        &followers,
        sheet(sheets, "followers").unwrap_or("FOLLOWERS"),
        &rules,
    );
    if daily.is_empty() {
        return Ok(());
    }
    let name = "ENGAGEMENT, FOLLOWERS";
    if parts
        .part(PartInfo {
            index: 0,
            container: parts.container,
            name: Some(name.to_owned()),
            format: CREATOR,
            header: Vec::new(),
            delimiter: b',',
            decoding: None,
            context: context(name),
            notes: Vec::new(),
        })
        .is_break()
    {
        return Ok(());
    }
    // Merged rows have no single line: their order is their position.
    for (i, outcome) in daily.into_iter().enumerate() {
        if parts.row(outcome, i as u64 + 1, 0).is_break() {
            break;
        }
    }
    Ok(())
}

/// `Overall Performance | 2/11/2025 - 3/17/2026`.
fn discovery_period(rows: &[(u64, Vec<String>)], rules: &DateRules) -> Option<(Day, Day)> {
    let (_, cells) = rows
        .iter()
        .find(|(_, c)| normalise_header(text(c, 0)) == "overall performance")?;
    let (a, b) = text(cells, 1).split_once(" - ")?;
    let start = parse_day(a, rules).ok()??;
    let end = parse_day(b, rules).ok()??;
    (start <= end).then_some((start, end))
}

/// One of TOP POSTS' side-by-side tables: its `Post URL` column, its publish date and metric columns.
struct Block {
    url: usize,
    date: Option<usize>,
    metric: Option<(usize, &'static str)>,
}

/// The two side-by-side tables of TOP POSTS merged by post URL: each post's snapshot (first-seen row order),
/// and rejections for cells that cannot be read.
fn top_posts(
    rows: &[(u64, Vec<String>)],
    part: &str,
    ctx: &PartContext,
) -> (Vec<String>, Vec<(u64, RowOutcome)>) {
    let Some(at) = rows
        .iter()
        .take(10)
        .position(|(_, c)| c.iter().any(|h| normalise_header(h) == "post url"))
    else {
        return (Vec::new(), Vec::new());
    };
    let header: Vec<String> = rows[at].1.clone();
    let names: Vec<String> = header.iter().map(|h| normalise_header(h)).collect();
    // One block per `Post URL` column: its publish date and metric columns follow it.
    let blocks: Vec<Block> = names
        .iter()
        .enumerate()
        .filter(|(_, n)| *n == "post url")
        .map(|(i, _)| {
            let end = names[i + 1..]
                .iter()
                .position(|n| n.is_empty() || n == "post url")
                .map_or(names.len(), |p| i + 1 + p);
            let date = (i + 1..end).find(|j| names[*j] == "post publish date");
            let metric = (i + 1..end).find_map(|j| match names[j].as_str() {
                "engagements" => Some((j, "engagements")),
                "impressions" => Some((j, "impressions")),
                _ => None,
            });
            Block {
                url: i,
                date,
                metric,
            }
        })
        .collect();
    let mut order: Vec<(String, u64)> = Vec::new();
    let mut posts: BTreeMap<String, MetricRow> = BTreeMap::new();
    let mut out: Vec<(u64, RowOutcome)> = Vec::new();
    for (line, cells) in &rows[at + 1..] {
        for Block {
            url: url_col,
            date: date_col,
            metric,
        } in &blocks
        {
            let url = text(cells, *url_col);
            if url.is_empty() {
                continue;
            }
            let column = |i: usize| header.get(i).map_or("", |h| h.trim());
            let Some(key) = native_key(Platform::Linkedin, url) else {
                out.push((
                    *line,
                    rejected(
                        part,
                        *line,
                        column(*url_col),
                        format!("{} is not a LinkedIn post link", show(url)),
                        cells,
                    ),
                ));
                continue;
            };
            let published = match date_col.map(|i| parse_timestamp(text(cells, i), &ctx.dates)) {
                Some(Ok(t)) => t,
                Some(Err(e)) => {
                    out.push((
                        *line,
                        rejected(part, *line, column(date_col.unwrap_or(0)), e, cells),
                    ));
                    continue;
                }
                None => None,
            };
            let value = match metric.map(|(i, _)| count(text(cells, i), false)) {
                Some(Ok(v)) => v,
                Some(Err(e)) => {
                    let col = metric.map_or("", |(i, _)| column(i));
                    out.push((*line, rejected(part, *line, col, e, cells)));
                    continue;
                }
                None => None,
            };
            let entry = posts.entry(key.key.clone()).or_insert_with(|| {
                order.push((key.key.clone(), *line));
                MetricRow {
                    line: *line,
                    platform: Platform::Linkedin,
                    post: PostRef::Native {
                        derived: key.derived_post_id(),
                        key: key.clone(),
                    },
                    date: ctx.snapshot.clone(),
                    measured: Measured::Period {
                        start: ctx.period_start.clone(),
                        end: ctx.snapshot.clone(),
                    },
                    published_at: None,
                    title: None,
                    counts: Counts::default(),
                }
            });
            if entry.published_at.is_none() {
                entry.published_at = published;
            }
            match metric.map(|(_, m)| m) {
                Some("engagements") => entry.counts.engagements = value,
                Some("impressions") => entry.counts.impressions = value,
                _ => {}
            }
        }
    }
    for (key, line) in order {
        if let Some(row) = posts.remove(&key) {
            out.push((line, RowOutcome::Metric(row)));
        }
    }
    out.sort_by_key(|(line, _)| *line);
    (header, out)
}

/// ENGAGEMENT's and FOLLOWERS' rows merged by day, in day order, plus rejections.
fn daily_values(
    engagement: &[(u64, Vec<String>)],
    engagement_name: &str,
    followers: &[(u64, Vec<String>)],
    followers_name: &str,
    rules: &DateRules,
) -> Vec<RowOutcome> {
    let mut days: BTreeMap<Day, Counts> = BTreeMap::new();
    let mut rejects = Vec::new();
    for (rows, part) in [(engagement, engagement_name), (followers, followers_name)] {
        // `Total followers on 3/17/2026:` | 2996, above the daily table.
        for (line, cells) in rows {
            let label = text(cells, 0);
            if let Some(rest) = label.strip_prefix("Total followers on ") {
                match (
                    parse_day(rest.trim_end_matches(':'), rules),
                    count(text(cells, 1), false),
                ) {
                    (Ok(Some(day)), Ok(total)) => days.entry(day).or_default().followers = total,
                    (Err(e), _) | (_, Err(e)) => {
                        rejects.push(rejected(part, *line, label, e, cells))
                    }
                    _ => {}
                }
            }
        }
        let Some(at) = rows
            .iter()
            .take(10)
            .position(|(_, c)| normalise_header(text(c, 0)) == "date")
        else {
            continue;
        };
        let header: Vec<String> = rows[at].1.iter().map(|h| normalise_header(h)).collect();
        for (line, cells) in &rows[at + 1..] {
            if cells.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            let day = match parse_day(text(cells, 0), rules) {
                Ok(Some(d)) => d,
                Ok(None) => continue,
                Err(e) => {
                    rejects.push(rejected(part, *line, "Date", e, cells));
                    continue;
                }
            };
            let mut values = Counts::default();
            let mut bad = None;
            for (i, name) in header.iter().enumerate().skip(1) {
                let signed = name == "new followers";
                match count(text(cells, i), signed) {
                    Ok(v) => match name.as_str() {
                        "impressions" => values.impressions = v,
                        "engagements" => values.engagements = v,
                        "new followers" => values.followers_gained = v,
                        _ => {}
                    },
                    Err(e) => {
                        bad = Some((rows[at].1[i].clone(), e));
                        break;
                    }
                }
            }
            if let Some((column, e)) = bad {
                rejects.push(rejected(part, *line, &column, e, cells));
                continue;
            }
            let entry = days.entry(day).or_default();
            entry.impressions = entry.impressions.or(values.impressions);
            entry.engagements = entry.engagements.or(values.engagements);
            entry.followers_gained = entry.followers_gained.or(values.followers_gained);
        }
    }
    let mut out: Vec<RowOutcome> = days
        .into_iter()
        .map(|(day, counts)| {
            RowOutcome::Daily(DailyRow {
                line: 0,
                platform: Platform::Linkedin,
                post: None,
                day,
                published_at: None,
                title: None,
                counts,
            })
        })
        .collect();
    out.extend(rejects);
    out
}

/// Reads a single-post export if one of `sheets` is one; `false` when none is.
pub(crate) fn read_single_post(
    book: &mut Book<'_>,
    sheets: &[String],
    dating: &Dating,
    parts: &mut Parts<'_>,
) -> Result<bool, FileError> {
    for name in sheets {
        let rows = book.rows(name, SMALL_SHEET_ROWS)?;
        let labels: BTreeMap<String, (u64, &Vec<String>)> = rows
            .iter()
            .filter(|(_, c)| !text(c, 0).is_empty() && !text(c, 1).is_empty())
            .map(|(line, c)| (normalise_header(text(c, 0)), (*line, c)))
            .collect();
        if !labels.contains_key("post url") || !labels.contains_key("impressions") {
            continue;
        }
        let (part_dating, note) = dating.part(Some(name), None);
        let mut evidence = DayOrderEvidence::default();
        if let Some((_, c)) = labels.get("post date") {
            evidence.observe(text(c, 1));
        }
        let ctx = part_dating.context_with(Some(DayOrder::MonthFirst), evidence);
        let outcome = single_post(&labels, name, &ctx);
        let mut notes = vec![note];
        notes.extend(ctx.dates.note());
        if parts
            .part(PartInfo {
                index: 0,
                container: parts.container,
                name: Some(name.clone()),
                format: POST,
                header: Vec::new(),
                delimiter: b',',
                decoding: None,
                context: ctx,
                notes,
            })
            .is_continue()
        {
            let last = rows.last().map_or(1, |(l, _)| *l);
            let _ = parts.row(outcome, last + 1, 0);
        }
        return Ok(true);
    }
    Ok(false)
}

/// The one snapshot of a single-post export, or the rejection of its first unreadable value.
fn single_post(
    labels: &BTreeMap<String, (u64, &Vec<String>)>,
    part: &str,
    ctx: &PartContext,
) -> RowOutcome {
    let value = |label: &str| labels.get(label).map(|(line, c)| (*line, text(c, 1), c));
    let (url_line, url, url_cells) = value("post url").expect("checked by the caller");
    let Some(key) = native_key(Platform::Linkedin, url) else {
        return rejected(
            part,
            url_line,
            "Post URL",
            format!("{} is not a LinkedIn post link", show(url)),
            url_cells,
        );
    };
    let when = match (value("post date"), value("post publish time")) {
        (Some((_, d, _)), Some((_, t, _))) => Some(format!("{d} {t}")),
        (Some((_, d, _)), None) => Some(d.to_owned()),
        _ => None,
    };
    let published_at = match when.map(|w| parse_timestamp(&w, &ctx.dates)) {
        Some(Ok(t)) => t,
        Some(Err(e)) => {
            let (line, _, cells) = value("post date").expect("present");
            return rejected(part, line, "Post Date", e, cells);
        }
        None => None,
    };
    let mut counts = Counts::default();
    type Slot = fn(&mut Counts) -> &mut Option<i64>;
    let fields: [(&str, Slot, bool); 8] = [
        ("impressions", |c| &mut c.impressions, false),
        ("reactions", |c| &mut c.likes, false),
        ("comments", |c| &mut c.comments, false),
        ("reposts", |c| &mut c.shares, false),
        ("saves", |c| &mut c.saves, false),
        ("link engagements", |c| &mut c.clicks, false),
        ("social engagements", |c| &mut c.engagements, false),
        (
            "followers gained from this post",
            |c| &mut c.followers_gained,
            true,
        ),
    ];
    for (label, slot, signed) in fields {
        if let Some((line, v, cells)) = value(label) {
            match count(v, signed) {
                Ok(n) => *slot(&mut counts) = n,
                Err(e) => {
                    let shown = cells.first().map_or(label, |c| c.trim());
                    return rejected(part, line, shown, e, cells);
                }
            }
        }
    }
    if let Some((line, v, cells)) = value("video views") {
        match count(v, false) {
            Ok(n) => counts.views = n,
            Err(e) => return rejected(part, line, "Video views", e, cells),
        }
    }
    RowOutcome::Metric(MetricRow {
        line: url_line,
        platform: Platform::Linkedin,
        post: PostRef::Native {
            derived: key.derived_post_id(),
            key,
        },
        date: ctx.snapshot.clone(),
        measured: Measured::Lifetime,
        published_at,
        title: value("post title").and_then(|(_, t, _)| clean_title(t)),
        counts,
    })
}
