//! The view of one entry, folded from its operations in total order.
//!
//! The creation and every amendment stay in `history`, so the original text is
//! never overwritten. An entry is deleted iff the last delete-or-restore operation
//! in total order is a delete; amendments concurrent with a delete are kept and show
//! if the entry is restored. Operations for an entry whose creation has not arrived
//! are kept and take effect once it does.

use std::fmt;

use mycase_proto::v1::{EntryFields, OccurredAt};

use super::fields::{self, Field, FieldConflict, FieldValue};
use super::occurred;
use super::order::{Action, EntryChange, StoredOp};
use super::{DeviceId, EntryId, OpId};

/// An entry as the survivor sees it. `Debug` never prints content.
#[derive(Clone, PartialEq, Eq)]
pub struct EntryView {
    pub id: EntryId,
    /// `None` when never set or set to an empty title.
    pub title: Option<String>,
    pub text: String,
    /// `None` when never set or set to an empty value.
    pub occurred_at: Option<OccurredAt>,
    pub categories: Vec<String>,
    /// When the creation was written, by its author's clock. Never editable.
    pub recorded_at_ms: i64,
    pub created_by: DeviceId,
    pub deleted: bool,
    pub amended: bool,
    /// Fields with concurrent values, in field order.
    pub conflicts: Vec<FieldConflict>,
    /// Every operation on this entry, in total order.
    pub history: Vec<Revision>,
}

impl EntryView {
    /// Timeline position: when it happened (the start of `occurred_at`, or when it
    /// was recorded if that is unknown), then when it was recorded, then id.
    pub fn timeline_key(&self) -> (i64, i64, EntryId) {
        let when = self
            .occurred_at
            .as_ref()
            .and_then(occurred::sort_key)
            .unwrap_or(self.recorded_at_ms);
        (when, self.recorded_at_ms, self.id)
    }

    /// The conflict on `field`, if any.
    pub fn conflict(&self, field: Field) -> Option<&FieldConflict> {
        self.conflicts.iter().find(|c| c.field == field)
    }
}

impl fmt::Debug for EntryView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EntryView")
            .field("id", &hex::encode(self.id))
            .field("title", &self.title.as_ref().map(|_| "<redacted>"))
            .field("text", &format_args!("<{} bytes>", self.text.len()))
            .field(
                "occurred_at",
                &self.occurred_at.as_ref().map(|_| "<redacted>"),
            )
            .field(
                "categories",
                &format_args!("<{} values>", self.categories.len()),
            )
            .field("recorded_at_ms", &self.recorded_at_ms)
            .field("created_by", &hex::encode(self.created_by))
            .field("deleted", &self.deleted)
            .field("amended", &self.amended)
            .field("conflicts", &self.conflicts)
            .field("history", &self.history)
            .finish()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RevisionKind {
    Created,
    Amended,
    Deleted,
    Restored,
}

/// One operation in an entry's history. `fields` is what it set (empty for delete
/// and restore). `Debug` names the fields set, never their values.
#[derive(Clone, PartialEq, Eq)]
pub struct Revision {
    pub op: OpId,
    pub recorded_at_ms: i64,
    pub kind: RevisionKind,
    pub fields: EntryFields,
}

impl fmt::Debug for Revision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let set: Vec<&str> = Field::ALL
            .iter()
            .filter(|field| field.value_in(&self.fields).is_some())
            .map(|field| field.as_str())
            .collect();
        f.debug_struct("Revision")
            .field("op", &self.op)
            .field("recorded_at_ms", &self.recorded_at_ms)
            .field("kind", &self.kind)
            .field("fields_set", &set)
            .finish()
    }
}

/// Folds one entry's operations (in total order). `None` until its creation is known.
pub(crate) fn build(id: EntryId, ops_in_order: &[&StoredOp]) -> Option<EntryView> {
    let mut creation = None;
    let mut deleted = false;
    let mut amended = false;
    let mut history = Vec::with_capacity(ops_in_order.len());
    for op in ops_in_order {
        let Action::Entry { change, .. } = &op.action else {
            continue;
        };
        let (kind, fields) = match change {
            EntryChange::Created(fields) => {
                creation.get_or_insert(*op);
                (RevisionKind::Created, fields.clone())
            }
            EntryChange::Amended(fields) => {
                amended = true;
                (RevisionKind::Amended, fields.clone())
            }
            EntryChange::Deleted => {
                deleted = true;
                (RevisionKind::Deleted, EntryFields::default())
            }
            EntryChange::Restored => {
                deleted = false;
                (RevisionKind::Restored, EntryFields::default())
            }
        };
        history.push(Revision {
            op: op.id(),
            recorded_at_ms: op.recorded_at_ms,
            kind,
            fields,
        });
    }
    let creation = creation?;

    let mut view = EntryView {
        id,
        title: None,
        text: String::new(),
        occurred_at: None,
        categories: Vec::new(),
        recorded_at_ms: creation.recorded_at_ms,
        created_by: creation.key.device,
        deleted,
        amended,
        conflicts: Vec::new(),
        history,
    };
    for field in Field::ALL {
        let resolved = fields::resolve(field, ops_in_order);
        match resolved.shown {
            Some(FieldValue::Title(title)) => view.title = Some(title).filter(|t| !t.is_empty()),
            Some(FieldValue::Text(text)) => view.text = text,
            Some(FieldValue::OccurredAt(at)) => {
                view.occurred_at = Some(at).filter(|at| !at.start.is_empty());
            }
            Some(FieldValue::Categories(categories)) => view.categories = categories,
            None => {}
        }
        view.conflicts.extend(resolved.conflict);
    }
    Some(view)
}
