//! The people list entries refer to: a name or alias, a role and notes; adding,
//! amending (only what changed), and finding someone by what the survivor types.

use mycase_proto::v1::PersonFields;

use super::{App, AppError};
use crate::ids::new_id;
use crate::journal::{ops, people, Journal, PersonId, PersonView};

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

/// Who `words` means, by name: the same name (any case) first, else every person
/// each of whose names starts with one of the words' ("Dave" finds "Dave Smith"; "sm"
/// finds him too), else anyone whose name contains the words.
fn matching(people: &[Person], words: &str) -> PersonMatch {
    let wanted = words.trim().to_lowercase();
    if wanted.is_empty() {
        return PersonMatch::NoneFound {
            did_you_mean: Vec::new(),
        };
    }
    let name = |p: &Person| p.name.to_lowercase();
    let exact: Vec<Person> = people
        .iter()
        .filter(|p| name(p) == wanted)
        .cloned()
        .collect();
    let words: Vec<&str> = wanted.split_whitespace().collect();
    let by_prefix = || -> Vec<Person> {
        people
            .iter()
            .filter(|p| {
                let n = name(p);
                let parts: Vec<&str> = n.split_whitespace().collect();
                words
                    .iter()
                    .all(|w| parts.iter().any(|part| part.starts_with(w)))
            })
            .cloned()
            .collect()
    };
    let by_part = || -> Vec<Person> {
        people
            .iter()
            .filter(|p| name(p).contains(&wanted))
            .cloned()
            .collect()
    };
    let found = [exact, by_prefix(), by_part()]
        .into_iter()
        .find(|found| !found.is_empty())
        .unwrap_or_default();
    match found.len() {
        0 => PersonMatch::NoneFound {
            did_you_mean: close_names(people, &wanted),
        },
        1 => found
            .into_iter()
            .next()
            .map(PersonMatch::One)
            .unwrap_or(PersonMatch::NoneFound {
                did_you_mean: Vec::new(),
            }),
        _ => PersonMatch::Several(found),
    }
}

/// Names within a small edit distance of `wanted` (a typo), best first.
fn close_names(people: &[Person], wanted: &str) -> Vec<Person> {
    let limit = wanted.chars().count().div_ceil(3).clamp(1, 3);
    let mut scored: Vec<(usize, &Person)> = people
        .iter()
        .filter_map(|p| {
            let name = p.name.to_lowercase();
            let best = std::iter::once(name.as_str())
                .chain(name.split_whitespace())
                .map(|part| edit_distance(part, wanted))
                .min()?;
            (best <= limit).then_some((best, p))
        })
        .collect();
    scored.sort_by_key(|(d, p)| (*d, p.name.to_lowercase()));
    scored.into_iter().take(5).map(|(_, p)| p.clone()).collect()
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
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
        self.read(|d| matching(&everyone(d.journal()), words)).await
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn person(name: &str) -> Person {
        Person {
            id: name.to_owned(),
            name: name.to_owned(),
            role: None,
            notes: None,
            entries: 0,
            conflicting_fields: Vec::new(),
        }
    }

    fn names(found: &[Person]) -> Vec<&str> {
        found.iter().map(|p| p.name.as_str()).collect()
    }

    #[test]
    fn finds_by_name_prefix_or_part_and_suggests_close_names() {
        let people = ["Dave Smith", "Davina", "Sam Jones", "Dr Patel"].map(person);
        let one = |w: &str| match matching(&people, w) {
            PersonMatch::One(p) => p.name,
            other => panic!("{w}: {other:?}"),
        };
        assert_eq!(one("dave"), "Dave Smith");
        assert_eq!(one("SMI"), "Dave Smith");
        assert_eq!(one("dave s"), "Dave Smith");
        assert_eq!(one("atel"), "Dr Patel");
        match matching(&people, "dav") {
            PersonMatch::Several(found) => assert_eq!(names(&found), ["Dave Smith", "Davina"]),
            other => panic!("{other:?}"),
        }
        match matching(&people, "Dvae") {
            PersonMatch::NoneFound { did_you_mean } => {
                assert_eq!(names(&did_you_mean), ["Dave Smith"])
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            matching(&people, "zzzzzz"),
            PersonMatch::NoneFound {
                did_you_mean: Vec::new()
            }
        );
        // The same name as typed wins over longer ones that start with it.
        let people = ["Sam", "Samantha"].map(person);
        assert!(matches!(matching(&people, "sam"), PersonMatch::One(p) if p.name == "Sam"));
    }

    #[test]
    fn edit_distance_counts_changes() {
        assert_eq!(edit_distance("dave", "dave"), 0);
        assert_eq!(edit_distance("dvae", "dave"), 2);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
