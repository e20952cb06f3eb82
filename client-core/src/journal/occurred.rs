//! When an incident happened, as precisely as the survivor remembers it.
//!
//! Accepted forms (civil time, no zone, as written):
//! - `YYYY-MM-DD HH:MM` (or with `T`): minute precision, stored as `YYYY-MM-DDTHH:MM`;
//! - `YYYY-MM-DD`: a day;
//! - `YYYY-MM`: a month;
//! - `START..END` where both ends are one of the forms above: an approximate range.
//!
//! Dates are checked against the calendar (no 31 April). [`display`] gives back the
//! written form, with a space rather than `T`. [`sort_key`] orders by the start.

use chrono::{NaiveDate, NaiveDateTime};
use mycase_proto::v1::{occurred_at::Precision, OccurredAt};

use super::JournalError;

/// Parses the survivor's description of when something happened.
pub fn parse(s: &str) -> Result<OccurredAt, JournalError> {
    let s = s.trim();
    if let Some((start, end)) = s.split_once("..") {
        let (start_text, _, start_at) = parse_point(start.trim())?;
        let (end_text, _, end_at) = parse_point(end.trim())?;
        if end_at < start_at {
            return Err(invalid("a range must not end before it starts"));
        }
        return Ok(OccurredAt {
            start: start_text,
            precision: Precision::Range as i32,
            end: end_text,
        });
    }
    let (start, precision, _) = parse_point(s)?;
    Ok(OccurredAt {
        start,
        precision: precision as i32,
        end: String::new(),
    })
}

/// The written form: `2026-03-14 21:30`, `2026-03-14`, `2026-03`, `2026-03-01..2026-03-14`.
/// A value this client does not understand is shown as stored.
pub fn display(o: &OccurredAt) -> String {
    match Precision::try_from(o.precision) {
        Ok(Precision::Range) => format!("{}..{}", display_point(&o.start), display_point(&o.end)),
        _ => display_point(&o.start),
    }
}

/// Milliseconds since the Unix epoch of the start, reading the civil time as UTC, so
/// it can be compared with `recorded_at_ms` when sorting a timeline. `None` when the
/// start cannot be read (a value from a newer client, or damaged).
pub fn sort_key(o: &OccurredAt) -> Option<i64> {
    parse_point(&o.start)
        .ok()
        .map(|(_, _, at)| at.and_utc().timestamp_millis())
}

fn display_point(stored: &str) -> String {
    stored.replacen('T', " ", 1)
}

fn invalid(reason: &'static str) -> JournalError {
    JournalError::InvalidOccurredAt { reason }
}

/// One point in time: its stored text, precision and the instant it starts.
fn parse_point(s: &str) -> Result<(String, Precision, NaiveDateTime), JournalError> {
    let b = s.as_bytes();
    let year = digits(b, 0, 4)?;
    if b.get(4) != Some(&b'-') {
        return Err(invalid("expected YYYY-MM, YYYY-MM-DD or YYYY-MM-DD HH:MM"));
    }
    let month = digits(b, 5, 2)?;
    if b.len() == 7 {
        let at = date(year, month, 1)?;
        return Ok((s.to_owned(), Precision::Month, midnight(at)?));
    }
    if b.get(7) != Some(&b'-') {
        return Err(invalid("expected YYYY-MM-DD"));
    }
    let day = digits(b, 8, 2)?;
    let at = date(year, month, day)?;
    if b.len() == 10 {
        return Ok((s.to_owned(), Precision::Day, midnight(at)?));
    }
    if b.len() != 16 || !matches!(b.get(10), Some(b' ' | b'T')) || b.get(13) != Some(&b':') {
        return Err(invalid("expected YYYY-MM-DD HH:MM"));
    }
    let hour = digits(b, 11, 2)?;
    let minute = digits(b, 14, 2)?;
    let at = at
        .and_hms_opt(hour, minute, 0)
        .ok_or_else(|| invalid("no such time of day"))?;
    let stored = format!("{}T{}", &s[..10], &s[11..]);
    Ok((stored, Precision::Minute, at))
}

fn digits(b: &[u8], start: usize, len: usize) -> Result<u32, JournalError> {
    let slice = b
        .get(start..start + len)
        .ok_or_else(|| invalid("expected YYYY-MM, YYYY-MM-DD or YYYY-MM-DD HH:MM"))?;
    slice.iter().try_fold(0u32, |acc, &c| {
        if c.is_ascii_digit() {
            Ok(acc * 10 + u32::from(c - b'0'))
        } else {
            Err(invalid("expected digits"))
        }
    })
}

fn date(year: u32, month: u32, day: u32) -> Result<NaiveDate, JournalError> {
    let year = i32::try_from(year).map_err(|_| invalid("no such date"))?;
    NaiveDate::from_ymd_opt(year, month, day).ok_or_else(|| invalid("no such date"))
}

fn midnight(d: NaiveDate) -> Result<NaiveDateTime, JournalError> {
    d.and_hms_opt(0, 0, 0)
        .ok_or_else(|| invalid("no such date"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn forms_round_trip_through_display() {
        for s in [
            "2026-03-14 21:30",
            "2026-03-14",
            "2026-03",
            "2026-03-01..2026-03-14",
            "2026-02..2026-03-14 08:05",
        ] {
            assert_eq!(display(&parse(s).unwrap()), s);
        }
        assert_eq!(
            display(&parse("2026-03-14T21:30").unwrap()),
            "2026-03-14 21:30"
        );
    }

    #[test]
    fn stores_minute_precision_with_t() {
        let o = parse("2026-03-14 21:30").unwrap();
        assert_eq!(o.start, "2026-03-14T21:30");
        assert_eq!(o.precision, Precision::Minute as i32);
        assert_eq!(parse("2026-03").unwrap().precision, Precision::Month as i32);
        let range = parse("2026-03-01..2026-03-14").unwrap();
        assert_eq!(range.precision, Precision::Range as i32);
        assert_eq!(
            (range.start.as_str(), range.end.as_str()),
            ("2026-03-01", "2026-03-14")
        );
    }

    #[test]
    fn rejects_impossible_or_malformed_dates() {
        for s in [
            "2026-04-31",
            "2025-02-29",
            "2026-13",
            "2026-03-14 24:00",
            "2026-03-14 21:60",
            "2026-3-14",
            "26-03-14",
            "2026-03-14 21:30:00",
            "yesterday",
            "",
            "2026-03-14..2026-03-01",
            "2026-03-14..",
        ] {
            assert!(parse(s).is_err(), "{s} should be rejected");
        }
        assert!(parse("2024-02-29").is_ok());
    }

    #[test]
    fn sort_key_orders_by_start() {
        let key = |s: &str| sort_key(&parse(s).unwrap()).unwrap();
        assert!(key("2026-03") < key("2026-03-01 00:01"));
        assert_eq!(key("2026-03"), key("2026-03-01"));
        assert_eq!(key("2026-03-01..2026-05"), key("2026-03-01"));
        assert!(key("2026-03-14 21:30") < key("2026-03-15"));
        assert_eq!(key("1970-01-01 00:01"), 60_000);
    }
}
