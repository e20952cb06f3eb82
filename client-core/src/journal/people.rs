//! The people list the survivor keeps: a name or alias, a role and notes.
//!
//! Folded like an entry: `PersonAdded` and every `PersonAmended` are candidates for
//! each field they set; the heads (candidates nobody who wrote the field later had
//! seen) decide it, the greatest in total order is shown and the others are listed as
//! conflicts. An empty value clears a field. Amendments that arrive before their
//! person's addition are kept and take effect once it does.

use std::fmt;

use mycase_proto::v1::PersonFields;

use super::fields::split_heads;
use super::order::{Action, PersonChange, StoredOp};
use super::{OpId, PersonId};

/// The roles a person can have, as stored (kebab-case) and as shown.
pub const ROLES: [(&str, &str); 5] = [
    ("causing-harm", "person causing harm"),
    ("witness", "witness"),
    ("child", "child"),
    ("professional", "professional"),
    ("other", "other"),
];

/// The stored slug for a role written by a person (case-insensitive; spaces and
/// underscores read as `-`; the readable name is accepted too).
pub fn parse_role(input: &str) -> Option<&'static str> {
    let wanted = input.trim().to_lowercase().replace([' ', '_'], "-");
    ROLES
        .iter()
        .find(|(slug, name)| *slug == wanted || name.replace(' ', "-") == wanted)
        .map(|(slug, _)| *slug)
}

/// The readable name of a stored role; an unknown one (from a newer client) as stored.
pub fn role_display(slug: &str) -> &str {
    ROLES
        .iter()
        .find(|(s, _)| *s == slug)
        .map(|(_, name)| *name)
        .unwrap_or(slug)
}

/// A field of a person on the people list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PersonField {
    /// Their name.
    Name,
    /// Their role (partner, neighbour, officer...).
    Role,
    /// The survivor's notes about them.
    Notes,
}

impl PersonField {
    /// Every field, in display order.
    pub const ALL: [PersonField; 3] = [PersonField::Name, PersonField::Role, PersonField::Notes];

    /// Its name on the command line and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            PersonField::Name => "name",
            PersonField::Role => "role",
            PersonField::Notes => "notes",
        }
    }

    fn value_in(self, fields: &PersonFields) -> Option<String> {
        match self {
            PersonField::Name => fields.name.clone(),
            PersonField::Role => fields.role.clone(),
            PersonField::Notes => fields.notes.clone(),
        }
    }
}

/// Concurrent values of one field of a person. `Debug` never prints the values.
#[derive(Clone, PartialEq, Eq)]
pub struct PersonConflict {
    /// The field.
    pub field: PersonField,
    /// The value shown.
    pub shown: String,
    /// The operation that set it.
    pub shown_by: OpId,
    /// The other heads with their operations, in total order.
    pub others: Vec<(String, OpId)>,
}

impl fmt::Debug for PersonConflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PersonConflict")
            .field("field", &self.field)
            .field("shown_by", &self.shown_by)
            .field("others", &self.others.len())
            .finish()
    }
}

/// A person as the survivor sees them. `Debug` never prints the name or notes.
#[derive(Clone, PartialEq, Eq)]
pub struct PersonView {
    /// The person's id.
    pub id: PersonId,
    /// Their name, if set.
    pub name: Option<String>,
    /// A slug from [`ROLES`] (or a newer client's role, as stored).
    pub role: Option<String>,
    /// Notes about them, if set.
    pub notes: Option<String>,
    /// The operation that added them.
    pub added_by: OpId,
    /// When they were added (that device's clock).
    pub recorded_at_ms: i64,
    /// Fields set concurrently to different values.
    pub conflicts: Vec<PersonConflict>,
}

impl fmt::Debug for PersonView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PersonView")
            .field("id", &hex::encode(self.id))
            .field("name", &self.name.as_ref().map(|_| "<redacted>"))
            .field("role", &self.role.as_ref().map(|_| "<redacted>"))
            .field("notes", &self.notes.as_ref().map(|_| "<redacted>"))
            .field("added_by", &self.added_by)
            .field("conflicts", &self.conflicts)
            .finish()
    }
}

/// Folds one person's operations (in total order). `None` until the addition is known.
pub(crate) fn build(id: PersonId, ops_in_order: &[&StoredOp]) -> Option<PersonView> {
    let added = ops_in_order.iter().find(|op| {
        matches!(
            op.action,
            Action::Person {
                change: PersonChange::Added(_),
                ..
            }
        )
    })?;
    let mut view = PersonView {
        id,
        name: None,
        role: None,
        notes: None,
        added_by: added.id(),
        recorded_at_ms: added.recorded_at_ms,
        conflicts: Vec::new(),
    };
    for field in PersonField::ALL {
        let candidates: Vec<(&StoredOp, String)> = ops_in_order
            .iter()
            .filter_map(|op| match &op.action {
                Action::Person {
                    change: PersonChange::Added(fields) | PersonChange::Amended(fields),
                    ..
                } => field.value_in(fields).map(|value| (*op, value)),
                _ => None,
            })
            .collect();
        let (others, shown) = split_heads(candidates);
        let Some((shown_op, shown)) = shown else {
            continue;
        };
        if !others.is_empty() {
            view.conflicts.push(PersonConflict {
                field,
                shown: shown.clone(),
                shown_by: shown_op.id(),
                others: others.into_iter().map(|(op, v)| (v, op.id())).collect(),
            });
        }
        let shown = Some(shown).filter(|s| !s.is_empty());
        match field {
            PersonField::Name => view.name = shown,
            PersonField::Role => view.role = shown,
            PersonField::Notes => view.notes = shown,
        }
    }
    Some(view)
}
