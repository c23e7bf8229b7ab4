//! Cell values as analytics exports write them: `1,234`, `3423.0`, `-` for none, `12.5%`, `1.2万`, durations like
//! `0:00:25` or `15.20秒`, rates, and titles. Dates are in [`crate::dates`].
//!
//! Every parser returns `Ok(None)` for an empty or "no value" cell and `Err(reason)` with a sentence a person can
//! act on; the caller adds file, line and column.

use std::borrow::Cow;

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
pub(crate) fn is_blank(cell: &str) -> bool {
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

/// A duration in seconds: plain seconds (`61`, `15.20秒`, `15.2s`), or `h:mm:ss` / `m:ss`.
pub fn parse_duration_seconds(cell: &str) -> Result<Option<f64>, String> {
    let cell = cell.trim();
    if is_blank(cell) {
        return Ok(None);
    }
    let cell = cell.strip_suffix(['秒', 's']).map_or(cell, str::trim_end);
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

/// A rate: `6.50%` is 0.065 wherever it is written; a bare number is a percentage in columns that say so
/// (`Impressions click-through rate (%)`: `3.51` is 0.0351) and a fraction elsewhere (a workbook's `0.221`).
pub fn parse_rate(cell: &str, bare_is_percent: bool) -> Result<Option<f64>, String> {
    let trimmed = cell.trim();
    let percent = bare_is_percent || trimmed.ends_with('%');
    let Some(v) = parse_decimal(trimmed)? else {
        return Ok(None);
    };
    let rate = if percent { v / 100.0 } else { v };
    if !(0.0..=1.0).contains(&rate) {
        return Err(format!(
            "{} is not a rate between 0% and 100%",
            show(trimmed)
        ));
    }
    Ok(Some((rate * 1e6).round() / 1e6))
}

/// Characters a title shows nothing for: soft hyphens and zero-width spaces, joiners and marks.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{ad}' | '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{2060}' | '\u{feff}'
    )
}

/// Longest title kept, in characters: enough for any headline, short enough for a list.
pub const TITLE_CHARS: usize = 200;

/// A post's title or text as people should read it: invisible characters (soft hyphens, zero-width spaces)
/// dropped, every run of whitespace (line breaks, no-break and en spaces) one space, cut at [`TITLE_CHARS`] on a
/// word boundary with an ellipsis. `None` when nothing is left.
pub fn clean_title(text: &str) -> Option<String> {
    // Most titles need nothing: one scan, one copy.
    let trimmed = text.trim_matches(' ');
    let mut previous = ' ';
    let mut chars = 0;
    let plain = trimmed.chars().all(|c| {
        let fine = !(c.is_whitespace() && (c != ' ' || previous == ' ')) && !is_invisible(c);
        previous = c;
        chars += 1;
        fine
    });
    if plain && !trimmed.is_empty() && chars <= TITLE_CHARS {
        return Some(trimmed.to_owned());
    }
    general_title(text)
}

/// [`clean_title`] for any text.
fn general_title(text: &str) -> Option<String> {
    let visible: String = text.chars().filter(|c| !is_invisible(*c)).collect();
    let words: Vec<&str> = visible.split_whitespace().collect();
    if words.is_empty() {
        return None;
    }
    let total: usize = words.iter().map(|w| w.chars().count()).sum::<usize>() + words.len() - 1;
    if total <= TITLE_CHARS {
        return Some(words.join(" "));
    }
    // Too long: whole words up to one character short of the limit, then the ellipsis.
    let room = TITLE_CHARS - 1;
    let mut out = String::new();
    for word in &words {
        let extra = usize::from(!out.is_empty()) + word.chars().count();
        if out.chars().count() + extra > room {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    if out.is_empty() {
        out = words[0].chars().take(room).collect();
    }
    out.push('…');
    Some(out)
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
    fn rates_as_percent_or_fraction() {
        assert_eq!(parse_rate("6.50%", false).unwrap(), Some(0.065));
        assert_eq!(parse_rate("0.221", false).unwrap(), Some(0.221));
        assert_eq!(parse_rate("3.51", true).unwrap(), Some(0.0351));
        assert_eq!(parse_rate("", true).unwrap(), None);
        assert!(parse_rate("140%", false).is_err());
        assert!(parse_rate("-1", true).is_err());
    }

    #[test]
    fn titles_read_as_people_read_them() {
        assert_eq!(
            clean_title("  Fresh Air Day\u{2002}2025 –\n\nClean\u{ad} air ").as_deref(),
            Some("Fresh Air Day 2025 – Clean air")
        );
        assert_eq!(clean_title(" \n "), None);
        let long = "word ".repeat(100);
        let cut = clean_title(&long).unwrap();
        assert!(
            cut.chars().count() <= TITLE_CHARS && cut.ends_with("word…"),
            "{cut}"
        );
        let one = "x".repeat(500);
        assert_eq!(clean_title(&one).unwrap().chars().count(), TITLE_CHARS);
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
        assert_eq!(parse_duration_seconds("15.20秒").unwrap(), Some(15.2));
        assert_eq!(parse_duration_seconds("15.2s").unwrap(), Some(15.2));
        assert!(parse_duration_seconds("1:xx").is_err());
        assert_eq!(
            parse_hours_as_seconds("226.6398").unwrap(),
            Some(815_903.28)
        );
    }

    proptest::proptest! {
        /// The one-copy shortcut gives the title the general cleaning gives.
        #[test]
        fn titles_read_the_same_with_or_without_the_shortcut(text in "\\PC{0,260}|[a-z \\n\\t\u{ad}\u{a0}]{0,40}") {
            proptest::prop_assert_eq!(clean_title(&text), general_title(&text));
        }
    }

    proptest::proptest! {
        /// The digits-only shortcut reads every cell exactly as the general path does.
        #[test]
        fn counts_read_the_same_with_or_without_the_shortcut(cell in "[0-9]{0,18}|[0-9 ,.+-]{0,20}") {
            proptest::prop_assert_eq!(parse_count(&cell), count_of_decimal(&cell));
        }
    }
}
