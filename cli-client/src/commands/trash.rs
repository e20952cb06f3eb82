//! `mycase trash`: deleted entries, kept for 30 days, restorable from any device.

use std::path::Path;

use anyhow::Result;
use mycase_core::journal::TRASH_RETENTION_MS;

use crate::connect;
use crate::output::{self, EntryJson};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print a JSON array of entries.
    #[arg(long)]
    json: bool,
}

pub fn run(home: &Path, args: Args) -> Result<()> {
    let device = connect::open_device(home)?;
    let journal = device.journal();
    let trash = journal.trash(mycase_core::now_ms());
    if args.json {
        let all: Vec<EntryJson> = trash
            .iter()
            .map(|e| EntryJson::from_view(e, journal))
            .collect();
        return output::print_json(&all);
    }
    if trash.is_empty() {
        return output::print_line("The trash is empty.");
    }
    let rows: Vec<Vec<String>> = trash
        .iter()
        .map(|e| {
            let deleted = e.deleted_at_ms.unwrap_or_default();
            vec![
                mycase_core::ids::id_short(&e.id),
                output::uk_time(deleted),
                output::uk_time(deleted.saturating_add(TRASH_RETENTION_MS)),
                output::truncate(e.title.as_deref().unwrap_or("(no title)"), 40),
            ]
        })
        .collect();
    let mut text = output::table(&["id", "deleted", "gone after", "title"], &rows);
    text.push_str("\n\nBring one back with: mycase restore ID");
    output::print_line(&text)
}
