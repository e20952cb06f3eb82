//! Operation identity, the total order, and causality.
//!
//! The total order is `(hlc.wall_ms, hlc.counter, device, idx)`. Causality comes from
//! each operation's `deps`: `a` happened before `b` iff `b.deps[a.device] >= a.idx`.
//! Because an author's hybrid logical clock is greater than every clock it has seen,
//! the total order agrees with causality for honest authors; the field rules use
//! causality itself (not the order) to decide what is concurrent, so a wrong clock can
//! change which concurrent value is shown but never hide one.

use std::collections::BTreeMap;

use mycase_proto::v1::{operation::Body, Hlc, Operation, VectorEntry, VersionVector};

use super::{DeviceId, EntryId, PersonId};

/// The identity of an operation: the author's device and the index in its log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OpId {
    /// The device whose log holds it.
    pub device: DeviceId,
    /// Its place in that log (from 1).
    pub idx: u64,
}

/// Position of an operation in the total order. Contains the [`OpId`], so two
/// distinct operations never share a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct OrderKey {
    pub wall_ms: u64,
    pub counter: u32,
    pub device: DeviceId,
    pub idx: u64,
}

impl OrderKey {
    pub(crate) fn new(id: OpId, hlc: &Hlc) -> Self {
        Self {
            wall_ms: hlc.wall_ms,
            counter: hlc.counter,
            device: id.device,
            idx: id.idx,
        }
    }

    pub(crate) fn op_id(&self) -> OpId {
        OpId {
            device: self.device,
            idx: self.idx,
        }
    }
}

/// What an operation does to the journal, decoded once on insert.
// Nearly every stored op is an entry change, so boxing the large variant would add
// an allocation per op to save space only on the rare small ones.
#[allow(clippy::large_enum_variant)]
#[derive(Clone)]
pub(crate) enum Action {
    Entry {
        entry: EntryId,
        change: EntryChange,
    },
    DeviceAdded(mycase_proto::v1::DeviceAdded),
    DeviceRevoked(mycase_proto::v1::DeviceRevoked),
    KeyRotated(mycase_proto::v1::KeyRotated),
    /// The recovery key set or renewed (see [`super::recovery`]).
    RecoveryKey(RecoveryChange),
    Person {
        person: PersonId,
        change: PersonChange,
    },
    /// A share link made or revoked (see [`super::shares`]).
    Share(ShareChange),
    /// Empty or unknown body, or a malformed entry id: kept for forward
    /// compatibility (and so that a newer client reading the same set agrees), but
    /// no view uses it.
    Ignored,
}

#[derive(Clone)]
pub(crate) enum EntryChange {
    Created(mycase_proto::v1::EntryFields),
    Amended(mycase_proto::v1::EntryFields),
    Deleted,
    Restored,
    /// Evidence attached (its attachment id is well formed: checked on decode).
    AttachmentAdded(mycase_proto::v1::AttachmentAdded),
}

#[derive(Clone)]
pub(crate) enum RecoveryChange {
    Set(mycase_proto::v1::RecoveryKeySet),
    Renewed(mycase_proto::v1::RecoveryKeyRenewed),
}

#[derive(Clone)]
pub(crate) enum ShareChange {
    Created(mycase_proto::v1::ShareCreated),
    Revoked([u8; 16]),
}

#[derive(Clone)]
pub(crate) enum PersonChange {
    Added(mycase_proto::v1::PersonFields),
    Amended(mycase_proto::v1::PersonFields),
}

/// An operation as the journal keeps it.
#[derive(Clone)]
pub(crate) struct StoredOp {
    pub key: OrderKey,
    pub deps: BTreeMap<DeviceId, u64>,
    pub recorded_at_ms: i64,
    pub action: Action,
}

impl StoredOp {
    pub(crate) fn decode(id: OpId, op: Operation) -> Self {
        let hlc = op.hlc.unwrap_or_default();
        let deps = op.deps.as_ref().map(vector_to_map).unwrap_or_default();
        Self {
            key: OrderKey::new(id, &hlc),
            deps,
            recorded_at_ms: op.recorded_at_ms,
            action: decode_action(op.body),
        }
    }

    pub(crate) fn id(&self) -> OpId {
        self.key.op_id()
    }

    pub(crate) fn hlc(&self) -> Hlc {
        Hlc {
            wall_ms: self.key.wall_ms,
            counter: self.key.counter,
        }
    }

    /// Whether `self` happened before `later`: `later`'s author had applied `self`
    /// when writing. An earlier op of the same log always counts, even if the author
    /// left its own device out of `deps`, because a log is written in sequence.
    pub(crate) fn happened_before(&self, later: &StoredOp) -> bool {
        if self.key.device == later.key.device && self.key.idx < later.key.idx {
            return true;
        }
        later
            .deps
            .get(&self.key.device)
            .is_some_and(|&seen| seen >= self.key.idx)
    }
}

fn decode_action(body: Option<Body>) -> Action {
    let entry_action = |raw: &[u8], change: EntryChange| match entry_id_from_bytes(raw) {
        Some(entry) => Action::Entry { entry, change },
        None => Action::Ignored,
    };
    match body {
        Some(Body::EntryCreated(c)) => entry_action(
            &c.entry_id,
            EntryChange::Created(c.fields.unwrap_or_default()),
        ),
        Some(Body::EntryAmended(a)) => entry_action(
            &a.entry_id,
            EntryChange::Amended(a.fields.unwrap_or_default()),
        ),
        Some(Body::EntryDeleted(d)) => entry_action(&d.entry_id, EntryChange::Deleted),
        Some(Body::EntryRestored(r)) => entry_action(&r.entry_id, EntryChange::Restored),
        Some(Body::DeviceAdded(d)) => Action::DeviceAdded(d),
        Some(Body::DeviceRevoked(r)) => Action::DeviceRevoked(r),
        Some(Body::KeyRotated(k)) => Action::KeyRotated(k),
        Some(Body::AttachmentAdded(a)) => {
            if entry_id_from_bytes(&a.attachment_id).is_none() {
                return Action::Ignored;
            }
            let entry = a.entry_id.clone();
            entry_action(&entry, EntryChange::AttachmentAdded(a))
        }
        Some(Body::PersonAdded(p)) => person_action(
            &p.person_id,
            PersonChange::Added(p.fields.unwrap_or_default()),
        ),
        Some(Body::PersonAmended(p)) => person_action(
            &p.person_id,
            PersonChange::Amended(p.fields.unwrap_or_default()),
        ),
        Some(Body::ShareCreated(c)) => match <[u8; 16]>::try_from(c.share_id.as_slice()) {
            Ok(_) => Action::Share(ShareChange::Created(c)),
            Err(_) => Action::Ignored,
        },
        Some(Body::ShareRevoked(r)) => match <[u8; 16]>::try_from(r.share_id.as_slice()) {
            Ok(id) => Action::Share(ShareChange::Revoked(id)),
            Err(_) => Action::Ignored,
        },
        Some(Body::RecoveryKeySet(set)) => Action::RecoveryKey(RecoveryChange::Set(set)),
        Some(Body::RecoveryKeyRenewed(r)) => Action::RecoveryKey(RecoveryChange::Renewed(r)),
        None => Action::Ignored,
    }
}

fn person_action(raw: &[u8], change: PersonChange) -> Action {
    match entry_id_from_bytes(raw) {
        Some(person) => Action::Person { person, change },
        None => Action::Ignored,
    }
}

pub(crate) fn entry_id_from_bytes(raw: &[u8]) -> Option<EntryId> {
    raw.try_into().ok()
}

/// A version vector as a map. Entries with a malformed device id are dropped; if a
/// device appears twice the highest idx counts (a vector only ever grows).
pub fn vector_to_map(vector: &VersionVector) -> BTreeMap<DeviceId, u64> {
    let mut map = BTreeMap::new();
    for entry in &vector.entries {
        if let Ok(device) = <DeviceId>::try_from(entry.device_id.as_slice()) {
            let slot = map.entry(device).or_insert(0);
            *slot = (*slot).max(entry.idx);
        }
    }
    map
}

/// A map as a version vector, sorted by device id (deterministic bytes).
pub fn map_to_vector(map: &BTreeMap<DeviceId, u64>) -> VersionVector {
    VersionVector {
        entries: map
            .iter()
            .filter(|(_, &idx)| idx > 0)
            .map(|(device, &idx)| VectorEntry {
                device_id: device.to_vec(),
                idx,
            })
            .collect(),
    }
}
