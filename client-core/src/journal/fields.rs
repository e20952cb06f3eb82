//! Which value of a field an entry shows, and which concurrent values conflict.
//!
//! Per field, the candidates are the creation and every amendment that sets the
//! field. The heads are the candidates that did not happen before another candidate
//! (nobody who wrote a later value for the field had seen them). The shown value is
//! the head greatest in the total order; any other heads are concurrent values and
//! are listed as a conflict, so nothing is lost. An amendment written after seeing
//! every head (a resolution) is then the only head, and the conflict is gone.

use std::fmt;

use mycase_proto::v1::{EntryFields, OccurredAt};

use super::order::{Action, EntryChange, StoredOp};
use super::OpId;

/// A field of an entry that amendments can set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    Title,
    Text,
    OccurredAt,
    Categories,
}

impl Field {
    pub const ALL: [Field; 4] = [
        Field::Title,
        Field::Text,
        Field::OccurredAt,
        Field::Categories,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Field::Title => "title",
            Field::Text => "text",
            Field::OccurredAt => "occurred_at",
            Field::Categories => "categories",
        }
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
        }
    }
}

/// A value of one field. `Debug` shows only its shape, never the content.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum FieldValue {
    Title(String),
    Text(String),
    OccurredAt(OccurredAt),
    Categories(Vec<String>),
}

impl FieldValue {
    pub fn field(&self) -> Field {
        match self {
            FieldValue::Title(_) => Field::Title,
            FieldValue::Text(_) => Field::Text,
            FieldValue::OccurredAt(_) => Field::OccurredAt,
            FieldValue::Categories(_) => Field::Categories,
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
        }
    }
}

/// A value that lost to the shown one only by the fixed rule, not because its
/// author saw the shown one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConflictingValue {
    pub value: FieldValue,
    pub op: OpId,
    pub recorded_at_ms: i64,
}

/// Concurrent values of one field, for the survivor to resolve by amending it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldConflict {
    pub field: Field,
    pub shown: FieldValue,
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
    let mut heads: Vec<(&StoredOp, FieldValue)> = candidates
        .iter()
        .filter(|(op, _)| {
            !candidates
                .iter()
                .any(|(other, _)| op.happened_before(other))
        })
        .cloned()
        .collect();
    // Heads keep the total order of `ops_in_order`, so the last one is shown.
    let Some((shown_op, shown)) = heads.pop() else {
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
