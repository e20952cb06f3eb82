//! The per-entry (and per-person) commitment: each amendment, deletion, restore
//! and attachment names, in its `parents`, the record hashes of the operations on
//! the same entry its author had seen and that nothing else there names yet (the
//! heads). Inside a signed record, that is the author's word on everything before
//! it, so an export that leaves out an operation a later one was written after is
//! caught by [`missing_parents`]. What nothing names yet (the latest operation, or
//! one written after the export) cannot be caught; the verifier says so.

use std::collections::BTreeSet;

use mycase_proto::v1::operation::Body;
use mycase_proto::wire::HASH_LEN;

use crate::journal::{EntryId, PersonId};

/// A record hash.
pub type RecordHash = [u8; HASH_LEN];

/// What an operation is about, for its parents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Subject {
    /// An entry.
    Entry(EntryId),
    /// A person on the people list.
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

pub(crate) fn parents_mut(body: &mut Body) -> Option<&mut Vec<Vec<u8>>> {
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
