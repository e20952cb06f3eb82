//! `mycase passphrase`: changes the local passphrase (the keys are resealed).

use std::path::Path;

use anyhow::{Context, Result};
use serde_json::json;

use crate::{connect, output};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(home: &Path, args: Args) -> Result<()> {
    // The current passphrase, rate-limited like every unlock.
    let mut device = connect::open_device(home)?;
    let new = crate::passphrase::choose_new()?;
    device
        .change_passphrase(new.as_bytes())
        .context("could not change the passphrase; the old one still works")?;
    if args.json {
        output::print_json(&json!({ "passphrase_changed": true }))
    } else {
        output::print_line("The passphrase is changed. Use the new one from now on.")
    }
}
