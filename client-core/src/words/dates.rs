//! When something happened, as people write it in the UK, given today's date.
//!
//! [`understand`] reads "14/03/2026", "14 March 2026", "Sat 14th March 2026 9.30pm",
//! "March 2026", "last March", "yesterday", "about 3 weeks ago", "1-14 March 2026",
//! "between 1 March and 14 March 2026", "early March 2026", and the stored ISO forms
//! and `A..B` ranges of [`crate::journal::occurred::parse`]. It gives
//! the value to store (the existing [`OccurredAt`]: a minute, a day, a month or a
//! range, civil UK time as written, no zone) and [`Understood::read_back`], the same
//! value in words with its precision, for the person to check.
//!
//! Rules, each chosen so that a mistake is visible rather than silent:
//! - Day first, always: "03/04/2026" is 3 April.
//! - A two-digit year is in this century unless that is more than
//!   [`TWO_DIGIT_YEAR_AHEAD`] years after today (26 → 2026, 99 → 1999).
//! - A day or month written without a year is the most recent one that is not in
//!   the future ("14 March" in January 2027 is 14 March 2026); "last March" is the
//!   most recent March before this month.
//! - A weekday written with a date must be that date's weekday.
//! - Approximate words ("about", "around", "roughly", "a few weeks ago", "last
//!   week", "early March") become a range, and the read-back says so. "about" before
//!   an exact date stores a range from that date to itself: "14 March 2026, approximate".
//! - A date in the future is not refused; [`Understood::in_future`] says so, so the
//!   caller can ask.
//!
//! Pure: "now" is an argument (UK civil time, see [`super::uk_time::uk_civil`]); no clock is read.
//! Errors never repeat what was typed (it may be in a log).

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime};
use mycase_proto::v1::{occurred_at::Precision, OccurredAt};

use crate::journal::occurred;

mod calendar;
mod grammar;
mod relative;
#[cfg(test)]
mod tests;

use calendar::month_end;
use grammar::{parse_tokens, tokenise, whole_point, Ctx};

/// The longest text read as a date, in characters (a date is a few words; this
/// bounds the work a pasted page could cause).
pub const MAX_DATE_CHARS: usize = 100;

/// A two-digit year more than this many years after today's is read as 19xx.
pub const TWO_DIGIT_YEAR_AHEAD: i32 = 10;

/// What was understood: the value to store and how it reads back.
#[derive(Clone, PartialEq, Eq)]
pub struct Understood {
    /// The stored value.
    pub occurred_at: OccurredAt,
    /// The value in words with its precision, and for relative words what they were
    /// read as: "Sat 14 March 2026, 21:30", "March 2026, approximate",
    /// "between 16 and 30 November 2026 (about 3 weeks ago)".
    pub read_back: String,
    /// It starts after "now": ask whether that is right before storing it.
    pub in_future: bool,
}

impl std::fmt::Debug for Understood {
    // When something happened is part of the journal's content: show only its shape.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Understood")
            .field("precision", &self.occurred_at.precision)
            .field("in_future", &self.in_future)
            .finish_non_exhaustive()
    }
}

/// Why a date was not understood. The messages say what to write instead and never
/// repeat what was typed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// Not a form this reader knows.
    #[error(
        "not a date MyCase understands; write it like 14/03/2026, 14 March 2026, \
         14 March 2026 21:30, March 2026, yesterday, last March, about 3 weeks ago \
         or 1-14 March 2026 (day first)"
    )]
    NotUnderstood,
    /// A well-formed date that is not in the calendar.
    #[error("no such date: {reason}")]
    NoSuchDate {
        /// Which part is impossible, e.g. "April has 30 days".
        reason: String,
    },
    /// A time of day outside the clock.
    #[error("no such time of day: write 00:00 to 23:59, or 1 to 12 with am or pm")]
    NoSuchTime,
    /// The weekday written is not the date's.
    #[error("that date is a {actual}, not a {written}")]
    WrongWeekday {
        /// The weekday written.
        written: String,
        /// The date's real weekday.
        actual: String,
    },
    /// A range whose end comes before its start.
    #[error("a range must not end before it starts")]
    EndsBeforeStart,
    /// Longer than any date.
    #[error("that is too long for a date (at most {MAX_DATE_CHARS} characters)")]
    TooLong,
}

/// Reads when something happened, relative to `now` (UK civil time).
pub fn understand(text: &str, now: NaiveDateTime) -> Result<Understood, DateError> {
    if text.chars().count() > MAX_DATE_CHARS {
        return Err(DateError::TooLong);
    }
    let span = if let Some((left, right)) = text.split_once("..") {
        // The stored range form, with any point form on either side.
        let ctx = Ctx::new(now, false);
        let start = whole_point(&tokenise(left)?, &ctx)?;
        let end = whole_point(&tokenise(right)?, &ctx)?;
        Span::range(start.start, end.end, None)
    } else {
        parse_tokens(tokenise(text)?, now)?
    };
    if instant(&span.end) < instant(&span.start) {
        return Err(DateError::EndsBeforeStart);
    }
    let occurred_at = if span.exact {
        span.start.stored()
    } else {
        OccurredAt {
            start: span.start.stored().start,
            precision: Precision::Range as i32,
            end: span.end.stored().start,
        }
    };
    let mut read = read_back(&occurred_at);
    if let Some(note) = &span.note {
        read.push_str(&format!(" ({note})"));
    }
    Ok(Understood {
        in_future: instant(&span.start) > now,
        occurred_at,
        read_back: read,
    })
}

/// A stored value in words, with its precision: "Sat 14 March 2026, 21:30",
/// "Sat 14 March 2026", "March 2026", "March 2026, approximate" (a range from a
/// point to itself), "between 1 and 14 March 2026". [`understand`] reads every
/// read-back as the value it came from. A value this client cannot read is shown
/// as stored.
pub fn read_back(o: &OccurredAt) -> String {
    let fallback = || occurred::display(o);
    let Some(start) = Point::from_stored(&o.start) else {
        return fallback();
    };
    match Precision::try_from(o.precision) {
        Ok(Precision::Range) => {
            let Some(end) = Point::from_stored(&o.end) else {
                return fallback();
            };
            if start == end {
                format!("{}, approximate", start.words())
            } else {
                range_words(&start, &end)
            }
        }
        Ok(Precision::Minute | Precision::Day | Precision::Month)
            if start.precision() as i32 == o.precision =>
        {
            start.words()
        }
        _ => fallback(),
    }
}

/// A stored value as a chronology states it: [`read_back`], with the UK zone
/// named on a time ("Sat 14 March 2026, 21:30 GMT") and an approximate date
/// marked as such in brackets ("March 2026 (approximate)"), so no reader takes
/// a month for its first day.
pub fn in_a_chronology(o: &OccurredAt) -> String {
    let Some(start) = Point::from_stored(&o.start) else {
        return occurred::display(o);
    };
    let on_its_own = |p: &Point| match p {
        Point::Minute(t) => format!(
            "{} {}",
            p.words(),
            super::uk_time::zone_of_civil(*t).abbreviation()
        ),
        _ => p.words(),
    };
    match Precision::try_from(o.precision) {
        Ok(Precision::Range) => match Point::from_stored(&o.end) {
            Some(end) if end == start => format!("{} (approximate)", on_its_own(&start)),
            // "between 1 and 14 March 2026" says its own uncertainty.
            Some(_) => read_back(o),
            None => occurred::display(o),
        },
        Ok(Precision::Minute | Precision::Day | Precision::Month)
            if start.precision() as i32 == o.precision =>
        {
            on_its_own(&start)
        }
        _ => occurred::display(o),
    }
}

/// Where a stored value starts and ends, each at its own precision and without
/// a weekday or time, for stating a period: "March 2026" (a month starts and
/// ends with itself), "20 April 2026" and "24 April 2026" for a range of days.
/// With the first and last day covered, to compare them. `None` for a value
/// this client cannot read.
pub fn ends_in_words(o: &OccurredAt) -> Option<((NaiveDate, String), (NaiveDate, String))> {
    let (first, last) = days_covered(o)?;
    let start = Point::from_stored(&o.start)?;
    let end = match Precision::try_from(o.precision).ok()? {
        Precision::Range => Point::from_stored(&o.end)?,
        _ => start,
    };
    let words = |p: &Point| match p {
        Point::Minute(t) => t.format("%-d %B %Y").to_string(),
        Point::Day(d) => d.format("%-d %B %Y").to_string(),
        Point::Month(d) => d.format("%B %Y").to_string(),
    };
    Some(((first, words(&start)), (last, words(&end))))
}

/// The first and last day a stored value covers (a month covers all its days; a
/// range runs from its start's first day to its end's last), for date filters.
/// `None` for a value this client cannot read.
pub fn days_covered(o: &OccurredAt) -> Option<(NaiveDate, NaiveDate)> {
    let start = Point::from_stored(&o.start)?;
    let end = match Precision::try_from(o.precision).ok()? {
        Precision::Range => Point::from_stored(&o.end)?,
        _ => start,
    };
    let first = match start {
        Point::Minute(t) => t.date(),
        Point::Day(d) | Point::Month(d) => d,
    };
    let last = match end {
        Point::Minute(t) => t.date(),
        Point::Day(d) => d,
        Point::Month(d) => month_end(d),
    };
    Some((first, last))
}

fn range_words(start: &Point, end: &Point) -> String {
    match (start, end) {
        (Point::Day(a), Point::Day(b)) if a.year() == b.year() && a.month() == b.month() => {
            format!("between {} and {}", a.day(), b.format("%-d %B %Y"))
        }
        (Point::Day(a), Point::Day(b)) if a.year() == b.year() => {
            format!(
                "between {} and {}",
                a.format("%-d %B"),
                b.format("%-d %B %Y")
            )
        }
        (Point::Month(a), Point::Month(b)) if a.year() == b.year() => {
            format!("between {} and {}", a.format("%B"), b.format("%B %Y"))
        }
        _ => format!("between {} and {}", start.in_range(), end.in_range()),
    }
}

/// One point in time at the precision it was given. A month is held as its first day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Point {
    Minute(NaiveDateTime),
    Day(NaiveDate),
    Month(NaiveDate),
}

impl Point {
    fn precision(&self) -> Precision {
        match self {
            Point::Minute(_) => Precision::Minute,
            Point::Day(_) => Precision::Day,
            Point::Month(_) => Precision::Month,
        }
    }

    fn stored(&self) -> OccurredAt {
        let start = match self {
            Point::Minute(t) => format!(
                "{:04}-{:02}-{:02}T{}",
                t.year(),
                t.month(),
                t.day(),
                t.format("%H:%M")
            ),
            Point::Day(d) => format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day()),
            Point::Month(d) => format!("{:04}-{:02}", d.year(), d.month()),
        };
        OccurredAt {
            start,
            precision: self.precision() as i32,
            end: String::new(),
        }
    }

    fn from_stored(s: &str) -> Option<Point> {
        let o = occurred::parse(s).ok()?;
        let date = |text: &str| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok();
        match Precision::try_from(o.precision).ok()? {
            Precision::Minute => NaiveDateTime::parse_from_str(&o.start, "%Y-%m-%dT%H:%M")
                .ok()
                .map(Point::Minute),
            Precision::Day => date(&o.start).map(Point::Day),
            Precision::Month => date(&format!("{}-01", o.start)).map(Point::Month),
            _ => None,
        }
    }

    /// On its own: "Sat 14 March 2026, 21:30", "Sat 14 March 2026", "March 2026".
    fn words(&self) -> String {
        match self {
            Point::Minute(t) => t.format("%a %-d %B %Y, %H:%M").to_string(),
            Point::Day(d) => d.format("%a %-d %B %Y").to_string(),
            Point::Month(d) => d.format("%B %Y").to_string(),
        }
    }

    /// As one end of a range (no weekday, no comma): "14 March 2026 21:30".
    fn in_range(&self) -> String {
        match self {
            Point::Minute(t) => t.format("%-d %B %Y %H:%M").to_string(),
            Point::Day(d) => d.format("%-d %B %Y").to_string(),
            Point::Month(d) => d.format("%B %Y").to_string(),
        }
    }
}

/// The instant a point starts, for ordering and the future check.
fn instant(p: &Point) -> NaiveDateTime {
    match p {
        Point::Minute(t) => *t,
        Point::Day(d) | Point::Month(d) => d.and_time(NaiveTime::MIN),
    }
}

/// What was read: one point (`exact`) or a range, and for relative words what they
/// were read as.
#[derive(Clone, Debug)]
struct Span {
    start: Point,
    end: Point,
    exact: bool,
    note: Option<String>,
}

impl Span {
    fn point(p: Point) -> Span {
        Span {
            start: p,
            end: p,
            exact: true,
            note: None,
        }
    }

    fn range(start: Point, end: Point, note: Option<String>) -> Span {
        Span {
            start,
            end,
            exact: false,
            note,
        }
    }

    fn noted(mut self, note: impl Into<String>) -> Span {
        self.note = Some(note.into());
        self
    }
}
