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
    #[arg(long, alias = "occurred", value_name = "WHEN", long_help = fields::WHEN_HELP)]
    /// When it happened: "14/03/2026 21:30", "March 2026", "about 3 weeks ago"... (- asks).
    when: Option<String>,
    /// A category, by name or any unique part of it ("coercive"); repeat for
    /// several; - asks.
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
    // Asked after the checks above, so a mistyped flag does not cost written words.
    let mut content = Content::default();
    entry.title = content.one("--title", "Title", args.title)?;
    fields::ask_when_and_categories(
        &mut content,
        args.when.as_deref(),
        &args.categories,
        args.yes,
        &mut entry,
    )?;
    args.more
        .apply(device.journal(), &mut content, &mut entry)?;
    entry.text = match (args.text, crate::editor::wanted()) {
        (None, Some(editor)) => {
            let date_wanted = entry.occurred_at.is_none();
            let (text, when) = fields::text_from_editor(home, &editor, date_wanted)?;
            if let Some(when) = when {
                entry.occurred_at = crate::words::when_after_text(&when, args.yes)?;
            }
            Some(text)
        }
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
