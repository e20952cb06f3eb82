//! `mycase`: the command-line MyCase client, a thin shell over `mycase-core`.
//!
//! This is the only crate that prints. It never prints entry content except in the
//! commands that read the journal (`list`, `show`), never logs content, and keeps
//! content out of error messages.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

mod advice;
mod commands;
mod connect;
mod content;
mod editor;
mod output;
mod passphrase;
mod revoked;
mod words;

#[derive(Debug, Parser)]
#[command(
    name = "mycase",
    version,
    about = "MyCase: a private, end-to-end encrypted incident journal"
)]
struct Cli {
    /// Where this device's encrypted files live (default: $HOME/.mycase).
    #[arg(long, env = "MYCASE_HOME", global = true, value_name = "DIR")]
    home: Option<PathBuf>,

    /// For scripts: read the passphrase from the first line of FILE (which only
    /// you may read) instead of asking. Never put a passphrase on a command line.
    #[arg(
        long,
        env = "MYCASE_PASSPHRASE_FILE",
        global = true,
        value_name = "FILE"
    )]
    passphrase_file: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Set up a new journal with this as its first device.
    Init(commands::init::Args),
    /// Open MyCase in your browser (served from this computer only).
    App(commands::app::Args),
    /// In danger now: the numbers to call (also `mycase help safety`).
    Safety(commands::safety::Args),
    /// Record a new entry (stays on this device until the next `mycase sync`).
    #[command(visible_alias = "new")]
    Add(commands::add::Args),
    /// Add an amendment to an entry (the earlier text stays in its history).
    #[command(visible_alias = "edit")]
    Amend(commands::amend::Args),
    /// Delete an entry (it can be restored).
    #[command(visible_alias = "rm")]
    Delete(commands::delete::Args),
    /// Bring back a deleted entry.
    Restore(commands::restore::Args),
    /// Deleted entries (kept for 30 days, restorable from any device).
    Trash(commands::trash::Args),
    /// Fields changed on two devices at once, with their values numbered.
    Conflicts(commands::conflicts::Args),
    /// Settle a conflict by choosing or writing a value (an amendment).
    Resolve(commands::resolve::Args),
    /// The people list entries refer to.
    People(commands::people::Args),
    /// Entries in the order they happened, grouped by month.
    Timeline(commands::timeline::Args),
    /// Patterns in the entries: how often, how severe, which kinds, who, when.
    Patterns(commands::patterns::Args),
    /// Find entries containing some words.
    Search(commands::search::Args),
    /// List the journal's entries in timeline order.
    #[command(visible_alias = "ls")]
    List(commands::list::Args),
    /// Show one entry in full.
    Show(commands::show::Args),
    /// Add files (photos, audio, documents) to an entry as evidence.
    Attach(commands::attach::Args),
    /// Get an attachment back: `mycase attachment get ID NAME --out PATH`.
    Attachment(commands::attachment::Args),
    /// Send and receive changes (or stay connected with --watch).
    Sync(commands::sync::Args),
    /// Add another device: shows a one-time code to type into it.
    Pair(commands::pair::Args),
    /// Set up this device by joining a journal with a pairing code.
    Join(commands::join::Args),
    /// List the devices that can read this journal.
    Devices(commands::devices::Args),
    /// Change the passphrase that unlocks MyCase on this device (and move it to new keys).
    Passphrase(commands::passphrase::Args),
    /// Erase MyCase from this device, keys first (the journal stays on the server).
    Wipe(commands::wipe::Args),
    /// Set up this device from the recovery kit and bring the journal back.
    Recover(commands::recover::Args),
    /// The recovery kit: `mycase recovery-kit renew` replaces it with a new one.
    RecoveryKit(commands::recovery_kit::Args),
    /// Share chosen entries with an advocate through an expiring link.
    Share(commands::share::Args),
    /// The account on the server: `mycase account delete` erases it everywhere.
    Account(commands::account::Args),
    /// Write the journal to a file: html (to read and print), json (everything) or md.
    Export(commands::export::Args),
    /// Check an export offline, entry by entry (no MyCase home needed).
    Verify(commands::verify::Args),
}

fn home_dir(cli_home: Option<PathBuf>) -> Result<PathBuf> {
    if let Some(home) = cli_home {
        return Ok(home);
    }
    let base =
        std::env::var_os("HOME").context("HOME is not set: give --home DIR or set MYCASE_HOME")?;
    Ok(PathBuf::from(base).join(".mycase"))
}

async fn run(cli: Cli) -> Result<()> {
    // Needs no home, no passphrase and no network: someone in danger needs these words now.
    if let Command::Safety(args) = cli.command {
        return commands::safety::run(args);
    }
    // Needs no home: a third party checks an export with only the file and a key.
    if let Command::Verify(args) = cli.command {
        return commands::verify::run(args);
    }
    if let Some(path) = cli.passphrase_file {
        passphrase::use_file(path);
    }
    let home = home_dir(cli.home)?;
    let swept = editor::sweep(&home);
    if swept > 0 {
        say!(
            "Erased {swept} unfinished draft{} left in {} by an editor that did not close \
             normally (nothing from it was saved).",
            if swept == 1 { "" } else { "s" },
            home.display()
        );
    }
    match cli.command {
        Command::Init(args) => commands::init::run(&home, args).await,
        Command::App(args) => commands::app::run(&home, args).await,
        Command::Safety(args) => commands::safety::run(args),
        Command::Add(args) => commands::add::run(&home, args),
        Command::Amend(args) => commands::amend::run(&home, args),
        Command::Delete(args) => commands::delete::run(&home, args),
        Command::Restore(args) => commands::restore::run(&home, args),
        Command::Trash(args) => commands::trash::run(&home, args),
        Command::Conflicts(args) => commands::conflicts::run(&home, args),
        Command::Resolve(args) => commands::resolve::run(&home, args),
        Command::People(args) => commands::people::run(&home, args),
        Command::Timeline(args) => commands::timeline::run(&home, args),
        Command::Patterns(args) => commands::patterns::run(&home, args),
        Command::Search(args) => commands::search::run(&home, args),
        Command::List(args) => commands::list::run(&home, args),
        Command::Show(args) => commands::show::run(&home, args),
        Command::Attach(args) => commands::attach::run(&home, args).await,
        Command::Attachment(args) => commands::attachment::run(&home, args).await,
        Command::Sync(args) => commands::sync::run(&home, args).await,
        Command::Pair(args) => commands::pair::run(&home, args).await,
        Command::Join(args) => commands::join::run(&home, args).await,
        Command::Devices(args) => commands::devices::run(&home, args).await,
        Command::Passphrase(args) => commands::passphrase::run(&home, args).await,
        Command::Wipe(args) => commands::wipe::run(&home, args).await,
        Command::Recover(args) => commands::recover::run(&home, args).await,
        Command::RecoveryKit(args) => commands::recovery_kit::run(&home, args).await,
        Command::Share(args) => commands::share::run(&home, args).await,
        Command::Account(args) => commands::account::run(&home, args).await,
        Command::Export(args) => commands::export::run(&home, args).await,
        Command::Verify(args) => commands::verify::run(args),
    }
}

fn main() -> ExitCode {
    // Warnings only, and RUST_LOG is deliberately ignored: nothing may turn on
    // verbose logging that could carry identifiers to a terminal or a log file.
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::WARN)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
    // `mycase help safety` shows the safety words themselves, not clap's help page
    // for the `safety` command.
    if is_help_safety(std::env::args_os().skip(1)) {
        return match commands::safety::run(commands::safety::Args {}) {
            Ok(()) => ExitCode::SUCCESS,
            Err(_) => ExitCode::FAILURE,
        };
    }
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            crate::say!("error: could not start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let home = home_dir(cli.home.clone());
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            crate::say!("error: {}", advice::explain(&e));
            if let Ok(home) = home {
                revoked::wipe_if_revoked(&home, &e);
            }
            ExitCode::FAILURE
        }
    }
}

/// Whether the words given (after the program's name) are `help safety`, global
/// options (`--home DIR`, `--passphrase-file FILE`) aside.
fn is_help_safety(args: impl Iterator<Item = std::ffi::OsString>) -> bool {
    let mut words = Vec::new();
    let mut args = args;
    while let Some(arg) = args.next() {
        if arg == "--home" || arg == "--passphrase-file" {
            args.next();
        } else if !arg.to_string_lossy().starts_with("--") {
            words.push(arg);
        }
    }
    words.len() == 2 && words[0] == "help" && words[1] == "safety"
}
