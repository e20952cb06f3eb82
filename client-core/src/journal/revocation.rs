//! Revoked devices, from `DeviceRevoked` operations.
//!
//! A revocation is valid only in its author's own log (`revoked_by` must be the
//! author: a device cannot revoke in another's name) and never of the author
//! itself. Several revocations of one device (two devices revoking it at once)
//! merge: the log ends at the highest `last_idx` any of them saw (each was written
//! after the server had stopped the device, so a lower one only missed records the
//! server still held), and the earliest revocation gives the time and author.
//! A revocation written by a device past its own cutoff does not count.

use std::collections::BTreeMap;

use super::order::{Action, StoredOp};
use super::{DeviceId, OpId};

/// One device's revocation, as the views show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revocation {
    /// The revoked device's log ends here; later records are refused.
    pub last_idx: u64,
    /// The revoking device's clock (Unix ms).
    pub revoked_at_ms: i64,
    pub revoked_by: DeviceId,
    /// The (first) revoking operation.
    pub op: OpId,
}

/// A well-formed revocation of another device, in its author's log.
pub(crate) fn is_valid(author: DeviceId, r: &mycase_proto::v1::DeviceRevoked) -> bool {
    r.device_id.len() == 16
        && r.device_id.as_slice() != author.as_slice()
        && r.revoked_by.as_slice() == author.as_slice()
}

fn fold<'a>(
    ops_in_order: impl Iterator<Item = &'a StoredOp>,
    cutoffs: &BTreeMap<DeviceId, u64>,
) -> BTreeMap<DeviceId, Revocation> {
    let mut out: BTreeMap<DeviceId, Revocation> = BTreeMap::new();
    for op in ops_in_order {
        let Action::DeviceRevoked(r) = &op.action else {
            continue;
        };
        let author = op.key.device;
        if !is_valid(author, r) || cutoffs.get(&author).is_some_and(|&last| op.key.idx > last) {
            continue;
        }
        let Ok(device) = DeviceId::try_from(r.device_id.as_slice()) else {
            continue;
        };
        match out.get_mut(&device) {
            Some(known) => known.last_idx = known.last_idx.max(r.last_idx),
            None => {
                out.insert(
                    device,
                    Revocation {
                        last_idx: r.last_idx,
                        revoked_at_ms: r.revoked_at_ms,
                        revoked_by: author,
                        op: op.id(),
                    },
                );
            }
        }
    }
    out
}

/// Folds revocations (given in total order, already filtered by the journal).
pub(crate) fn merged<'a>(
    ops_in_order: impl Iterator<Item = &'a StoredOp>,
) -> BTreeMap<DeviceId, Revocation> {
    fold(ops_in_order, &BTreeMap::new())
}

/// Where each revoked device's log ends, from every revocation operation: first
/// from all of them, then again without those their author wrote past its own
/// cutoff (a revoked device cannot revoke the devices that revoked it).
pub(crate) fn cutoffs(ops_in_order: Vec<&StoredOp>) -> BTreeMap<DeviceId, u64> {
    let first: BTreeMap<DeviceId, u64> = fold(ops_in_order.iter().copied(), &BTreeMap::new())
        .into_iter()
        .map(|(d, r)| (d, r.last_idx))
        .collect();
    fold(ops_in_order.into_iter(), &first)
        .into_iter()
        .map(|(d, r)| (d, r.last_idx))
        .collect()
}
