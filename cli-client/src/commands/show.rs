//! `mycase show`: one entry in full, with any unresolved conflicts, and with
//! `--history` the original and every amendment, when and on which device.

use std::path::Path;

use anyhow::{bail, Context, Result};
use mycase_core::journal::{categories, EntryView, Field, Journal, RevisionKind};
use serde::Serialize;
use serde_json::Value;

use crate::connect;
use crate::output::{self, field_text, field_value, person_name, EntryJson};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The entry's id (at least 4 hex digits of it).
    id: String,
    /// Also show the original and every amendment, delete and restore.
    #[arg(long)]
    history: bool,
    /// Print the entry as JSON.
    #[arg(long)]
    json: bool,
}

/// One revision as `show --history --json` prints it.
#[derive(Debug, Serialize)]
struct RevisionJson {
    kind: &'static str,
    recorded_at: String,
    device_id: String,
    device_name: Option<String>,
    /// The fields this revision set, by name.
    fields: serde_json::Map<String, Value>,
}

#[derive(Debug, Serialize)]
struct ShowJson {
    #[serde(flatten)]
    entry: EntryJson,
    #[serde(skip_serializing_if = "Option::is_none")]
    history: Option<Vec<RevisionJson>>,
}

pub fn run(home: &Path, args: Args) -> Result<()> {
    let device = connect::open_device(home)?;
    let journal = device.journal();
    let id = journal
        .resolve_entry_prefix(&args.id)
        .context("which entry?")?;
    let entry = journal
        .entry(&id)
        .filter(|e| Journal::is_visible(e, mycase_core::now_ms()));
    let Some(entry) = entry else {
        bail!("which entry?: no entry has that id");
    };
    if args.json {
        return output::print_json(&ShowJson {
            entry: EntryJson::from_view(&entry, journal),
            history: args.history.then(|| history_json(&entry, journal)),
        });
    }
    let mut out = describe(&entry, journal);
    if args.history {
        out.push_str(&history_text(&entry, journal));
    }
    output::print_line(&out)
}

fn kind_name(kind: RevisionKind) -> &'static str {
    match kind {
        RevisionKind::Created => "created",
        RevisionKind::Amended => "amended",
        RevisionKind::Deleted => "deleted",
        RevisionKind::Restored => "restored",
    }
}

fn device_name(journal: &Journal, device: &[u8; 16]) -> Option<String> {
    journal
        .devices()
        .into_iter()
        .find(|d| d.device_id == *device)
        .map(|d| d.name)
}

fn history_json(entry: &EntryView, journal: &Journal) -> Vec<RevisionJson> {
    entry
        .history
        .iter()
        .map(|r| RevisionJson {
            kind: kind_name(r.kind),
            recorded_at: output::rfc3339(r.recorded_at_ms),
            device_id: hex::encode(r.op.device),
            device_name: device_name(journal, &r.op.device),
            fields: Field::ALL
                .iter()
                .filter_map(|f| f.value_in(&r.fields))
                .map(|v| (v.field().as_str().to_string(), field_value(&v)))
                .collect(),
        })
        .collect()
}

fn history_text(entry: &EntryView, journal: &Journal) -> String {
    let mut out = String::from("\n\nHistory (oldest first; nothing is ever overwritten):");
    for (n, r) in entry.history.iter().enumerate() {
        let name = device_name(journal, &r.op.device)
            .unwrap_or_else(|| mycase_core::ids::id_short(&r.op.device));
        let what = match r.kind {
            RevisionKind::Created if n == 0 => "original",
            other => kind_name(other),
        };
        out.push_str(&format!(
            "\n\n[{}] {} {} on {}",
            n + 1,
            what,
            output::uk_time(r.recorded_at_ms),
            name
        ));
        for value in Field::ALL.iter().filter_map(|f| f.value_in(&r.fields)) {
            out.push_str(&format!(
                "\n    {}: {}",
                value.field().as_str().replace('_', " "),
                field_text(&value).replace('\n', "\n      ")
            ));
        }
    }
    out
}

/// The entry as text: one labelled line per field that has a value, then the text.
pub fn describe(entry: &EntryView, journal: &Journal) -> String {
    let mut out = String::new();
    let mut line = |label: &str, value: &str| {
        out.push_str(&format!("{:<13}{}\n", format!("{label}:"), value));
    };
    line("id", &hex::encode(entry.id));
    line("title", entry.title.as_deref().unwrap_or("(no title)"));
    line("occurred", &output::occurred_words(entry, "(not given)"));
    line("recorded", &output::uk_time(entry.recorded_at_ms));
    let join = |values: &[String]| values.join(", ");
    if !entry.categories.is_empty() {
        let names: Vec<String> = entry
            .categories
            .iter()
            .map(|c| categories::display(c).to_string())
            .collect();
        line("categories", &join(&names));
    }
    if !entry.tags.is_empty() {
        line("tags", &join(&entry.tags));
    }
    if let Some(severity) = entry.severity {
        line("severity", &format!("{severity} of 5"));
    }
    if let Some(location) = &entry.location {
        line("location", location);
    }
    if !entry.people.is_empty() {
        let names: Vec<String> = entry
            .people
            .iter()
            .map(|id| person_name(journal, id).unwrap_or_else(|| format!("(unknown person {id})")))
            .collect();
        line("people", &join(&names));
    }
    if let Some(injuries) = &entry.injuries {
        line("injuries", injuries);
    }
    if !entry.police_references.is_empty() {
        line("police refs", &join(&entry.police_references));
    }
    if !entry.actions_taken.is_empty() {
        line("actions", &join(&entry.actions_taken));
    }
    if let Some(impact) = &entry.impact {
        line("impact", impact);
    }
    for a in &entry.attachments {
        line(
            "attachment",
            &format!("{} ({}, {} bytes)", a.name, a.media_type, a.size),
        );
    }
    let mut status = Vec::new();
    if entry.deleted {
        status.push("in the trash (`mycase restore ID` brings it back)");
    }
    if entry.amended {
        status.push("amended (earlier versions are kept: --history)");
    }
    if !status.is_empty() {
        line("status", &status.join("; "));
    }
    out.push('\n');
    out.push_str(&entry.text);
    for c in &entry.conflicts {
        out.push_str(&format!(
            "\n\n⚠ The {} changed on two devices at the same time. Shown:\n    {}\n  Also written:",
            c.field.as_str().replace('_', " "),
            field_text(&c.shown)
        ));
        for o in &c.others {
            out.push_str(&format!("\n    {}", field_text(&o.value)));
        }
        out.push_str(&format!(
            "\n  To settle it: mycase conflicts, then mycase resolve {} {} --choose N",
            mycase_core::ids::id_short(&entry.id),
            c.field.as_str()
        ));
    }
    out
}
