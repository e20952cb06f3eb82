//! `mycase restore`: brings back a deleted entry.

use std::path::Path;

use anyhow::{Context, Result};
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
