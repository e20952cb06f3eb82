//! The people list entries refer to: a name or alias, a role and notes; adding,
//! amending (only what changed), and finding someone by what the survivor types.

use mycase_proto::v1::PersonFields;

use super::{App, AppError};
use crate::ids::new_id;
use crate::journal::{ops, people, Journal, PersonId, PersonView};
use crate::words::{matching, names};

/// The longest name accepted (an alias, not an essay).
const MAX_NAME_CHARS: usize = 200;
/// The longest notes accepted.
const MAX_NOTES_CHARS: usize = 20_000;

/// A person as the form gives them. An empty role is "not said".
#[derive(Clone, Default, PartialEq, Eq)]
pub struct PersonInput {
    /// A name or an alias.
    pub name: String,
    /// A role slug or name (from [`App::roles`]), or empty.
    pub role: String,
    /// Notes about them.
    pub notes: String,
}

impl std::fmt::Debug for PersonInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PersonInput([redacted])")
    }
}

/// A role a person can have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Role {
    /// As stored (`causing-harm`).
    pub slug: String,
    /// As shown (`person causing harm`).
    pub name: String,
}

impl Role {
    fn of(slug: &str) -> Role {
        Role {
            slug: slug.to_owned(),
            name: people::role_display(slug).to_owned(),
        }
    }
}

/// Someone on the people list.
#[derive(Clone, PartialEq, Eq)]
pub struct Person {
    /// Their id, hex.
    pub id: String,
    /// Their name or alias (`(no name)` when it was cleared).
    pub name: String,
    /// Their role, if said.
    pub role: Option<Role>,
    /// Notes about them.
    pub notes: Option<String>,
    /// How many entries (not deleted) name them.
    pub entries: u32,
    /// Fields written on two devices at once (their names: `name`, `role`, `notes`).
    pub conflicting_fields: Vec<String>,
}

impl std::fmt::Debug for Person {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Person")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// A person named by an entry, as the entry shows them.
#[derive(Clone, PartialEq, Eq)]
pub struct PersonRef {
    /// Their id, hex.
    pub id: String,
    /// Their name (`(someone not on this device's list)` if unknown here).
    pub name: String,
    /// Their role's name, if said.
    pub role: Option<String>,
}

impl std::fmt::Debug for PersonRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PersonRef")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// What [`App::find_person`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PersonMatch {
    /// Exactly one person.
    One(Person),
    /// Several match: ask which.
    Several(Vec<Person>),
    /// Nobody matches; these are close ("did you mean").
    NoneFound {
        /// Close names, best first (may be empty).
        did_you_mean: Vec<Person>,
    },
}

const NO_NAME: &str = "(no name)";

pub(crate) fn person_ref(journal: &Journal, id: &str) -> PersonRef {
    let view = person_id(id).ok().and_then(|id| journal.person(&id));
    match view {
        Some(p) => PersonRef {
            id: id.to_owned(),
            name: p.name.unwrap_or_else(|| NO_NAME.to_owned()),
            role: p.role.map(|r| people::role_display(&r).to_owned()),
        },
        None => PersonRef {
            id: id.to_owned(),
            name: "(someone not on this device's list)".to_owned(),
            role: None,
        },
    }
}

/// A person id from the API's hex; anything else names nobody.
pub(crate) fn person_id(id: &str) -> Result<PersonId, AppError> {
    hex::decode(id.trim())
        .ok()
        .and_then(|b| PersonId::try_from(b.as_slice()).ok())
        .ok_or_else(not_found)
}

fn not_found() -> AppError {
    AppError::NotFound {
        what: "That person".into(),
    }
}

/// The input checked, every field set (an empty one clears). Errors name
/// `{prefix}_name`, `{prefix}_role`, `{prefix}_notes`.
pub(crate) fn person_fields(input: &PersonInput, prefix: &str) -> Result<PersonFields, AppError> {
    let name = input.name.trim();
    if name.is_empty() {
        return Err(AppError::invalid(
            &format!("{prefix}_name"),
            "Enter a name or an alias",
        ));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(AppError::invalid(
            &format!("{prefix}_name"),
            format!("The name must be {MAX_NAME_CHARS} characters or fewer"),
        ));
    }
    let role = match input.role.trim() {
        "" => String::new(),
        r => people::parse_role(r)
            .ok_or_else(|| {
                AppError::invalid(&format!("{prefix}_role"), "Choose a role from the list")
            })?
            .to_owned(),
    };
    let notes = input.notes.replace("\r\n", "\n").trim_end().to_owned();
    if notes.chars().count() > MAX_NOTES_CHARS {
        return Err(AppError::invalid(
            &format!("{prefix}_notes"),
            format!("The notes must be {MAX_NOTES_CHARS} characters or fewer"),
        ));
    }
    Ok(PersonFields {
        name: Some(name.to_owned()),
        role: Some(role),
        notes: Some(notes),
    })
}

fn person_of(view: &PersonView, journal: &Journal) -> Person {
    let id = hex::encode(view.id);
    let entries = journal
        .entries()
        .iter()
        .filter(|e| e.people.contains(&id))
        .count();
    person_with_count(view, u32::try_from(entries).unwrap_or(u32::MAX))
}

fn person_with_count(view: &PersonView, entries: u32) -> Person {
    Person {
        id: hex::encode(view.id),
        name: view.name.clone().unwrap_or_else(|| NO_NAME.to_owned()),
        role: view.role.as_deref().map(Role::of),
        notes: view.notes.clone(),
        entries,
        conflicting_fields: view
            .conflicts
            .iter()
            .map(|c| c.field.as_str().to_owned())
            .collect(),
    }
}

fn everyone(journal: &Journal) -> Vec<Person> {
    let entries = journal.entries();
    journal
        .people()
        .iter()
        .map(|p| {
            let id = hex::encode(p.id);
            let n = entries.iter().filter(|e| e.people.contains(&id)).count();
            person_with_count(p, u32::try_from(n).unwrap_or(u32::MAX))
        })
        .collect()
}

/// Who `words` means, by any unique part of a name (see [`matching::find`]).
fn matching_person(journal: &Journal, words: &str) -> PersonMatch {
    let everyone = everyone(journal);
    let person = |id: &PersonId| {
        let id = hex::encode(id);
        everyone.iter().find(|p| p.id == id).cloned()
    };
    let people = |found: Vec<matching::Candidate<PersonId>>| -> Vec<Person> {
        found.iter().filter_map(|c| person(&c.id)).collect()
    };
    match matching::find(words, &names::people(journal)) {
        Ok(id) => match person(&id) {
            Some(p) => PersonMatch::One(p),
            None => PersonMatch::NoneFound {
                did_you_mean: Vec::new(),
            },
        },
        Err(matching::MatchError::Ambiguous { candidates }) => {
            PersonMatch::Several(people(candidates))
        }
        Err(matching::MatchError::NotFound { did_you_mean }) => PersonMatch::NoneFound {
            did_you_mean: people(did_you_mean),
        },
        Err(matching::MatchError::Empty) => PersonMatch::NoneFound {
            did_you_mean: Vec::new(),
        },
    }
}

impl App {
    /// The roles to choose from.
    pub fn roles(&self) -> Vec<Role> {
        people::ROLES
            .iter()
            .map(|(slug, _)| Role::of(slug))
            .collect()
    }

    /// Everyone on the people list, by name.
    pub async fn people(&self) -> Result<Vec<Person>, AppError> {
        self.read(|d| everyone(d.journal())).await
    }

    /// One person.
    pub async fn person(&self, id: &str) -> Result<Person, AppError> {
        let id = person_id(id)?;
        self.read(|d| {
            let journal = d.journal();
            journal
                .person(&id)
                .map(|p| person_of(&p, journal))
                .ok_or_else(not_found)
        })
        .await?
    }

    /// Adds someone to the people list; returns their id (hex). A role is a slug
    /// or name from [`App::roles`], or empty.
    pub async fn add_person(
        &self,
        name: &str,
        role: &str,
        notes: &str,
    ) -> Result<String, AppError> {
        let fields = person_fields(
            &PersonInput {
                name: name.to_owned(),
                role: role.to_owned(),
                notes: notes.to_owned(),
            },
            "person",
        )?;
        let id = new_id();
        let fields = PersonFields {
            role: fields.role.filter(|r| !r.is_empty()),
            notes: fields.notes.filter(|n| !n.is_empty()),
            ..fields
        };
        self.write(|d| d.commit(vec![ops::add_person(id, fields)]))
            .await?;
        Ok(hex::encode(id))
    }

    /// Changes someone's name, role or notes to the form's values: only what
    /// differs becomes the change (an emptied role or notes is cleared). Refused
    /// when nothing changed.
    pub async fn amend_person(
        &self,
        id: &str,
        name: &str,
        role: &str,
        notes: &str,
    ) -> Result<(), AppError> {
        let id = person_id(id)?;
        let wanted = person_fields(
            &PersonInput {
                name: name.to_owned(),
                role: role.to_owned(),
                notes: notes.to_owned(),
            },
            "person",
        )?;
        self.write(|d| {
            let view = d.journal().person(&id).ok_or_else(not_found)?;
            let differs = |now: &Option<String>, new: Option<String>| {
                new.filter(|new| now.as_deref().unwrap_or_default() != new)
            };
            let change = PersonFields {
                name: differs(&view.name, wanted.name),
                role: differs(&view.role, wanted.role),
                notes: differs(&view.notes, wanted.notes),
            };
            if change == PersonFields::default() {
                return Err(AppError::InvalidInput {
                    field: None,
                    reason: "Nothing was changed".into(),
                });
            }
            d.commit(vec![ops::amend_person(id, change)])
                .map(|_| ())
                .map_err(AppError::from)
        })
        .await
    }

    /// Who `words` means: one person, several to choose from, or nobody with
    /// close names ("did you mean").
    pub async fn find_person(&self, words: &str) -> Result<PersonMatch, AppError> {
        self.read(|d| matching_person(d.journal(), words)).await
    }
}
