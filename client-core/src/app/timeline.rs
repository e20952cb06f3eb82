//! The timeline by month, with filters (dates, categories, people, tags) and
//! words to search for; the search on its own; the tags in use. The reading itself
//! is [`crate::query`]'s, shared with the CLI.

use chrono::NaiveDate;

use super::entries::EntrySummary;
use super::{App, AppError};
use crate::journal::Journal;
use crate::query::{self, Filter};
use crate::words::{dates, uk_time};

/// What the timeline shows. Empty means no condition; within one kind any value
/// matches (or), and each kind given must match (and).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct TimelineQuery {
    /// From this date on, inclusive, in words (`14/03/2026`; `March 2026` from its
    /// first day).
    pub from: String,
    /// Up to this date, inclusive, in words (`March 2026` to its last day).
    pub to: String,
    /// Category slugs or names.
    pub categories: Vec<String>,
    /// Person ids.
    pub people: Vec<String>,
    /// Tags (any case).
    pub tags: Vec<String>,
    /// Words every entry shown must contain (search).
    pub words: String,
}

impl std::fmt::Debug for TimelineQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TimelineQuery([redacted])")
    }
}

impl TimelineQuery {
    /// Whether any condition is set.
    pub fn is_filtered(&self) -> bool {
        *self != TimelineQuery::default()
    }
}

/// The entries of one month.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonthGroup {
    /// `YYYY-MM` (`unknown` for entries whose date cannot be read).
    pub year_month: String,
    /// `March 2026`.
    pub label: String,
    /// Its entries, in the order they happened.
    pub entries: Vec<EntrySummary>,
}

/// A date of the filter, in any words [`crate::words::dates`] reads: the first day
/// of what `s` names (`first`), or its last ("March 2026" runs to the 31st).
fn filter_day(
    s: &str,
    field: &str,
    first: bool,
    now_ms: i64,
) -> Result<Option<NaiveDate>, AppError> {
    if s.trim().is_empty() {
        return Ok(None);
    }
    let understood = dates::understand(s, uk_time::uk_now(now_ms)).map_err(|_| {
        AppError::invalid(
            field,
            "Enter a date like 14/03/2026, or a month like March 2026",
        )
    })?;
    let (start, end) = dates::days_covered(&understood.occurred_at).ok_or_else(|| {
        AppError::invalid(
            field,
            "Enter a date like 14/03/2026, or a month like March 2026",
        )
    })?;
    Ok(Some(if first { start } else { end }))
}

fn filter_of(q: &TimelineQuery, journal: &Journal, now_ms: i64) -> Result<Filter, AppError> {
    let from = filter_day(&q.from, "from", true, now_ms)?;
    let to = filter_day(&q.to, "to", false, now_ms)?;
    if let (Some(from), Some(to)) = (from, to) {
        if to < from {
            return Err(AppError::invalid(
                "to",
                "The end date must be the same as or after the start date",
            ));
        }
    }
    let categories = super::entries::category_slugs(&q.categories)?;
    let people = q
        .people
        .iter()
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            super::people::person_id(p)
                .ok()
                .filter(|id| journal.person(id).is_some())
                .ok_or_else(|| AppError::invalid("people", "Choose people from the list"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Filter {
        from,
        to,
        categories,
        people,
        tags: q
            .tags
            .iter()
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect(),
    })
}

fn month_label(year_month: &str) -> String {
    if year_month == "unknown" {
        return "Date not readable".to_owned();
    }
    uk_time::month_heading(year_month)
}

impl App {
    /// The entries `query` asks for, by month, in the order things happened.
    /// A filter value that cannot be read is refused, naming its field.
    pub async fn timeline(&self, query: TimelineQuery) -> Result<Vec<MonthGroup>, AppError> {
        let now = crate::now_ms();
        self.read(|d| {
            let journal = d.journal();
            let filter = filter_of(&query, journal, now)?;
            Ok(query::timeline_search(journal, &filter, &query.words)
                .into_iter()
                .map(|g| MonthGroup {
                    label: month_label(&g.year_month),
                    entries: g
                        .entries
                        .iter()
                        .map(|e| EntrySummary::of(e, journal))
                        .collect(),
                    year_month: g.year_month,
                })
                .collect())
        })
        .await?
    }

    /// Entries containing every one of `words` (any case) in any field or in the
    /// names of the people involved, in timeline order. No words find nothing.
    pub async fn search(&self, words: &str) -> Result<Vec<EntrySummary>, AppError> {
        self.read(|d| {
            let journal = d.journal();
            query::search(journal, words)
                .iter()
                .map(|e| EntrySummary::of(e, journal))
                .collect()
        })
        .await
    }

    /// The tags used by entries not deleted, sorted (for the filter form).
    pub async fn tags(&self) -> Result<Vec<String>, AppError> {
        self.read(|d| {
            let mut tags: Vec<String> = Vec::new();
            for tag in d.journal().entries().iter().flat_map(|e| e.tags.clone()) {
                if !tags.iter().any(|t| t.to_lowercase() == tag.to_lowercase()) {
                    tags.push(tag);
                }
            }
            tags.sort_by_key(|t| t.to_lowercase());
            tags
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn filter_dates_cover_whole_months() {
        let day = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let now = crate::now_ms();
        let read = |s: &str, first| filter_day(s, "to", first, now);
        assert_eq!(
            read("February 2026", false).unwrap(),
            Some(day("2026-02-28"))
        );
        assert_eq!(read("2026-02", true).unwrap(), Some(day("2026-02-01")));
        assert_eq!(read("14/02/2026", false).unwrap(), Some(day("2026-02-14")));
        assert_eq!(read(" ", false).unwrap(), None);
        for bad in ["soon", "30/02/2026"] {
            assert!(read(bad, false).is_err(), "{bad}");
        }
        assert_eq!(month_label("2026-03"), "March 2026");
        assert_eq!(month_label("unknown"), "Date not readable");
    }
}
