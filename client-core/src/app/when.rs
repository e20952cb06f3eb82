//! When something happened, as the record form gives it: GOV.UK-style date boxes
//! (day, month, year and an optional time) with a choice of how precise it is, or
//! words typed in one box ([`crate::words::dates`] reads them, as for the CLI).
//! Read into the journal's [`OccurredAt`] and back into boxes for the amend form.
//!
//! A date in the future is never accepted silently: it is refused (field
//! [`CONFIRM_FUTURE_FIELD`]) until the survivor confirms it, by the same rule as
//! the CLI's (it starts after now, UK time).

use chrono::NaiveDate;
use mycase_proto::v1::{occurred_at::Precision, OccurredAt};

use super::AppError;
use crate::words::{dates, uk_time};

/// The form field named in the error that questions a future date: the shell asks
/// "is that right?" and sends the entry again with `confirm_future` set.
pub const CONFIRM_FUTURE_FIELD: &str = "confirm_future";

/// How precisely the survivor says when it happened (the form's radio).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum WhenKind {
    /// They do not know (nothing is stored).
    #[default]
    NotSure,
    /// A day and a time.
    Exact,
    /// A day.
    Day,
    /// A month.
    Month,
    /// Between two dates (each a month, a day, or a day and time).
    Range,
    /// In their own words, in one box ("14/03/2026", "last March").
    Words,
}

impl WhenKind {
    /// Its stable name (a form value).
    pub fn as_str(self) -> &'static str {
        match self {
            WhenKind::NotSure => "not-sure",
            WhenKind::Exact => "exact",
            WhenKind::Day => "day",
            WhenKind::Month => "month",
            WhenKind::Range => "range",
            WhenKind::Words => "words",
        }
    }

    /// The kind named `name` (as [`WhenKind::as_str`] gives it).
    pub fn parse(name: &str) -> Option<WhenKind> {
        [
            WhenKind::NotSure,
            WhenKind::Exact,
            WhenKind::Day,
            WhenKind::Month,
            WhenKind::Range,
            WhenKind::Words,
        ]
        .into_iter()
        .find(|k| k.as_str() == name.trim())
    }
}

/// One date as typed into the boxes; empty strings are boxes left empty.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DateParts {
    /// Day of the month, `1` to `31`.
    pub day: String,
    /// Month, `1` to `12` or its name ("March", "mar").
    pub month: String,
    /// Year, four digits.
    pub year: String,
    /// Time of day: `21:30`, `9.30`, `9:30pm`, `9pm`.
    pub time: String,
}

/// When it happened, as the form gives it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WhenInput {
    /// How precise it is.
    pub kind: WhenKind,
    /// The date (the start of a range).
    pub start: DateParts,
    /// The end of a range.
    pub end: DateParts,
    /// The words, for [`WhenKind::Words`].
    pub words: String,
}

impl From<&str> for WhenInput {
    /// Words typed in one box (none: not sure).
    fn from(words: &str) -> Self {
        WhenInput {
            kind: if words.trim().is_empty() {
                WhenKind::NotSure
            } else {
                WhenKind::Words
            },
            words: words.to_owned(),
            ..WhenInput::default()
        }
    }
}

/// When an entry happened, read back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct When {
    /// How precise it is (never `NotSure` or `Words`).
    pub kind: WhenKind,
    /// In words, with its precision.
    pub display: String,
    /// As stored (`2026-03-14T21:30`, `2026-03-14`, `2026-03`), the start of a range.
    pub start: String,
    /// The end of a range, as stored.
    pub end: Option<String>,
}

impl When {
    /// A value this client cannot read (from a newer one) is shown as stored.
    pub(crate) fn from_stored(o: &OccurredAt) -> When {
        let kind = match Precision::try_from(o.precision) {
            Ok(Precision::Minute) => WhenKind::Exact,
            Ok(Precision::Day) => WhenKind::Day,
            Ok(Precision::Month) => WhenKind::Month,
            Ok(Precision::Range) => WhenKind::Range,
            _ => WhenKind::Words,
        };
        When {
            kind,
            display: dates::read_back(o),
            start: o.start.clone(),
            end: (kind == WhenKind::Range).then(|| o.end.clone()),
        }
    }

    /// The boxes the amend form starts with, so that sending it unchanged changes
    /// nothing. A value the boxes cannot hold goes back as words.
    pub fn to_input(&self) -> WhenInput {
        let boxes = |stored: &str| parts_of(stored);
        let as_words = || WhenInput {
            kind: WhenKind::Words,
            words: self.display.clone(),
            ..WhenInput::default()
        };
        match self.kind {
            WhenKind::Range => match (boxes(&self.start), self.end.as_deref().and_then(boxes)) {
                (Some(start), Some(end)) => WhenInput {
                    kind: WhenKind::Range,
                    start,
                    end,
                    words: String::new(),
                },
                _ => as_words(),
            },
            WhenKind::Exact | WhenKind::Day | WhenKind::Month => match boxes(&self.start) {
                Some(start) => WhenInput {
                    kind: self.kind,
                    start,
                    ..WhenInput::default()
                },
                None => as_words(),
            },
            WhenKind::NotSure | WhenKind::Words => as_words(),
        }
    }
}

/// The boxes of a stored point (`YYYY-MM[-DD[THH:MM]]`).
fn parts_of(stored: &str) -> Option<DateParts> {
    let (date, time) = match stored.split_once('T') {
        Some((d, t)) => (d, t.to_owned()),
        None => (stored, String::new()),
    };
    let mut pieces = date.split('-');
    let year = pieces.next()?.to_owned();
    let month: u32 = pieces.next()?.parse().ok()?;
    let day = match pieces.next() {
        Some(d) => d.parse::<u32>().ok()?.to_string(),
        None => String::new(),
    };
    Some(DateParts {
        day,
        month: month.to_string(),
        year,
        time,
    })
}

/// Reads the form's answer at `now_ms` (`None` for "not sure"), refusing a date
/// in the future unless `confirmed`.
pub(crate) fn parse(
    input: &WhenInput,
    confirmed: bool,
    now_ms: i64,
) -> Result<Option<OccurredAt>, AppError> {
    let untouched = |p: &DateParts| {
        [&p.day, &p.month, &p.year, &p.time]
            .iter()
            .all(|v| v.trim().is_empty())
    };
    let (text, field) = match input.kind {
        WhenKind::NotSure => return Ok(None),
        // A precision chosen (the form starts at "On a day") with every box left
        // empty is "not given": everything but what happened can be added later.
        WhenKind::Exact | WhenKind::Day | WhenKind::Month if untouched(&input.start) => {
            return Ok(None)
        }
        WhenKind::Words => {
            if input.words.trim().is_empty() {
                return Err(AppError::invalid(
                    "when",
                    "Write when it happened, or choose \u{201c}Not sure\u{201d}",
                ));
            }
            (input.words.clone(), "when")
        }
        WhenKind::Exact => (point(&input.start, "when", Need::Time)?, "when_day"),
        WhenKind::Day => (point(&input.start, "when", Need::Day)?, "when_day"),
        WhenKind::Month => (point(&input.start, "when", Need::Month)?, "when_month"),
        WhenKind::Range => {
            let start = point(&input.start, "when", Need::Any)?;
            let end = point(&input.end, "when_end", Need::Any)?;
            (format!("{start}..{end}"), "when_end_day")
        }
    };
    let understood = dates::understand(&text, uk_time::uk_now(now_ms)).map_err(|e| {
        let reason = match e {
            dates::DateError::EndsBeforeStart => {
                "The end must be the same as or after the start".to_owned()
            }
            // The boxes were checked already: only words get here.
            e => format!(
                "{}{}",
                capitalised(&e.to_string()),
                ", or use the date boxes"
            ),
        };
        AppError::invalid(field, reason)
    })?;
    if understood.in_future && !confirmed {
        return Err(AppError::invalid(
            CONFIRM_FUTURE_FIELD,
            "That date is in the future: check it, or confirm that it is right",
        ));
    }
    Ok(Some(understood.occurred_at))
}

fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// What a point must have.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Need {
    /// Day, month, year and time.
    Time,
    /// Day, month and year; a time if given (it is kept, not dropped).
    Day,
    /// Month and year; no day or time.
    Month,
    /// A month at least; a day and a time if given.
    Any,
}

/// One point in the journal's written form (`YYYY-MM[-DD[ HH:MM]]`), with errors
/// naming the box (`{prefix}_day`, `_month`, `_year`, `_time`).
fn point(parts: &DateParts, prefix: &str, need: Need) -> Result<String, AppError> {
    let field = |name: &str| format!("{prefix}_{name}");
    let what = if prefix == "when_end" {
        "The end date"
    } else {
        "The date"
    };
    let (day, month, year, time) = (
        parts.day.trim(),
        parts.month.trim(),
        parts.year.trim(),
        parts.time.trim(),
    );
    if day.is_empty() && month.is_empty() && year.is_empty() {
        return Err(AppError::invalid(
            &field(if need == Need::Month { "month" } else { "day" }),
            format!("Enter {}", what.to_lowercase()),
        ));
    }
    let wants_day =
        matches!(need, Need::Time | Need::Day) || (need == Need::Any && !day.is_empty());
    if wants_day && day.is_empty() {
        return Err(AppError::invalid(
            &field("day"),
            format!("{what} must include a day"),
        ));
    }
    if need == Need::Month && !day.is_empty() {
        return Err(AppError::invalid(
            &field("day"),
            "Leave the day empty, or choose \u{201c}On a day\u{201d}",
        ));
    }
    if month.is_empty() {
        return Err(AppError::invalid(
            &field("month"),
            format!("{what} must include a month"),
        ));
    }
    if year.is_empty() {
        return Err(AppError::invalid(
            &field("year"),
            format!("{what} must include a year"),
        ));
    }
    let month = month_number(month).ok_or_else(|| {
        AppError::invalid(
            &field("month"),
            "Enter the month as a number from 1 to 12, or its name",
        )
    })?;
    if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AppError::invalid(
            &field("year"),
            "The year must have 4 numbers",
        ));
    }
    let year: i32 = year
        .parse()
        .map_err(|_| AppError::invalid(&field("year"), "The year must have 4 numbers"))?;
    if year < 1900 {
        return Err(AppError::invalid(
            &field("year"),
            "The year must be 1900 or later",
        ));
    }
    if !wants_day {
        if !time.is_empty() {
            return Err(AppError::invalid(
                &field("time"),
                "Give a day as well as the time",
            ));
        }
        return Ok(format!("{year:04}-{month:02}"));
    }
    let day: u32 =
        day.parse().ok().filter(|_| day.len() <= 2).ok_or_else(|| {
            AppError::invalid(&field("day"), format!("{what} must be a real date"))
        })?;
    let date = NaiveDate::from_ymd_opt(year, month, day)
        .ok_or_else(|| AppError::invalid(&field("day"), format!("{what} must be a real date")))?;
    let date = date.format("%Y-%m-%d").to_string();
    match need {
        Need::Time if time.is_empty() => Err(AppError::invalid(
            &field("time"),
            "Enter the time, or choose \u{201c}On a day\u{201d}",
        )),
        _ if time.is_empty() => Ok(date),
        _ => {
            let (hour, minute) = parse_time(time).ok_or_else(|| {
                AppError::invalid(&field("time"), "Enter the time like 21:30 or 9:30pm")
            })?;
            Ok(format!("{date} {hour:02}:{minute:02}"))
        }
    }
}

const MONTHS: [&str; 12] = [
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

/// `3`, `03`, `March`, `mar` (case-insensitive) → 3.
fn month_number(s: &str) -> Option<u32> {
    if let Ok(n) = s.parse::<u32>() {
        return (1..=12).contains(&n).then_some(n);
    }
    let s = s.to_lowercase();
    let s = s.trim_end_matches('.');
    if s.len() < 3 {
        return None;
    }
    (1u32..)
        .zip(MONTHS)
        .find(|(_, name)| name.starts_with(s) || (s == "sept" && *name == "september"))
        .map(|(n, _)| n)
}

/// `21:30`, `9:30`, `9.30`, `0930`, `9:30pm`, `9pm`, `12am` → (hour, minute).
fn parse_time(s: &str) -> Option<(u32, u32)> {
    let s = s.to_lowercase().replace(' ', "");
    let (clock, half) = if let Some(c) = s.strip_suffix("am") {
        (c.to_owned(), Some(false))
    } else if let Some(c) = s.strip_suffix("pm") {
        (c.to_owned(), Some(true))
    } else {
        (s, None)
    };
    let (hour, minute) = match clock.split_once([':', '.']) {
        Some((h, m)) if m.len() == 2 => (h.parse::<u32>().ok()?, m.parse::<u32>().ok()?),
        Some(_) => return None,
        None if clock.len() == 4 && half.is_none() => {
            (clock[..2].parse().ok()?, clock[2..].parse().ok()?)
        }
        None if clock.len() <= 2 && half.is_some() => (clock.parse().ok()?, 0),
        None => return None,
    };
    if minute > 59 {
        return None;
    }
    let hour = match half {
        Some(pm) if (1..=12).contains(&hour) => hour % 12 + if pm { 12 } else { 0 },
        Some(_) => return None,
        None if hour <= 23 => hour,
        None => return None,
    };
    Some((hour, minute))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::journal::occurred;

    fn parts(day: &str, month: &str, year: &str, time: &str) -> DateParts {
        DateParts {
            day: day.into(),
            month: month.into(),
            year: year.into(),
            time: time.into(),
        }
    }

    fn boxes(kind: WhenKind, start: DateParts, end: DateParts) -> WhenInput {
        WhenInput {
            kind,
            start,
            end,
            words: String::new(),
        }
    }

    /// 2026-03-14 12:00 UTC (GMT).
    fn now() -> i64 {
        NaiveDate::from_ymd_opt(2026, 3, 14)
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap()
            .and_utc()
            .timestamp_millis()
    }

    fn stored(input: &WhenInput) -> String {
        occurred::display(&parse(input, true, now()).unwrap().unwrap())
    }

    fn field_of(input: &WhenInput) -> String {
        match parse(input, false, now()) {
            Err(AppError::InvalidInput { field: Some(f), .. }) => f,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn boxes_make_each_precision() {
        let none = DateParts::default();
        assert_eq!(
            stored(&boxes(
                WhenKind::Exact,
                parts("14", "3", "2026", "9:30pm"),
                none.clone()
            )),
            "2026-03-14 21:30"
        );
        assert_eq!(
            stored(&boxes(
                WhenKind::Day,
                parts("4", "March", "2026", ""),
                none.clone()
            )),
            "2026-03-04"
        );
        // A time typed with "on a day" is kept rather than dropped.
        assert_eq!(
            stored(&boxes(
                WhenKind::Day,
                parts("4", "3", "2026", "10:00"),
                none.clone()
            )),
            "2026-03-04 10:00"
        );
        assert_eq!(
            stored(&boxes(
                WhenKind::Month,
                parts("", "sept", "2025", ""),
                none.clone()
            )),
            "2025-09"
        );
        assert_eq!(
            stored(&boxes(
                WhenKind::Range,
                parts("", "2", "2026", ""),
                parts("14", "03", "2026", "08.05")
            )),
            "2026-02..2026-03-14 08:05"
        );
        assert_eq!(parse(&WhenInput::default(), false, now()).unwrap(), None);
        assert_eq!(stored(&WhenInput::from("2026-03")), "2026-03");
    }

    #[test]
    fn a_precision_with_every_box_empty_is_not_given() {
        for kind in [WhenKind::Exact, WhenKind::Day, WhenKind::Month] {
            let blank = boxes(kind, DateParts::default(), DateParts::default());
            assert_eq!(parse(&blank, false, now()).unwrap(), None);
        }
        // A range still needs its ends: "between two dates" says there are two.
        let range = boxes(WhenKind::Range, DateParts::default(), DateParts::default());
        assert!(parse(&range, false, now()).is_err());
    }

    #[test]
    fn each_mistake_names_its_box() {
        let none = DateParts::default();
        for (input, field) in [
            (
                boxes(WhenKind::Exact, parts("14", "3", "2026", ""), none.clone()),
                "when_time",
            ),
            (
                boxes(
                    WhenKind::Exact,
                    parts("14", "3", "2026", "25:00"),
                    none.clone(),
                ),
                "when_time",
            ),
            (
                boxes(WhenKind::Day, parts("", "3", "2026", ""), none.clone()),
                "when_day",
            ),
            (
                boxes(WhenKind::Day, parts("31", "4", "2026", ""), none.clone()),
                "when_day",
            ),
            (
                boxes(WhenKind::Day, parts("1", "13", "2026", ""), none.clone()),
                "when_month",
            ),
            (
                boxes(WhenKind::Day, parts("1", "3", "26", ""), none.clone()),
                "when_year",
            ),
            (
                boxes(WhenKind::Day, parts("1", "3", "", ""), none.clone()),
                "when_year",
            ),
            (
                boxes(
                    WhenKind::Day,
                    parts("1", "3", "2026", "10:61"),
                    none.clone(),
                ),
                "when_time",
            ),
            (
                boxes(WhenKind::Month, parts("1", "3", "2026", ""), none.clone()),
                "when_day",
            ),
            (
                boxes(WhenKind::Month, parts("", "", "2026", ""), none.clone()),
                "when_month",
            ),
            (
                boxes(
                    WhenKind::Range,
                    parts("14", "3", "2026", ""),
                    parts("1", "3", "2026", ""),
                ),
                "when_end_day",
            ),
            (
                boxes(
                    WhenKind::Range,
                    parts("14", "3", "2026", ""),
                    parts("", "", "2026", ""),
                ),
                "when_end_month",
            ),
            (WhenInput::from("yesterday-ish"), "when"),
            (
                WhenInput {
                    kind: WhenKind::Words,
                    ..WhenInput::default()
                },
                "when",
            ),
        ] {
            assert_eq!(field_of(&input), field, "{input:?}");
        }
    }

    #[test]
    fn times_as_people_write_them() {
        assert_eq!(parse_time("21:30"), Some((21, 30)));
        assert_eq!(parse_time("0930"), Some((9, 30)));
        assert_eq!(parse_time("12am"), Some((0, 0)));
        assert_eq!(parse_time("12:15 PM"), Some((12, 15)));
        assert_eq!(parse_time("9pm"), Some((21, 0)));
        for bad in ["24:00", "13pm", "9:5", "noonish", "9:60"] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn stored_values_go_back_into_the_same_boxes() {
        for s in [
            "2026-03-14 21:30",
            "2026-03-04",
            "2026-03",
            "2026-02..2026-03-14 08:05",
        ] {
            let when = When::from_stored(&occurred::parse(s).unwrap());
            assert_eq!(stored(&when.to_input()), s);
        }
    }

    #[test]
    fn words_are_read_as_the_cli_reads_them() {
        assert_eq!(
            stored(&WhenInput::from("14/03/2026 9.30pm")),
            "2026-03-14 21:30"
        );
        assert_eq!(stored(&WhenInput::from("last February")), "2026-02");
        assert_eq!(
            When::from_stored(
                &parse(&WhenInput::from("2026-03"), false, now())
                    .unwrap()
                    .unwrap()
            )
            .display,
            "March 2026"
        );
    }

    #[test]
    fn the_future_is_questioned_until_confirmed() {
        let none = DateParts::default();
        for fine in [
            boxes(WhenKind::Day, parts("14", "3", "2026", ""), none.clone()),
            boxes(WhenKind::Month, parts("", "3", "2026", ""), none.clone()),
            boxes(
                WhenKind::Exact,
                parts("14", "3", "2026", "11:59"),
                none.clone(),
            ),
        ] {
            assert!(parse(&fine, false, now()).is_ok(), "{fine:?}");
        }
        for future in [
            boxes(WhenKind::Day, parts("15", "3", "2026", ""), none.clone()),
            boxes(WhenKind::Month, parts("", "4", "2026", ""), none.clone()),
            boxes(
                WhenKind::Exact,
                parts("14", "3", "2026", "13:30"),
                none.clone(),
            ),
            boxes(
                WhenKind::Range,
                parts("1", "4", "2026", ""),
                parts("2", "4", "2026", ""),
            ),
            WhenInput::from("2027-01-01"),
        ] {
            assert_eq!(field_of(&future), CONFIRM_FUTURE_FIELD, "{future:?}");
            assert!(parse(&future, true, now()).unwrap().is_some());
        }
    }
}
