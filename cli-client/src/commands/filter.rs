//! The entry filter flags shared by `timeline`, `patterns` and `export`.

use anyhow::{Context, Result};
use chrono::NaiveDate;
use mycase_core::journal::Journal;
use mycase_core::query::Filter;

use super::fields;

#[derive(Debug, Default, clap::Args)]
pub struct FilterArgs {
    /// From this day on (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// Up to and including this day (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    /// Only this category (repeat for any of several).
    #[arg(long = "category", value_name = "C")]
    pub categories: Vec<String>,
    /// Only entries involving this person, by name or id prefix (repeat for any of several).
    #[arg(long = "person", value_name = "P")]
    pub people: Vec<String>,
    /// Only this tag (repeat for any of several).
    #[arg(long = "tag", value_name = "T")]
    pub tags: Vec<String>,
}

impl FilterArgs {
    pub fn to_filter(&self, journal: &Journal) -> Result<Filter> {
        Ok(Filter {
            from: day("--from", self.from.as_deref())?,
            to: day("--to", self.to.as_deref())?,
            categories: fields::categories(&self.categories)?
                .map(|l| l.values)
                .unwrap_or_default(),
            people: self
                .people
                .iter()
                .map(|p| journal.resolve_person(p))
                .collect::<Result<_, _>>()
                .context("--person (see `mycase people list`)")?,
            tags: self.tags.clone(),
        })
    }
}

/// A `--flag YYYY-MM-DD` value, if given.
pub(super) fn day(flag: &str, value: Option<&str>) -> Result<Option<NaiveDate>> {
    value
        .map(|v| {
            NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d")
                .with_context(|| format!("{flag}: give a day as YYYY-MM-DD"))
        })
        .transpose()
}
