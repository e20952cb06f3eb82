//! `mycase restore`: brings back a deleted entry.

use std::path::Path;

use anyhow::{bail, Context, Result};
use mycase_core::journal::Journal;
use serde_json::json;

use crate::{connect, output};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The entry's id (at least 4 hex digits of it).
    id: String,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(home: &Path, args: Args) -> Result<()> {
    let mut device = connect::open_device(home)?;
    let id = device
        .journal()
        .resolve_entry_prefix(&args.id)
        .context("which entry?")?;
    // Past the trash's 30 days an entry is gone from every view, so it cannot come back.
    let visible = device
        .journal()
        .entry(&id)
        .is_some_and(|e| Journal::is_visible(&e, mycase_core::now_ms()));
    if !visible {
        bail!("which entry?: no entry has that id");
    }
    device
        .restore_entry(id)
        .context("could not restore the entry")?;
    let id = hex::encode(id);
    if args.json {
        output::print_json(&json!({ "id": id, "deleted": false }))
    } else {
        output::print_line(&format!(
            "Restored entry {id}. It will be sent at the next `mycase sync`."
        ))
    }
}
