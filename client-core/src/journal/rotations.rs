//! Which key rotations count: the key epoch a device writes under follows only
//! rotations that pass these rules, checked by causality.
//!
//! - A rotation's generation (`epoch >> 20`) is exactly one more than the highest
//!   generation among counting rotations that happened before it (generation 0 is
//!   the account's first epoch). An author cannot jump ahead (an insider's
//!   `key_epoch: u32::MAX` would otherwise become current everywhere and exhaust the
//!   numbering); rotations nobody had seen may share a generation, and then the
//!   highest number wins, as before.
//! - Its low 20 bits are its author's tag (the first bytes of its device id), and
//!   no device added before its author has the same tag (ids are the joiner's
//!   choice; an insider could pick another device's tag to take its numbers).
//! - It seals keys only to devices in the roster that are not contested and were
//!   not revoked before it (a revocation that happened before it).
//! - Two counting rotations with one epoch number (two authors with the same tag,
//!   about one in a million) both stop counting; the next rotation moves on.

use std::collections::BTreeMap;

use mycase_proto::v1::KeyRotated;

use super::order::{Action, StoredOp};
use super::roster::DeviceView;
use super::{DeviceId, OpId};
use crate::format::epoch_keys::{author_tag, generation};

/// Why a rotation does not count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RotationRefused {
    /// It skips ahead in the epoch numbering.
    #[error("it skips ahead in the epoch numbering")]
    NotTheNextGeneration,
    /// Its epoch number is not its author's.
    #[error("its epoch number is not its author's")]
    NotTheAuthorsTag,
    /// It seals the key to a device that is not trusted.
    #[error("it seals the key to a device that is not trusted")]
    SealedToUntrustedDevice,
    /// Another rotation took the same epoch number.
    #[error("another rotation took the same epoch number")]
    EpochNumberTaken,
    /// Its author's tag belongs to a device added before it.
    #[error("its author's tag belongs to a device added before it")]
    TagTakenByAnOlderDevice,
}

/// A rotation, and whether it counts.
#[derive(Clone, Debug)]
pub struct RotationView {
    /// The rotating operation.
    pub op: OpId,
    /// What it says.
    pub rotated: KeyRotated,
    /// Why it does not count, if it does not.
    pub refused: Option<RotationRefused>,
}

impl RotationView {
    /// Whether the rotation counts.
    pub fn counts(&self) -> bool {
        self.refused.is_none()
    }
}

/// Folds rotations (in total order). `revoked_before(device, op)`: a counting
/// revocation of `device` happened before `op`.
pub(crate) fn fold(
    ops_in_order: &[&StoredOp],
    roster: &BTreeMap<DeviceId, DeviceView>,
    revoked_before: impl Fn(&DeviceId, &StoredOp) -> bool,
    tag_taken: impl Fn(&DeviceId) -> bool,
) -> Vec<RotationView> {
    let mut views: Vec<RotationView> = Vec::new();
    let mut counting: Vec<(&StoredOp, u32)> = Vec::new();
    for op in ops_in_order {
        let Action::KeyRotated(rotated) = &op.action else {
            continue;
        };
        let epoch = rotated.key_epoch;
        let seen_generation = counting
            .iter()
            .filter(|(earlier, _)| earlier.happened_before(op))
            .map(|(_, e)| generation(*e))
            .max()
            .unwrap_or(0);
        let trusted = |d: &[u8]| {
            DeviceId::try_from(d).ok().is_some_and(|id| {
                roster.get(&id).is_some_and(|v| !v.is_contested()) && !revoked_before(&id, op)
            })
        };
        let refused = if generation(epoch) != seen_generation + 1 {
            Some(RotationRefused::NotTheNextGeneration)
        } else if epoch & crate::format::epoch_keys::TAG_MASK != author_tag(&op.key.device) {
            Some(RotationRefused::NotTheAuthorsTag)
        } else if tag_taken(&op.key.device) {
            Some(RotationRefused::TagTakenByAnOlderDevice)
        } else if !rotated.sealed_keys.iter().all(|s| trusted(&s.device_id)) {
            Some(RotationRefused::SealedToUntrustedDevice)
        } else {
            None
        };
        if refused.is_none() {
            counting.push((op, epoch));
        }
        views.push(RotationView {
            op: op.id(),
            rotated: rotated.clone(),
            refused,
        });
    }
    // One epoch number, two counting rotations: neither key can be told apart.
    let mut by_epoch: BTreeMap<u32, usize> = BTreeMap::new();
    for v in views.iter().filter(|v| v.counts()) {
        *by_epoch.entry(v.rotated.key_epoch).or_default() += 1;
    }
    for v in &mut views {
        if v.counts() && by_epoch.get(&v.rotated.key_epoch).is_some_and(|&n| n > 1) {
            v.refused = Some(RotationRefused::EpochNumberTaken);
        }
    }
    views
}
