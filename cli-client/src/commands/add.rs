//! `mycase add`: a new entry, written locally (works offline).

use std::path::Path;

use anyhow::{Context, Result};
use serde_json::json;

use super::fields;
use crate::content::Content;
use crate::{connect, output};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A short title (- asks for it, keeping it out of the shell history).
    #[arg(long, value_name = "T")]
    title: Option<String>,
    /// What happened. Omit it to write it in $EDITOR (at a terminal) or on standard
    /// input (`-` always reads standard input); either keeps it out of the shell
    /// history.
    #[arg(long, value_name = "X")]
    text: Option<String>,
    /// When it happened: "YYYY-MM-DD HH:MM", "YYYY-MM-DD", "YYYY-MM", or "START..END".
    #[arg(long, value_name = "WHEN")]
    occurred: Option<String>,
    /// A category (repeat for several).
    #[arg(long = "category", value_name = "C")]
    categories: Vec<String>,
    #[command(flatten)]
    more: fields::MoreFields,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(home: &Path, args: Args) -> Result<()> {
    let mut entry = fields::build(None, None, args.occurred.as_deref(), &args.categories)?;
    let mut device = connect::open_device(home)?;
    // Asked after the checks above, so a mistyped flag does not cost written words.
    let mut content = Content::default();
    entry.title = content.one("--title", "Title", args.title)?;
    args.more
        .apply(device.journal(), &mut content, &mut entry)?;
    entry.text = match (args.text, crate::editor::wanted()) {
        (None, Some(editor)) => Some(fields::text_from_editor(home, &editor)?),
        (text, _) => fields::text(&mut content, text, true)?,
    };
    content.warn();
    let id = device
        .add_entry(entry)
        .context("could not save the entry")?;
    let id = hex::encode(id);
    if args.json {
        output::print_json(&json!({ "id": id }))
    } else {
        output::print_line(&format!(
            "Saved entry {id} on this device. It will be sent to your other devices at the next `mycase sync`."
        ))
    }
}
