//! When an entry happened, to the precision the survivor gave, for counting.
//!
//! A pattern must not invent precision: an entry known only to the month is
//! counted in its month but in no week, weekday or hour; an approximate range is
//! counted by its start's month only; an hour is known only for a minute-precise
//! time. An entry with no `occurred_at` is placed by the day it was recorded (as
//! the timeline does), with no hour: the hour of writing is not the hour of the
//! incident.

use chrono::{DateTime, Datelike, NaiveDate, Timelike};
use mycase_proto::v1::occurred_at::Precision;

use crate::journal::{occurred, EntryView};

/// What is known of when one entry happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct When {
    /// The day it happened, or the first of its month when only the month is known.
    pub day: NaiveDate,
    /// Whether `day` is the real day (so its week and weekday are known).
    pub day_known: bool,
    /// The hour of day (0..24), for minute-precise times only.
    pub hour: Option<u32>,
}

impl When {
    /// When `entry` happened, as far as it is known; `None` without a time.
    pub fn of(entry: &EntryView) -> Option<When> {
        let Some(at) = entry.occurred_at.as_ref() else {
            let recorded = DateTime::from_timestamp_millis(entry.recorded_at_ms)?;
            return Some(When {
                day: recorded.date_naive(),
                day_known: true,
                hour: None,
            });
        };
        let start = DateTime::from_timestamp_millis(occurred::sort_key(at)?)?.naive_utc();
        let (day_known, hour) = match Precision::try_from(at.precision) {
            Ok(Precision::Minute) => (true, Some(start.hour())),
            Ok(Precision::Day) => (true, None),
            _ => (false, None),
        };
        Some(When {
            day: start.date(),
            day_known,
            hour,
        })
    }

    /// `YYYY-MM`.
    pub fn month(&self) -> String {
        self.day.format("%Y-%m").to_string()
    }

    /// Monday 0 .. Sunday 6, when the day is known.
    pub fn weekday(&self) -> Option<usize> {
        self.day_known
            .then(|| self.day.weekday().num_days_from_monday() as usize)
    }

    /// The Monday starting this entry's week, when the day is known.
    pub fn week_start(&self) -> Option<NaiveDate> {
        self.weekday()
            .map(|d| self.day - chrono::Duration::days(d as i64))
    }
}
