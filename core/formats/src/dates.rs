//! Dates as exports write them, read the same way for every row of a file.
//!
//! - Days: ISO (`2026-07-14`, with or without a time), month names (`Tue, Jul 14, 2026`, `Mon Feb 17 2025`,
//!   `14 Sept 2025`), Chinese (`2026年07月14日`), year-first numbers (`2026/07/14`) and year-last numbers
//!   (`07/14/2026`, `14.07.2026`, `13-06-2025`).
//! - Year-last numbers are day-first in some files and month-first in others. Which one is decided **once per
//!   file** ([`DayOrderEvidence`] → [`DateRules`]): from its own values (a first number above 12 can only be a
//!   day), else from the exporter's known convention, else not at all, and then a value that could be either is
//!   refused with a reason instead of guessed.
//! - Every day must be plausible: not before 2004 (older than any platform's analytics) and not after the day
//!   after the upload (a creator ahead of UTC may export "tomorrow").
//! - Publish times keep their time of day and offset when the export gives them ([`Timestamp`]), so weekday and
//!   hour can be judged in the creator's time zone later.
//! - File names often carry the period an export covers (`…_20211101_20211201_en.csv`,
//!   `Content 2025-06-13_2026-06-12 Channel.zip`, `…_content_1742193384396.xls`): [`period_in_name`].
//!
//! Over 600 lines with its tests (the code is about 550): each date shape sits with the cases that pin it.

use serde::{Deserialize, Serialize};
use time::{Date, Month as TimeMonth, OffsetDateTime};

use creatoros_ids::Day;

use crate::values::{is_blank, show};

/// The earliest day an export can plausibly hold.
pub const EARLIEST: Date = time::macros::date!(2004 - 01 - 01);

/// Which number comes first in a year-last numeric date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DayOrder {
    /// `07/14/2026` (US English exports: LinkedIn, X).
    MonthFirst,
    /// `14/07/2026` (most other locales; YouTube's Totals in English too).
    DayFirst,
}

impl DayOrder {
    fn example(self) -> &'static str {
        match self {
            DayOrder::MonthFirst => "07/14/2026",
            DayOrder::DayFirst => "14/07/2026",
        }
    }

    fn name(self) -> &'static str {
        match self {
            DayOrder::MonthFirst => "month-first",
            DayOrder::DayFirst => "day-first",
        }
    }
}

/// How a file's year-last dates were settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DayOrderBasis {
    /// Its own values: some first number above 12 (day-first) or some second number above 12 (month-first).
    Values,
    /// Nothing in the values tells; the exporter always writes this way.
    Convention,
    /// Nothing tells and there is no convention: ambiguous values are refused.
    Undecided,
    /// The values contradict each other: ambiguous values are refused.
    Conflicting,
}

/// What a file's values say about its year-last dates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DayOrderEvidence {
    /// Values only a day-first reading makes valid.
    pub day_first: u32,
    /// Values only a month-first reading makes valid.
    pub month_first: u32,
}

impl DayOrderEvidence {
    /// Counts what `cell` says (anything that is not a year-last numeric date says nothing).
    pub fn observe(&mut self, cell: &str) {
        if let Some((a, b, _)) = year_last_numbers(cell.trim()) {
            if a > 12 && (1..=12).contains(&b) {
                self.day_first += 1;
            } else if b > 12 && (1..=12).contains(&a) {
                self.month_first += 1;
            }
        }
    }

    /// The file's rule: its values if they agree, else `convention`, else undecided.
    pub fn decide(self, convention: Option<DayOrder>, latest: Day) -> DateRules {
        let (order, basis) = match (self.day_first > 0, self.month_first > 0) {
            (true, false) => (Some(DayOrder::DayFirst), DayOrderBasis::Values),
            (false, true) => (Some(DayOrder::MonthFirst), DayOrderBasis::Values),
            (true, true) => (None, DayOrderBasis::Conflicting),
            (false, false) => match convention {
                Some(order) => (Some(order), DayOrderBasis::Convention),
                None => (None, DayOrderBasis::Undecided),
            },
        };
        DateRules {
            order,
            basis,
            latest,
        }
    }
}

/// How one file's dates are read: the day order settled for it and the latest plausible day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DateRules {
    /// Year-last dates: which number is the day (`None`: refuse ambiguous values).
    pub order: Option<DayOrder>,
    /// How `order` was settled.
    pub basis: DayOrderBasis,
    /// The latest plausible day (the day after the upload).
    pub latest: Day,
}

impl DateRules {
    /// Rules for a file uploaded on `uploaded`, with year-last dates read in `order`.
    pub fn new(order: Option<DayOrder>, uploaded: &Day) -> Self {
        Self {
            order,
            basis: if order.is_some() {
                DayOrderBasis::Convention
            } else {
                DayOrderBasis::Undecided
            },
            latest: latest_for(uploaded),
        }
    }

    /// A sentence for the import record when the rule matters to the reader of the numbers.
    pub fn note(&self) -> Option<String> {
        match (&self.basis, &self.order) {
            (DayOrderBasis::Conflicting, _) => Some(
                "dates are written both day-first and month-first; ambiguous ones (like 03/04/2026) were refused"
                    .to_owned(),
            ),
            (DayOrderBasis::Undecided, _) => None,
            (DayOrderBasis::Values, Some(DayOrder::DayFirst)) => {
                Some("dates read day-first (some of them only make sense that way)".to_owned())
            }
            _ => None,
        }
    }
}

/// The day after `uploaded`: the latest day an export uploaded then can hold.
pub fn latest_for(uploaded: &Day) -> Day {
    uploaded
        .to_date()
        .next_day()
        .and_then(|d| Day::from_date(d).ok())
        .unwrap_or_else(|| uploaded.clone())
}

/// A publish time as precise as the export gives it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    day: Day,
    /// ISO text: `2026-03-24`, `2026-03-24T17:33`, `2026-03-24T17:33:05`, `2021-11-30T16:00+00:00`.
    iso: String,
}

impl Timestamp {
    /// The calendar day printed.
    pub fn day(&self) -> &Day {
        &self.day
    }

    /// The ISO-8601 text stored as `publishedAt`.
    pub fn as_str(&self) -> &str {
        &self.iso
    }

    /// `YYYY-MM-DD HH:MM`, the form Rednote ids are derived from (midnight when no time is given).
    pub fn minute_key(&self) -> String {
        let time = self.iso.get(11..16).unwrap_or("00:00");
        format!("{} {time}", self.day)
    }
}

/// A plain day: `Ok(None)` when the cell is empty, else the day or a reason.
pub fn parse_day(cell: &str, rules: &DateRules) -> Result<Option<Day>, String> {
    // The common cell, a plain ISO day, is already the stored form: validate it in place.
    let iso = |(i, b): (usize, u8)| {
        if i == 4 || i == 7 {
            b == b'-'
        } else {
            b.is_ascii_digit()
        }
    };
    if cell.len() == 10 && cell.bytes().enumerate().all(iso) {
        if let Ok(day) = Day::parse(cell) {
            return plausible(&day, cell, rules).map(|_| Some(day));
        }
    }
    Ok(parse_timestamp(cell, rules)?.map(|t| t.day))
}

/// A day with its time of day and offset if written: `Ok(None)` when empty.
pub fn parse_timestamp(cell: &str, rules: &DateRules) -> Result<Option<Timestamp>, String> {
    let cell = cell.trim();
    if is_blank(cell) {
        return Ok(None);
    }
    let (date, rest) = match split_date(cell, rules.order) {
        Ok(found) => found,
        Err(Refusal::Ambiguous(a, b)) => {
            return Err(match rules.basis {
                DayOrderBasis::Conflicting => format!(
                    "{} could be day {a} or day {b} of its month, and this file writes dates both day-first and \
                     month-first; write dates as YYYY-MM-DD",
                    show(cell)
                ),
                _ => format!(
                    "{} could be day {a} or day {b} of its month, and no date in this file tells whether it is \
                     written day-first or month-first; write dates as YYYY-MM-DD",
                    show(cell)
                ),
            })
        }
        Err(Refusal::WrongOrder(order)) => {
            return Err(format!(
                "{} is not a valid {} date, as this file writes them (e.g. {})",
                show(cell),
                order.name(),
                order.example()
            ))
        }
        Err(Refusal::NotADate) => {
            return Err(format!(
                "{} is not a date (expected e.g. 2026-07-14, Jul 14, 2026 or 07/14/2026)",
                show(cell)
            ))
        }
    };
    let day = Day::from_date(date).map_err(|_| format!("{} is out of range", show(cell)))?;
    plausible(&day, cell, rules)?;
    let time = time_of_day(rest);
    let iso = match time {
        Some(t) => format!("{day}T{t}"),
        None => day.to_string(),
    };
    Ok(Some(Timestamp { day, iso }))
}

/// The first plausible day as stored.
const EARLIEST_DAY: &str = "2004-01-01";

/// Refuses `day` outside the plausible window. Days are `YYYY-MM-DD`, so comparing their text compares them
/// (no date is parsed per row).
fn plausible(day: &Day, cell: &str, rules: &DateRules) -> Result<(), String> {
    if day.as_str() < EARLIEST_DAY {
        Err(format!(
            "{} is before 2004, older than any platform's analytics",
            show(cell.trim())
        ))
    } else if day.as_str() > rules.latest.as_str() {
        Err(format!(
            "{} is in the future (after {}, the day after the upload)",
            show(cell.trim()),
            rules.latest
        ))
    } else {
        Ok(())
    }
}

/// Why a cell is not a day.
enum Refusal {
    NotADate,
    /// Year-last numbers `a`/`b` both ≤ 12 and different, with no order settled.
    Ambiguous(u32, u32),
    /// Impossible in the file's settled order (but possible in the other).
    WrongOrder(DayOrder),
}

/// The date at the start of `cell` and what follows it (a time, an offset).
fn split_date(cell: &str, order: Option<DayOrder>) -> Result<(Date, &str), Refusal> {
    let bytes = cell.as_bytes();
    // ISO first: 2026-07-14, 2026-07-14T10:00:00Z, 2026-07-14 10:00, 2021-12-28 16:45 +0000.
    if bytes.len() >= 10 && bytes[4] == b'-' && bytes[..4].iter().all(u8::is_ascii_digit) {
        // A multi-byte character across position 10 is no ISO date.
        let (Some(head), Some(rest)) = (cell.get(..10), cell.get(10..)) else {
            return Err(Refusal::NotADate);
        };
        if rest.is_empty() || rest.starts_with(['T', ' ', 't']) {
            let date = Date::parse(
                head,
                time::macros::format_description!("[year]-[month]-[day]"),
            )
            .map_err(|_| Refusal::NotADate)?;
            return Ok((date, rest));
        }
        return Err(Refusal::NotADate);
    }
    // Chinese: 2026年07月14日 (optionally followed by a time, 19时32分08秒).
    if let Some((y, rest)) = cell.split_once('年') {
        let (m, rest) = rest.split_once('月').ok_or(Refusal::NotADate)?;
        let (d, rest) = rest.split_once('日').unwrap_or((rest, ""));
        let date = (|| {
            let month = TimeMonth::try_from(m.trim().parse::<u8>().ok()?).ok()?;
            Date::from_calendar_date(y.trim().parse().ok()?, month, d.trim().parse().ok()?).ok()
        })()
        .ok_or(Refusal::NotADate)?;
        return Ok((date, rest));
    }
    let head_len = cell.find([' ', 'T']).unwrap_or(cell.len());
    let (head, rest) = cell.split_at(head_len);
    if let Some(parts) = numeric_parts(head) {
        return numeric_date(parts, order).map(|d| (d, rest));
    }
    month_name_date(cell)
        .map(|d| (d, ""))
        .ok_or(Refusal::NotADate)
}

/// `a/b/c` (or with `-` or `.`) as three numbers, with the length of the first.
fn numeric_parts(head: &str) -> Option<([u32; 3], usize)> {
    let sep = head.chars().find(|c| matches!(c, '/' | '-' | '.'))?;
    let parts: Vec<&str> = head.trim_end_matches('.').split(sep).collect();
    if parts.len() != 3
        || parts
            .iter()
            .any(|p| p.is_empty() || p.len() > 4 || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let n = |i: usize| parts[i].parse::<u32>().ok();
    Some(([n(0)?, n(1)?, n(2)?], parts[0].len()))
}

/// The two leading numbers and the year of a year-last numeric date, if `cell` starts with one.
fn year_last_numbers(cell: &str) -> Option<(u32, u32, u32)> {
    let head = cell.split([' ', 'T']).next()?;
    let ([a, b, c], first_len) = numeric_parts(head)?;
    (first_len <= 2 && c >= 1000).then_some((a, b, c))
}

fn numeric_date(
    ([a, b, c], first_len): ([u32; 3], usize),
    order: Option<DayOrder>,
) -> Result<Date, Refusal> {
    let make = |y: u32, m: u32, d: u32| -> Option<Date> {
        Date::from_calendar_date(
            i32::try_from(y).ok()?,
            TimeMonth::try_from(u8::try_from(m).ok()?).ok()?,
            u8::try_from(d).ok()?,
        )
        .ok()
    };
    if first_len == 4 {
        // 2026/07/14: year first is always year-month-day.
        return make(a, b, c).ok_or(Refusal::NotADate);
    }
    if c < 1000 {
        return Err(Refusal::NotADate);
    }
    let month_first = make(c, a, b);
    let day_first = make(c, b, a);
    match order {
        Some(DayOrder::MonthFirst) => month_first.ok_or(if day_first.is_some() {
            Refusal::WrongOrder(DayOrder::MonthFirst)
        } else {
            Refusal::NotADate
        }),
        Some(DayOrder::DayFirst) => day_first.ok_or(if month_first.is_some() {
            Refusal::WrongOrder(DayOrder::DayFirst)
        } else {
            Refusal::NotADate
        }),
        None => match (month_first, day_first) {
            (Some(m), Some(d)) if m == d => Ok(m),
            (Some(_), Some(_)) => Err(Refusal::Ambiguous(a, b)),
            (Some(only), None) | (None, Some(only)) => Ok(only),
            (None, None) => Err(Refusal::NotADate),
        },
    }
}

/// `HH:MM[:SS]` (24 h, or with AM/PM), `19时32分08秒`, and an offset (`+0000`, `Z`, `+02:00`) after the date.
fn time_of_day(rest: &str) -> Option<String> {
    let rest = rest.trim_start_matches(['T', 't', ' ']).trim();
    if rest.is_empty() {
        return None;
    }
    let chinese = rest.contains('时');
    let text: String = if chinese {
        rest.replace(['时', '分'], ":").replace('秒', "")
    } else {
        rest.to_owned()
    };
    let (clock, tail) = text.split_at(
        text.find(|c: char| !(c.is_ascii_digit() || c == ':' || c == '.'))
            .unwrap_or(text.len()),
    );
    let mut fields = clock.split(':');
    let mut h: u8 = fields.next()?.parse().ok()?;
    let m: u8 = fields.next()?.get(..2)?.parse().ok()?;
    let s: Option<u8> = fields
        .next()
        .and_then(|s| s.get(..2))
        .and_then(|s| s.parse().ok());
    let tail = tail.trim();
    let upper = tail.to_ascii_uppercase();
    let tail = if let Some(after) = upper.strip_prefix("PM") {
        if h < 12 {
            h += 12;
        }
        after.trim().to_owned()
    } else if let Some(after) = upper.strip_prefix("AM") {
        if h == 12 {
            h = 0;
        }
        after.trim().to_owned()
    } else {
        tail.to_owned()
    };
    if h > 23 || m > 59 || s.is_some_and(|s| s > 59) {
        return None;
    }
    let mut out = match s {
        Some(s) => format!("{h:02}:{m:02}:{s:02}"),
        None => format!("{h:02}:{m:02}"),
    };
    out.push_str(&offset(&tail).unwrap_or_default());
    Some(out)
}

/// `Z`, `UTC`, `+0000`, `+02:00`, `-05` as `Z` or `±HH:MM`.
fn offset(tail: &str) -> Option<String> {
    let t = tail.trim();
    if t.eq_ignore_ascii_case("z") || t.eq_ignore_ascii_case("utc") || t.eq_ignore_ascii_case("gmt")
    {
        return Some("Z".to_owned());
    }
    let sign = t.chars().next().filter(|c| *c == '+' || *c == '-')?;
    let digits: String = t[1..].chars().filter(char::is_ascii_digit).collect();
    let (h, m) = match digits.len() {
        2 => (&digits[..2], "00"),
        4 => (&digits[..2], &digits[2..]),
        _ => return None,
    };
    let (hn, mn): (u8, u8) = (h.parse().ok()?, m.parse().ok()?);
    (hn <= 14 && mn < 60).then(|| format!("{sign}{h}:{m}"))
}

fn month_name_date(cell: &str) -> Option<Date> {
    let words: Vec<&str> = cell.split([' ', ',']).filter(|w| !w.is_empty()).collect();
    let month_at = words.iter().position(|w| month_from_name(w).is_some())?;
    let month = month_from_name(words[month_at])?;
    let numbers: Vec<i32> = words
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != month_at)
        .filter_map(|(_, w)| w.parse().ok())
        .collect();
    let (day, year) = match numbers.as_slice() {
        [a, b, ..] if *b >= 1000 => (*a, *b),
        [a, b, ..] if *a >= 1000 => (*b, *a),
        _ => return None,
    };
    Date::from_calendar_date(year, month, u8::try_from(day).ok()?).ok()
}

fn month_from_name(word: &str) -> Option<TimeMonth> {
    const FULL: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let lower = word.trim_end_matches('.').to_ascii_lowercase();
    if lower.len() < 3 {
        return None;
    }
    let i = FULL.iter().position(|n| lower.starts_with(&n[..3]))?;
    // "Sept" is common; otherwise the word is the abbreviation or the full name.
    (lower.len() == 3 || FULL[i].starts_with(&lower) || lower == "sept")
        .then(|| TimeMonth::try_from(i as u8 + 1).ok())
        .flatten()
}

/// The period a file name states: two dates (`YYYY-MM-DD` or `YYYYMMDD`) are its start and end, one date its
/// end, and a 13-digit epoch-milliseconds stamp (LinkedIn's `…_content_1742193384396.xls`) the export's day.
/// Dates that are not plausible for a file uploaded on `uploaded` are ignored.
pub fn period_in_name(name: &str, uploaded: &Day) -> Option<(Option<Day>, Day)> {
    let latest = latest_for(uploaded).to_date();
    let ok = |d: &Date| *d >= EARLIEST && *d <= latest;
    let mut days: Vec<Date> = Vec::new();
    let mut stamp: Option<Date> = None;
    let chars: Vec<char> = name.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() || (i > 0 && chars[i - 1].is_ascii_digit()) {
            i += 1;
            continue;
        }
        let run: String = chars[i..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        let len = run.chars().count();
        let iso: String = chars[i..].iter().take(10).collect();
        if len == 4 && iso.len() == 10 {
            if let Ok(d) = Date::parse(
                &iso,
                time::macros::format_description!("[year]-[month]-[day]"),
            ) {
                days.push(d);
                i += 10;
                continue;
            }
        }
        if len == 8 {
            if let Ok(d) = Date::parse(
                &run,
                time::macros::format_description!("[year][month][day]"),
            ) {
                days.push(d);
            }
        } else if len == 13 {
            let millis: i128 = run.parse().unwrap_or(0);
            if let Ok(at) = OffsetDateTime::from_unix_timestamp_nanos(millis * 1_000_000) {
                stamp = Some(at.date());
            }
        }
        i += len;
    }
    days.retain(ok);
    let day = |d: Date| Day::from_date(d).ok();
    match days.as_slice() {
        [.., start, end] if start <= end => Some((day(*start), day(*end)?)),
        [.., end] => Some((None, day(*end)?)),
        [] => stamp.filter(ok).and_then(day).map(|d| (None, d)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(order: Option<DayOrder>) -> DateRules {
        DateRules::new(order, &Day::parse("2026-11-30").unwrap())
    }

    fn day(s: &str, order: Option<DayOrder>) -> Result<String, String> {
        parse_day(s, &rules(order)).map(|d| d.unwrap().to_string())
    }

    #[test]
    fn dates_in_every_shape_seen() {
        let d = |s: &str| day(s, Some(DayOrder::MonthFirst)).unwrap();
        assert_eq!(d("2021-12-28 16:45 +0000"), "2021-12-28");
        assert_eq!(d("2026-07-14"), "2026-07-14");
        assert_eq!(d("2026-07-14T23:10:00.000Z"), "2026-07-14");
        assert_eq!(d("Tue, Jul 14, 2026"), "2026-07-14");
        assert_eq!(d("Mon Feb 17 2025"), "2025-02-17");
        assert_eq!(d("Mar 15, 2025"), "2025-03-15");
        assert_eq!(d("March 15, 2025"), "2025-03-15");
        assert_eq!(d("15 Sept 2025"), "2025-09-15");
        assert_eq!(d("07/14/2026"), "2026-07-14");
        assert_eq!(d("2026/07/14 10:00"), "2026-07-14");
        assert_eq!(d("2026年07月14日 10:00"), "2026-07-14");
        assert_eq!(day("13-06-2025", None).unwrap(), "2025-06-13");
        assert_eq!(day("14.07.2026", None).unwrap(), "2026-07-14");
        assert_eq!(parse_day("", &rules(None)).unwrap(), None);
    }

    #[test]
    fn impossible_and_implausible_dates_are_refused() {
        for bad in [
            "2025-02-30",
            "2025-13-01",
            "Feb 30, 2025",
            "yesterday",
            "13/13/2025",
            "Marchy 1, 2025",
        ] {
            assert!(day(bad, Some(DayOrder::MonthFirst)).is_err(), "{bad}");
        }
        assert_eq!(
            day("0000-01-01", None).unwrap_err(),
            "\"0000-01-01\" is before 2004, older than any platform's analytics"
        );
        assert_eq!(
            day("2026-12-01", None).unwrap(),
            "2026-12-01",
            "the day after the upload is still plausible"
        );
        assert_eq!(
            day("2026-12-02", None).unwrap_err(),
            "\"2026-12-02\" is in the future (after 2026-12-01, the day after the upload)"
        );
    }

    #[test]
    fn year_last_dates_follow_the_files_rule() {
        let mut evidence = DayOrderEvidence::default();
        for cell in [
            "03/04/2026",
            "25/03/2026 18:30",
            "2026-01-01",
            "Jul 14, 2026",
        ] {
            evidence.observe(cell);
        }
        let latest = latest_for(&Day::parse("2026-11-30").unwrap());
        let r = evidence.decide(Some(DayOrder::MonthFirst), latest.clone());
        assert_eq!(
            (r.order, r.basis),
            (Some(DayOrder::DayFirst), DayOrderBasis::Values)
        );
        assert_eq!(
            parse_day("03/04/2026", &r).unwrap().unwrap().as_str(),
            "2026-04-03"
        );
        assert_eq!(
            parse_day("04/25/2026", &r).unwrap_err(),
            "\"04/25/2026\" is not a valid day-first date, as this file writes them (e.g. 14/07/2026)"
        );
        let undecided = DayOrderEvidence::default().decide(None, latest.clone());
        assert!(parse_day("03/04/2026", &undecided)
            .unwrap_err()
            .contains("could be day 3 or day 4 of its month"));
        assert_eq!(
            parse_day("04/04/2026", &undecided)
                .unwrap()
                .unwrap()
                .as_str(),
            "2026-04-04"
        );
        let by_convention =
            DayOrderEvidence::default().decide(Some(DayOrder::MonthFirst), latest.clone());
        assert_eq!(
            parse_day("03/04/2026", &by_convention)
                .unwrap()
                .unwrap()
                .as_str(),
            "2026-03-04"
        );
        let mut both = DayOrderEvidence::default();
        both.observe("25/03/2026");
        both.observe("03/25/2026");
        let conflicting = both.decide(Some(DayOrder::MonthFirst), latest);
        assert_eq!(conflicting.basis, DayOrderBasis::Conflicting);
        assert!(parse_day("03/04/2026", &conflicting).is_err());
        assert_eq!(
            parse_day("25/03/2026", &conflicting)
                .unwrap()
                .unwrap()
                .as_str(),
            "2026-03-25"
        );
    }

    #[test]
    fn publish_times_keep_time_and_offset() {
        let t = |s: &str| {
            parse_timestamp(s, &rules(Some(DayOrder::MonthFirst)))
                .unwrap()
                .unwrap()
                .as_str()
                .to_owned()
        };
        assert_eq!(t("2021-11-30 16:00 +0000"), "2021-11-30T16:00+00:00");
        assert_eq!(t("2026-07-14T23:10:00.000Z"), "2026-07-14T23:10:00Z");
        assert_eq!(t("2026年03月24日17时33分05秒"), "2026-03-24T17:33:05");
        assert_eq!(t("Mar 15, 2025"), "2025-03-15");
        assert_eq!(t("06/03/2026 9:15 AM"), "2026-06-03T09:15");
        assert_eq!(t("06/03/2026 12:05 PM"), "2026-06-03T12:05");
        assert_eq!(t("2026-07-14 10:05:33"), "2026-07-14T10:05:33");
        let rn = parse_timestamp("2026年07月14日19时32分08秒", &rules(None))
            .unwrap()
            .unwrap();
        assert_eq!(rn.minute_key(), "2026-07-14 19:32");
    }

    #[test]
    fn periods_from_file_names() {
        let up = Day::parse("2026-11-30").unwrap();
        let p = |name: &str| {
            period_in_name(name, &up).map(|(s, e)| (s.map(|d| d.to_string()), e.to_string()))
        };
        assert_eq!(
            p("tweet_activity_metrics_rOpenSci_20211101_20211201_en.csv"),
            Some((Some("2021-11-01".into()), "2021-12-01".into()))
        );
        assert_eq!(
            p("account_analytics_content_2024-11-21_2025-02-19.csv"),
            Some((Some("2024-11-21".into()), "2025-02-19".into()))
        );
        assert_eq!(
            p("Content 2025-06-13_2026-06-12 Demo Channel.zip"),
            Some((Some("2025-06-13".into()), "2026-06-12".into()))
        );
        assert_eq!(
            p("pro-efficient-data-entry_content_1742193384396.xls"),
            Some((None, "2025-03-17".into()))
        );
        assert_eq!(p("Table data.csv"), None);
        assert_eq!(
            p("export_2099-01-01.csv"),
            None,
            "implausible dates are ignored"
        );
    }

    proptest::proptest! {
        /// Any cell, under any rule, is a day, a reason or nothing, never a panic; a day read is plausible.
        #[test]
        fn any_cell_reads_or_is_refused(cell in "\\PC{0,24}|[0-9/.: -]{0,20}|[0-9]{4}-[0-9]{2}-[0-9]{2}\\PC{0,6}") {
            for order in [None, Some(DayOrder::MonthFirst), Some(DayOrder::DayFirst)] {
                let r = rules(order);
                if let Ok(Some(t)) = parse_timestamp(&cell, &r) {
                    proptest::prop_assert!(t.day().to_date() >= EARLIEST && *t.day() <= r.latest);
                }
                let _ = parse_day(&cell, &r);
            }
            let _ = period_in_name(&cell, &Day::parse("2026-11-30").unwrap());
        }
    }
}
