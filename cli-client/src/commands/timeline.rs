//! `mycase timeline`: entries in the order they happened, grouped by month.

use std::path::Path;

use anyhow::Result;
use mycase_core::journal::{categories, EntryView};
use mycase_core::query;
use mycase_core::words::uk_time;
use serde::Serialize;

use super::filter::FilterArgs;
use crate::connect;
use crate::output::{self, EntryJson};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    filter: FilterArgs,
    /// Print JSON: an array of {month, entries}.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Serialize)]
struct MonthJson {
    month: String,
    entries: Vec<EntryJson>,
}

/// One table row: short id, when it happened (in words; when it was recorded if
/// that is not given), title.
pub fn row(e: &EntryView) -> Vec<String> {
    vec![
        mycase_core::ids::id_short(&e.id),
        output::occurred_words(
            e,
            &format!("(recorded {})", output::uk_time(e.recorded_at_ms)),
        ),
        output::truncate(e.title.as_deref().unwrap_or("(no title)"), 50),
    ]
}

pub fn run(home: &Path, args: Args) -> Result<()> {
    let device = connect::open_device(home)?;
    let journal = device.journal();
    let filter = args.filter.to_filter(journal)?;
    let groups = query::timeline(journal, &filter);
    if args.json {
        let all: Vec<MonthJson> = groups
            .iter()
            .map(|g| MonthJson {
                month: g.year_month.clone(),
                entries: g
                    .entries
                    .iter()
                    .map(|e| EntryJson::from_view(e, journal))
                    .collect(),
            })
            .collect();
        return output::print_json(&all);
    }
    if groups.is_empty() {
        return output::print_line("No entries match.");
    }
    let mut out = Vec::new();
    for group in &groups {
        let heading = uk_time::month_heading(&group.year_month);
        let rows: Vec<Vec<String>> = group
            .entries
            .iter()
            .map(|e| {
                let mut r = row(e);
                let names: Vec<&str> = e
                    .categories
                    .iter()
                    .map(|c| categories::display(c))
                    .collect();
                r.push(output::truncate(&names.join(", "), 40));
                r
            })
            .collect();
        out.push(format!(
            "{heading} ({} {})\n{}",
            group.entries.len(),
            if group.entries.len() == 1 {
                "entry"
            } else {
                "entries"
            },
            output::table(&["id", "occurred", "title", "categories"], &rows)
        ));
    }
    output::print_line(&out.join("\n\n"))
}
