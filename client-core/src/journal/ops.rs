//! Builders for operation bodies. The caller wraps a body with its clock, causal
//! context and device time ([`operation`]), because those belong to the device's log
//! and sync state, not to the journal model.

use mycase_proto::v1::{
    operation::Body, DeviceAdded, EntryAmended, EntryCreated, EntryDeleted, EntryFields,
    EntryRestored, Hlc, Operation, VersionVector,
};

use super::{DeviceId, EntryId};

/// A new entry with its original fields (never overwritten later).
pub fn create_entry(entry_id: EntryId, fields: EntryFields) -> Body {
    Body::EntryCreated(EntryCreated {
        entry_id: entry_id.to_vec(),
        fields: Some(fields),
    })
}

/// Sets the fields present in `fields`; earlier values stay in the history.
pub fn amend_entry(entry_id: EntryId, fields: EntryFields) -> Body {
    Body::EntryAmended(EntryAmended {
        entry_id: entry_id.to_vec(),
        fields: Some(fields),
    })
}

/// Moves an entry to the deleted list (nothing is erased; it can be restored).
pub fn delete_entry(entry_id: EntryId) -> Body {
    Body::EntryDeleted(EntryDeleted {
        entry_id: entry_id.to_vec(),
    })
}

/// Brings a deleted entry back.
pub fn restore_entry(entry_id: EntryId) -> Body {
    Body::EntryRestored(EntryRestored {
        entry_id: entry_id.to_vec(),
    })
}

/// Adds a device and its public keys to the journal's roster.
pub fn device_added(
    device_id: DeviceId,
    sign_public_key: [u8; 32],
    dh_public_key: [u8; 32],
    name: &str,
) -> Body {
    Body::DeviceAdded(DeviceAdded {
        device_id: device_id.to_vec(),
        sign_public_key: sign_public_key.to_vec(),
        dh_public_key: dh_public_key.to_vec(),
        name: name.to_owned(),
        recovery_certificate: Vec::new(),
    })
}

/// A complete operation: `hlc` from [`super::hlc::next`], `deps` the author's
/// applied vector (including its own previous idx), `recorded_at_ms` the device
/// clock.
pub fn operation(hlc: Hlc, deps: VersionVector, recorded_at_ms: i64, body: Body) -> Operation {
    Operation {
        hlc: Some(hlc),
        deps: Some(deps),
        recorded_at_ms,
        body: Some(body),
    }
}
