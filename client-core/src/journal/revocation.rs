//! Revoked devices, from `DeviceRevoked` operations.
//!
//! A revocation is valid only in its author's own log (`revoked_by` must be the
//! author: a device cannot revoke in another's name) and never of the author
//! itself. Several revocations of one device (two devices revoking it at once)
//! merge: the log ends at the highest `last_idx` any of them saw (each was written
//! after the server had stopped the device, so a lower one only missed records the
//! server still held), and the earliest revocation gives the time and author.
//! A revocation its author wrote after being revoked itself does not count.

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

/// Folds revocations in total order. A revocation counts unless its author was
/// already revoked, by one that counted, at an earlier point of its own log (so
/// of two devices revoking each other, the first in total order wins; the server
/// lets only one of them through anyway).
pub(crate) fn fold<'a>(
    ops_in_order: impl Iterator<Item = &'a StoredOp>,
) -> BTreeMap<DeviceId, Revocation> {
    let mut out: BTreeMap<DeviceId, Revocation> = BTreeMap::new();
    for op in ops_in_order {
        let Action::DeviceRevoked(r) = &op.action else {
            continue;
        };
        let author = op.key.device;
        if !is_valid(author, r)
            || out
                .get(&author)
                .is_some_and(|known| op.key.idx > known.last_idx)
        {
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
