//! `mycase safety` (also `mycase help safety`): the safeguarding statement's words on
//! emergencies, and nothing more. `init` shows them once too.

use anyhow::Result;

use crate::output;

/// `mycase safety` takes no arguments.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Prints the safety words.
pub fn run(_args: Args) -> Result<()> {
    output::print_line(&text())
}

/// The safety words as the CLI shows them.
pub fn text() -> String {
    mycase_core::safety::statement().join("\n")
}
