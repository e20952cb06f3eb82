//! Entry fields from command-line flags, shared by `add` and `amend`.

use std::io::{IsTerminal, Read};

use anyhow::{anyhow, bail, Context, Result};
use mycase_core::journal::{categories, occurred, Journal};
use mycase_proto::v1::{EntryFields, StringList};

use crate::content::Content;

/// The fields beyond title, text, date and categories, shared by `add` and `amend`.
/// Every content flag takes `-` to be asked for it instead (see [`Content`]).
#[derive(Debug, Default, clap::Args)]
pub struct MoreFields {
    /// A free tag (repeat for several; replaces the current ones; - asks).
    #[arg(long = "tag", value_name = "T")]
    pub tags: Vec<String>,
    /// How serious it was, 1 (least) to 5 (most); 0 clears it.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=5))]
    pub severity: Option<u32>,
    /// Where it happened ("" clears it; - asks, keeping it out of the shell history).
    #[arg(long, value_name = "L")]
    pub location: Option<String>,
    /// A person involved, by name or id prefix from `mycase people list` (repeat for
    /// several; replaces the current ones; - asks).
    #[arg(long = "person", value_name = "P")]
    pub people: Vec<String>,
    /// Injuries ("" clears it; - asks).
    #[arg(long, value_name = "X")]
    pub injuries: Option<String>,
    /// A police or crime reference number (repeat for several; - asks).
    #[arg(long = "police-ref", value_name = "R")]
    pub police_refs: Vec<String>,
    /// An action taken, e.g. "reported to police", "GP", "IDVA" (repeat for several;
    /// - asks).
    #[arg(long = "action", value_name = "A")]
    pub actions: Vec<String>,
    /// The impact on you, in your own words ("" clears it; - asks).
    #[arg(long, value_name = "X")]
    pub impact: Option<String>,
}

impl MoreFields {
    /// Sets the flags given into `fields`, asking for those given as `-` (in the
    /// order of the flags above); people are looked up in `journal`.
    pub fn apply(
        self,
        journal: &Journal,
        content: &mut Content,
        fields: &mut EntryFields,
    ) -> Result<()> {
        fields.location = content.one("--location", "Where it happened", self.location)?;
        let people = content.many("--person", "People involved (names)", self.people)?;
        fields.injuries = content.one("--injuries", "Injuries", self.injuries)?;
        let police_refs = content.many("--police-ref", "Police references", self.police_refs)?;
        let actions = content.many("--action", "Actions taken", self.actions)?;
        fields.impact = content.one("--impact", "The impact on you", self.impact)?;
        let tags = content.many("--tag", "Tags", self.tags)?;
        fields.tags = string_list(&tags);
        fields.severity = self.severity;
        fields.police_references = string_list(&police_refs);
        fields.actions_taken = string_list(&actions);
        if !people.is_empty() {
            let ids = people
                .iter()
                .map(|p| {
                    journal
                        .resolve_person(p)
                        .map(hex::encode)
                        .context("--person (see `mycase people list`)")
                })
                .collect::<Result<Vec<String>>>()?;
            fields.people = Some(StringList { values: ids });
        }
        Ok(())
    }
}

/// Trimmed values, empty ones dropped; `None` if no flag was given.
fn string_list(values: &[String]) -> Option<StringList> {
    if values.is_empty() {
        return None;
    }
    Some(StringList {
        values: values
            .iter()
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect(),
    })
}

/// The value of `--occurred`, parsed (never echoing the value back in errors).
pub fn occurred_at(value: Option<&str>) -> Result<Option<mycase_proto::v1::OccurredAt>> {
    value
        .map(|v| occurred::parse(v).context("--occurred"))
        .transpose()
}

/// Categories from the fixed list (slug or name, any case), stored as slugs; `None`
/// if no flag was given.
pub fn categories(values: &[String]) -> Result<Option<StringList>> {
    if values.is_empty() {
        return Ok(None);
    }
    let slugs = values
        .iter()
        .filter(|c| !c.trim().is_empty())
        .map(|c| {
            categories::parse(c).map(str::to_string).ok_or_else(|| {
                let known: Vec<&str> = categories::CATEGORIES.iter().map(|(s, _)| *s).collect();
                anyhow!(
                    "--category: not a category; choose from {}",
                    known.join(", ")
                )
            })
        })
        .collect::<Result<Vec<String>>>()?;
    Ok(Some(StringList { values: slugs }))
}

/// The text from `--text`, or `-`/absent with `read_stdin`: read from standard input
/// (which keeps it out of the shell history and the process list).
pub fn text(
    content: &mut Content,
    value: Option<String>,
    read_stdin: bool,
) -> Result<Option<String>> {
    match value {
        Some(t) if t == "-" => read_text().map(Some),
        Some(t) => {
            content.note("--text", &t);
            Ok(Some(t))
        }
        None if read_stdin => read_text().map(Some),
        None => Ok(None),
    }
}

fn read_text() -> Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        crate::say!("Type what happened; finish with Ctrl-D on a new line.");
    }
    let mut text = String::new();
    stdin
        .lock()
        .read_to_string(&mut text)
        .context("could not read the text from standard input")?;
    let text = text.trim_end_matches(['\n', '\r']).to_string();
    if text.trim().is_empty() {
        bail!("the text is empty");
    }
    Ok(text)
}

/// Builds the fields, refusing an amendment that changes nothing.
pub fn build(
    title: Option<String>,
    text: Option<String>,
    occurred: Option<&str>,
    categories_in: &[String],
) -> Result<EntryFields> {
    Ok(EntryFields {
        title,
        text,
        occurred_at: occurred_at(occurred)?,
        categories: categories(categories_in)?,
        ..EntryFields::default()
    })
}

/// What `mycase add` puts in the editor; lines starting with `#` are dropped.
const EDITOR_TEMPLATE: &str = "\n\
# Write what happened above. Lines starting with # are ignored.\n\
# Save and close the editor to record the entry; leave it empty to cancel.\n\
# This draft is a private file in your MyCase folder and is erased as soon as\n\
# the editor closes.\n";

/// The entry's text written in `editor` (see [`crate::editor`]).
pub fn text_from_editor(home: &std::path::Path, editor: &std::ffi::OsStr) -> Result<String> {
    let text = crate::editor::edit(home, editor, EDITOR_TEMPLATE)?;
    if text.is_empty() {
        bail!("the text is empty; nothing was saved");
    }
    Ok(text)
}
