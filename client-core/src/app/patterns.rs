//! Patterns: the same figures and charts as `mycase patterns`, in plain types.
//! Counts and averages of the survivor's own records only: no advice, score or
//! risk judgement. Also [`EntryFilter`], the entry selection patterns and
//! export share.

use chrono::NaiveDate;
use serde::Serialize;

use super::{App, AppError};
use crate::journal::{categories, Journal};
use crate::patterns::{self, svg, Gap, Patterns, Period};
use crate::query::Filter;

const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// Which entries to count or export, as a form gives it. Each kind given must
/// match; within one kind, any value matches. Empty means no filter.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct EntryFilter {
    /// From this day on (`YYYY-MM-DD`), or empty.
    pub from: String,
    /// Up to and including this day (`YYYY-MM-DD`), or empty.
    pub to: String,
    /// Category slugs or names.
    pub categories: Vec<String>,
    /// People, by id (hex) or name.
    pub people: Vec<String>,
    /// Tags.
    pub tags: Vec<String>,
}

impl std::fmt::Debug for EntryFilter {
    // People and tags can identify someone: show only how many.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EntryFilter")
            .field("from", &self.from)
            .field("to", &self.to)
            .field("categories", &self.categories.len())
            .field("people", &self.people.len())
            .field("tags", &self.tags.len())
            .finish()
    }
}

/// A `YYYY-MM-DD` day from the form field `field`, if given.
fn day(field: &str, value: &str) -> Result<Option<NaiveDate>, AppError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| AppError::invalid(field, "Give a day as YYYY-MM-DD, for example 2026-03-14"))
}

impl EntryFilter {
    /// The journal query it means, or which field is wrong.
    pub(super) fn to_query(&self, journal: &Journal) -> Result<Filter, AppError> {
        let from = day("from", &self.from)?;
        let to = day("to", &self.to)?;
        if let (Some(f), Some(t)) = (from, to) {
            if f > t {
                return Err(AppError::invalid("to", "The last day is before the first"));
            }
        }
        let categories = self
            .categories
            .iter()
            .filter(|c| !c.trim().is_empty())
            .map(|c| {
                categories::parse(c).map(str::to_owned).ok_or_else(|| {
                    AppError::invalid("categories", "Choose a category from the list")
                })
            })
            .collect::<Result<_, _>>()?;
        let people = self
            .people
            .iter()
            .filter(|p| !p.trim().is_empty())
            .map(|p| {
                journal
                    .resolve_person(p)
                    .map_err(|e| AppError::invalid("people", e.to_string()))
            })
            .collect::<Result<_, _>>()?;
        Ok(Filter {
            from,
            to,
            categories,
            people,
            tags: self
                .tags
                .iter()
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty())
                .collect(),
        })
    }
}

/// The figures of `mycase patterns` (its `--json` output is this, serialised).
/// Days are `YYYY-MM-DD`, ids hex.
#[derive(Clone, PartialEq, Serialize)]
pub struct PatternsReport {
    /// The day "the last three months" is measured up to.
    pub as_of: String,
    /// Entries counted.
    pub entries: usize,
    /// The first day with an entry.
    pub first_day: Option<String>,
    /// The last day with an entry.
    pub last_day: Option<String>,
    /// Every month from the first entry's to the last's, empty ones included.
    pub per_month: Vec<PeriodFigures>,
    /// Every week (from its Monday) with entries known to the day.
    pub per_week: Vec<PeriodFigures>,
    /// The least-squares line through the monthly figures.
    pub trend: TrendFigures,
    /// The last three months against the three before.
    pub recent: RecentFigures,
    /// Most entries first.
    pub by_category: Vec<TallyFigures>,
    /// Most entries first.
    pub by_person: Vec<TallyFigures>,
    /// Monday first.
    pub by_weekday: Vec<WeekdayFigures>,
    /// Entries whose day is not known.
    pub weekday_unknown: usize,
    /// Seven rows (Monday first) of 24 hours.
    pub heatmap: Vec<Vec<usize>>,
    /// Entries whose hour is not known.
    pub hour_unknown: usize,
    /// Entries with severity 1 to 5.
    pub severity_counts: [usize; 5],
    /// Entries without a severity.
    pub severity_unknown: usize,
    /// The longest stretches without an entry, longest first.
    pub longest_gaps: Vec<GapFigures>,
    /// The first and most recent entry of each category.
    pub categories: Vec<CategoryFigures>,
}

impl std::fmt::Debug for PatternsReport {
    // People's names are content: numbers only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PatternsReport")
            .field("as_of", &self.as_of)
            .field("entries", &self.entries)
            .finish_non_exhaustive()
    }
}

/// Entries and severity in one month (`YYYY-MM`) or week (its Monday).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodFigures {
    /// The month or the week's Monday.
    pub start: String,
    /// Entries in it.
    pub entries: usize,
    /// Mean severity of those with one.
    pub mean_severity: Option<f64>,
    /// The highest severity among them.
    pub max_severity: Option<u32>,
}

/// The fitted monthly trend.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrendFigures {
    /// Months the line spans.
    pub months: usize,
    /// Change in entries per month, each month (fewer than two months: none).
    pub entries_per_month: Option<f64>,
    /// Change in mean severity, each month.
    pub severity_per_month: Option<f64>,
}

/// Entries and severity from one day to another.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WindowFigures {
    /// The first day.
    pub from: String,
    /// The last day, inclusive.
    pub to: String,
    /// Entries in it.
    pub entries: usize,
    /// Mean severity of those with one.
    pub mean_severity: Option<f64>,
}

/// The last three months against the three before.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecentFigures {
    /// The last three months.
    pub last: WindowFigures,
    /// The three months before.
    pub previous: WindowFigures,
    /// `last.entries - previous.entries`.
    pub entries_change: i64,
    /// In percent; none when the earlier window is empty.
    pub entries_change_percent: Option<f64>,
    /// Change in mean severity, when both windows have one.
    pub severity_change: Option<f64>,
}

/// How many entries have one category or person.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct TallyFigures {
    /// The category slug or person id (hex).
    pub id: String,
    /// The category's or person's name.
    pub name: String,
    /// Entries with it.
    pub entries: usize,
}

impl std::fmt::Debug for TallyFigures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TallyFigures")
            .field("id", &self.id)
            .field("entries", &self.entries)
            .finish_non_exhaustive()
    }
}

/// Entries on one day of the week.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WeekdayFigures {
    /// "Monday" to "Sunday".
    pub day: String,
    /// Entries on it.
    pub entries: usize,
}

/// A stretch without entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GapFigures {
    /// Days between the two entries.
    pub days: i64,
    /// The day of the entry before the gap.
    pub from: String,
    /// The day of the entry after it.
    pub to: String,
    /// The entry before the gap (hex).
    pub after_entry: String,
    /// The entry after it (hex).
    pub before_entry: String,
}

/// The first and most recent entry of one category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CategoryFigures {
    /// Its slug.
    pub category: String,
    /// Its name.
    pub name: String,
    /// Entries with it.
    pub entries: usize,
    /// The first entry's day.
    pub first_day: String,
    /// The first entry (hex).
    pub first_entry: String,
    /// The most recent entry's day.
    pub last_day: String,
    /// The most recent entry (hex).
    pub last_entry: String,
}

/// The charts of the HTML export, as SVG (`role="img"` with a `<title>`; the
/// figures beside them in [`PatternsReport`] are their text alternative).
#[derive(Clone, PartialEq, Eq)]
pub struct PatternCharts {
    /// Entries per month, as bars.
    pub per_month: String,
    /// Entries per week, as bars.
    pub per_week: String,
    /// Mean severity per month, as a line.
    pub severity: String,
    /// Day of week against hour of day.
    pub heatmap: String,
}

impl std::fmt::Debug for PatternCharts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PatternCharts([redacted])")
    }
}

/// What the patterns page shows: the figures and the charts.
#[derive(Debug, Clone, PartialEq)]
pub struct PatternsView {
    /// The figures.
    pub figures: PatternsReport,
    /// The charts (empty strings when no entry matches).
    pub charts: PatternCharts,
}

impl From<&Period> for PeriodFigures {
    fn from(p: &Period) -> Self {
        PeriodFigures {
            start: p.start.clone(),
            entries: p.entries,
            mean_severity: p.mean_severity,
            max_severity: p.max_severity,
        }
    }
}

impl From<&patterns::Window> for WindowFigures {
    fn from(w: &patterns::Window) -> Self {
        WindowFigures {
            from: w.from.to_string(),
            to: w.to.to_string(),
            entries: w.entries,
            mean_severity: w.mean_severity,
        }
    }
}

impl From<&patterns::Tally> for TallyFigures {
    fn from(t: &patterns::Tally) -> Self {
        TallyFigures {
            id: t.key.clone(),
            name: t.label.clone(),
            entries: t.entries,
        }
    }
}

impl From<&Gap> for GapFigures {
    fn from(g: &Gap) -> Self {
        GapFigures {
            days: g.days,
            from: g.from.to_string(),
            to: g.to.to_string(),
            after_entry: hex::encode(g.after),
            before_entry: hex::encode(g.before),
        }
    }
}

impl From<&Patterns> for PatternsReport {
    fn from(p: &Patterns) -> Self {
        PatternsReport {
            as_of: p.today.to_string(),
            entries: p.entries,
            first_day: p.first_day.map(|d| d.to_string()),
            last_day: p.last_day.map(|d| d.to_string()),
            per_month: p.per_month.iter().map(PeriodFigures::from).collect(),
            per_week: p.per_week.iter().map(PeriodFigures::from).collect(),
            trend: TrendFigures {
                months: p.trend.months,
                entries_per_month: p.trend.entries_per_month,
                severity_per_month: p.trend.severity_per_month,
            },
            recent: RecentFigures {
                last: (&p.recent.last).into(),
                previous: (&p.recent.previous).into(),
                entries_change: p.recent.entries_change,
                entries_change_percent: p.recent.entries_change_percent,
                severity_change: p.recent.severity_change,
            },
            by_category: p.by_category.iter().map(TallyFigures::from).collect(),
            by_person: p.by_person.iter().map(TallyFigures::from).collect(),
            by_weekday: WEEKDAYS
                .iter()
                .zip(p.by_weekday)
                .map(|(day, entries)| WeekdayFigures {
                    day: (*day).to_owned(),
                    entries,
                })
                .collect(),
            weekday_unknown: p.weekday_unknown,
            heatmap: p.heatmap.iter().map(|row| row.to_vec()).collect(),
            hour_unknown: p.hour_unknown,
            severity_counts: p.severity_counts,
            severity_unknown: p.severity_unknown,
            longest_gaps: p.longest_gaps.iter().map(GapFigures::from).collect(),
            categories: p
                .categories
                .iter()
                .map(|s| CategoryFigures {
                    category: s.category.clone(),
                    name: s.label.clone(),
                    entries: s.entries,
                    first_day: s.first.0.to_string(),
                    first_entry: hex::encode(s.first.1),
                    last_day: s.last.0.to_string(),
                    last_entry: hex::encode(s.last.1),
                })
                .collect(),
        }
    }
}

impl From<&Patterns> for PatternCharts {
    fn from(p: &Patterns) -> Self {
        if p.entries == 0 {
            return PatternCharts {
                per_month: String::new(),
                per_week: String::new(),
                severity: String::new(),
                heatmap: String::new(),
            };
        }
        PatternCharts {
            per_month: svg::per_month_chart(p),
            per_week: svg::per_week_chart(p),
            severity: svg::severity_chart(p),
            heatmap: svg::heatmap_chart(p),
        }
    }
}

/// The day "the last three months" ends on: `as_of` (`YYYY-MM-DD`) if given,
/// else today here.
pub fn patterns_day(as_of: &str) -> Result<NaiveDate, AppError> {
    Ok(day("as_of", as_of)?
        .unwrap_or_else(|| crate::words::uk_time::uk_now(crate::now_ms()).date()))
}

impl App {
    /// The patterns of the live entries `filter` selects, measured up to `as_of`
    /// (`YYYY-MM-DD`; empty for today).
    pub async fn patterns(
        &self,
        filter: &EntryFilter,
        as_of: &str,
    ) -> Result<PatternsView, AppError> {
        let today = patterns_day(as_of)?;
        self.read(|d| {
            let journal = d.journal();
            let query = filter.to_query(journal)?;
            let p = patterns::compute(journal, &query, today);
            Ok(PatternsView {
                figures: PatternsReport::from(&p),
                charts: PatternCharts::from(&p),
            })
        })
        .await?
    }
}
