//! Patterns of behaviour in the survivor's own records: how often, how severe,
//! which kinds, who, when in the week and the day, and the quiet stretches.
//!
//! Computed on the device from the decrypted journal only, as plain counts and
//! averages. It presents the data; it gives no advice, score or risk judgement.
//! Pure functions of the entries and "today" (given, so results are repeatable).

pub mod svg;
mod when;

use std::collections::BTreeMap;

use chrono::{Datelike, Months, NaiveDate};

use crate::journal::{categories, EntryId, EntryView, Journal};
use crate::query::Filter;

pub use when::When;

/// How many of the longest gaps are listed.
pub const GAPS_LISTED: usize = 5;
/// The length, in months, of each of the two windows compared for recent change.
pub const RECENT_MONTHS: u32 = 3;

/// Entries and severity in one month or week.
#[derive(Clone, Debug, PartialEq)]
pub struct Period {
    /// `YYYY-MM` for a month; the Monday `YYYY-MM-DD` for a week.
    pub start: String,
    /// Entries in the period.
    pub entries: usize,
    /// Mean severity of the entries with one; `None` when none has.
    pub mean_severity: Option<f64>,
    /// The highest severity among them.
    pub max_severity: Option<u32>,
}

/// A straight line fitted (least squares) through the monthly figures, from the
/// first month with an entry to the last, empty months counted as zero.
#[derive(Clone, Debug, PartialEq)]
pub struct Trend {
    /// Months the line spans.
    pub months: usize,
    /// Change in entries per month, per month. `None` with fewer than two months.
    pub entries_per_month: Option<f64>,
    /// Change in mean severity per month, over months with a severity.
    pub severity_per_month: Option<f64>,
}

/// Entries and severity within `from ..= to`.
#[derive(Clone, Debug, PartialEq)]
pub struct Window {
    /// The first day.
    pub from: NaiveDate,
    /// The last day, inclusive.
    pub to: NaiveDate,
    /// Entries in it.
    pub entries: usize,
    /// Mean severity of the entries with one.
    pub mean_severity: Option<f64>,
}

/// The last three months up to today against the three months before them.
#[derive(Clone, Debug, PartialEq)]
pub struct RecentChange {
    /// The last three months.
    pub last: Window,
    /// The three months before.
    pub previous: Window,
    /// `last.entries - previous.entries`.
    pub entries_change: i64,
    /// Relative change in percent; `None` when the earlier window is empty.
    pub entries_change_percent: Option<f64>,
    /// Change in mean severity; `None` unless both windows have one.
    pub severity_change: Option<f64>,
}

/// How many entries have one category, person, etc.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tally {
    /// The category slug or person id (hex).
    pub key: String,
    /// The readable category name or the person's name.
    pub label: String,
    /// Entries with it.
    pub entries: usize,
}

/// A stretch with no entries between two consecutive ones.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gap {
    /// The day of the entry before the gap.
    pub from: NaiveDate,
    /// The day of the entry after it.
    pub to: NaiveDate,
    /// Days between them.
    pub days: i64,
    /// The entry before the gap.
    pub after: EntryId,
    /// The entry after it.
    pub before: EntryId,
}

/// The first and the most recent entry of one category.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CategorySpan {
    /// The category slug.
    pub category: String,
    /// Its readable name.
    pub label: String,
    /// Entries with it.
    pub entries: usize,
    /// The first entry, with its day.
    pub first: (NaiveDate, EntryId),
    /// The most recent, with its day.
    pub last: (NaiveDate, EntryId),
}

/// Everything `mycase patterns` shows. `Debug` shows numbers and ids only.
#[derive(Clone, Debug, PartialEq)]
pub struct Patterns {
    /// The day the figures are computed for.
    pub today: NaiveDate,
    /// Entries counted.
    pub entries: usize,
    /// The first day with an entry.
    pub first_day: Option<NaiveDate>,
    /// The last day with an entry.
    pub last_day: Option<NaiveDate>,
    /// Every month from the first entry's to the last's, empty ones included.
    pub per_month: Vec<Period>,
    /// Every week (Monday first) from the first entry with a known day to the
    /// last; entries known only to the month or a range are not in any week.
    pub per_week: Vec<Period>,
    /// The fitted monthly trend.
    pub trend: Trend,
    /// The last three months against the three before.
    pub recent: RecentChange,
    /// Most entries first, then by name.
    pub by_category: Vec<Tally>,
    /// Most entries first, then by name.
    pub by_person: Vec<Tally>,
    /// Monday first.
    pub by_weekday: [usize; 7],
    /// Entries whose day is not known (month or range precision).
    pub weekday_unknown: usize,
    /// `[weekday][hour]`, Monday first, for minute-precise entries.
    pub heatmap: [[usize; 24]; 7],
    /// Entries whose hour is not known.
    pub hour_unknown: usize,
    /// Entries with severity 1..=5 (index 0 is severity 1).
    pub severity_counts: [usize; 5],
    /// Entries without a severity.
    pub severity_unknown: usize,
    /// Longest first, at most [`GAPS_LISTED`].
    pub longest_gaps: Vec<Gap>,
    /// By category name.
    pub categories: Vec<CategorySpan>,
}

/// Patterns over the live entries that match `filter`, with "today" as given
/// (recent change is measured up to it).
pub fn compute(journal: &Journal, filter: &Filter, today: NaiveDate) -> Patterns {
    let entries: Vec<EntryView> = journal
        .entries()
        .into_iter()
        .filter(|e| filter.matches(e))
        .collect();
    let people: BTreeMap<String, String> = journal
        .people()
        .into_iter()
        .map(|p| {
            let id = hex::encode(p.id);
            let name = p.name.clone().unwrap_or_else(|| id.clone());
            (id, name)
        })
        .collect();
    compute_over(&entries, &people, today)
}

/// [`compute`] over given entries; `people` maps person ids (hex) to names.
pub fn compute_over(
    entries: &[EntryView],
    people: &BTreeMap<String, String>,
    today: NaiveDate,
) -> Patterns {
    let dated: Vec<(When, &EntryView)> = entries
        .iter()
        .filter_map(|e| When::of(e).map(|w| (w, e)))
        .collect();

    let mut by_weekday = [0; 7];
    let mut weekday_unknown = 0;
    let mut heatmap = [[0; 24]; 7];
    let mut hour_unknown = 0;
    for (when, _) in &dated {
        match when.weekday() {
            Some(d) => by_weekday[d] += 1,
            None => weekday_unknown += 1,
        }
        match (when.weekday(), when.hour) {
            (Some(d), Some(h)) => heatmap[d][h as usize] += 1,
            _ => hour_unknown += 1,
        }
    }
    hour_unknown += entries.len() - dated.len();
    weekday_unknown += entries.len() - dated.len();

    let mut severity_counts = [0; 5];
    let mut severity_unknown = 0;
    for e in entries {
        match e.severity {
            Some(s @ 1..=5) => severity_counts[s as usize - 1] += 1,
            _ => severity_unknown += 1,
        }
    }

    let per_month = per_month(&dated);
    Patterns {
        today,
        entries: entries.len(),
        first_day: dated.iter().map(|(w, _)| w.day).min(),
        last_day: dated.iter().map(|(w, _)| w.day).max(),
        trend: trend(&per_month),
        per_week: per_week(&dated),
        per_month,
        recent: recent_change(&dated, today),
        by_category: tally(entries.iter().flat_map(|e| e.categories.iter()), |c| {
            categories::display(c).to_string()
        }),
        by_person: tally(entries.iter().flat_map(|e| e.people.iter()), |p| {
            people.get(p).cloned().unwrap_or_else(|| p.to_string())
        }),
        by_weekday,
        weekday_unknown,
        heatmap,
        hour_unknown,
        severity_counts,
        severity_unknown,
        longest_gaps: longest_gaps(&dated),
        categories: category_spans(&dated),
    }
}

fn summarize(start: String, entries: &[&EntryView]) -> Period {
    let severities: Vec<u32> = entries.iter().filter_map(|e| e.severity).collect();
    Period {
        start,
        entries: entries.len(),
        mean_severity: mean(&severities),
        max_severity: severities.iter().copied().max(),
    }
}

fn mean(values: &[u32]) -> Option<f64> {
    (!values.is_empty())
        .then(|| values.iter().map(|&v| f64::from(v)).sum::<f64>() / values.len() as f64)
}

fn per_month(dated: &[(When, &EntryView)]) -> Vec<Period> {
    let mut months: BTreeMap<NaiveDate, Vec<&EntryView>> = BTreeMap::new();
    for (when, e) in dated {
        months.entry(first_of_month(when.day)).or_default().push(e);
    }
    let (Some(&first), Some(&last)) = (months.keys().next(), months.keys().next_back()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut month = first;
    while month <= last {
        let entries = months.get(&month).map(Vec::as_slice).unwrap_or_default();
        out.push(summarize(month.format("%Y-%m").to_string(), entries));
        match month.checked_add_months(Months::new(1)) {
            Some(next) => month = next,
            None => break,
        }
    }
    out
}

fn per_week(dated: &[(When, &EntryView)]) -> Vec<Period> {
    let mut weeks: BTreeMap<NaiveDate, Vec<&EntryView>> = BTreeMap::new();
    for (when, e) in dated {
        if let Some(monday) = when.week_start() {
            weeks.entry(monday).or_default().push(e);
        }
    }
    let (Some(&first), Some(&last)) = (weeks.keys().next(), weeks.keys().next_back()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut week = first;
    while week <= last {
        let entries = weeks.get(&week).map(Vec::as_slice).unwrap_or_default();
        out.push(summarize(week.format("%Y-%m-%d").to_string(), entries));
        week += chrono::Duration::days(7);
    }
    out
}

fn first_of_month(day: NaiveDate) -> NaiveDate {
    day.with_day0(0).unwrap_or(day)
}

/// Least-squares slope of `ys` against their positions `xs`.
fn slope(points: &[(f64, f64)]) -> Option<f64> {
    if points.len() < 2 {
        return None;
    }
    let n = points.len() as f64;
    let mean_x = points.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_y = points.iter().map(|p| p.1).sum::<f64>() / n;
    let covariance: f64 = points.iter().map(|p| (p.0 - mean_x) * (p.1 - mean_y)).sum();
    let variance: f64 = points.iter().map(|p| (p.0 - mean_x).powi(2)).sum();
    (variance > 0.0).then(|| covariance / variance)
}

fn trend(per_month: &[Period]) -> Trend {
    let counts: Vec<(f64, f64)> = per_month
        .iter()
        .enumerate()
        .map(|(i, p)| (i as f64, p.entries as f64))
        .collect();
    let severities: Vec<(f64, f64)> = per_month
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.mean_severity.map(|s| (i as f64, s)))
        .collect();
    Trend {
        months: per_month.len(),
        entries_per_month: slope(&counts),
        severity_per_month: slope(&severities),
    }
}

fn window(dated: &[(When, &EntryView)], from: NaiveDate, to: NaiveDate) -> Window {
    let inside: Vec<&EntryView> = dated
        .iter()
        .filter(|(w, _)| w.day >= from && w.day <= to)
        .map(|(_, e)| *e)
        .collect();
    let severities: Vec<u32> = inside.iter().filter_map(|e| e.severity).collect();
    Window {
        from,
        to,
        entries: inside.len(),
        mean_severity: mean(&severities),
    }
}

fn recent_change(dated: &[(When, &EntryView)], today: NaiveDate) -> RecentChange {
    let months_back = |n: u32| {
        today
            .checked_sub_months(Months::new(n))
            .unwrap_or(NaiveDate::MIN)
    };
    let one_day = chrono::Duration::days(1);
    // (today - 3 months, today] and (today - 6 months, today - 3 months].
    let last = window(dated, months_back(RECENT_MONTHS) + one_day, today);
    let previous = window(
        dated,
        months_back(2 * RECENT_MONTHS) + one_day,
        months_back(RECENT_MONTHS),
    );
    let entries_change = last.entries as i64 - previous.entries as i64;
    RecentChange {
        entries_change,
        entries_change_percent: (previous.entries > 0)
            .then(|| entries_change as f64 * 100.0 / previous.entries as f64),
        severity_change: last
            .mean_severity
            .zip(previous.mean_severity)
            .map(|(a, b)| a - b),
        last,
        previous,
    }
}

fn tally<'a>(keys: impl Iterator<Item = &'a String>, label: impl Fn(&str) -> String) -> Vec<Tally> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for key in keys {
        *counts.entry(key).or_default() += 1;
    }
    let mut out: Vec<Tally> = counts
        .into_iter()
        .map(|(key, entries)| Tally {
            key: key.to_string(),
            label: label(key),
            entries,
        })
        .collect();
    out.sort_by(|a, b| {
        b.entries
            .cmp(&a.entries)
            .then_with(|| a.label.cmp(&b.label))
    });
    out
}

fn longest_gaps(dated: &[(When, &EntryView)]) -> Vec<Gap> {
    let mut days: Vec<(NaiveDate, EntryId)> = dated.iter().map(|(w, e)| (w.day, e.id)).collect();
    days.sort();
    let mut gaps: Vec<Gap> = days
        .windows(2)
        .filter_map(|pair| {
            let days = (pair[1].0 - pair[0].0).num_days();
            (days > 0).then_some(Gap {
                from: pair[0].0,
                to: pair[1].0,
                days,
                after: pair[0].1,
                before: pair[1].1,
            })
        })
        .collect();
    // Longest first; equal lengths in the order they happened.
    gaps.sort_by(|a, b| b.days.cmp(&a.days).then_with(|| a.from.cmp(&b.from)));
    gaps.truncate(GAPS_LISTED);
    gaps
}

fn category_spans(dated: &[(When, &EntryView)]) -> Vec<CategorySpan> {
    let mut spans: BTreeMap<&str, CategorySpan> = BTreeMap::new();
    for (when, e) in dated {
        let at = (when.day, e.id);
        for category in &e.categories {
            spans
                .entry(category)
                .and_modify(|s| {
                    s.entries += 1;
                    s.first = s.first.min(at);
                    s.last = s.last.max(at);
                })
                .or_insert_with(|| CategorySpan {
                    category: category.clone(),
                    label: categories::display(category).to_string(),
                    entries: 1,
                    first: at,
                    last: at,
                });
        }
    }
    let mut out: Vec<CategorySpan> = spans.into_values().collect();
    out.sort_by(|a, b| a.label.cmp(&b.label));
    out
}
