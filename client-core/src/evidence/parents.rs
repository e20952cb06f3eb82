//! The per-entry (and per-person) commitment: each amendment, deletion, restore
//! and attachment names, in its `parents`, the record hashes of the operations on
//! the same entry its author had seen and that nothing else there names yet (the
//! heads). Inside a signed record, that is the author's word on everything before
//! it, so an export that leaves out an operation a later one was written after is
//! caught by [`missing_parents`]. What nothing names yet (the latest operation, or
//! one written after the export) cannot be caught; the verifier says so.

use std::collections::{BTreeMap, BTreeSet};

use mycase_proto::v1::operation::Body;
use mycase_proto::wire::{record_hash, HASH_LEN};

use crate::device::{decode_operation, Device};
use crate::journal::{EntryId, OpId, PersonId};
use crate::store::LocalStore;

/// A record hash.
pub type RecordHash = [u8; HASH_LEN];

/// What an operation is about, for its parents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Subject {
    Entry(EntryId),
    Person(PersonId),
}

/// The entry or person `body` is about (creations included), if any.
pub fn subject_of(body: &Body) -> Option<Subject> {
    let (id, entry) = match body {
        Body::EntryCreated(b) => (&b.entry_id, true),
        Body::EntryAmended(b) => (&b.entry_id, true),
        Body::EntryDeleted(b) => (&b.entry_id, true),
        Body::EntryRestored(b) => (&b.entry_id, true),
        Body::AttachmentAdded(b) => (&b.entry_id, true),
        Body::PersonAdded(b) => (&b.person_id, false),
        Body::PersonAmended(b) => (&b.person_id, false),
        _ => return None,
    };
    let id: [u8; 16] = id.as_slice().try_into().ok()?;
    Some(if entry {
        Subject::Entry(id)
    } else {
        Subject::Person(id)
    })
}

/// The parents `body` names; `None` for operations that have none (creations,
/// and everything that is not about an entry or a person).
pub fn parents_of(body: &Body) -> Option<&[Vec<u8>]> {
    match body {
        Body::EntryAmended(b) => Some(&b.parents),
        Body::EntryDeleted(b) => Some(&b.parents),
        Body::EntryRestored(b) => Some(&b.parents),
        Body::AttachmentAdded(b) => Some(&b.parents),
        Body::PersonAmended(b) => Some(&b.parents),
        _ => None,
    }
}

fn parents_mut(body: &mut Body) -> Option<&mut Vec<Vec<u8>>> {
    match body {
        Body::EntryAmended(b) => Some(&mut b.parents),
        Body::EntryDeleted(b) => Some(&mut b.parents),
        Body::EntryRestored(b) => Some(&mut b.parents),
        Body::AttachmentAdded(b) => Some(&mut b.parents),
        Body::PersonAmended(b) => Some(&mut b.parents),
        _ => None,
    }
}

/// The heads of a set of operations, each given as its record hash and the
/// parents it names: the hashes no operation of the set names, sorted.
pub fn heads<'a>(ops: impl IntoIterator<Item = (RecordHash, &'a [Vec<u8>])>) -> Vec<RecordHash> {
    let mut all = BTreeSet::new();
    let mut named = BTreeSet::new();
    for (hash, parents) in ops {
        all.insert(hash);
        named.extend(
            parents
                .iter()
                .filter_map(|p| RecordHash::try_from(p.as_slice()).ok()),
        );
    }
    all.difference(&named).copied().collect()
}

/// The parents named in a set of operations that are not among them: the
/// record hashes of operations an export left out. Sorted.
pub fn missing_parents<'a>(
    ops: impl IntoIterator<Item = (RecordHash, &'a [Vec<u8>])> + Clone,
) -> Vec<Vec<u8>> {
    let present: BTreeSet<Vec<u8>> = ops.clone().into_iter().map(|(h, _)| h.to_vec()).collect();
    let missing: BTreeSet<Vec<u8>> = ops
        .into_iter()
        .flat_map(|(_, parents)| parents.iter().cloned())
        .filter(|p| !present.contains(p))
        .collect();
    missing.into_iter().collect()
}

/// Fills in the parents of the operations of one commit: an operation on a
/// subject written earlier in the same batch names that one (which already
/// named everything before it); otherwise it names the subject's heads in the
/// journal.
#[derive(Debug, Default)]
pub(crate) struct BatchParents {
    sealed: BTreeMap<Subject, RecordHash>,
}

impl BatchParents {
    /// Sets `body`'s parents (if it has any) and returns its subject.
    pub(crate) fn fill<S: LocalStore>(
        &self,
        device: &Device<S>,
        body: &mut Body,
    ) -> Option<Subject> {
        let subject = subject_of(body)?;
        if let Some(parents) = parents_mut(body) {
            *parents = match self.sealed.get(&subject) {
                Some(previous) => vec![previous.to_vec()],
                None => journal_heads(device, &subject)
                    .into_iter()
                    .map(|h| h.to_vec())
                    .collect(),
            };
        }
        Some(subject)
    }

    /// Notes that the operation on `subject` was sealed as the record `hash`.
    pub(crate) fn sealed(&mut self, subject: Option<Subject>, hash: RecordHash) {
        if let Some(subject) = subject {
            self.sealed.insert(subject, hash);
        }
    }
}

/// The operations the device's view of `subject` is folded from.
pub(crate) fn subject_ops<S: LocalStore>(device: &Device<S>, subject: &Subject) -> Vec<OpId> {
    match subject {
        Subject::Entry(id) => device
            .journal()
            .entry(id)
            .map(|view| {
                view.history
                    .iter()
                    .map(|r| r.op)
                    .chain(view.attachments.iter().map(|a| a.added_by))
                    .collect()
            })
            .unwrap_or_default(),
        Subject::Person(id) => device.journal().person_ops(id),
    }
}

/// The heads of `subject` among the records this device holds.
fn journal_heads<S: LocalStore>(device: &Device<S>, subject: &Subject) -> Vec<RecordHash> {
    let account = device.account_id();
    let ops: Vec<(RecordHash, Vec<Vec<u8>>)> = subject_ops(device, subject)
        .into_iter()
        .filter_map(|op| {
            let position = usize::try_from(op.idx.checked_sub(1)?).ok()?;
            let record = device.store().log(&op.device).get(position)?;
            // Every operation in the journal was opened from its record once; one
            // that no longer opens names no parents (it stays a head).
            let parents = decode_operation(account, &device.secrets.keyring, record)
                .ok()
                .and_then(|op| op.body)
                .and_then(|body| parents_of(&body).map(<[Vec<u8>]>::to_vec))
                .unwrap_or_default();
            Some((record_hash(account, record), parents))
        })
        .collect();
    heads(ops.iter().map(|(h, p)| (*h, p.as_slice())))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn heads_are_what_nothing_names_and_missing_is_what_is_named_but_absent() {
        let (a, b, c) = ([1u8; 32], [2u8; 32], [3u8; 32]);
        let none: Vec<Vec<u8>> = vec![];
        let on_a = vec![a.to_vec()];
        let on_b = vec![b.to_vec()];
        // a <- b <- c: only c is a head; nothing is missing.
        let chain = [
            (a, none.as_slice()),
            (b, on_a.as_slice()),
            (c, on_b.as_slice()),
        ];
        assert_eq!(heads(chain), vec![c]);
        assert!(missing_parents(chain).is_empty());
        // Concurrent b and c on a: both are heads.
        let fork = [
            (a, none.as_slice()),
            (b, on_a.as_slice()),
            (c, on_a.as_slice()),
        ];
        assert_eq!(heads(fork), vec![b, c]);
        // b left out: c names it.
        let dropped = [(a, none.as_slice()), (c, on_b.as_slice())];
        assert_eq!(missing_parents(dropped), vec![b.to_vec()]);
    }
}
