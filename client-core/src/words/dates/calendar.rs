//! Calendar facts and names: months and weekdays by name, dates that exist (or why
//! not), the most recent date or month that is not in the future, two-digit years.

use chrono::{Datelike, NaiveDate, Weekday};

use super::{DateError, TWO_DIGIT_YEAR_AHEAD};

pub(super) fn month_named(w: &str) -> Option<u32> {
    let months = [
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
    (1u32..)
        .zip(months)
        .find(|(_, name)| w.len() >= 3 && name.starts_with(w))
        .map(|(n, _)| n)
}

pub(super) fn weekday_named(w: &str) -> Option<Weekday> {
    let days = [
        ("monday", Weekday::Mon),
        ("tuesday", Weekday::Tue),
        ("wednesday", Weekday::Wed),
        ("thursday", Weekday::Thu),
        ("friday", Weekday::Fri),
        ("saturday", Weekday::Sat),
        ("sunday", Weekday::Sun),
    ];
    days.iter()
        .find(|(name, _)| w == *name || (w.len() >= 3 && name.starts_with(w)))
        .map(|(_, d)| *d)
}

pub(super) fn weekday_name(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

pub(super) fn month_name(m: u32) -> &'static str {
    const NAMES: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    usize::try_from(m)
        .ok()
        .and_then(|m| NAMES.get(m.wrapping_sub(1)))
        .copied()
        .unwrap_or("that month")
}

/// A calendar date, or why it is not one.
pub(super) fn ymd(year: i32, month: u32, day: u32) -> Result<NaiveDate, DateError> {
    if !(1..=12).contains(&month) {
        return Err(DateError::NoSuchDate {
            reason: "a month is 1 to 12".into(),
        });
    }
    if !(0..=9999).contains(&year) {
        return Err(DateError::NoSuchDate {
            reason: "a year has four digits".into(),
        });
    }
    NaiveDate::from_ymd_opt(year, month, day).ok_or_else(|| {
        let days = days_in_month(year, month);
        DateError::NoSuchDate {
            reason: if day == 0 {
                "a day is 1 or more".into()
            } else if month == 2 && day == 29 {
                "February has 28 days that year".into()
            } else {
                format!("{} has {days} days", month_name(month))
            },
        }
    })
}

pub(super) fn days_in_month(year: i32, month: u32) -> u32 {
    (28..=31)
        .rev()
        .find(|d| NaiveDate::from_ymd_opt(year, month, *d).is_some())
        .unwrap_or(28)
}

pub(super) fn month_start(year: i32, month: u32) -> Result<NaiveDate, DateError> {
    ymd(year, month, 1)
}

pub(super) fn month_end(first: NaiveDate) -> NaiveDate {
    let days = days_in_month(first.year(), first.month());
    first.with_day(days).unwrap_or(first)
}

/// A year as written: four digits, or two read as this century unless that is
/// more than [`TWO_DIGIT_YEAR_AHEAD`] years ahead.
pub(super) fn year_of(value: u32, digits: usize, today: NaiveDate) -> Option<i32> {
    let value = i32::try_from(value).ok()?;
    match digits {
        4 => Some(value),
        2 => {
            let this_century = 2000 + value;
            Some(if this_century > today.year() + TWO_DIGIT_YEAR_AHEAD {
                1900 + value
            } else {
                this_century
            })
        }
        _ => None,
    }
}

/// The most recent date on `day`/`month` that is not after today.
pub(super) fn most_recent(day: u32, month: u32, today: NaiveDate) -> Result<NaiveDate, DateError> {
    let mut last_error = None;
    // Back at most eight years: enough for 29 February.
    for year in (today.year() - 8..=today.year()).rev() {
        match ymd(year, month, day) {
            Ok(d) if d <= today => return Ok(d),
            Ok(_) => {}
            Err(e) => last_error = Some(e),
        }
    }
    Err(last_error.unwrap_or(DateError::NotUnderstood))
}

pub(super) fn most_recent_month(
    month: u32,
    today: NaiveDate,
    this_counts: bool,
) -> Result<NaiveDate, DateError> {
    let this_year = month_start(today.year(), month)?;
    let this_month = month_start(today.year(), today.month())?;
    if this_year < this_month || (this_counts && this_year == this_month) {
        Ok(this_year)
    } else {
        month_start(today.year() - 1, month)
    }
}
