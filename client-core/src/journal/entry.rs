//! The view of one entry, folded from its operations in total order.
//!
//! The creation and every amendment stay in `history`, so the original text is
//! never overwritten. An entry is deleted iff the last delete-or-restore operation
//! in total order is a delete; amendments concurrent with a delete are kept and show
//! if the entry is restored. Operations for an entry whose creation has not arrived
//! are kept and take effect once it does.

use std::fmt;

use mycase_proto::v1::{AttachmentAdded, EntryFields, OccurredAt};

use super::fields::{self, Field, FieldConflict, FieldValue};
use super::occurred;
use super::order::{Action, EntryChange, StoredOp};
use super::{DeviceId, EntryId, OpId};

/// An entry as the survivor sees it. `Debug` never prints content.
#[derive(Clone, PartialEq, Eq)]
pub struct EntryView {
    /// The entry's id.
    pub id: EntryId,
    /// `None` when never set or set to an empty title.
    pub title: Option<String>,
    /// What happened, in the survivor's words.
    pub text: String,
    /// `None` when never set or set to an empty value.
    pub occurred_at: Option<OccurredAt>,
    /// Category slugs.
    pub categories: Vec<String>,
    /// Free tags.
    pub tags: Vec<String>,
    /// 1..=5; `None` when never set or cleared (set to 0).
    pub severity: Option<u32>,
    /// `None` when never set or set to an empty value (likewise below).
    pub location: Option<String>,
    /// Person ids (32 hex digits) from the people list.
    pub people: Vec<String>,
    /// Injuries, if any were recorded.
    pub injuries: Option<String>,
    /// Police reference numbers.
    pub police_references: Vec<String>,
    /// What the survivor did (called someone, left, reported it).
    pub actions_taken: Vec<String>,
    /// The impact on the survivor, in their words.
    pub impact: Option<String>,
    /// Evidence, in the order it was attached (total order).
    pub attachments: Vec<AttachmentView>,
    /// When the creation was written, by its author's clock. Never editable.
    pub recorded_at_ms: i64,
    /// The device that created it.
    pub created_by: DeviceId,
    /// Other creations of this id that neither saw the first (which no honest
    /// device writes): who created the entry, and when, is then in dispute.
    pub disputed_creations: Vec<OpId>,
    /// It is in the trash.
    pub deleted: bool,
    /// When deleted (by the delete operation's author's clock), while deleted: the
    /// trash keeps an entry for [`super::TRASH_RETENTION_MS`] after this.
    pub deleted_at_ms: Option<i64>,
    /// It has at least one amendment.
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
            .field("tags", &format_args!("<{} values>", self.tags.len()))
            .field("severity", &self.severity.map(|_| "<redacted>"))
            .field("location", &self.location.as_ref().map(|_| "<redacted>"))
            .field("people", &format_args!("<{} values>", self.people.len()))
            .field("injuries", &self.injuries.as_ref().map(|_| "<redacted>"))
            .field(
                "police_references",
                &format_args!("<{} values>", self.police_references.len()),
            )
            .field(
                "actions_taken",
                &format_args!("<{} values>", self.actions_taken.len()),
            )
            .field("impact", &self.impact.as_ref().map(|_| "<redacted>"))
            .field("attachments", &self.attachments)
            .field("recorded_at_ms", &self.recorded_at_ms)
            .field("created_by", &hex::encode(self.created_by))
            .field("disputed_creations", &self.disputed_creations)
            .field("deleted", &self.deleted)
            .field("deleted_at_ms", &self.deleted_at_ms)
            .field("amended", &self.amended)
            .field("conflicts", &self.conflicts)
            .field("history", &self.history)
            .finish()
    }
}

/// One piece of evidence attached to an entry: what is needed to fetch and check
/// its chunks. `Debug` never prints the file name or media type.
#[derive(Clone, PartialEq, Eq)]
pub struct AttachmentView {
    /// The attachment's id within its entry.
    pub attachment_id: [u8; 16],
    /// The original file name (sealed in the log, never on the server).
    pub name: String,
    /// Its media type (as given when attached).
    pub media_type: String,
    /// Bytes of the original file.
    pub size: u64,
    /// Of the original bytes (empty or malformed if the author wrote it so).
    pub sha256: Vec<u8>,
    /// Plaintext bytes per chunk.
    pub chunk_size: u32,
    /// How many chunks it is stored as.
    pub chunk_count: u64,
    /// The key epoch its chunks are sealed under.
    pub key_epoch: u32,
    /// See [`crate::format::attachment::ChunkFormat`].
    pub chunk_format: u32,
    /// The operation that attached it.
    pub added_by: OpId,
    /// When it was attached (the attaching device's clock).
    pub recorded_at_ms: i64,
}

impl fmt::Debug for AttachmentView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AttachmentView")
            .field("attachment_id", &hex::encode(self.attachment_id))
            .field("name", &format_args!("<{} bytes>", self.name.len()))
            .field("size", &self.size)
            .field("chunk_count", &self.chunk_count)
            .field("key_epoch", &self.key_epoch)
            .field("added_by", &self.added_by)
            .finish_non_exhaustive()
    }
}

/// What a revision of an entry did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RevisionKind {
    /// Created the entry.
    Created,
    /// Amended it.
    Amended,
    /// Moved it to the trash.
    Deleted,
    /// Brought it back from the trash.
    Restored,
}

/// One operation in an entry's history. `fields` is what it set (empty for delete
/// and restore). `Debug` names the fields set, never their values.
#[derive(Clone, PartialEq, Eq)]
pub struct Revision {
    /// The operation.
    pub op: OpId,
    /// When it was written (its device's clock).
    pub recorded_at_ms: i64,
    /// What it did.
    pub kind: RevisionKind,
    /// The fields it set.
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
    let mut disputed_creations = Vec::new();
    let mut deleted_at_ms = None;
    let mut amended = false;
    let mut attachments = Vec::new();
    let mut history = Vec::with_capacity(ops_in_order.len());
    for op in ops_in_order {
        let Action::Entry { change, .. } = &op.action else {
            continue;
        };
        let (kind, fields) = match change {
            // Evidence is listed in `attachments`, not in the history of the fields.
            EntryChange::AttachmentAdded(added) => {
                attachments.extend(attachment_view(added, op));
                continue;
            }
            EntryChange::Created(fields) => {
                if creation.is_some() {
                    disputed_creations.push(op.id());
                }
                creation.get_or_insert(*op);
                (RevisionKind::Created, fields.clone())
            }
            EntryChange::Amended(fields) => {
                amended = true;
                (RevisionKind::Amended, fields.clone())
            }
            EntryChange::Deleted => {
                deleted_at_ms = Some(op.recorded_at_ms);
                (RevisionKind::Deleted, EntryFields::default())
            }
            EntryChange::Restored => {
                deleted_at_ms = None;
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
        tags: Vec::new(),
        severity: None,
        location: None,
        people: Vec::new(),
        injuries: None,
        police_references: Vec::new(),
        actions_taken: Vec::new(),
        impact: None,
        attachments,
        recorded_at_ms: creation.recorded_at_ms,
        created_by: creation.key.device,
        disputed_creations,
        deleted: deleted_at_ms.is_some(),
        deleted_at_ms,
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
            Some(FieldValue::Tags(tags)) => view.tags = tags,
            Some(FieldValue::Severity(severity)) => {
                view.severity = Some(severity).filter(|s| *s != 0);
            }
            Some(FieldValue::Location(location)) => view.location = non_empty(location),
            Some(FieldValue::People(people)) => view.people = people,
            Some(FieldValue::Injuries(injuries)) => view.injuries = non_empty(injuries),
            Some(FieldValue::PoliceReferences(refs)) => view.police_references = refs,
            Some(FieldValue::ActionsTaken(actions)) => view.actions_taken = actions,
            Some(FieldValue::Impact(impact)) => view.impact = non_empty(impact),
            None => {}
        }
        view.conflicts.extend(resolved.conflict);
    }
    Some(view)
}

/// The creations among an entry's operations that a trust rule refuses: each
/// created an id whose creation its author had already seen. Decided by causality
/// alone, so the order the operations sort in does not matter.
pub(crate) fn rejected_creations(ops_in_order: &[&StoredOp]) -> Vec<OpId> {
    let creations: Vec<&StoredOp> = ops_in_order
        .iter()
        .copied()
        .filter(|op| {
            matches!(
                op.action,
                Action::Entry {
                    change: EntryChange::Created(_),
                    ..
                }
            )
        })
        .collect();
    creations
        .iter()
        .filter(|op| creations.iter().any(|other| other.happened_before(op)))
        .map(|op| op.id())
        .collect()
}

/// An empty string is how a text field is cleared.
fn non_empty(s: String) -> Option<String> {
    Some(s).filter(|s| !s.is_empty())
}

/// `None` for a malformed attachment id (the decoder already ignores those).
fn attachment_view(added: &AttachmentAdded, op: &StoredOp) -> Option<AttachmentView> {
    Some(AttachmentView {
        attachment_id: added.attachment_id.as_slice().try_into().ok()?,
        name: added.name.clone(),
        media_type: added.media_type.clone(),
        size: added.size,
        sha256: added.sha256.clone(),
        chunk_size: added.chunk_size,
        chunk_count: added.chunk_count,
        key_epoch: added.key_epoch,
        chunk_format: added.chunk_format,
        added_by: op.id(),
        recorded_at_ms: op.recorded_at_ms,
    })
}
