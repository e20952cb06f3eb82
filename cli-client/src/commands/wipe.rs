//! `mycase wipe`: erases MyCase from this device, keys first.
//!
//! It does not ask for the passphrase: a survivor may need to do this fast, and
//! once the key file is gone the rest is unreadable anyway. It asks for
//! confirmation unless `--yes`. The journal stays on the server; the recovery kit
//! brings it back (`mycase recover`).

use std::io::BufRead;
use std::path::Path;

use anyhow::{bail, Context, Result};
use mycase_core::wipe::{wipe, Wiped};
use serde_json::json;

use crate::output;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    yes: bool,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(home: &Path, args: Args) -> Result<()> {
    if !args.yes {
        crate::say!(
            "This erases MyCase from this device ({}). The journal stays on the server;\n\
             only your recovery kit can bring it back here. Type \"wipe\" to go on:",
            home.display()
        );
        let mut answer = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut answer)
            .context("could not read the confirmation (or give --yes)")?;
        if answer.trim() != "wipe" {
            bail!("not confirmed; nothing was erased");
        }
    }
    let outcome = wipe(home).context("the wipe did not finish; run `mycase wipe` again")?;
    let removed = outcome == Wiped::Removed;
    if args.json {
        output::print_json(&json!({ "wiped": removed }))
    } else if removed {
        output::print_line("MyCase is erased from this device.")
    } else {
        output::print_line("There was no MyCase data here.")
    }
}
