//! Entry fields from command-line flags, shared by `add` and `amend`.

use std::io::{IsTerminal, Read};

use anyhow::{bail, Context, Result};
use mycase_core::journal::occurred;
use mycase_proto::v1::{EntryFields, StringList};

/// The value of `--occurred`, parsed (never echoing the value back in errors).
pub fn occurred_at(value: Option<&str>) -> Result<Option<mycase_proto::v1::OccurredAt>> {
    value
        .map(|v| occurred::parse(v).context("--occurred"))
        .transpose()
}

/// Categories, trimmed, empty ones dropped; `None` if no flag was given.
pub fn categories(values: &[String]) -> Option<StringList> {
    if values.is_empty() {
        return None;
    }
    Some(StringList {
        values: values
            .iter()
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
            .collect(),
    })
}

/// The text from `--text`, or `-`/absent with `read_stdin`: read from standard input
/// (which keeps it out of the shell history and the process list).
pub fn text(value: Option<String>, read_stdin: bool) -> Result<Option<String>> {
    match value {
        Some(t) if t == "-" => read_text().map(Some),
        Some(t) => Ok(Some(t)),
        None if read_stdin => read_text().map(Some),
        None => Ok(None),
    }
}

fn read_text() -> Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprintln!("Type what happened; finish with Ctrl-D on a new line.");
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
        categories: categories(categories_in),
        ..EntryFields::default()
    })
}
