//! Which value of a field an entry shows, and which concurrent values conflict.
//!
//! Per field, the candidates are the creation and every amendment that sets the
//! field. The heads are the candidates that did not happen before another candidate
//! (nobody who wrote a later value for the field had seen them). The shown value is
//! the head greatest in the total order; any other heads are concurrent values and
//! are listed as a conflict, so nothing is lost. An amendment written after seeing
//! every head (a resolution) is then the only head, and the conflict is gone.

use std::fmt;

use mycase_proto::v1::{EntryFields, OccurredAt, StringList};

use super::order::{Action, EntryChange, StoredOp};
use super::OpId;

/// A field of an entry that amendments can set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    /// The title.
    Title,
    /// The free text.
    Text,
    /// When it happened.
    OccurredAt,
    /// The categories.
    Categories,
    /// The tags.
    Tags,
    /// The severity (1 to 5).
    Severity,
    /// The location.
    Location,
    /// The people involved.
    People,
    /// The injuries.
    Injuries,
    /// The police references.
    PoliceReferences,
    /// The actions taken.
    ActionsTaken,
    /// The impact.
    Impact,
}

impl Field {
    /// Every field, in the order entries show them.
    pub const ALL: [Field; 12] = [
        Field::Title,
        Field::Text,
        Field::OccurredAt,
        Field::Categories,
        Field::Tags,
        Field::Severity,
        Field::Location,
        Field::People,
        Field::Injuries,
        Field::PoliceReferences,
        Field::ActionsTaken,
        Field::Impact,
    ];

    /// Its name on the command line and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Title => "title",
            Field::Text => "text",
            Field::OccurredAt => "occurred_at",
            Field::Categories => "categories",
            Field::Tags => "tags",
            Field::Severity => "severity",
            Field::Location => "location",
            Field::People => "people",
            Field::Injuries => "injuries",
            Field::PoliceReferences => "police_references",
            Field::ActionsTaken => "actions_taken",
            Field::Impact => "impact",
        }
    }

    /// The field named `name` (as [`Field::as_str`] gives it; `-` is read as `_`,
    /// case-insensitive).
    pub fn parse(name: &str) -> Option<Field> {
        let wanted = name.trim().to_ascii_lowercase().replace('-', "_");
        Field::ALL
            .into_iter()
            .find(|field| field.as_str() == wanted)
    }

    /// The value `fields` sets for this field, if it sets it.
    pub fn value_in(self, fields: &EntryFields) -> Option<FieldValue> {
        match self {
            Field::Title => fields.title.clone().map(FieldValue::Title),
            Field::Text => fields.text.clone().map(FieldValue::Text),
            Field::OccurredAt => fields.occurred_at.clone().map(FieldValue::OccurredAt),
            Field::Categories => fields
                .categories
                .as_ref()
                .map(|list| FieldValue::Categories(list.values.clone())),
            Field::Tags => fields
                .tags
                .as_ref()
                .map(|list| FieldValue::Tags(list.values.clone())),
            Field::Severity => fields.severity.map(FieldValue::Severity),
            Field::Location => fields.location.clone().map(FieldValue::Location),
            Field::People => fields
                .people
                .as_ref()
                .map(|list| FieldValue::People(list.values.clone())),
            Field::Injuries => fields.injuries.clone().map(FieldValue::Injuries),
            Field::PoliceReferences => fields
                .police_references
                .as_ref()
                .map(|list| FieldValue::PoliceReferences(list.values.clone())),
            Field::ActionsTaken => fields
                .actions_taken
                .as_ref()
                .map(|list| FieldValue::ActionsTaken(list.values.clone())),
            Field::Impact => fields.impact.clone().map(FieldValue::Impact),
        }
    }
}

/// A value of one field. `Debug` shows only its shape, never the content.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum FieldValue {
    /// The title.
    Title(String),
    /// The free text.
    Text(String),
    /// When it happened.
    OccurredAt(OccurredAt),
    /// The category slugs.
    Categories(Vec<String>),
    /// The tags.
    Tags(Vec<String>),
    /// 1..=5; 0 clears it.
    Severity(u32),
    /// The location.
    Location(String),
    /// Person ids (32 hex digits) from the people list.
    People(Vec<String>),
    /// The injuries.
    Injuries(String),
    /// The police references.
    PoliceReferences(Vec<String>),
    /// The actions taken.
    ActionsTaken(Vec<String>),
    /// The impact.
    Impact(String),
}

impl FieldValue {
    /// Which field this is a value of.
    pub fn field(&self) -> Field {
        match self {
            FieldValue::Title(_) => Field::Title,
            FieldValue::Text(_) => Field::Text,
            FieldValue::OccurredAt(_) => Field::OccurredAt,
            FieldValue::Categories(_) => Field::Categories,
            FieldValue::Tags(_) => Field::Tags,
            FieldValue::Severity(_) => Field::Severity,
            FieldValue::Location(_) => Field::Location,
            FieldValue::People(_) => Field::People,
            FieldValue::Injuries(_) => Field::Injuries,
            FieldValue::PoliceReferences(_) => Field::PoliceReferences,
            FieldValue::ActionsTaken(_) => Field::ActionsTaken,
            FieldValue::Impact(_) => Field::Impact,
        }
    }

    /// Sets this value in `fields` (the other fields are left as they are): how a
    /// chosen value becomes a resolving amendment.
    pub fn set_in(&self, fields: &mut EntryFields) {
        let list = |values: &[String]| {
            Some(StringList {
                values: values.to_vec(),
            })
        };
        match self {
            FieldValue::Title(s) => fields.title = Some(s.clone()),
            FieldValue::Text(s) => fields.text = Some(s.clone()),
            FieldValue::OccurredAt(o) => fields.occurred_at = Some(o.clone()),
            FieldValue::Categories(v) => fields.categories = list(v),
            FieldValue::Tags(v) => fields.tags = list(v),
            FieldValue::Severity(n) => fields.severity = Some(*n),
            FieldValue::Location(s) => fields.location = Some(s.clone()),
            FieldValue::People(v) => fields.people = list(v),
            FieldValue::Injuries(s) => fields.injuries = Some(s.clone()),
            FieldValue::PoliceReferences(v) => fields.police_references = list(v),
            FieldValue::ActionsTaken(v) => fields.actions_taken = list(v),
            FieldValue::Impact(s) => fields.impact = Some(s.clone()),
        }
    }
}

impl fmt::Debug for FieldValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldValue::Title(s) => write!(f, "Title(<{} bytes>)", s.len()),
            FieldValue::Text(s) => write!(f, "Text(<{} bytes>)", s.len()),
            FieldValue::OccurredAt(_) => f.write_str("OccurredAt(<redacted>)"),
            FieldValue::Categories(v) => write!(f, "Categories(<{} values>)", v.len()),
            FieldValue::Tags(v) => write!(f, "Tags(<{} values>)", v.len()),
            FieldValue::Severity(_) => f.write_str("Severity(<redacted>)"),
            FieldValue::Location(s) => write!(f, "Location(<{} bytes>)", s.len()),
            FieldValue::People(v) => write!(f, "People(<{} values>)", v.len()),
            FieldValue::Injuries(s) => write!(f, "Injuries(<{} bytes>)", s.len()),
            FieldValue::PoliceReferences(v) => {
                write!(f, "PoliceReferences(<{} values>)", v.len())
            }
            FieldValue::ActionsTaken(v) => write!(f, "ActionsTaken(<{} values>)", v.len()),
            FieldValue::Impact(s) => write!(f, "Impact(<{} bytes>)", s.len()),
        }
    }
}

/// A value that lost to the shown one only by the fixed rule, not because its
/// author saw the shown one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConflictingValue {
    /// The value.
    pub value: FieldValue,
    /// The operation that set it.
    pub op: OpId,
    /// When (its device's clock).
    pub recorded_at_ms: i64,
}

/// Concurrent values of one field, for the survivor to resolve by amending it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldConflict {
    /// The field.
    pub field: Field,
    /// The value shown (the one the fold picked).
    pub shown: FieldValue,
    /// The operation that set the shown value.
    pub shown_by: OpId,
    /// The other heads, in total order.
    pub others: Vec<ConflictingValue>,
}

/// The outcome for one field of one entry.
pub(crate) struct Resolved {
    pub shown: Option<FieldValue>,
    pub conflict: Option<FieldConflict>,
}

/// Applies the field rule to the entry's operations (given in total order).
pub(crate) fn resolve(field: Field, ops_in_order: &[&StoredOp]) -> Resolved {
    let candidates: Vec<(&StoredOp, FieldValue)> = ops_in_order
        .iter()
        .filter_map(|op| match &op.action {
            Action::Entry {
                change: EntryChange::Created(fields) | EntryChange::Amended(fields),
                ..
            } => field.value_in(fields).map(|value| (*op, value)),
            _ => None,
        })
        .collect();
    let (heads, shown) = split_heads(candidates);
    let Some((shown_op, shown)) = shown else {
        return Resolved {
            shown: None,
            conflict: None,
        };
    };
    let conflict = (!heads.is_empty()).then(|| FieldConflict {
        field,
        shown: shown.clone(),
        shown_by: shown_op.id(),
        others: heads
            .into_iter()
            .map(|(op, value)| ConflictingValue {
                value,
                op: op.id(),
                recorded_at_ms: op.recorded_at_ms,
            })
            .collect(),
    });
    Resolved {
        shown: Some(shown),
        conflict,
    }
}

/// The candidates (in total order) that did not happen before another candidate,
/// split into the shown one (the last in total order) and the others.
#[allow(clippy::type_complexity)]
pub(crate) fn split_heads<V: Clone>(
    candidates: Vec<(&StoredOp, V)>,
) -> (Vec<(&StoredOp, V)>, Option<(&StoredOp, V)>) {
    let mut heads: Vec<(&StoredOp, V)> = candidates
        .iter()
        .filter(|(op, _)| {
            !candidates
                .iter()
                .any(|(other, _)| op.happened_before(other))
        })
        .cloned()
        .collect();
    // Heads keep the total order of the candidates, so the last one is shown.
    let shown = heads.pop();
    (heads, shown)
}
