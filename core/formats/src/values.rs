//! Cell values as analytics exports write them: `1,234`, `3423.0`, `-` for none, `12.5%`, `1.2万`, durations like
//! `0:00:25`, and dates such as `2021-12-28 16:45 +0000`, `Tue, Jul 14, 2026`, `Mar 15, 2025` or ISO.
//!
//! Every parser returns `Ok(None)` for an empty or "no value" cell and `Err(reason)` with a sentence a person can
//! act on; the caller adds file, line and column.

use std::borrow::Cow;

use time::macros::format_description;
use time::{Date, Month as TimeMonth, PrimitiveDateTime};

use creatoros_ids::Day;

/// A cell quoted for an error message, cut to 40 characters so a huge cell cannot flood a report.
pub fn show(cell: &str) -> String {
    if cell.chars().count() <= 40 {
        format!("{cell:?}")
    } else {
        let head: String = cell.chars().take(37).collect();
        format!("{:?}", format!("{head}...")) + &format!(" ({} characters)", cell.chars().count())
    }
}

/// Cells that mean "no value" in one export or another.
fn is_blank(cell: &str) -> bool {
    matches!(
        cell,
        "" | "-" | "--" | "—" | "N/A" | "n/a" | "NA" | "null" | "None"
    )
}

/// A decimal number as written in an export: thousands separators (`,`, `'`, thin or plain spaces) removed,
/// an optional `%` suffix (returned as the percentage, not divided), and the Chinese `万` (×10,000) and
/// `亿` (×100,000,000) suffixes, and `K`/`M` abbreviations.
pub fn parse_decimal(cell: &str) -> Result<Option<f64>, String> {
    let cell = cell.trim();
    if is_blank(cell) {
        return Ok(None);
    }
    let (body, scale) = if let Some(b) = cell.strip_suffix('万') {
        (b, 1e4)
    } else if let Some(b) = cell.strip_suffix('亿') {
        (b, 1e8)
    } else if let Some(b) = cell.strip_suffix(['k', 'K']) {
        (b, 1e3)
    } else if let Some(b) = cell.strip_suffix('M') {
        (b, 1e6)
    } else {
        (cell.strip_suffix('%').unwrap_or(cell), 1.0)
    };
    let separator = |c: char| matches!(c, ',' | '\'' | ' ' | '\u{a0}' | '\u{202f}' | '+');
    // Most cells have no separators: check them in place instead of copying every cell.
    let cleaned: Cow<str> = if body.contains(separator) {
        Cow::Owned(body.chars().filter(|c| !separator(*c)).collect())
    } else {
        Cow::Borrowed(body)
    };
    // Only plain decimal notation: no "inf", "NaN", hex or exponents sneak in through f64's parser.
    let plain = !cleaned.is_empty()
        && cleaned
            .chars()
            .enumerate()
            .all(|(i, c)| c.is_ascii_digit() || c == '.' || (c == '-' && i == 0))
        && cleaned.matches('.').count() <= 1
        && cleaned.chars().any(|c| c.is_ascii_digit());
    if !plain {
        return Err(format!("{} is not a number", show(cell)));
    }
    let value: f64 = cleaned
        .parse()
        .map_err(|_| format!("{} is not a number", show(cell)))?;
    // A few hundred digits parse as infinity, which no item can store.
    finite(value * scale, cell).map(Some)
}

fn finite(value: f64, cell: &str) -> Result<f64, String> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(format!("{} is too large", show(cell.trim())))
    }
}

/// A count: a whole, non-negative number (`3423.0` is fine, `3423.5` and `-2` are not).
pub fn parse_count(cell: &str) -> Result<Option<u64>, String> {
    // The common cell, plain digits, exactly as the general path would read it: 15 digits stay below 2^53,
    // where f64 is still exact, and far below the 9e15 limit.
    if (1..=15).contains(&cell.len()) && cell.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(v) = cell.parse() {
            return Ok(Some(v));
        }
    }
    count_of_decimal(cell)
}

/// A count by way of the general decimal reading (separators, suffixes, `3423.0`).
fn count_of_decimal(cell: &str) -> Result<Option<u64>, String> {
    match parse_decimal(cell)? {
        None => Ok(None),
        Some(v) if v < 0.0 => Err(format!(
            "{} is negative; counts cannot be",
            show(cell.trim())
        )),
        Some(v) if v.fract() != 0.0 && (v.round() - v).abs() > 1e-6 => {
            Err(format!("{} is not a whole number", show(cell.trim())))
        }
        Some(v) if v > 9.0e15 => Err(format!("{} is too large to be a count", show(cell.trim()))),
        Some(v) => Ok(Some(v.round() as u64)),
    }
}

/// A whole number that may be negative (net followers gained).
pub fn parse_signed(cell: &str) -> Result<Option<i64>, String> {
    match parse_decimal(cell)? {
        None => Ok(None),
        Some(v) if (v.round() - v).abs() > 1e-6 => {
            Err(format!("{} is not a whole number", show(cell.trim())))
        }
        Some(v) if v.abs() > 9.0e15 => Err(format!("{} is too large", show(cell.trim()))),
        Some(v) => Ok(Some(v.round() as i64)),
    }
}

/// A duration in seconds: plain seconds, or `h:mm:ss` / `m:ss`.
pub fn parse_duration_seconds(cell: &str) -> Result<Option<f64>, String> {
    let cell = cell.trim();
    if is_blank(cell) {
        return Ok(None);
    }
    if !cell.contains(':') {
        return match parse_decimal(cell)? {
            Some(v) if v < 0.0 => Err(format!("{} is a negative duration", show(cell))),
            other => Ok(other),
        };
    }
    let mut total = 0.0;
    let parts: Vec<&str> = cell.split(':').collect();
    if parts.len() > 3 {
        return Err(format!("{} is not a duration (h:mm:ss)", show(cell)));
    }
    for part in parts {
        let v: f64 = part
            .parse()
            .ok()
            .filter(|v: &f64| *v >= 0.0 && v.is_finite())
            .ok_or_else(|| format!("{} is not a duration (h:mm:ss)", show(cell)))?;
        total = total * 60.0 + v;
    }
    finite(total, cell).map(Some)
}

/// Hours (YouTube's `Watch time (hours)`) as seconds, rounded to the millisecond.
pub fn parse_hours_as_seconds(cell: &str) -> Result<Option<f64>, String> {
    match parse_decimal(cell)? {
        None => Ok(None),
        Some(h) if h < 0.0 => Err(format!("{} is a negative duration", show(cell.trim()))),
        Some(h) => finite((h * 3_600_000.0).round() / 1000.0, cell).map(Some),
    }
}

/// The calendar day of a date or timestamp as exports write it. Times and offsets are dropped: the day is the
/// one printed (exports print it in the account's time zone, which is the day the creator means).
pub fn parse_day(cell: &str) -> Result<Option<Day>, String> {
    // The common cell, a plain ISO day, is already the stored form: validate it in place (the general path
    // would parse it, format it back to the same text, and validate that).
    let iso = |(i, b): (usize, u8)| {
        if i == 4 || i == 7 {
            b == b'-'
        } else {
            b.is_ascii_digit()
        }
    };
    if cell.len() == 10 && cell.bytes().enumerate().all(iso) {
        if let Ok(day) = Day::parse(cell) {
            return Ok(Some(day));
        }
    }
    day_of_any_date(cell)
}

/// A day in any of the accepted date forms.
fn day_of_any_date(cell: &str) -> Result<Option<Day>, String> {
    let cell = cell.trim();
    if is_blank(cell) {
        return Ok(None);
    }
    let date = parse_date(cell).ok_or_else(|| {
        format!(
            "{} is not a date (expected e.g. 2026-07-14, Jul 14, 2026 or 07/14/2026)",
            show(cell)
        )
    })?;
    Day::from_date(date)
        .map(Some)
        .map_err(|_| format!("{} is out of range", show(cell)))
}

fn parse_date(cell: &str) -> Option<Date> {
    // ISO first: 2026-07-14, 2026-07-14T10:00:00Z, 2026-07-14 10:00, 2021-12-28 16:45 +0000.
    if cell.len() >= 10 && cell.as_bytes()[4] == b'-' {
        let head = cell.get(..10)?;
        let rest = &cell[10..];
        if rest.is_empty() || rest.starts_with(['T', ' ', 't']) {
            return Date::parse(head, format_description!("[year]-[month]-[day]")).ok();
        }
        return None;
    }
    // Slashes: 2026/07/14 (Rednote, ISO-like) or 07/14/2026 (US, as LinkedIn and Sheets write it).
    if let Some(d) = slash_date(cell) {
        return Some(d);
    }
    // Chinese: 2026年07月14日 (optionally followed by a time).
    if let Some((y, rest)) = cell.split_once('年') {
        let (m, rest) = rest.split_once('月')?;
        let d = rest.split('日').next()?;
        let month = TimeMonth::try_from(m.trim().parse::<u8>().ok()?).ok()?;
        return Date::from_calendar_date(y.trim().parse().ok()?, month, d.trim().parse().ok()?)
            .ok();
    }
    // Month names: "Tue, Jul 14, 2026", "Jul 14, 2026", "July 14, 2026", "14 Jul 2026".
    month_name_date(cell)
}

fn slash_date(cell: &str) -> Option<Date> {
    let head = cell.split([' ', 'T']).next()?;
    let parts: Vec<&str> = head.split('/').collect();
    if parts.len() != 3 {
        return None;
    }
    let n: Vec<i32> = parts
        .iter()
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let (y, m, d) = if parts[0].len() == 4 {
        (n[0], n[1], n[2])
    } else if parts[2].len() == 4 {
        (n[2], n[0], n[1])
    } else {
        return None;
    };
    Date::from_calendar_date(
        y,
        TimeMonth::try_from(u8::try_from(m).ok()?).ok()?,
        u8::try_from(d).ok()?,
    )
    .ok()
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
    const NAMES: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let lower = word.trim_end_matches('.').to_ascii_lowercase();
    if lower.len() < 3 {
        return None;
    }
    let i = NAMES.iter().position(|n| lower.starts_with(n))?;
    let full = [
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
    // "Sept" is common; otherwise the word is the abbreviation or the full name.
    (lower.len() == 3 || full[i].starts_with(&lower) || lower == "sept")
        .then(|| TimeMonth::try_from(i as u8 + 1).ok())
        .flatten()
}

/// A timestamp with time of day, for ids derived from "title + publish time" (Rednote): normalised to
/// `YYYY-MM-DD HH:MM` so two exports of the same note agree.
pub fn normalise_timestamp(cell: &str) -> Option<String> {
    let cell = cell.trim();
    let day = parse_date(cell)?;
    // Chinese exports write the time as 19时32分08秒 right after the day.
    let chinese_time = cell
        .split_once('日')
        .map(|(_, t)| t.trim().replace(['时', '分'], ":").replace('秒', ""));
    let time_part = match &chinese_time {
        Some(t) if t.contains(':') => t.as_str(),
        _ => cell
            .split([' ', 'T'])
            .find(|p| p.contains(':'))
            .unwrap_or("00:00"),
    };
    let mut hm = time_part.split(':');
    let h: u8 = hm.next()?.trim().parse().ok()?;
    let m: u8 = hm.next()?.get(..2)?.parse().ok()?;
    let t = time::Time::from_hms(h, m, 0).ok()?;
    let at = PrimitiveDateTime::new(day, t);
    Some(format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_exports_write_them() {
        assert_eq!(parse_count("1,234").unwrap(), Some(1234));
        assert_eq!(
            parse_count("\"1777.0\"".trim_matches('"')).unwrap(),
            Some(1777)
        );
        assert_eq!(parse_count(" 12 ").unwrap(), Some(12));
        assert_eq!(parse_count("1.2万").unwrap(), Some(12_000));
        assert_eq!(parse_count("3.4K").unwrap(), Some(3_400));
        assert_eq!(parse_count("1 234").unwrap(), Some(1234));
        for blank in ["", "-", "--", "N/A", "  "] {
            assert_eq!(parse_count(blank).unwrap(), None, "{blank:?}");
        }
    }

    #[test]
    fn counts_refuse_what_is_not_a_count() {
        assert_eq!(
            parse_count("-2").unwrap_err(),
            "\"-2\" is negative; counts cannot be"
        );
        assert_eq!(
            parse_count("3423.5").unwrap_err(),
            "\"3423.5\" is not a whole number"
        );
        assert_eq!(parse_count("abc").unwrap_err(), "\"abc\" is not a number");
        for bad in ["inf", "NaN", "1e5", "0x10", "1.2.3", ".", "--5"] {
            assert!(parse_count(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn signed_counts_and_percentages() {
        assert_eq!(parse_signed("-5").unwrap(), Some(-5));
        assert_eq!(parse_decimal("12.5%").unwrap(), Some(12.5));
    }

    #[test]
    fn huge_cells_are_cut_in_messages() {
        let err = parse_count(&"9".repeat(1_000_000).replace('9', "x")).unwrap_err();
        assert!(err.len() < 100, "{err}");
        assert!(
            err.ends_with("(1000000 characters) is not a number"),
            "{err}"
        );
    }

    #[test]
    fn numbers_too_large_for_a_float_are_refused_not_infinite() {
        let digits = "9".repeat(400);
        assert!(parse_decimal(&digits)
            .unwrap_err()
            .ends_with("is too large"));
        assert!(parse_duration_seconds(&digits).is_err());
        assert!(parse_duration_seconds("1e308:0:0").is_err());
        assert!(parse_hours_as_seconds(&format!("1{}", "0".repeat(306))).is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration_seconds("0:00:25").unwrap(), Some(25.0));
        assert_eq!(parse_duration_seconds("1:02:03").unwrap(), Some(3723.0));
        assert_eq!(parse_duration_seconds("4:05").unwrap(), Some(245.0));
        assert_eq!(parse_duration_seconds("61").unwrap(), Some(61.0));
        assert!(parse_duration_seconds("1:xx").is_err());
        assert_eq!(
            parse_hours_as_seconds("226.6398").unwrap(),
            Some(815_903.28)
        );
    }

    #[test]
    fn dates_in_every_shape_seen() {
        let d = |s: &str| parse_day(s).unwrap().unwrap().to_string();
        assert_eq!(d("2021-12-28 16:45 +0000"), "2021-12-28");
        assert_eq!(d("2026-07-14"), "2026-07-14");
        assert_eq!(d("2026-07-14T23:10:00.000Z"), "2026-07-14");
        assert_eq!(d("Tue, Jul 14, 2026"), "2026-07-14");
        assert_eq!(d("Mar 15, 2025"), "2025-03-15");
        assert_eq!(d("March 15, 2025"), "2025-03-15");
        assert_eq!(d("15 Sept 2025"), "2025-09-15");
        assert_eq!(d("07/14/2026"), "2026-07-14");
        assert_eq!(d("2026/07/14 10:00"), "2026-07-14");
        assert_eq!(d("2026年07月14日 10:00"), "2026-07-14");
        assert_eq!(parse_day("").unwrap(), None);
    }

    #[test]
    fn impossible_dates_are_refused() {
        for bad in [
            "2025-02-30",
            "2025-13-01",
            "Feb 30, 2025",
            "yesterday",
            "13/13/2025",
            "2025-02-3",
            "Marchy 1, 2025",
        ] {
            assert!(parse_day(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn timestamps_normalise_for_ids() {
        assert_eq!(
            normalise_timestamp("2026-07-14 10:05:33").as_deref(),
            Some("2026-07-14 10:05")
        );
        assert_eq!(
            normalise_timestamp("2026年07月14日 10:05").as_deref(),
            Some("2026-07-14 10:05")
        );
        assert_eq!(
            normalise_timestamp("2026年07月14日19时32分08秒").as_deref(),
            Some("2026-07-14 19:32")
        );
        assert_eq!(
            normalise_timestamp("2026-07-14").as_deref(),
            Some("2026-07-14 00:00")
        );
    }

    proptest::proptest! {
        /// The digits-only shortcut reads every cell exactly as the general path does.
        #[test]
        fn counts_read_the_same_with_or_without_the_shortcut(cell in "[0-9]{0,18}|[0-9 ,.+-]{0,20}") {
            proptest::prop_assert_eq!(parse_count(&cell), count_of_decimal(&cell));
        }
    }

    proptest::proptest! {
        /// The ISO shortcut gives the day (or the error) the general date reading gives.
        #[test]
        fn days_read_the_same_with_or_without_the_shortcut(
            cell in "[0-9+]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
        ) {
            proptest::prop_assert_eq!(parse_day(&cell), day_of_any_date(&cell));
        }
    }
}
