//! Entry fields from command-line flags, shared by `add` and `amend`.

use std::io::{IsTerminal, Read};

use anyhow::{anyhow, bail, Context, Result};
use mycase_core::journal::{categories, occurred, Journal};
use mycase_proto::v1::{EntryFields, StringList};

/// The fields beyond title, text, date and categories, shared by `add` and `amend`.
#[derive(Debug, Default, clap::Args)]
pub struct MoreFields {
    /// A free tag (repeat for several; replaces the current ones).
    #[arg(long = "tag", value_name = "T")]
    pub tags: Vec<String>,
    /// How serious it was, 1 (least) to 5 (most); 0 clears it.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=5))]
    pub severity: Option<u32>,
    /// Where it happened ("" clears it).
    #[arg(long, value_name = "L")]
    pub location: Option<String>,
    /// A person involved, by name or id prefix from `mycase people list` (repeat for
    /// several; replaces the current ones).
    #[arg(long = "person", value_name = "P")]
    pub people: Vec<String>,
    /// Injuries ("" clears it).
    #[arg(long, value_name = "X")]
    pub injuries: Option<String>,
    /// A police or crime reference number (repeat for several).
    #[arg(long = "police-ref", value_name = "R")]
    pub police_refs: Vec<String>,
    /// An action taken, e.g. "reported to police", "GP", "IDVA" (repeat for several).
    #[arg(long = "action", value_name = "A")]
    pub actions: Vec<String>,
    /// The impact on you, in your own words ("" clears it).
    #[arg(long, value_name = "X")]
    pub impact: Option<String>,
}

impl MoreFields {
    /// Sets the flags given into `fields`; people are looked up in `journal`.
    pub fn apply(self, journal: &Journal, fields: &mut EntryFields) -> Result<()> {
        fields.tags = string_list(&self.tags);
        fields.severity = self.severity;
        fields.location = self.location;
        fields.injuries = self.injuries;
        fields.police_references = string_list(&self.police_refs);
        fields.actions_taken = string_list(&self.actions);
        fields.impact = self.impact;
        if !self.people.is_empty() {
            let ids = self
                .people
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
# This draft is a private file in your MyCase folder and is deleted as soon as\n\
# the editor closes.\n";

/// Whether `mycase add` without `--text` should open `$EDITOR`: only with a person
/// at the terminal (a pipe or script gives the text on standard input).
pub fn editor_wanted() -> Option<std::ffi::OsString> {
    if !std::io::stdin().is_terminal() {
        return None;
    }
    std::env::var_os("EDITOR").filter(|e| !e.is_empty())
}

/// Opens `editor` on a draft created 0600 in the device home (not /tmp, which other
/// users and backups may see), reads the text back and removes the draft, overwriting
/// it first, whatever happens.
pub fn text_from_editor(home: &std::path::Path, editor: &std::ffi::OsStr) -> Result<String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;

    // A random name: the file name must say nothing about the content.
    let path = home.join(format!(
        ".draft-{}.txt",
        hex::encode(mycase_core::ids::new_id())
    ));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .context("could not create the draft file")?;
    let result = (|| {
        file.write_all(EDITOR_TEMPLATE.as_bytes())
            .and_then(|()| file.sync_all())
            .context("could not write the draft file")?;
        // $EDITOR may carry arguments ("code --wait"): run it through the shell, with
        // the path as a positional argument so it is never parsed as shell text.
        let mut command = std::process::Command::new("sh");
        command
            .arg("-c")
            .arg(format!("{} \"$1\"", editor.to_string_lossy()))
            .arg("mycase-editor")
            .arg(&path);
        let status = command.status().context("could not start $EDITOR")?;
        if !status.success() {
            bail!("the editor did not finish cleanly; nothing was saved");
        }
        std::fs::read_to_string(&path).context("could not read the draft file")
    })();
    scrub_and_remove(&path);
    let written = result?;
    let text: Vec<&str> = written
        .lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .collect();
    let text = text.join("\n").trim().to_string();
    if text.is_empty() {
        bail!("the text is empty; nothing was saved");
    }
    Ok(text)
}

/// Overwrites the draft with zeros before unlinking it, so its plaintext is not left
/// in the freed blocks of a simple file system (best effort: errors are ignored, the
/// removal is what matters).
fn scrub_and_remove(path: &std::path::Path) {
    use std::io::Write;
    if let Ok(len) = std::fs::metadata(path).map(|m| m.len()) {
        if let Ok(mut file) = std::fs::OpenOptions::new().write(true).open(path) {
            let zeros = vec![0u8; usize::try_from(len).unwrap_or(0)];
            let _ = file.write_all(&zeros).and_then(|()| file.sync_all());
        }
    }
    let _ = std::fs::remove_file(path);
}
