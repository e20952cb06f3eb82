//! Times shown in UK local time with the zone named ("Sat 14 March 2026, 21:30 GMT"),
//! never mixed with UTC.
//!
//! The rule is the one in force since 1996 (the Summer Time Order 2002, and EU
//! directive 2000/84/EC before it): British Summer Time (UTC+1) from 01:00 UTC on
//! the last Sunday of March to 01:00 UTC on the last Sunday of October, Greenwich
//! Mean Time (UTC) otherwise. Every time shown here was written by a MyCase device
//! (from 2026 on), so one fixed rule is exact for them and needs no time-zone
//! database; if Parliament changes the rule, this file changes with it.
//!
//! Stored occurred-at values are civil UK time as written, with no zone: they are
//! shown by [`super::dates::read_back`], never converted.

use chrono::{DateTime, Datelike, Days, Duration, NaiveDate, NaiveDateTime, Utc};

/// The UK's two zones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UkZone {
    /// Greenwich Mean Time, UTC+0 (winter).
    Gmt,
    /// British Summer Time, UTC+1.
    Bst,
}

impl UkZone {
    /// "GMT" or "BST".
    pub fn abbreviation(self) -> &'static str {
        match self {
            UkZone::Gmt => "GMT",
            UkZone::Bst => "BST",
        }
    }

    fn offset(self) -> Duration {
        match self {
            UkZone::Gmt => Duration::zero(),
            UkZone::Bst => Duration::hours(1),
        }
    }
}

/// The zone in force in the UK at `utc`.
pub fn zone_at(utc: DateTime<Utc>) -> UkZone {
    let year = utc.year();
    let (Some(starts), Some(ends)) = (changeover(year, 3), changeover(year, 10)) else {
        return UkZone::Gmt;
    };
    let at = utc.naive_utc();
    if at >= starts && at < ends {
        UkZone::Bst
    } else {
        UkZone::Gmt
    }
}

/// 01:00 UTC on the last Sunday of `month` in `year`.
fn changeover(year: i32, month: u32) -> Option<NaiveDateTime> {
    let last_day = NaiveDate::from_ymd_opt(year, month + 1, 1)?.pred_opt()?;
    let back = last_day.weekday().num_days_from_sunday();
    let sunday = last_day.checked_sub_days(Days::new(u64::from(back)))?;
    sunday.and_hms_opt(1, 0, 0)
}

/// The zone in force at a UK civil time (a stored occurred-at time has none).
/// In the hour repeated when summer time ends, the earlier (BST) reading; in
/// the hour skipped when it starts, GMT.
pub fn zone_of_civil(t: NaiveDateTime) -> UkZone {
    let as_summer_time = DateTime::<Utc>::from_naive_utc_and_offset(t - UkZone::Bst.offset(), Utc);
    zone_at(as_summer_time)
}

/// UK civil time at `ms` (Unix milliseconds) and its zone; `None` outside the
/// calendar.
pub fn uk_civil(ms: i64) -> Option<(NaiveDateTime, UkZone)> {
    let utc = DateTime::from_timestamp_millis(ms)?;
    let zone = zone_at(utc);
    Some((utc.naive_utc().checked_add_signed(zone.offset())?, zone))
}

/// "now" as [`super::dates::understand`] wants it: UK civil time at `now_ms`.
/// Outside the calendar (a broken clock), the Unix epoch.
pub fn uk_now(now_ms: i64) -> NaiveDateTime {
    uk_civil(now_ms)
        .map(|(t, _)| t)
        .unwrap_or(DateTime::UNIX_EPOCH.naive_utc())
}

/// A recorded time (Unix milliseconds) in UK local time with its zone:
/// "Sat 14 March 2026, 21:30 GMT", "Sun 29 March 2026, 02:00 BST".
pub fn recorded(ms: i64) -> String {
    match uk_civil(ms) {
        Some((t, zone)) => format!(
            "{} {}",
            t.format("%a %-d %B %Y, %H:%M"),
            zone.abbreviation()
        ),
        None => "an unreadable time".to_string(),
    }
}

/// The UK day a recorded time falls on (for grouping and filters).
pub fn recorded_day(ms: i64) -> Option<NaiveDate> {
    uk_civil(ms).map(|(t, _)| t.date())
}

/// A month heading from `YYYY-MM`: "March 2026"; anything else as given.
pub fn month_heading(year_month: &str) -> String {
    NaiveDate::parse_from_str(&format!("{year_month}-01"), "%Y-%m-%d")
        .map(|d| d.format("%B %Y").to_string())
        .unwrap_or_else(|_| year_month.to_string())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn ms(s: &str) -> i64 {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
            .unwrap()
            .and_utc()
            .timestamp_millis()
    }

    #[test]
    fn winter_is_gmt_and_summer_bst() {
        assert_eq!(
            recorded(ms("2026-03-14 21:30:00")),
            "Sat 14 March 2026, 21:30 GMT"
        );
        assert_eq!(
            recorded(ms("2026-07-01 12:00:00")),
            "Wed 1 July 2026, 13:00 BST"
        );
        // A summer evening in UTC is already the next day in London.
        assert_eq!(
            recorded(ms("2026-06-30 23:30:00")),
            "Wed 1 July 2026, 00:30 BST"
        );
    }

    #[test]
    fn spring_changeover_is_01_00_utc_on_the_last_sunday_of_march() {
        // 2026: Sunday 29 March. Clocks go from 01:00 GMT to 02:00 BST.
        assert_eq!(
            recorded(ms("2026-03-29 00:59:00")),
            "Sun 29 March 2026, 00:59 GMT"
        );
        assert_eq!(
            recorded(ms("2026-03-29 01:00:00")),
            "Sun 29 March 2026, 02:00 BST"
        );
        // A week earlier is still winter; 2027's is Sunday 28 March.
        assert_eq!(
            recorded(ms("2026-03-22 12:00:00")),
            "Sun 22 March 2026, 12:00 GMT"
        );
        assert_eq!(
            recorded(ms("2027-03-28 01:00:00")),
            "Sun 28 March 2027, 02:00 BST"
        );
        assert_eq!(
            recorded(ms("2027-03-28 00:30:00")),
            "Sun 28 March 2027, 00:30 GMT"
        );
    }

    #[test]
    fn autumn_changeover_is_01_00_utc_on_the_last_sunday_of_october() {
        // 2026: Sunday 25 October. 01:00-02:00 local happens twice; the zone tells them apart.
        assert_eq!(
            recorded(ms("2026-10-25 00:30:00")),
            "Sun 25 October 2026, 01:30 BST"
        );
        assert_eq!(
            recorded(ms("2026-10-25 00:59:00")),
            "Sun 25 October 2026, 01:59 BST"
        );
        assert_eq!(
            recorded(ms("2026-10-25 01:00:00")),
            "Sun 25 October 2026, 01:00 GMT"
        );
        assert_eq!(
            recorded(ms("2026-10-25 01:30:00")),
            "Sun 25 October 2026, 01:30 GMT"
        );
        // A month whose last day is a Sunday: 31 October 2027.
        assert_eq!(
            recorded(ms("2027-10-31 00:59:00")),
            "Sun 31 October 2027, 01:59 BST"
        );
        assert_eq!(
            recorded(ms("2027-10-31 01:00:00")),
            "Sun 31 October 2027, 01:00 GMT"
        );
    }

    #[test]
    fn uk_now_and_days_follow_the_zone() {
        let late_summer = ms("2026-08-31 23:10:00");
        assert_eq!(
            uk_now(late_summer),
            NaiveDateTime::parse_from_str("2026-09-01 00:10", "%Y-%m-%d %H:%M").unwrap()
        );
        assert_eq!(
            recorded_day(late_summer),
            NaiveDate::from_ymd_opt(2026, 9, 1)
        );
        assert_eq!(recorded(i64::MAX), "an unreadable time");
    }

    #[test]
    fn the_ends_of_time_do_not_panic() {
        for ms in [
            i64::MIN,
            i64::MAX,
            -8_334_632_851_200_001,
            8_210_298_412_799_999,
        ] {
            let _ = recorded(ms);
            let _ = uk_now(ms);
        }
    }

    #[test]
    fn month_headings_are_words() {
        assert_eq!(month_heading("2026-03"), "March 2026");
        assert_eq!(month_heading("unknown"), "unknown");
    }

    #[test]
    fn a_civil_time_takes_the_zone_in_force_then() {
        let civil = |s: &str| {
            zone_of_civil(NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap())
                .abbreviation()
        };
        assert_eq!(civil("2026-03-14 21:30"), "GMT");
        assert_eq!(civil("2026-07-01 00:30"), "BST");
        // 29 March 2026: 00:59 is winter, 02:00 is summer (01:xx never happens).
        assert_eq!(civil("2026-03-29 00:59"), "GMT");
        assert_eq!(civil("2026-03-29 02:00"), "BST");
        // 25 October 2026: 01:xx happens twice; the first (summer) reading, then winter.
        assert_eq!(civil("2026-10-25 00:30"), "BST");
        assert_eq!(civil("2026-10-25 01:30"), "BST");
        assert_eq!(civil("2026-10-25 02:30"), "GMT");
    }
}
