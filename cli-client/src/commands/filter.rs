//! The entry filter flags shared by `timeline`, `patterns` and `export`.

use anyhow::{Context, Result};
use chrono::NaiveDate;
use mycase_core::journal::Journal;
use mycase_core::query::Filter;
use mycase_core::words::{dates, uk_time};

use super::fields;

#[derive(Debug, Default, clap::Args)]
pub struct FilterArgs {
    /// From this date on: a day ("1/3/2026", "1 March 2026", "2026-03-01"), or the
    /// start of a month or of words like "last week".
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// Up to and including this date (a month or "last week" counts to its last day).
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    /// Only this category, by name or any unique part of it (repeat for any of several).
    #[arg(long = "category", value_name = "C")]
    pub categories: Vec<String>,
    /// Only entries involving this person, by any unique part of their name or an id
    /// prefix (repeat for any of several).
    #[arg(long = "person", value_name = "P")]
    pub people: Vec<String>,
    /// Only this tag (repeat for any of several).
    #[arg(long = "tag", value_name = "T")]
    pub tags: Vec<String>,
}

impl FilterArgs {
    pub fn to_filter(&self, journal: &Journal) -> Result<Filter> {
        Ok(Filter {
            from: day("--from", self.from.as_deref(), First)?,
            to: day("--to", self.to.as_deref(), Last)?,
            categories: fields::categories(&self.categories)?
                .map(|l| l.values)
                .unwrap_or_default(),
            people: self
                .people
                .iter()
                .map(|p| fields::person("--person", journal, p))
                .collect::<Result<_>>()?,
            tags: self.tags.clone(),
        })
    }
}

/// Which end of what was written a filter date is.
#[derive(Clone, Copy)]
pub(super) enum End {
    First,
    Last,
}
use End::{First, Last};

/// A `--from`/`--to` date in the words `--when` takes, as its first or last day.
pub(super) fn day(flag: &str, value: Option<&str>, end: End) -> Result<Option<NaiveDate>> {
    let now = uk_time::uk_now(mycase_core::now_ms());
    value
        .map(|v| {
            let understood = dates::understand(v, now).with_context(|| flag.to_string())?;
            let (first, last) = dates::days_covered(&understood.occurred_at)
                .with_context(|| format!("{flag}: give a day, for example 1/3/2026"))?;
            Ok(match end {
                First => first,
                Last => last,
            })
        })
        .transpose()
}
