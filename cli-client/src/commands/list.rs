//! `mycase list`: the journal's entries in timeline order.

use std::path::Path;

use anyhow::Result;

use crate::connect;
use crate::output::{self, EntryJson};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// List deleted entries instead.
    #[arg(long)]
    deleted: bool,
    /// Print a JSON array of entries.
    #[arg(long)]
    json: bool,
}

pub fn run(home: &Path, args: Args) -> Result<()> {
    let device = connect::open_device(home)?;
    let journal = device.journal();
    let entries = if args.deleted {
        journal.trash(mycase_core::now_ms())
    } else {
        journal.entries()
    };
    if args.json {
        let all: Vec<EntryJson> = entries
            .iter()
            .map(|e| EntryJson::from_view(e, journal))
            .collect();
        return output::print_json(&all);
    }
    if entries.is_empty() {
        return output::print_line(if args.deleted {
            "No deleted entries."
        } else {
            "No entries yet."
        });
    }
    let rows: Vec<Vec<String>> = entries
        .iter()
        .map(|e| {
            vec![
                mycase_core::ids::id_short(&e.id),
                output::occurred_words(e, "-"),
                output::truncate(e.title.as_deref().unwrap_or("(no title)"), 40),
                output::truncate(&e.categories.join(", "), 30),
                if e.conflicts.is_empty() {
                    String::new()
                } else {
                    "⚠".to_string()
                },
            ]
        })
        .collect();
    let mut text = output::table(&["id", "occurred", "title", "categories", ""], &rows);
    if entries.iter().any(|e| !e.conflicts.is_empty()) {
        text.push_str(
            "\n\n⚠ = changed on two devices at once; `mycase show ID` shows both versions.",
        );
    }
    output::print_line(&text)
}
