//! Timestamps as the table stores them: ISO-8601 in one fixed shape, so that comparing two as strings compares
//! the instants (leases, watermarks, `capturedAt`).

use time::{OffsetDateTime, UtcOffset};

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` (JavaScript's `toISOString`), in UTC.
pub fn iso_millis(at: OffsetDateTime) -> String {
    let at = at.to_offset(UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.millisecond()
    )
}

/// The current instant as [`iso_millis`] writes it.
pub fn now_iso() -> String {
    iso_millis(OffsetDateTime::now_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_millis_sorts_like_time() {
        let a = iso_millis(time::macros::datetime!(2026-01-02 03:04:05.678 UTC));
        assert_eq!(a, "2026-01-02T03:04:05.678Z");
        let b = iso_millis(time::macros::datetime!(2026-01-02 03:04:05.678 +02:00));
        assert!(b < a);
    }
}
