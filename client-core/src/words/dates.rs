//! When something happened, as people write it in the UK, given today's date.
//!
//! [`understand`] reads "14/03/2026", "14 March 2026", "Sat 14th March 2026 9.30pm",
//! "March 2026", "last March", "yesterday", "about 3 weeks ago", "1-14 March 2026",
//! "between 1 March and 14 March 2026", "early March 2026", and the stored ISO forms
//! and `A..B` ranges of [`occurred::parse`](crate::journal::occurred::parse). It gives
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

use chrono::{Datelike, Days, Months, NaiveDate, NaiveDateTime, NaiveTime, Weekday};
use mycase_proto::v1::{occurred_at::Precision, OccurredAt};

use crate::journal::occurred;

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
}

/// Reads when something happened, relative to `now` (UK civil time).
pub fn understand(text: &str, now: NaiveDateTime) -> Result<Understood, DateError> {
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

#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok {
    /// A run of digits: its value and how many digits were written.
    Num(u32, usize),
    Word(String),
    Sym(char),
}

fn tokenise(text: &str) -> Result<Vec<Tok>, DateError> {
    let mut toks = Vec::new();
    let mut chars = text.trim().chars().flat_map(char::to_lowercase).peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            let mut digits = String::from(c);
            while let Some(d) = chars.next_if(char::is_ascii_digit) {
                digits.push(d);
            }
            let value = digits.parse().map_err(|_| DateError::NotUnderstood)?;
            toks.push(Tok::Num(value, digits.len()));
        } else if c.is_alphabetic() {
            let mut word = String::from(c);
            while let Some(l) = chars.next_if(|l| l.is_alphabetic()) {
                word.push(l);
            }
            toks.push(Tok::Word(word));
        } else if c.is_whitespace() {
            continue;
        } else {
            toks.push(Tok::Sym(match c {
                '/' | '.' | ':' | ',' | '?' => c,
                '-' | '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
                _ => return Err(DateError::NotUnderstood),
            }));
        }
    }
    Ok(toks)
}

fn word(t: &Tok) -> Option<&str> {
    match t {
        Tok::Word(w) => Some(w),
        _ => None,
    }
}

fn is_word(t: Option<&Tok>, options: &[&str]) -> bool {
    t.and_then(word).is_some_and(|w| options.contains(&w))
}

/// Today and whether approximate words came before or after the date.
struct Ctx {
    today: NaiveDate,
    approx: bool,
}

impl Ctx {
    fn new(now: NaiveDateTime, approx: bool) -> Ctx {
        Ctx {
            today: now.date(),
            approx,
        }
    }
}

const APPROX_BEFORE: [&str; 7] = [
    "about",
    "around",
    "roughly",
    "approximately",
    "approx",
    "circa",
    "sometime",
];
const APPROX_AFTER: [&str; 4] = ["approximate", "approximately", "approx", "roughly"];

fn parse_tokens(mut toks: Vec<Tok>, now: NaiveDateTime) -> Result<Span, DateError> {
    let mut approx = false;
    // Approximate words at either end: "about …", "c. …", "…, approximate", "…?".
    loop {
        match toks.as_slice() {
            [Tok::Word(w), ..] if APPROX_BEFORE.contains(&w.as_str()) => {
                approx = true;
                toks.remove(0);
            }
            [Tok::Word(w), Tok::Sym('.'), ..] if w == "c" => {
                approx = true;
                toks.drain(..2);
            }
            [.., Tok::Word(w)] if APPROX_AFTER.contains(&w.as_str()) => {
                approx = true;
                toks.pop();
            }
            [.., Tok::Word(a), Tok::Word(b)] if a == "or" && b == "so" => {
                approx = true;
                toks.truncate(toks.len() - 2);
            }
            [.., Tok::Sym('?')] => {
                approx = true;
                toks.pop();
            }
            [.., Tok::Sym(',')] => {
                toks.pop();
            }
            [Tok::Word(w), rest @ ..]
                if matches!(w.as_str(), "on" | "in" | "during") && !rest.is_empty() =>
            {
                toks.remove(0);
            }
            _ => break,
        }
    }
    if toks.is_empty() {
        return Err(DateError::NotUnderstood);
    }
    let ctx = Ctx::new(now, approx);
    let span = match whole_span(&toks, &ctx) {
        Ok(span) => span,
        Err(point_error) => match range(&toks, &ctx)? {
            Some(span) => span,
            None => return Err(point_error),
        },
    };
    if approx && span.exact {
        // "about 14 March 2026": a range from the date to itself, so the
        // approximation is stored and read back.
        return Ok(Span {
            exact: false,
            ..span
        });
    }
    Ok(span)
}

/// The whole of `toks` as one point or span (not a range of two).
fn whole_span(toks: &[Tok], ctx: &Ctx) -> Result<Span, DateError> {
    span(toks, ctx)?.ok_or(DateError::NotUnderstood)
}

/// The whole of `toks` as one end of a range: its start and end.
fn whole_point(toks: &[Tok], ctx: &Ctx) -> Result<Span, DateError> {
    let toks = match toks {
        [Tok::Word(w), rest @ ..] if matches!(w.as_str(), "on" | "in") && !rest.is_empty() => rest,
        _ => toks,
    };
    whole_span(toks, ctx)
}

const RANGE_SEPARATORS: [&str; 5] = ["and", "to", "until", "till", "through"];

/// "A - B", "between A and B", "from A to B", where A may leave out what B says
/// ("1-14 March 2026", "between 28 February and 14 March 2026", "March-May 2026").
fn range(toks: &[Tok], ctx: &Ctx) -> Result<Option<Span>, DateError> {
    let body = match toks {
        [Tok::Word(w), rest @ ..] if w == "between" || w == "from" => rest,
        _ => toks,
    };
    let mut first_error = None;
    for (i, t) in body.iter().enumerate() {
        let separator = *t == Tok::Sym('-') || is_word(Some(t), &RANGE_SEPARATORS);
        let (Some(left), Some(right)) = (body.get(..i), body.get(i + 1..)) else {
            continue;
        };
        if !separator || left.is_empty() || right.is_empty() {
            continue;
        }
        let end = match whole_point(right, ctx) {
            Ok(end) => end,
            Err(e) => {
                first_error.get_or_insert(e);
                continue;
            }
        };
        let start = match left_from(left, &end.start) {
            Ok(Some(start)) => start,
            Ok(None) => match whole_point(left, ctx) {
                Ok(start) => start.start,
                Err(e) => {
                    first_error.get_or_insert(e);
                    continue;
                }
            },
            Err(e) => {
                first_error.get_or_insert(e);
                continue;
            }
        };
        return Ok(Some(Span::range(start, end.end, None)));
    }
    match first_error {
        Some(DateError::NotUnderstood) | None => Ok(None),
        Some(e) => Err(e),
    }
}

/// The start of a range written short, completed from its end: a day ("1" in
/// "1-14 March 2026"), a day and month ("28 February"), a month ("March" in
/// "March-May 2026"). Moved back a year if it would come after the end
/// ("between 28 December and 3 January 2026").
fn left_from(left: &[Tok], end: &Point) -> Result<Option<Point>, DateError> {
    let end_date = match end {
        Point::Minute(t) => t.date(),
        Point::Day(d) | Point::Month(d) => *d,
    };
    let (year, month) = (end_date.year(), end_date.month());
    if let [Tok::Num(d, 1 | 2)] | [Tok::Num(d, 1 | 2), Tok::Word(_)] = left {
        if !ordinal_ok(left) || !matches!(end, Point::Day(_)) {
            return Ok(None);
        }
        return ymd(year, month, *d).map(|d| Some(Point::Day(d)));
    }
    if let Some((d, m)) = day_and_month(left) {
        let at = ymd(year, m, d)?;
        let at = if at > end_date {
            ymd(year - 1, m, d)?
        } else {
            at
        };
        return Ok(Some(Point::Day(at)));
    }
    if let [Tok::Word(w)] = left {
        if let Some(m) = month_named(w) {
            let at = month_start(year, m)?;
            let at = if at > end_date {
                month_start(year - 1, m)?
            } else {
                at
            };
            return Ok(Some(Point::Month(at)));
        }
    }
    Ok(None)
}

/// `[Num, suffix?]` where the suffix, if any, is st/nd/rd/th.
fn ordinal_ok(toks: &[Tok]) -> bool {
    match toks {
        [Tok::Num(..)] => true,
        [Tok::Num(..), Tok::Word(w)] => is_ordinal_suffix(w),
        _ => false,
    }
}

fn is_ordinal_suffix(w: &str) -> bool {
    matches!(w, "st" | "nd" | "rd" | "th")
}

/// "14 March", "14th of March", "the 14th of March", "March 14th": day and month.
fn day_and_month(toks: &[Tok]) -> Option<(u32, u32)> {
    let toks = match toks {
        [Tok::Word(w), rest @ ..] if w == "the" => rest,
        _ => toks,
    };
    let (day, rest) = match toks {
        [Tok::Num(d, 1 | 2), Tok::Word(s), rest @ ..] if is_ordinal_suffix(s) => (*d, rest),
        [Tok::Num(d, 1 | 2), rest @ ..] => (*d, rest),
        [Tok::Word(m), Tok::Num(d, 1 | 2)] => return month_named(m).map(|m| (*d, m)),
        [Tok::Word(m), Tok::Num(d, 1 | 2), Tok::Word(s)] if is_ordinal_suffix(s) => {
            return month_named(m).map(|m| (*d, m))
        }
        _ => return None,
    };
    let rest = match rest {
        [Tok::Word(of), rest @ ..] if of == "of" => rest,
        _ => rest,
    };
    match rest {
        [Tok::Word(m)] => month_named(m).map(|m| (day, m)),
        _ => None,
    }
}

fn month_named(w: &str) -> Option<u32> {
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

fn weekday_named(w: &str) -> Option<Weekday> {
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

fn weekday_name(d: Weekday) -> &'static str {
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

fn month_name(m: u32) -> &'static str {
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
fn ymd(year: i32, month: u32, day: u32) -> Result<NaiveDate, DateError> {
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

fn days_in_month(year: i32, month: u32) -> u32 {
    (28..=31)
        .rev()
        .find(|d| NaiveDate::from_ymd_opt(year, month, *d).is_some())
        .unwrap_or(28)
}

fn month_start(year: i32, month: u32) -> Result<NaiveDate, DateError> {
    ymd(year, month, 1)
}

fn month_end(first: NaiveDate) -> NaiveDate {
    let days = days_in_month(first.year(), first.month());
    first.with_day(days).unwrap_or(first)
}

/// A year as written: four digits, or two read as this century unless that is
/// more than [`TWO_DIGIT_YEAR_AHEAD`] years ahead.
fn year_of(value: u32, digits: usize, today: NaiveDate) -> Option<i32> {
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
fn most_recent(day: u32, month: u32, today: NaiveDate) -> Result<NaiveDate, DateError> {
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

/// One point or one span, with an optional time of day before or after the date.
fn span(toks: &[Tok], ctx: &Ctx) -> Result<Option<Span>, DateError> {
    if let Some(found) = date_span(toks, ctx)? {
        return Ok(Some(found));
    }
    // A time after the date: "14/03/2026 9.30pm", "yesterday at 21:30", "2026-03-14T21:30".
    for split in (1..toks.len()).rev() {
        let (Some(date_part), Some(time_part)) = (toks.get(..split), toks.get(split..)) else {
            continue;
        };
        let date_part = trim_joiners(date_part);
        if let Some(found) = with_time(date_part, time_part, ctx)? {
            return Ok(Some(found));
        }
    }
    // A time before the date: "21:30 on 14 March 2026", "9pm yesterday".
    for split in 1..toks.len() {
        let (Some(time_part), Some(date_part)) = (toks.get(..split), toks.get(split..)) else {
            continue;
        };
        let date_part = match date_part {
            [Tok::Word(w), rest @ ..] if w == "on" => rest,
            _ => date_part,
        };
        if let Some(found) = with_time(date_part, time_part, ctx)? {
            return Ok(Some(found));
        }
    }
    Ok(None)
}

/// A day and a time of day, when `date_part` is a day and `time_part` a time.
/// Only a split where both are read counts, so only then is an impossible time
/// reported.
fn with_time(date_part: &[Tok], time_part: &[Tok], ctx: &Ctx) -> Result<Option<Span>, DateError> {
    let time = time_of_day(time_part);
    if matches!(time, Ok(None)) {
        return Ok(None);
    }
    let Some(day) = date_span(date_part, ctx).ok().flatten() else {
        return Ok(None);
    };
    match time? {
        Some(time) => at_time(day, time).map(Some),
        None => Ok(None),
    }
}

/// Drops the words and marks between a date and its time: ",", "at", "T".
fn trim_joiners(date: &[Tok]) -> &[Tok] {
    let mut date = date;
    while let [rest @ .., last] = date {
        if *last == Tok::Sym(',') || is_word(Some(last), &["at", "t"]) {
            date = rest;
        } else {
            break;
        }
    }
    date
}

fn at_time(day: Span, time: NaiveTime) -> Result<Span, DateError> {
    match (day.exact, day.start) {
        (true, Point::Day(d)) => Ok(Span {
            start: Point::Minute(d.and_time(time)),
            end: Point::Minute(d.and_time(time)),
            ..day
        }),
        // A time needs one day: "last week 21:30" is not a moment.
        _ => Err(DateError::NotUnderstood),
    }
}

/// "21:30", "21.30", "9.30pm", "9:30 pm", "9pm", "noon", "midday", "midnight".
fn time_of_day(toks: &[Tok]) -> Result<Option<NaiveTime>, DateError> {
    let hm = |h: u32, m: u32| NaiveTime::from_hms_opt(h, m, 0).ok_or(DateError::NoSuchTime);
    let twelve = |h: u32, m: u32, half: &str| -> Result<Option<NaiveTime>, DateError> {
        let pm = match half {
            "am" => false,
            "pm" => true,
            _ => return Ok(None),
        };
        if !(1..=12).contains(&h) {
            return Err(DateError::NoSuchTime);
        }
        let h24 = match (h, pm) {
            (12, false) => 0,
            (12, true) => 12,
            (h, false) => h,
            (h, true) => h + 12,
        };
        hm(h24, m).map(Some)
    };
    match toks {
        [Tok::Word(w)] if w == "noon" || w == "midday" => hm(12, 0).map(Some),
        [Tok::Word(w)] if w == "midnight" => hm(0, 0).map(Some),
        [Tok::Num(h, 1 | 2), Tok::Sym(':' | '.'), Tok::Num(m, 2)] => hm(*h, *m).map(Some),
        [Tok::Num(h, 1 | 2), Tok::Sym(':' | '.'), Tok::Num(m, 2), Tok::Word(half)] => {
            twelve(*h, *m, half)
        }
        [Tok::Num(h, 1 | 2), Tok::Word(half)] => twelve(*h, 0, half),
        [Tok::Num(h, 1 | 2), Tok::Word(a), Tok::Sym('.'), Tok::Word(m), Tok::Sym('.')]
            if (a == "a" || a == "p") && m == "m" =>
        {
            twelve(*h, 0, if a == "a" { "am" } else { "pm" })
        }
        _ => Ok(None),
    }
}

/// A date, a month, a year, or relative words, with no time of day.
fn date_span(toks: &[Tok], ctx: &Ctx) -> Result<Option<Span>, DateError> {
    // A weekday before a date must be its weekday: "Sat 14 March 2026".
    if let [Tok::Word(w), rest @ ..] = toks {
        if let Some(written) = weekday_named(w) {
            let rest = match rest {
                [Tok::Sym(','), rest @ ..] => rest,
                _ => rest,
            };
            if rest.is_empty() {
                return Ok(Some(weekday_before(written, ctx.today, true)));
            }
            let Some(found) = absolute(rest, ctx)? else {
                return Ok(None);
            };
            if let (true, Point::Day(d)) = (found.exact, found.start) {
                if d.weekday() != written {
                    return Err(DateError::WrongWeekday {
                        written: weekday_name(written).into(),
                        actual: weekday_name(d.weekday()).into(),
                    });
                }
                return Ok(Some(found));
            }
            return Ok(None);
        }
    }
    if let Some(found) = absolute(toks, ctx)? {
        return Ok(Some(found));
    }
    relative(toks, ctx)
}

fn weekday_before(day: Weekday, today: NaiveDate, today_counts: bool) -> Span {
    let back = (7 + today.weekday().num_days_from_monday() - day.num_days_from_monday()) % 7;
    let back = if back == 0 && !today_counts { 7 } else { back };
    let at = today - Days::new(u64::from(back));
    let name = weekday_name(day);
    Span::point(Point::Day(at)).noted(if today_counts {
        name.to_string()
    } else {
        format!("last {name}")
    })
}

/// Dates written out: numbers, names, ISO.
fn absolute(toks: &[Tok], ctx: &Ctx) -> Result<Option<Span>, DateError> {
    let today = ctx.today;
    let day = |y: i32, m: u32, d: u32| ymd(y, m, d).map(|d| Some(Span::point(Point::Day(d))));
    match toks {
        // ISO and year-first: 2026-03-14, 2026/03/14.
        [Tok::Num(y, 4), Tok::Sym(a @ ('-' | '/')), Tok::Num(m, 1 | 2), Tok::Sym(b), Tok::Num(d, 1 | 2)]
            if a == b =>
        {
            day(*y as i32, *m, *d)
        }
        [Tok::Num(y, 4), Tok::Sym('-' | '/'), Tok::Num(m, 1 | 2)] => {
            month_start(*y as i32, *m).map(|d| Some(Span::point(Point::Month(d))))
        }
        // Day first: 14/03/2026, 14/3/26, 14.03.2026, 14-03-2026.
        [Tok::Num(d, 1 | 2), Tok::Sym(a @ ('/' | '.' | '-')), Tok::Num(m, 1 | 2), Tok::Sym(b), Tok::Num(y, yd @ (2 | 4))]
            if a == b =>
        {
            match year_of(*y, *yd, today) {
                Some(y) => day(y, *m, *d),
                None => Ok(None),
            }
        }
        // 14/03, the most recent.
        [Tok::Num(d, 1 | 2), Tok::Sym('/'), Tok::Num(m, 1 | 2)] => {
            ymd(2000, *m, (*d).clamp(1, 29))?;
            most_recent(*d, *m, today).map(|d| Some(Span::point(Point::Day(d))))
        }
        // A year: 2025 (January to December).
        [Tok::Num(y, 4)] => {
            let first = month_start(*y as i32, 1)?;
            let last = month_start(*y as i32, 12)?;
            Ok(Some(Span::range(
                Point::Month(first),
                Point::Month(last),
                None,
            )))
        }
        // March 2026, Mar 2026.
        [Tok::Word(m), Tok::Num(y, 4)] => match month_named(m) {
            Some(m) => month_start(*y as i32, m).map(|d| Some(Span::point(Point::Month(d)))),
            None => Ok(None),
        },
        // March: the most recent, this month included.
        [Tok::Word(m)] if month_named(m).is_some() => {
            let m = month_named(m).unwrap_or(1);
            most_recent_month(m, today, true).map(|d| Some(Span::point(Point::Month(d))))
        }
        // last March: the most recent before this month.
        [Tok::Word(last), Tok::Word(m)] if last == "last" => match month_named(m) {
            Some(m) => most_recent_month(m, today, false).map(|d| {
                Some(Span::point(Point::Month(d)).noted(format!("last {}", month_name(m))))
            }),
            None => Ok(None),
        },
        // early/mid/late March 2026, the end of March.
        [Tok::Word(part), rest @ ..] if part_of_month(part).is_some() => {
            part_month(part, rest, ctx)
        }
        [Tok::Word(the), Tok::Word(part), Tok::Word(of), rest @ ..]
            if the == "the" && of == "of" && part_of_month(part).is_some() =>
        {
            part_month(part, rest, ctx)
        }
        _ => day_named(toks, ctx),
    }
}

/// "14 March 2026", "14th March 2026", "the 14th of March 2026", "March 14, 2026",
/// "14 March" (the most recent).
fn day_named(toks: &[Tok], ctx: &Ctx) -> Result<Option<Span>, DateError> {
    let (date_part, year) = match toks {
        [rest @ .., Tok::Sym(','), Tok::Num(y, 4)] | [rest @ .., Tok::Num(y, 4)] => {
            (rest, Some(*y as i32))
        }
        _ => (toks, None),
    };
    let date_part = match date_part {
        [rest @ .., Tok::Sym(',')] => rest,
        _ => date_part,
    };
    let Some((d, m)) = day_and_month(date_part) else {
        return Ok(None);
    };
    let at = match year {
        Some(y) => ymd(y, m, d)?,
        None => {
            ymd(2000, m, d)?;
            most_recent(d, m, ctx.today)?
        }
    };
    Ok(Some(Span::point(Point::Day(at))))
}

fn most_recent_month(
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

/// The days of a month "early" (1-10), "mid" (11-20) or "late" (21-end) names.
fn part_of_month(w: &str) -> Option<(u32, Option<u32>)> {
    match w {
        "early" | "start" | "beginning" => Some((1, Some(10))),
        "mid" | "middle" => Some((11, Some(20))),
        "late" | "end" => Some((21, None)),
        _ => None,
    }
}

fn part_month(part: &str, rest: &[Tok], ctx: &Ctx) -> Result<Option<Span>, DateError> {
    // "mid-March", "end of March".
    let rest = match rest {
        [Tok::Sym('-'), rest @ ..] => rest,
        [Tok::Word(of), rest @ ..] if of == "of" => rest,
        _ => rest,
    };
    let first = match rest {
        [Tok::Word(m), Tok::Num(y, 4)] => match month_named(m) {
            Some(m) => month_start(*y as i32, m)?,
            None => return Ok(None),
        },
        [Tok::Word(m)] => match month_named(m) {
            Some(m) => most_recent_month(m, ctx.today, true)?,
            None => return Ok(None),
        },
        _ => return Ok(None),
    };
    let Some((from, to)) = part_of_month(part) else {
        return Ok(None);
    };
    let start = first.with_day(from).unwrap_or(first);
    let end = to
        .and_then(|d| first.with_day(d))
        .unwrap_or_else(|| month_end(first));
    let label = match part {
        "start" | "beginning" => "the start of",
        "middle" | "mid" => "mid",
        "end" => "the end of",
        other => other,
    };
    Ok(Some(Span::range(
        Point::Day(start),
        Point::Day(end),
        Some(format!("{label} {}", first.format("%B"))),
    )))
}

/// How many: a number, or the words for small ones.
fn count(toks: &[Tok]) -> Option<(u32, &[Tok])> {
    match toks {
        [Tok::Num(n, 1..=3), rest @ ..] => Some((*n, rest)),
        [Tok::Word(w), rest @ ..] => {
            let words = [
                "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                "eleven", "twelve",
            ];
            if w == "a" || w == "an" {
                return Some((1, rest));
            }
            (1u32..)
                .zip(words)
                .find(|(_, name)| w == *name)
                .map(|(n, _)| (n, rest))
        }
        _ => None,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Unit {
    Day,
    Week,
    Month,
    Year,
}

fn unit(w: &str) -> Option<Unit> {
    match w {
        "day" | "days" => Some(Unit::Day),
        "week" | "weeks" => Some(Unit::Week),
        "month" | "months" => Some(Unit::Month),
        "year" | "years" => Some(Unit::Year),
        _ => None,
    }
}

fn unit_name(u: Unit, n: u32) -> String {
    let name = match u {
        Unit::Day => "day",
        Unit::Week => "week",
        Unit::Month => "month",
        Unit::Year => "year",
    };
    if n == 1 {
        format!("a {name}")
    } else {
        format!("{n} {name}s")
    }
}

/// Words relative to today: "today", "yesterday", "last week", "3 days ago",
/// "about 3 weeks ago", "a few weeks ago".
fn relative(toks: &[Tok], ctx: &Ctx) -> Result<Option<Span>, DateError> {
    let today = ctx.today;
    let words: Vec<&str> = toks.iter().filter_map(word).collect();
    let all_words = words.len() == toks.len();
    let phrase = words.join(" ");
    let day = |d: NaiveDate| Point::Day(d);
    let back_days = |n: u64| today.checked_sub_days(Days::new(n)).unwrap_or(today);
    let month_back = |n: u32| -> NaiveDate {
        let first = today.with_day(1).unwrap_or(today);
        first.checked_sub_months(Months::new(n)).unwrap_or(first)
    };
    if all_words {
        let found = match phrase.as_str() {
            "today" => Some(Span::point(day(today)).noted("today")),
            "yesterday" => Some(Span::point(day(back_days(1))).noted("yesterday")),
            "the day before yesterday" => {
                Some(Span::point(day(back_days(2))).noted("the day before yesterday"))
            }
            "last night" => Some(Span::range(
                day(back_days(1)),
                day(today),
                Some("last night".into()),
            )),
            "this week" => {
                let monday = back_days(u64::from(today.weekday().num_days_from_monday()));
                Some(Span::range(
                    day(monday),
                    day(today),
                    Some("this week".into()),
                ))
            }
            "last week" => {
                let monday = back_days(u64::from(today.weekday().num_days_from_monday()) + 7);
                let sunday = monday + Days::new(6);
                Some(Span::range(
                    day(monday),
                    day(sunday),
                    Some("last week".into()),
                ))
            }
            "this month" => Some(Span::point(Point::Month(month_back(0))).noted("this month")),
            "last month" => Some(Span::point(Point::Month(month_back(1))).noted("last month")),
            "this year" => Some(Span::range(
                Point::Month(month_start(today.year(), 1)?),
                Point::Month(month_back(0)),
                Some("this year".into()),
            )),
            "last year" => Some(Span::range(
                Point::Month(month_start(today.year() - 1, 1)?),
                Point::Month(month_start(today.year() - 1, 12)?),
                Some("last year".into()),
            )),
            _ => None,
        };
        if found.is_some() {
            return Ok(found);
        }
        if let ["last", w] = words.as_slice() {
            if let Some(d) = weekday_named(w) {
                return Ok(Some(weekday_before(d, today, false)));
            }
        }
    }
    // "a few weeks ago", "a couple of days ago", "several months ago".
    let vague = match words.as_slice() {
        ["a", "few", u, "ago"] => unit(u).map(|u| (u, 2, 5, "a few")),
        ["a", "couple", "of", u, "ago"] | ["a", "couple", u, "ago"] => {
            unit(u).map(|u| (u, 1, 3, "a couple of"))
        }
        ["several", u, "ago"] => unit(u).map(|u| (u, 3, 7, "several")),
        _ => None,
    };
    if let (true, Some((u, from, to, label))) = (all_words, vague) {
        let name = match u {
            Unit::Day => "days",
            Unit::Week => "weeks",
            Unit::Month => "months",
            Unit::Year => "years",
        };
        let (start, end) = back_range(u, to, from, ctx)?;
        return Ok(Some(Span::range(
            start,
            end,
            Some(format!("{label} {name} ago")),
        )));
    }
    // "3 days ago", "about 3 weeks ago", "a month ago".
    let Some((n, rest)) = count(toks) else {
        return Ok(None);
    };
    let u = match rest {
        [Tok::Word(u), Tok::Word(ago)] if ago == "ago" => match unit(u) {
            Some(u) => u,
            None => return Ok(None),
        },
        _ => return Ok(None),
    };
    let about = if ctx.approx { "about " } else { "" };
    let note = format!("{about}{} ago", unit_name(u, n));
    let n64 = u64::from(n);
    let span = match (u, ctx.approx) {
        (Unit::Day, false) => Span::point(day(back_days(n64))).noted(note),
        (Unit::Day, true) => {
            let spread = u64::from((n / 4).max(1));
            Span::range(
                day(back_days(n64 + spread)),
                day(back_days(n64.saturating_sub(spread))),
                Some(note),
            )
        }
        // A week is never meant to the day: the week around it, or a week
        // either side when "about".
        (Unit::Week, approx) => {
            let spread = if approx { 7 } else { 3 };
            Span::range(
                day(back_days(7 * n64 + spread)),
                day(back_days((7 * n64).saturating_sub(spread))),
                Some(note),
            )
        }
        (Unit::Month, false) => Span::point(Point::Month(month_back(n))).noted(note),
        (Unit::Month, true) => Span::range(
            Point::Month(month_back(n + 1)),
            Point::Month(month_back(n.saturating_sub(1))),
            Some(note),
        ),
        (Unit::Year, approx) => {
            let spread = i32::from(approx);
            let year = today.year() - i32::try_from(n).unwrap_or(0);
            let last = if year + spread >= today.year() {
                month_back(0)
            } else {
                month_start(year + spread, 12)?
            };
            Span::range(
                Point::Month(month_start(year - spread, 1)?),
                Point::Month(last),
                Some(note),
            )
        }
    };
    Ok(Some(span))
}

/// From `far` units back to `near` units back, never after today.
fn back_range(u: Unit, far: u32, near: u32, ctx: &Ctx) -> Result<(Point, Point), DateError> {
    let today = ctx.today;
    let days = |n: u32| {
        today
            .checked_sub_days(Days::new(u64::from(n)))
            .unwrap_or(today)
    };
    let month = |n: u32| -> NaiveDate {
        let first = today.with_day(1).unwrap_or(today);
        first.checked_sub_months(Months::new(n)).unwrap_or(first)
    };
    Ok(match u {
        Unit::Day => (Point::Day(days(far)), Point::Day(days(near))),
        Unit::Week => (Point::Day(days(7 * far)), Point::Day(days(7 * near))),
        Unit::Month => (Point::Month(month(far)), Point::Month(month(near))),
        Unit::Year => {
            let year = |n: u32| today.year() - i32::try_from(n).unwrap_or(0);
            (
                Point::Month(month_start(year(far), 1)?),
                Point::Month(month_start(year(near), 12)?),
            )
        }
    })
}

#[cfg(test)]
#[path = "dates_tests.rs"]
mod tests;
