//! `mycase people add|list|amend`: the people list entries refer to (a name or
//! alias, a role and notes).

use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use mycase_core::journal::{ops, people};
use mycase_proto::v1::PersonFields;
use serde::Serialize;
use serde_json::json;

use crate::content::Content;
use crate::{connect, output};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: PeopleCommand,
}

#[derive(Debug, clap::Subcommand)]
enum PeopleCommand {
    /// Add someone to the people list.
    Add {
        /// A name or an alias (- asks for it, keeping it out of the shell history).
        #[arg(long, value_name = "N")]
        name: String,
        /// causing-harm, witness, child, professional or other.
        #[arg(long, value_name = "R")]
        role: String,
        /// Notes about them (- asks for them).
        #[arg(long, value_name = "X")]
        notes: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// List the people.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Change someone's name, role or notes.
    Amend {
        /// Their name or any unique part of it, or their id prefix (- asks for it).
        id: String,
        /// The new name (- asks for it).
        #[arg(long, value_name = "N")]
        name: Option<String>,
        #[arg(long, value_name = "R")]
        role: Option<String>,
        /// The new notes (- asks for them).
        #[arg(long, value_name = "X")]
        notes: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Serialize)]
struct PersonJson {
    id: String,
    name: Option<String>,
    role: Option<String>,
    notes: Option<String>,
    conflicts: Vec<serde_json::Value>,
}

fn role(value: Option<String>) -> Result<Option<String>> {
    value
        .map(|r| {
            people::parse_role(&r).map(str::to_string).ok_or_else(|| {
                let known: Vec<&str> = people::ROLES.iter().map(|(s, _)| *s).collect();
                anyhow!("--role: choose from {}", known.join(", "))
            })
        })
        .transpose()
}

pub fn run(home: &Path, args: Args) -> Result<()> {
    match args.command {
        PeopleCommand::Add {
            name,
            role: r,
            notes,
            json,
        } => {
            let role = role(Some(r))?;
            let mut device = connect::open_device(home)?;
            let mut content = Content::default();
            let name = content
                .one("--name", "Their name or an alias", Some(name))?
                .unwrap_or_default();
            if name.trim().is_empty() {
                bail!("--name: give a name or an alias");
            }
            let notes = content.one("--notes", "Notes", notes)?;
            content.warn();
            let fields = PersonFields {
                name: Some(name.trim().to_string()),
                role,
                notes,
            };
            let id = mycase_core::ids::new_id();
            device
                .commit(vec![ops::add_person(id, fields)])
                .context("could not save the person")?;
            let id = hex::encode(id);
            if json {
                output::print_json(&json!({ "id": id }))
            } else {
                output::print_line(&format!("Added person {id}."))
            }
        }
        PeopleCommand::Amend {
            id,
            name,
            role: r,
            notes,
            json,
        } => {
            let role = role(r)?;
            if name.is_none() && role.is_none() && notes.is_none() {
                bail!("nothing to change: give --name, --role or --notes");
            }
            let mut device = connect::open_device(home)?;
            let mut content = Content::default();
            let id = content
                .one("the person named", "Their current name or id", Some(id))?
                .unwrap_or_default();
            let fields = PersonFields {
                name: content.one("--name", "Their new name", name)?,
                role,
                notes: content.one("--notes", "Notes", notes)?,
            };
            content.warn();
            let id = super::fields::person("which person?", device.journal(), &id)?;
            device
                .commit(vec![ops::amend_person(id, fields)])
                .context("could not save the change")?;
            let id = hex::encode(id);
            if json {
                output::print_json(&json!({ "id": id, "amended": true }))
            } else {
                output::print_line(&format!("Amended person {id}."))
            }
        }
        PeopleCommand::List { json } => {
            let device = connect::open_device(home)?;
            let list = device.journal().people();
            if json {
                let all: Vec<PersonJson> = list
                    .iter()
                    .map(|p| PersonJson {
                        id: hex::encode(p.id),
                        name: p.name.clone(),
                        role: p.role.clone(),
                        notes: p.notes.clone(),
                        conflicts: p
                            .conflicts
                            .iter()
                            .map(|c| {
                                json!({
                                    "field": c.field.as_str(),
                                    "shown": c.shown,
                                    "others": c.others.iter().map(|(v, _)| v).collect::<Vec<_>>(),
                                })
                            })
                            .collect(),
                    })
                    .collect();
                return output::print_json(&all);
            }
            if list.is_empty() {
                return output::print_line(
                    "No people yet. Add one with: mycase people add --name N --role R",
                );
            }
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|p| {
                    vec![
                        mycase_core::ids::id_short(&p.id),
                        output::truncate(p.name.as_deref().unwrap_or("(no name)"), 30),
                        p.role
                            .as_deref()
                            .map(people::role_display)
                            .unwrap_or("-")
                            .to_string(),
                        output::truncate(p.notes.as_deref().unwrap_or(""), 40),
                        if p.conflicts.is_empty() { "" } else { "⚠" }.to_string(),
                    ]
                })
                .collect();
            output::print_line(&output::table(&["id", "name", "role", "notes", ""], &rows))
        }
    }
}
