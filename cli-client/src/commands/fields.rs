//! Entry fields from command-line flags, shared by `add` and `amend`.

use std::io::{IsTerminal, Read};

use anyhow::{bail, Context, Result};
use mycase_core::journal::{Journal, PersonId};
use mycase_core::words::names;
use mycase_proto::v1::{EntryFields, StringList};

use crate::content::{Content, ASK};
use crate::words;

/// The help for `--when` (add, amend).
pub const WHEN_HELP: &str = "When it happened, as you would write it: \"14/03/2026\", \
    \"14 March 2026 21:30\", \"14/03/2026 9.30pm\", \"March 2026\", \"yesterday\", \
    \"last March\", \"about 3 weeks ago\", \"1-14 March 2026\" (day first; see README). \
    - asks for it. It is read back before it is saved.";

/// The fields beyond title, text, date and categories, shared by `add` and `amend`.
/// Every content flag takes `-` to be asked for it instead (see [`Content`]).
#[derive(Debug, Default, clap::Args)]
pub struct MoreFields {
    /// A free tag (repeat for several; replaces the current ones; - asks).
    #[arg(long = "tag", value_name = "T")]
    pub tags: Vec<String>,
    /// How serious it was, 1 (least) to 5 (most); 0 clears it; - asks.
    #[arg(long, value_name = "N")]
    pub severity: Option<String>,
    /// Where it happened ("" clears it; - asks, keeping it out of the shell history).
    #[arg(long, value_name = "L")]
    pub location: Option<String>,
    /// A person involved: their name or any unique part of it, or their id prefix,
    /// from `mycase people list` (repeat for several; replaces the current ones; - asks).
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
        fields.severity = severity(content, self.severity)?;
        fields.police_references = string_list(&police_refs);
        fields.actions_taken = string_list(&actions);
        if !people.is_empty() {
            let ids = people
                .iter()
                .map(|p| person("--person", journal, p).map(hex::encode))
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

/// How serious, from `--severity` (a number is not the survivor's words, so it
/// is not noted for the shell-history warning); `-` asks.
fn severity(content: &mut Content, value: Option<String>) -> Result<Option<u32>> {
    let value = match value {
        Some(v) if v == ASK => content.one(
            "--severity",
            "How serious it was, 1 to 5 (0 clears it)",
            Some(v),
        )?,
        other => other,
    };
    value
        .map(|v| {
            v.trim()
                .parse::<u32>()
                .ok()
                .filter(|n| *n <= 5)
                .context("--severity: give a number from 1 (least) to 5 (most), or 0 to clear it")
        })
        .transpose()
}

/// The person `wanted` names (see `mycase_core::words::matching`).
pub fn person(flag: &str, journal: &Journal, wanted: &str) -> Result<PersonId> {
    words::pick(flag, &words::PERSON, wanted, &names::people(journal))
}

/// A date as people write it, read back on standard error and questioned if it
/// is in the future (see [`words::when`]).
pub fn occurred_at(flag: &str, value: &str, yes: bool) -> Result<mycase_proto::v1::OccurredAt> {
    words::when(flag, value, yes).map(|(at, _)| at)
}

/// Categories from the fixed list (slug, name, or a unique part of either, any
/// case), stored as slugs; `None` if no flag was given.
pub fn categories(values: &[String]) -> Result<Option<StringList>> {
    if values.is_empty() {
        return Ok(None);
    }
    let all = names::categories();
    let slugs = values
        .iter()
        .filter(|c| !c.trim().is_empty())
        .map(|c| words::pick("--category", &words::CATEGORY, c, &all).map(str::to_string))
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

/// The date and categories given on the command line, checked before anything
/// is typed; those given as `-` are left for [`ask_when_and_categories`].
pub fn build(when: Option<&str>, categories_in: &[String], yes: bool) -> Result<EntryFields> {
    let given: Vec<String> = categories_in
        .iter()
        .filter(|c| *c != ASK)
        .cloned()
        .collect();
    Ok(EntryFields {
        occurred_at: match when {
            Some(w) if w != ASK => Some(occurred_at("--when", w, yes)?),
            _ => None,
        },
        categories: if categories_in.is_empty() {
            None
        } else {
            categories(&given)?
        },
        ..EntryFields::default()
    })
}

/// Asks for the date and the categories given as `-` (after the title), so
/// neither needs to be on the command line.
pub fn ask_when_and_categories(
    content: &mut Content,
    when: Option<&str>,
    categories_in: &[String],
    yes: bool,
    fields: &mut EntryFields,
) -> Result<()> {
    if when == Some(ASK) {
        let typed = content
            .one(
                "--when",
                "When it happened (for example 14/03/2026 21:30, March 2026, about 3 weeks ago)",
                Some(ASK.to_string()),
            )?
            .unwrap_or_default();
        fields.occurred_at = Some(occurred_at("--when", &typed, yes)?);
    }
    if categories_in.iter().any(|c| c == ASK) {
        let mut all: Vec<String> = categories_in
            .iter()
            .filter(|c| *c != ASK)
            .cloned()
            .collect();
        all.extend(content.many(
            "--category",
            "Categories (a name or a part of one)",
            vec![ASK.to_string()],
        )?);
        fields.categories = categories(&all)?;
    }
    Ok(())
}

/// What `mycase add` puts in the editor; lines starting with `#` are dropped.
const EDITOR_TEMPLATE: &str = "\n\
# Write what happened above. Lines starting with # are ignored.\n\
# Save and close the editor to record the entry; leave it empty to cancel.\n\
# This draft is a private file in your MyCase folder and is erased as soon as\n\
# the editor closes.\n";

/// Added to the template when no date was given on the command line.
const EDITOR_WHEN_HINT: &str = "\
# To say when it happened, begin the first line with \"When:\", for example\n\
#   When: 14/03/2026 9.30pm     or     When: about 3 weeks ago\n";

/// The entry's text written in `editor` (see [`crate::editor`]), and the date
/// words of its first line if it starts with "When:" and `date_wanted`.
pub fn text_from_editor(
    home: &std::path::Path,
    editor: &std::ffi::OsStr,
    date_wanted: bool,
) -> Result<(String, Option<String>)> {
    let template = if date_wanted {
        format!("{EDITOR_TEMPLATE}{EDITOR_WHEN_HINT}")
    } else {
        EDITOR_TEMPLATE.to_string()
    };
    let written = crate::editor::edit(home, editor, &template)?;
    let (when, text) = if date_wanted {
        split_when_line(&written)
    } else {
        (None, written)
    };
    if text.is_empty() {
        bail!("the text is empty; nothing was saved");
    }
    Ok((text, when))
}

/// `When: …` on the first line, taken off the text.
fn split_when_line(written: &str) -> (Option<String>, String) {
    let (first, rest) = written.split_once('\n').unwrap_or((written, ""));
    let first = first.trim();
    match first.get(..5) {
        Some(label) if label.eq_ignore_ascii_case("when:") => (
            Some(first[5..].trim().to_string()).filter(|w| !w.is_empty()),
            rest.trim().to_string(),
        ),
        _ => (None, written.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_when_line_is_taken_off_the_text() {
        assert_eq!(
            split_when_line("When: last March\nHe waited.\nThen left."),
            (Some("last March".into()), "He waited.\nThen left.".into())
        );
        assert_eq!(
            split_when_line("  when:14/03/2026\n\nText"),
            (Some("14/03/2026".into()), "Text".into())
        );
        assert_eq!(split_when_line("When:\nText"), (None, "Text".into()));
        // Only the first line, and only with the colon.
        assert_eq!(
            split_when_line("He said when: now\nWhen: today"),
            (None, "He said when: now\nWhen: today".into())
        );
        assert_eq!(split_when_line("Whenever"), (None, "Whenever".into()));
    }
}
