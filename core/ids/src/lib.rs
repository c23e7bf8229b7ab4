//! Validated identifiers and calendar values that end up inside DynamoDB keys.
//!
//! ElectroDB joins key composites with `#` and labels them with `_`, and never escapes either (see the contract
//! vectors). A composite that could carry `#`, `$` or free text could therefore forge a neighbouring key segment,
//! so every value the pipeline puts into a key is one of the types here, and each type can only be built by a
//! parser that rejects such values with an [`InvalidValue`] naming the field, the value and the rule.
//!
//! The crate has no AWS dependency: the format readers, the rules and the table contract all build on it.
//! [`Platform`] (the closed set of platforms) and [`timestamp`] (the one timestamp shape the table stores) live
//! here for the same reason.

#![deny(clippy::all)]
#![warn(missing_docs)]

mod platform;
pub mod timestamp;

pub use platform::Platform;

/// 16 hex characters of SHA-256 over `text`: the stable part of every derived id (Rednote notes, imports,
/// insights), the same on every run and machine.
pub fn short_hash(text: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(text.as_bytes());
    hex::encode(&digest[..8])
}

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

/// Why a value was refused as a key composite.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {field} {value:?}: {rule}")]
pub struct InvalidValue {
    /// Which kind of value was being parsed (`workspaceId`, `postId`, `month`, ...).
    pub field: &'static str,
    /// The offending input, verbatim (truncated to 80 characters so huge cells stay readable).
    pub value: String,
    /// The rule it broke, phrased for a person reading an import report.
    pub rule: &'static str,
}

impl InvalidValue {
    fn new(field: &'static str, value: &str, rule: &'static str) -> Self {
        let value = if value.chars().count() > 80 {
            let mut cut: String = value.chars().take(77).collect();
            cut.push_str("...");
            cut
        } else {
            value.to_owned()
        };
        Self { field, value, rule }
    }
}

/// True when `s` is 1..=`max` characters of `[A-Za-z0-9_-]`.
fn is_token(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Declares a `String` newtype whose only constructor is a validating parser, with serde going through it.
macro_rules! validated_string {
    ($(#[$doc:meta])* $name:ident, $field:literal, $check:expr, $rule:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Parses and validates; the error names the field and the rule.
            pub fn parse(value: impl AsRef<str>) -> Result<Self, InvalidValue> {
                let value = value.as_ref();
                let check: fn(&str) -> bool = $check;
                if check(value) {
                    Ok(Self(value.to_owned()))
                } else {
                    Err(InvalidValue::new($field, value, $rule))
                }
            }

            /// The value as written into attributes and keys.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = InvalidValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(deserializer)?;
                Self::parse(raw).map_err(serde::de::Error::custom)
            }
        }
    };
}

/// The prefix of the public demo workspaces (`DEMO#judge`); the only place a `#` may appear in an id.
pub const DEMO_PREFIX: &str = "DEMO#";

validated_string!(
    /// A tenant: a Clerk user or organisation id (`[A-Za-z0-9_-]{1,64}`, case-sensitive) or a public demo
    /// workspace `DEMO#<slug>` with a slug of `[A-Za-z0-9_-]{1,59}`.
    WorkspaceId,
    "workspaceId",
    |s| match s.strip_prefix(DEMO_PREFIX) {
        Some(slug) => is_token(slug, 64 - DEMO_PREFIX.len()),
        None => is_token(s, 64),
    },
    "must be 1-64 characters of A-Z a-z 0-9 _ - (or DEMO#<slug>)"
);

validated_string!(
    /// A post, insight, task or import id: `[A-Za-z0-9_-]{1,128}`.
    ItemId,
    "id",
    |s| is_token(s, 128),
    "must be 1-128 characters of A-Z a-z 0-9 _ -"
);

validated_string!(
    /// A Clerk user id as the owner of a profile: `[A-Za-z0-9_-]{1,64}`.
    OwnerId,
    "ownerId",
    |s| is_token(s, 64),
    "must be 1-64 characters of A-Z a-z 0-9 _ -"
);

validated_string!(
    /// A calendar month `YYYY-MM`.
    Month,
    "month",
    |s| {
        let b = s.as_bytes();
        b.len() == 7
            && b[4] == b'-'
            && b[..4].iter().chain(&b[5..]).all(u8::is_ascii_digit)
            && matches!(s[5..].parse::<u8>(), Ok(1..=12))
    },
    "must be a month written YYYY-MM"
);

validated_string!(
    /// A calendar day `YYYY-MM-DD` that exists (no 2025-02-30).
    Day,
    "date",
    |s| time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).is_ok()
        && s.len() == 10,
    "must be a real calendar date written YYYY-MM-DD"
);

/// Post ids, insight ids, task ids and import ids share one rule.
pub type PostId = ItemId;

impl Day {
    /// The month this day belongs to.
    pub fn month(&self) -> Month {
        Month(self.0[..7].to_owned())
    }

    /// The day as a `time::Date` (always succeeds: the constructor checked it).
    pub fn to_date(&self) -> time::Date {
        time::Date::parse(
            &self.0,
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .expect("Day is validated on construction")
    }

    /// Builds a day from a `time::Date` (only years 0000-9999 are representable).
    pub fn from_date(date: time::Date) -> Result<Self, InvalidValue> {
        Self::parse(format!(
            "{:04}-{:02}-{:02}",
            date.year(),
            u8::from(date.month()),
            date.day()
        ))
    }
}

impl Month {
    /// The month before this one (`2025-01` → `2024-12`); `None` before `0000-01`, the first month there is.
    pub fn previous(&self) -> Option<Month> {
        let year: u16 = self.0[..4].parse().expect("validated");
        let month: u8 = self.0[5..].parse().expect("validated");
        let (y, m) = match (year, month) {
            (0, 1) => return None,
            (y, 1) => (y - 1, 12),
            (y, m) => (y, m - 1),
        };
        Some(Month(format!("{y:04}-{m:02}")))
    }

    /// The month after this one; `None` after `9999-12`.
    pub fn next(&self) -> Option<Month> {
        let (y, m) = self.parts();
        let (y, m) = match (y, m) {
            (9999, 12) => return None,
            (y, 12) => (y + 1, 1),
            (y, m) => (y, m + 1),
        };
        Some(Month(format!("{y:04}-{m:02}")))
    }

    /// The month `n` months earlier, stopping at `0000-01`.
    pub fn months_before(&self, n: u32) -> Month {
        let mut m = self.clone();
        for _ in 0..n {
            match m.previous() {
                Some(p) => m = p,
                None => break,
            }
        }
        m
    }

    /// Its first day.
    pub fn first_day(&self) -> time::Date {
        let (y, m) = self.parts();
        time::Date::from_calendar_date(
            i32::from(y),
            time::Month::try_from(m).expect("validated"),
            1,
        )
        .expect("validated")
    }

    /// Its last day.
    pub fn last_day(&self) -> time::Date {
        let (y, m) = self.parts();
        let month = time::Month::try_from(m).expect("validated");
        time::Date::from_calendar_date(i32::from(y), month, month.length(i32::from(y)))
            .expect("validated")
    }

    fn parts(&self) -> (u16, u8) {
        (
            self.0[..4].parse().expect("validated"),
            self.0[5..].parse().expect("validated"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn demo_workspace_is_the_only_id_with_a_hash() {
        assert!(WorkspaceId::parse("DEMO#judge").is_ok());
        assert!(WorkspaceId::parse("user_2abcXYZ").is_ok());
        assert!(WorkspaceId::parse("org#evil").is_err());
        assert!(WorkspaceId::parse("DEMO#").is_err());
        assert!(WorkspaceId::parse("DEMO#a#month_2025-01").is_err());
        assert!(ItemId::parse("a#b").is_err());
    }

    #[test]
    fn rejection_names_field_value_and_rule() {
        let err = WorkspaceId::parse("ws$1").unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid workspaceId \"ws$1\": must be 1-64 characters of A-Z a-z 0-9 _ - (or DEMO#<slug>)"
        );
    }

    #[test]
    fn huge_values_are_truncated_in_errors() {
        let err = ItemId::parse("x".repeat(10_000)).unwrap_err();
        assert_eq!(err.value.chars().count(), 80);
    }

    #[test]
    fn days_must_exist() {
        assert!(Day::parse("2024-02-29").is_ok());
        assert!(Day::parse("2025-02-29").is_err());
        assert!(Day::parse("2025-13-01").is_err());
        assert!(Day::parse("2025-1-01").is_err());
        assert!(Day::parse("+2025-01-01").is_err());
        assert_eq!(
            Day::parse("2025-03-31").unwrap().month().as_str(),
            "2025-03"
        );
    }

    #[test]
    fn months_step_both_ways_and_know_their_days() {
        let feb = Month::parse("2024-02").unwrap();
        assert_eq!(feb.first_day().to_string(), "2024-02-01");
        assert_eq!(feb.last_day().to_string(), "2024-02-29");
        assert_eq!(feb.months_before(2).as_str(), "2023-12");
        assert_eq!(
            Month::parse("2024-12").unwrap().next().unwrap().as_str(),
            "2025-01"
        );
        assert_eq!(Month::parse("9999-12").unwrap().next(), None);
        assert_eq!(
            Month::parse("0000-02").unwrap().months_before(5).as_str(),
            "0000-01"
        );
    }

    #[test]
    fn months_roll_back_over_new_year() {
        assert_eq!(
            Month::parse("2025-01")
                .unwrap()
                .previous()
                .unwrap()
                .as_str(),
            "2024-12"
        );
        assert_eq!(
            Month::parse("2025-10")
                .unwrap()
                .previous()
                .unwrap()
                .as_str(),
            "2025-09"
        );
        assert!(Month::parse("2025-00").is_err());
        // Found by fuzzing: the month before 0000-01 came out as "-001-12".
        assert_eq!(Month::parse("0000-01").unwrap().previous(), None);
        assert_eq!(
            Month::parse("0000-02")
                .unwrap()
                .previous()
                .unwrap()
                .as_str(),
            "0000-01"
        );
        assert!(Month::parse("2025-1x").is_err());
    }

    #[test]
    fn serde_goes_through_the_parser() {
        let ok: WorkspaceId = serde_json::from_str("\"DEMO#judge\"").unwrap();
        assert_eq!(ok.as_str(), "DEMO#judge");
        let err = serde_json::from_str::<ItemId>("\"p#1\"").unwrap_err();
        assert!(err.to_string().contains("invalid id \"p#1\""), "{err}");
    }

    proptest! {
        #[test]
        fn no_valid_id_can_contain_a_key_separator(s in "\\PC{0,80}") {
            for ok in [WorkspaceId::parse(&s).map(|v| v.0), ItemId::parse(&s).map(|v| v.0)].into_iter().flatten() {
                let rest = ok.strip_prefix(DEMO_PREFIX).unwrap_or(&ok);
                prop_assert!(!rest.contains('#') && !rest.contains('$'));
            }
        }

        #[test]
        fn ids_round_trip(s in "[A-Za-z0-9_-]{1,64}") {
            prop_assert_eq!(WorkspaceId::parse(&s).unwrap().to_string(), s.clone());
            prop_assert_eq!(ItemId::parse(&s).unwrap().to_string(), s);
        }
    }
}
