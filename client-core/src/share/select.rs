//! Which entries a share holds, and the manifest built from them.
//!
//! Pure: reads the folded journal, writes nothing. Only the selected live entries
//! go in, each with its fields as shown (people's names, readable categories), its
//! history and its attachments' descriptions; nothing else of the journal (no
//! other entry, no key, no device).

use std::collections::BTreeSet;

use chrono::NaiveDate;

use super::contents::{
    Manifest, SharedAttachment, SharedChange, SharedEntry, SharedRevision, CONTENTS_FORMAT,
};
use crate::journal::{
    categories, occurred, AttachmentView, EntryId, EntryView, Field, FieldValue, Journal,
    RevisionKind,
};
use crate::query::Filter;

/// What to share: the entries named by id, plus those matching the filter (date
/// range, categories, tags). With neither, nothing is selected.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// Entry ids to share.
    pub entries: Vec<EntryId>,
    /// The first day, inclusive.
    pub from: Option<NaiveDate>,
    /// The last day, inclusive.
    pub to: Option<NaiveDate>,
    /// Category slugs.
    pub categories: Vec<String>,
    /// Free tags.
    pub tags: Vec<String>,
}

impl std::fmt::Debug for Selection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Selection")
            .field("entries", &self.entries.len())
            .field("from", &self.from)
            .field("to", &self.to)
            .field("categories", &self.categories.len())
            .field("tags", &self.tags.len())
            .finish()
    }
}

impl Selection {
    fn has_filter(&self) -> bool {
        self.from.is_some()
            || self.to.is_some()
            || !self.categories.is_empty()
            || !self.tags.is_empty()
    }

    /// Whether it selects nothing.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty() && !self.has_filter()
    }

    fn filter(&self) -> Filter {
        Filter {
            from: self.from,
            to: self.to,
            categories: self.categories.clone(),
            people: Vec::new(),
            tags: self.tags.clone(),
        }
    }

    /// The selection in words, for the survivor's share list (never sent in the
    /// clear: it is sealed in the journal and in the bundle).
    pub fn describe(&self, count: usize) -> String {
        let mut parts = Vec::new();
        if !self.entries.is_empty() {
            parts.push(format!("{} chosen", self.entries.len()));
        }
        match (self.from, self.to) {
            (Some(from), Some(to)) => parts.push(format!("{from} to {to}")),
            (Some(from), None) => parts.push(format!("from {from}")),
            (None, Some(to)) => parts.push(format!("up to {to}")),
            (None, None) => {}
        }
        if !self.categories.is_empty() {
            let names: Vec<&str> = self
                .categories
                .iter()
                .map(|c| categories::display(c))
                .collect();
            parts.push(format!("category {}", names.join(" or ")));
        }
        if !self.tags.is_empty() {
            parts.push(format!("tag {}", self.tags.join(" or ")));
        }
        let noun = if count == 1 { "entry" } else { "entries" };
        format!("{count} {noun}: {}", parts.join(", "))
    }
}

/// The live entries selected, in timeline order (the order they happened).
pub fn selected_entries(journal: &Journal, selection: &Selection) -> Vec<EntryView> {
    let chosen: BTreeSet<EntryId> = selection.entries.iter().copied().collect();
    let filter = selection.filter();
    journal
        .entries()
        .into_iter()
        .filter(|e| chosen.contains(&e.id) || (selection.has_filter() && filter.matches(e)))
        .collect()
}

/// The manifest for `entries`, and the attachments whose bytes must follow it, in
/// the same order as the manifest lists them (empty without attachments).
pub fn manifest(
    journal: &Journal,
    entries: &[EntryView],
    include_attachments: bool,
    description: String,
    created_at_ms: i64,
) -> (Manifest, Vec<AttachmentView>) {
    let mut files = Vec::new();
    let shared = entries
        .iter()
        .map(|entry| {
            let attachments = if include_attachments {
                files.extend(entry.attachments.iter().cloned());
                entry.attachments.iter().map(shared_attachment).collect()
            } else {
                Vec::new()
            };
            shared_entry(journal, entry, attachments)
        })
        .collect();
    (
        Manifest {
            format: CONTENTS_FORMAT,
            created_at_ms,
            description,
            entries: shared,
        },
        files,
    )
}

fn shared_entry(
    journal: &Journal,
    e: &EntryView,
    attachments: Vec<SharedAttachment>,
) -> SharedEntry {
    SharedEntry {
        id: hex::encode(e.id),
        title: e.title.clone(),
        text: e.text.clone(),
        occurred: e.occurred_at.as_ref().map(occurred::display),
        categories: e
            .categories
            .iter()
            .map(|c| categories::display(c).to_string())
            .collect(),
        tags: e.tags.clone(),
        severity: e.severity,
        location: e.location.clone(),
        people: e.people.iter().map(|p| person_name(journal, p)).collect(),
        injuries: e.injuries.clone(),
        police_references: e.police_references.clone(),
        actions_taken: e.actions_taken.clone(),
        impact: e.impact.clone(),
        recorded_at_ms: e.recorded_at_ms,
        history: e
            .history
            .iter()
            .map(|rev| SharedRevision {
                kind: match rev.kind {
                    RevisionKind::Created => "created",
                    RevisionKind::Amended => "amended",
                    RevisionKind::Deleted => "deleted",
                    RevisionKind::Restored => "restored",
                }
                .to_string(),
                recorded_at_ms: rev.recorded_at_ms,
                changes: Field::ALL
                    .iter()
                    .filter_map(|field| field.value_in(&rev.fields))
                    .map(|value| SharedChange {
                        field: field_label(value.field()).to_string(),
                        value: value_text(journal, &value),
                    })
                    .collect(),
            })
            .collect(),
        attachments,
    }
}

fn shared_attachment(a: &AttachmentView) -> SharedAttachment {
    SharedAttachment {
        name: a.name.clone(),
        media_type: a.media_type.clone(),
        size: a.size,
        sha256: hex::encode(&a.sha256),
        location_removed: None,
    }
}

/// A person's name from the people list; someone not on it is "someone removed
/// from the people list" rather than an id, which would mean nothing to a reader.
fn person_name(journal: &Journal, id_hex: &str) -> String {
    hex::decode(id_hex)
        .ok()
        .and_then(|id| <[u8; 16]>::try_from(id.as_slice()).ok())
        .and_then(|id| journal.person(&id))
        .and_then(|p| p.name)
        .unwrap_or_else(|| "(someone not on the people list)".to_string())
}

/// A field's readable name ("Police references").
pub fn field_label(field: Field) -> &'static str {
    match field {
        Field::Title => "Title",
        Field::Text => "Text",
        Field::OccurredAt => "When it happened",
        Field::Categories => "Categories",
        Field::Tags => "Tags",
        Field::Severity => "Severity",
        Field::Location => "Location",
        Field::People => "People",
        Field::Injuries => "Injuries",
        Field::PoliceReferences => "Police references",
        Field::ActionsTaken => "Actions taken",
        Field::Impact => "Impact",
    }
}

fn value_text(journal: &Journal, value: &FieldValue) -> String {
    let join = |list: &[String]| list.join(", ");
    match value {
        FieldValue::Title(s)
        | FieldValue::Text(s)
        | FieldValue::Location(s)
        | FieldValue::Injuries(s)
        | FieldValue::Impact(s) => s.clone(),
        FieldValue::OccurredAt(at) => occurred::display(at),
        FieldValue::Categories(list) => list
            .iter()
            .map(|c| categories::display(c))
            .collect::<Vec<_>>()
            .join(", "),
        FieldValue::Tags(list)
        | FieldValue::PoliceReferences(list)
        | FieldValue::ActionsTaken(list) => join(list),
        FieldValue::Severity(0) => "(cleared)".to_string(),
        FieldValue::Severity(n) => format!("{n} of 5"),
        FieldValue::People(ids) => ids
            .iter()
            .map(|p| person_name(journal, p))
            .collect::<Vec<_>>()
            .join(", "),
    }
}
