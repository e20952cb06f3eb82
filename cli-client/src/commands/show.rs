//! `mycase show`: one entry in full, with any unresolved conflicts.

use std::path::Path;

use anyhow::{Context, Result};
use mycase_core::ids::id_short;
use mycase_core::journal::occurred;

use crate::connect;
use crate::output::{self, field_text, EntryJson};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The entry's id (at least 4 hex digits of it).
    id: String,
    /// Print the entry as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(home: &Path, args: Args) -> Result<()> {
    let device = connect::open_device(home)?;
    let journal = device.journal();
    let id = journal
        .resolve_entry_prefix(&args.id)
        .context("which entry?")?;
    let entry = journal
        .entry(&id)
        .context("which entry?: no entry has that id")?;
    if args.json {
        return output::print_json(&EntryJson::from_view(&entry));
    }
    let mut out = String::new();
    out.push_str(&format!("id:          {}\n", hex::encode(entry.id)));
    out.push_str(&format!(
        "title:       {}\n",
        entry.title.as_deref().unwrap_or("(no title)")
    ));
    out.push_str(&format!(
        "occurred:    {}\n",
        entry
            .occurred_at
            .as_ref()
            .map(occurred::display)
            .unwrap_or_else(|| "(not given)".into())
    ));
    out.push_str(&format!(
        "recorded:    {}\n",
        output::short_time(entry.recorded_at_ms)
    ));
    if !entry.categories.is_empty() {
        out.push_str(&format!("categories:  {}\n", entry.categories.join(", ")));
    }
    let mut status = Vec::new();
    if entry.deleted {
        status.push("deleted");
    }
    if entry.amended {
        status.push("amended (earlier versions are kept)");
    }
    if !status.is_empty() {
        out.push_str(&format!("status:      {}\n", status.join("; ")));
    }
    out.push('\n');
    out.push_str(&entry.text);
    for c in &entry.conflicts {
        out.push_str(&format!(
            "\n\n⚠ The {} changed on two devices at the same time. Shown:\n    {}\n  Also written:",
            match c.field.as_str() {
                "occurred_at" => "date",
                other => other,
            },
            field_text(&c.shown)
        ));
        for o in &c.others {
            out.push_str(&format!("\n    {}", field_text(&o.value)));
        }
        out.push_str(&format!(
            "\n  To settle it, amend the entry: mycase amend {} --{} ...",
            id_short(&entry.id),
            match c.field.as_str() {
                "occurred_at" => "occurred",
                "categories" => "category",
                other => other,
            }
        ));
    }
    output::print_line(&out)
}
