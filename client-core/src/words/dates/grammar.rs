//! The forms a date is written in: tokens, approximate words, ranges ("1-14 March
//! 2026", "between A and B"), written-out and numeric dates, times of day.

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime};

use super::calendar::{
    month_end, month_name, month_named, month_start, most_recent, most_recent_month, weekday_name,
    weekday_named, year_of, ymd,
};
use super::relative::{relative, weekday_before};
use super::{DateError, Point, Span};

/// One piece of what was typed, lower-cased; whitespace only separates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Tok {
    /// A run of digits: its value and how many digits were written.
    Num(u32, usize),
    Word(String),
    Sym(char),
}

pub(super) fn tokenise(text: &str) -> Result<Vec<Tok>, DateError> {
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

pub(super) fn word(t: &Tok) -> Option<&str> {
    match t {
        Tok::Word(w) => Some(w),
        _ => None,
    }
}

pub(super) fn is_word(t: Option<&Tok>, options: &[&str]) -> bool {
    t.and_then(word).is_some_and(|w| options.contains(&w))
}

/// Today and whether approximate words came before or after the date.
pub(super) struct Ctx {
    pub(super) today: NaiveDate,
    pub(super) approx: bool,
}

impl Ctx {
    pub(super) fn new(now: NaiveDateTime, approx: bool) -> Ctx {
        Ctx {
            today: now.date(),
            approx,
        }
    }
}

pub(super) const APPROX_BEFORE: [&str; 7] = [
    "about",
    "around",
    "roughly",
    "approximately",
    "approx",
    "circa",
    "sometime",
];
pub(super) const APPROX_AFTER: [&str; 4] = ["approximate", "approximately", "approx", "roughly"];

pub(super) fn parse_tokens(mut toks: Vec<Tok>, now: NaiveDateTime) -> Result<Span, DateError> {
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
pub(super) fn whole_span(toks: &[Tok], ctx: &Ctx) -> Result<Span, DateError> {
    span(toks, ctx)?.ok_or(DateError::NotUnderstood)
}

/// The whole of `toks` as one end of a range: its start and end.
pub(super) fn whole_point(toks: &[Tok], ctx: &Ctx) -> Result<Span, DateError> {
    let toks = match toks {
        [Tok::Word(w), rest @ ..] if matches!(w.as_str(), "on" | "in") && !rest.is_empty() => rest,
        _ => toks,
    };
    whole_span(toks, ctx)
}

pub(super) const RANGE_SEPARATORS: [&str; 5] = ["and", "to", "until", "till", "through"];

/// "A - B", "between A and B", "from A to B", where A may leave out what B says
/// ("1-14 March 2026", "between 28 February and 14 March 2026", "March-May 2026").
pub(super) fn range(toks: &[Tok], ctx: &Ctx) -> Result<Option<Span>, DateError> {
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
pub(super) fn left_from(left: &[Tok], end: &Point) -> Result<Option<Point>, DateError> {
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
pub(super) fn ordinal_ok(toks: &[Tok]) -> bool {
    match toks {
        [Tok::Num(..)] => true,
        [Tok::Num(..), Tok::Word(w)] => is_ordinal_suffix(w),
        _ => false,
    }
}

pub(super) fn is_ordinal_suffix(w: &str) -> bool {
    matches!(w, "st" | "nd" | "rd" | "th")
}

/// "14 March", "14th of March", "the 14th of March", "March 14th": day and month.
pub(super) fn day_and_month(toks: &[Tok]) -> Option<(u32, u32)> {
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

/// One point or one span, with an optional time of day before or after the date.
pub(super) fn span(toks: &[Tok], ctx: &Ctx) -> Result<Option<Span>, DateError> {
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
pub(super) fn with_time(
    date_part: &[Tok],
    time_part: &[Tok],
    ctx: &Ctx,
) -> Result<Option<Span>, DateError> {
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
pub(super) fn trim_joiners(date: &[Tok]) -> &[Tok] {
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

pub(super) fn at_time(day: Span, time: NaiveTime) -> Result<Span, DateError> {
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
pub(super) fn time_of_day(toks: &[Tok]) -> Result<Option<NaiveTime>, DateError> {
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
pub(super) fn date_span(toks: &[Tok], ctx: &Ctx) -> Result<Option<Span>, DateError> {
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

/// Dates written out: numbers, names, ISO.
pub(super) fn absolute(toks: &[Tok], ctx: &Ctx) -> Result<Option<Span>, DateError> {
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
        [Tok::Word(m)] => match month_named(m) {
            Some(m) => {
                most_recent_month(m, today, true).map(|d| Some(Span::point(Point::Month(d))))
            }
            // "today", "yesterday": relative words.
            None => Ok(None),
        },
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
pub(super) fn day_named(toks: &[Tok], ctx: &Ctx) -> Result<Option<Span>, DateError> {
    let (date_part, year) = match toks {
        [rest @ .., Tok::Sym(','), Tok::Num(y, 4)] | [rest @ .., Tok::Num(y, 4)] => {
            (rest, Some(*y as i32))
        }
        // "14 Mar 26": a two-digit year only after a day and a month, day first
        // ("March 26" alone is the 26th).
        [rest @ .., Tok::Num(y, 2)]
            if day_and_month(rest).is_some()
                && !matches!(rest, [Tok::Word(w), ..] if month_named(w).is_some()) =>
        {
            (rest, year_of(*y, 2, ctx.today))
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

/// The days of a month "early" (1-10), "mid" (11-20) or "late" (21-end) names.
pub(super) fn part_of_month(w: &str) -> Option<(u32, Option<u32>)> {
    match w {
        "early" | "start" | "beginning" => Some((1, Some(10))),
        "mid" | "middle" => Some((11, Some(20))),
        "late" | "end" => Some((21, None)),
        _ => None,
    }
}

pub(super) fn part_month(part: &str, rest: &[Tok], ctx: &Ctx) -> Result<Option<Span>, DateError> {
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
