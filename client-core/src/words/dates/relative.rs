//! Words relative to today: "yesterday", "last Saturday", "last week", "3 days ago",
//! "about 3 weeks ago", "a few months ago".

use chrono::{Datelike, Days, Months, NaiveDate, Weekday};

use super::calendar::{month_start, weekday_name, weekday_named};
use super::grammar::{word, Ctx, Tok};
use super::{DateError, Point, Span};

pub(super) fn weekday_before(day: Weekday, today: NaiveDate, today_counts: bool) -> Span {
    let back = (7 + today.weekday().num_days_from_monday() - day.num_days_from_monday()) % 7;
    let back = if back == 0 && !today_counts { 7 } else { back };
    let at = today
        .checked_sub_days(Days::new(u64::from(back)))
        .unwrap_or(today);
    let name = weekday_name(day);
    Span::point(Point::Day(at)).noted(if today_counts {
        name.to_string()
    } else {
        format!("last {name}")
    })
}

/// How many: a number, or the words for small ones.
pub(super) fn count(toks: &[Tok]) -> Option<(u32, &[Tok])> {
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
pub(super) enum Unit {
    Day,
    Week,
    Month,
    Year,
}

pub(super) fn unit(w: &str) -> Option<Unit> {
    match w {
        "day" | "days" => Some(Unit::Day),
        "week" | "weeks" => Some(Unit::Week),
        "month" | "months" => Some(Unit::Month),
        "year" | "years" => Some(Unit::Year),
        _ => None,
    }
}

pub(super) fn unit_name(u: Unit, n: u32) -> String {
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
pub(super) fn relative(toks: &[Tok], ctx: &Ctx) -> Result<Option<Span>, DateError> {
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
            "today" | "this morning" | "this afternoon" | "this evening" | "tonight" => {
                Some(Span::point(day(today)).noted(phrase.clone()))
            }
            "yesterday" | "yesterday morning" | "yesterday afternoon" | "yesterday evening" => {
                Some(Span::point(day(back_days(1))).noted(phrase.clone()))
            }
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
                let sunday = monday.checked_add_days(Days::new(6)).unwrap_or(monday);
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
pub(super) fn back_range(
    u: Unit,
    far: u32,
    near: u32,
    ctx: &Ctx,
) -> Result<(Point, Point), DateError> {
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
