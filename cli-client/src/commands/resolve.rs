//! `mycase resolve ID FIELD (--choose N | --value V)`: settles a conflict by writing
//! an amendment that has seen every conflicting value, so it supersedes them all.
//! Nothing is lost: the conflicting values stay in the entry's history.

use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use mycase_core::journal::{Field, FieldValue};
use mycase_proto::v1::EntryFields;
use serde_json::json;

use super::fields;
use crate::content::Content;
use crate::{connect, output};

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("how").required(true).args(["choose", "value"])))]
pub struct Args {
    /// The entry's id (at least 4 hex digits of it).
    id: String,
    /// The field, as `mycase conflicts` names it (e.g. text, title, severity).
    field: String,
    /// Keep value number N from `mycase conflicts`.
    #[arg(long, value_name = "N")]
    choose: Option<usize>,
    /// Write a new value instead (repeat for list fields such as tags; - asks for
    /// it, keeping it out of the shell history).
    #[arg(long, value_name = "V")]
    value: Vec<String>,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(home: &Path, args: Args) -> Result<()> {
    let field = Field::parse(&args.field).ok_or_else(|| {
        let names: Vec<&str> = Field::ALL.iter().map(|f| f.as_str()).collect();
        anyhow!("not a field; choose from {}", names.join(", "))
    })?;
    let mut device = connect::open_device(home)?;
    let journal = device.journal();
    let id = journal
        .resolve_entry_prefix(&args.id)
        .context("which entry?")?;
    let entry = journal
        .entry(&id)
        .context("which entry?: no entry has that id")?;
    let value = match args.choose {
        Some(n) => {
            let conflict = entry
                .conflict(field)
                .context("that field has no conflict to settle (see `mycase conflicts`)")?;
            let values: Vec<&FieldValue> = std::iter::once(&conflict.shown)
                .chain(conflict.others.iter().map(|o| &o.value))
                .collect();
            n.checked_sub(1)
                .and_then(|i| values.get(i))
                .map(|v| (*v).clone())
                .with_context(|| format!("--choose: give a number from 1 to {}", values.len()))?
        }
        None => {
            let mut content = Content::default();
            let values = content.many("--value", "The value to keep", args.value)?;
            content.warn();
            typed_value(field, &values, journal)?
        }
    };
    let mut amendment = EntryFields::default();
    value.set_in(&mut amendment);
    device
        .amend_entry(id, amendment)
        .context("could not save the resolution")?;
    let id = hex::encode(id);
    if args.json {
        output::print_json(&json!({ "id": id, "field": field.as_str(), "resolved": true }))
    } else {
        output::print_line(&format!(
            "Settled the {} of entry {id} (every version stays in its history). It will be sent at the next `mycase sync`.",
            field.as_str()
        ))
    }
}

/// The value written with `--value`, checked like the matching `amend` flag.
fn typed_value(
    field: Field,
    values: &[String],
    journal: &mycase_core::journal::Journal,
) -> Result<FieldValue> {
    let one = || -> Result<String> {
        match values {
            [only] => Ok(only.clone()),
            _ => bail!("--value: give exactly one value for this field"),
        }
    };
    let list = || {
        values
            .iter()
            .map(|v| v.trim().to_string())
            .collect::<Vec<_>>()
    };
    Ok(match field {
        Field::Title => FieldValue::Title(one()?),
        Field::Text => FieldValue::Text(one()?),
        Field::Location => FieldValue::Location(one()?),
        Field::Injuries => FieldValue::Injuries(one()?),
        Field::Impact => FieldValue::Impact(one()?),
        Field::OccurredAt => {
            // Choosing a value is itself the confirmation: no question about the future.
            FieldValue::OccurredAt(fields::occurred_at("--value", &one()?, true)?)
        }
        Field::Severity => {
            let n: u32 = one()?
                .trim()
                .parse()
                .ok()
                .filter(|n| *n <= 5)
                .context("--value: severity is a number from 0 to 5")?;
            FieldValue::Severity(n)
        }
        Field::Categories => FieldValue::Categories(
            fields::categories(values)?
                .map(|l| l.values)
                .unwrap_or_default(),
        ),
        Field::Tags => FieldValue::Tags(list()),
        Field::PoliceReferences => FieldValue::PoliceReferences(list()),
        Field::ActionsTaken => FieldValue::ActionsTaken(list()),
        Field::People => FieldValue::People(
            values
                .iter()
                .map(|p| fields::person("--value", journal, p).map(hex::encode))
                .collect::<Result<Vec<_>>>()?,
        ),
    })
}
