//! `mycase attachment get ID NAME --out PATH`: writes an attachment back,
//! byte-identical, after checking every chunk and the whole file's SHA-256. The
//! file appears under its final name only once complete and checked.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::json;

use super::attach::Progress;
use crate::{connect, output};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Download an attachment of an entry to a file.
    Get(GetArgs),
}

#[derive(Debug, clap::Args)]
struct GetArgs {
    /// The entry's id (at least 4 hex digits of it).
    id: String,
    /// The attachment's file name, or its attachment id.
    name: String,
    /// Where to write it: a new file, or an existing directory.
    #[arg(long, short, value_name = "PATH")]
    out: PathBuf,
    /// Print a JSON object instead of a sentence.
    #[arg(long)]
    json: bool,
}

pub async fn run(home: &Path, args: Args) -> Result<()> {
    match args.command {
        Command::Get(args) => get(home, args).await,
    }
}

async fn get(home: &Path, args: GetArgs) -> Result<()> {
    let device = connect::open_device(home)?;
    let entry = device
        .journal()
        .resolve_entry_prefix(&args.id)
        .context("which entry?")?;
    let meta = device
        .find_attachment(&entry, &args.name)
        .context("which attachment?")?;
    let transport = connect::transport_for(&device).await?;
    let mut progress = Progress::new(&output::truncate(&meta.name, 24), args.json);
    let result = device
        .get_attachment(&transport, entry, &args.name, &args.out, |done, total| {
            progress.update(done, total)
        })
        .await;
    progress.finish();
    let written = result.context("could not get the attachment")?;
    if args.json {
        output::print_json(&json!({
            "path": written.display().to_string(),
            "attachment_id": hex::encode(meta.attachment_id),
            "size": meta.size,
            "media_type": meta.media_type,
            "sha256": hex::encode(&meta.sha256),
        }))
    } else {
        output::print_line(&format!(
            "Wrote {} ({} bytes, checked).",
            written.display(),
            meta.size
        ))
    }
}
