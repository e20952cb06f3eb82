//! `mycase search TEXT`: entries containing every word, searched in memory (no
//! index is written to disk).

use std::path::Path;

use anyhow::Result;
use mycase_core::query;

use crate::connect;
use crate::content::{Content, ASK};
use crate::output::{self, EntryJson};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Words to find: every word must appear somewhere in the entry (any field,
    /// a category's name, a person's name), in any case, with or without accents.
    /// Leave them out, or give -, to type them when asked and keep them out of the
    /// shell history.
    words: Vec<String>,
    /// Print a JSON array of entries.
    #[arg(long)]
    json: bool,
}

pub fn run(home: &Path, args: Args) -> Result<()> {
    let device = connect::open_device(home)?;
    let journal = device.journal();
    let mut content = Content::default();
    let words = content
        .one(
            "the search words",
            "Search for",
            Some(if args.words.is_empty() {
                ASK.to_string()
            } else {
                args.words.join(" ")
            }),
        )?
        .unwrap_or_default();
    content.warn();
    let found = query::search(journal, &words);
    if args.json {
        let all: Vec<EntryJson> = found
            .iter()
            .map(|e| EntryJson::from_view(e, journal))
            .collect();
        return output::print_json(&all);
    }
    if found.is_empty() {
        return output::print_line("Nothing found.");
    }
    let rows: Vec<Vec<String>> = found.iter().map(super::timeline::row).collect();
    output::print_line(&output::table(&["id", "occurred", "title"], &rows))
}
