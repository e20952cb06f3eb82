//! `mycase amend`: an amendment; the earlier values stay in the entry's history.

use std::path::Path;

use anyhow::{bail, Context, Result};
use serde_json::json;

use mycase_proto::v1::EntryFields;

use super::fields;
use crate::content::Content;
use crate::{connect, output};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The entry's id (at least 4 hex digits of it).
    id: String,
    /// The new text (`-` reads it from standard input, keeping it out of the shell
    /// history).
    #[arg(long, value_name = "X")]
    text: Option<String>,
    /// The new title (- asks for it).
    #[arg(long, value_name = "T")]
    title: Option<String>,
    #[arg(long, alias = "occurred", value_name = "WHEN", long_help = fields::WHEN_HELP)]
    /// When it happened: "14/03/2026 21:30", "March 2026", "about 3 weeks ago"... (- asks).
    when: Option<String>,
    /// The categories, by name or any unique part of one (repeat for several;
    /// replaces the current ones; - asks).
    #[arg(long = "category", value_name = "C")]
    categories: Vec<String>,
    /// Keep a date in the future without asking (scripts; at a terminal you are asked).
    #[arg(long, short = 'y')]
    yes: bool,
    #[command(flatten)]
    more: fields::MoreFields,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(home: &Path, args: Args) -> Result<()> {
    let mut entry = fields::build(args.when.as_deref(), &args.categories, args.yes)?;
    let mut device = connect::open_device(home)?;
    let mut content = Content::default();
    entry.title = content.one("--title", "New title", args.title)?;
    fields::ask_when_and_categories(
        &mut content,
        args.when.as_deref(),
        &args.categories,
        args.yes,
        &mut entry,
    )?;
    args.more
        .apply(device.journal(), &mut content, &mut entry)?;
    entry.text = fields::text(&mut content, args.text, false)?;
    content.warn();
    if entry == EntryFields::default() {
        bail!("nothing to change: give --text, --title, --when, --category, --tag, --severity, --location, --person, --injuries, --police-ref, --action or --impact");
    }
    let id = device
        .journal()
        .resolve_entry_prefix(&args.id)
        .context("which entry?")?;
    device
        .amend_entry(id, entry)
        .context("could not save the amendment")?;
    let id = hex::encode(id);
    if args.json {
        output::print_json(&json!({ "id": id, "amended": true }))
    } else {
        output::print_line(&format!(
            "Amended entry {id} (the earlier version stays in its history). It will be sent at the next `mycase sync`."
        ))
    }
}
