//! The roster of trusted devices, from `DeviceAdded` operations.
//!
//! A device's first `DeviceAdded` in total order fixes its keys and name. A later
//! one with other keys is ignored (an attempt to swap a device's key must not
//! succeed quietly) but recorded, so the client can warn about it.

use std::collections::BTreeMap;
use std::fmt;

use super::order::{Action, StoredOp};
use super::{DeviceId, OpId};

/// A device in the roster. `Debug` does not print the device's name.
#[derive(Clone, PartialEq, Eq)]
pub struct DeviceView {
    pub device_id: DeviceId,
    pub name: String,
    pub sign_public_key: [u8; 32],
    pub dh_public_key: [u8; 32],
    /// The adding operation's device clock.
    pub added_at_ms: i64,
    pub added_by: OpId,
    /// Later additions with the same keys (harmless repeats).
    pub repeated_by: Vec<OpId>,
    /// Later additions with different keys: ignored, kept for diagnostics.
    pub conflicting_additions: Vec<OpId>,
}

impl fmt::Debug for DeviceView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceView")
            .field("device_id", &hex::encode(self.device_id))
            .field("name", &"<redacted>")
            .field("sign_public_key", &hex::encode(self.sign_public_key))
            .field("dh_public_key", &hex::encode(self.dh_public_key))
            .field("added_at_ms", &self.added_at_ms)
            .field("added_by", &self.added_by)
            .field("repeated_by", &self.repeated_by)
            .field("conflicting_additions", &self.conflicting_additions)
            .finish()
    }
}

/// A well-formed `DeviceAdded`: ids and keys of the right length.
pub(crate) fn is_well_formed(added: &mycase_proto::v1::DeviceAdded) -> bool {
    added.device_id.len() == 16
        && added.sign_public_key.len() == 32
        && added.dh_public_key.len() == 32
}

/// Folds `DeviceAdded` operations (given in total order) into the roster, by device id.
pub(crate) fn build<'a>(
    ops_in_order: impl Iterator<Item = &'a StoredOp>,
) -> BTreeMap<DeviceId, DeviceView> {
    let mut roster: BTreeMap<DeviceId, DeviceView> = BTreeMap::new();
    for op in ops_in_order {
        let Action::DeviceAdded(added) = &op.action else {
            continue;
        };
        let (Ok(device_id), Ok(sign_public_key), Ok(dh_public_key)) = (
            DeviceId::try_from(added.device_id.as_slice()),
            <[u8; 32]>::try_from(added.sign_public_key.as_slice()),
            <[u8; 32]>::try_from(added.dh_public_key.as_slice()),
        ) else {
            continue;
        };
        match roster.get_mut(&device_id) {
            Some(known) => {
                if known.sign_public_key == sign_public_key && known.dh_public_key == dh_public_key
                {
                    known.repeated_by.push(op.id());
                } else {
                    known.conflicting_additions.push(op.id());
                }
            }
            None => {
                roster.insert(
                    device_id,
                    DeviceView {
                        device_id,
                        name: added.name.clone(),
                        sign_public_key,
                        dh_public_key,
                        added_at_ms: op.recorded_at_ms,
                        added_by: op.id(),
                        repeated_by: Vec::new(),
                        conflicting_additions: Vec::new(),
                    },
                );
            }
        }
    }
    roster
}
