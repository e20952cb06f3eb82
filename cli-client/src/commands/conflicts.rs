//! `mycase conflicts`: every field changed on two devices at once and not yet
//! settled, with the values numbered for `mycase resolve ID FIELD --choose N`.

use std::path::Path;

use anyhow::Result;
use mycase_core::ids::id_short;
use serde::Serialize;
use serde_json::Value;

use crate::connect;
use crate::output::{self, field_text, field_value};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print a JSON array of conflicts.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Serialize)]
struct ConflictJson {
    entry_id: String,
    title: Option<String>,
    field: &'static str,
    /// Numbered from 1 in this order; the first is the one shown now.
    values: Vec<Value>,
}

pub fn run(home: &Path, args: Args) -> Result<()> {
    let device = connect::open_device(home)?;
    let entries = device.journal().entries();
    let conflicts: Vec<_> = entries
        .iter()
        .flat_map(|e| e.conflicts.iter().map(move |c| (e, c)))
        .collect();
    if args.json {
        let all: Vec<ConflictJson> = conflicts
            .iter()
            .map(|(e, c)| ConflictJson {
                entry_id: hex::encode(e.id),
                title: e.title.clone(),
                field: c.field.as_str(),
                values: std::iter::once(&c.shown)
                    .chain(c.others.iter().map(|o| &o.value))
                    .map(field_value)
                    .collect(),
            })
            .collect();
        return output::print_json(&all);
    }
    if conflicts.is_empty() {
        return output::print_line("No conflicts.");
    }
    let mut out = String::new();
    for (e, c) in &conflicts {
        out.push_str(&format!(
            "{} {} — {}\n",
            id_short(&e.id),
            output::truncate(e.title.as_deref().unwrap_or("(no title)"), 40),
            c.field.as_str()
        ));
        let values = std::iter::once(&c.shown).chain(c.others.iter().map(|o| &o.value));
        for (n, value) in values.enumerate() {
            let shown = if n == 0 { "  (shown now)" } else { "" };
            out.push_str(&format!(
                "  {}. {}{}\n",
                n + 1,
                output::truncate(&field_text(value), 70),
                shown
            ));
        }
        out.push('\n');
    }
    out.push_str("Settle one with: mycase resolve ID FIELD --choose N (or --value V)");
    output::print_line(&out)
}
