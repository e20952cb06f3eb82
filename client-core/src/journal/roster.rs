//! The roster of trusted devices, from `DeviceAdded` operations.
//!
//! **A device id's keys never change.** An addition of a device with keys other
//! than those of an addition its author had already seen (the earlier one
//! happened before it) is refused and listed in [`DeviceView::rejected_additions`]:
//! that is someone trying to give a known device new keys (an insider's modified
//! client, say, giving the survivor's phone id his own keys). Two additions with
//! different keys where neither author had seen the other (which honest devices
//! never write: ids are random) leave the device **contested**: it has no trusted
//! key from the roster, nothing is sealed to it, and only its own log's signature
//! can settle which keys are its own (the device layer checks that). Which addition
//! sorts first decides nothing: a clock is its author's choice.
//!
//! **Revoking the contester settles a contest.** If every addition giving one of
//! the candidate key pairs was written by a device that another device revoked,
//! and exactly one candidate is given by a device nobody revoked, that candidate
//! is the device's keys again. Otherwise an insider who claimed the survivor's
//! phone id would keep it contested for good: no rotation could ever seal a key to
//! the phone again, and it would go on writing under an epoch he holds.
//!
//! Every operation in the journal comes from a record the sync engine verified, so a
//! `DeviceAdded` is vouched for by its (trusted) author. The one exception to "a
//! trusted device vouches for a new one" is recovery: a device set up with the
//! recovery kit adds itself, and proves it with a recovery certificate that verifies
//! under the journal's recovery key (see [`super::recovery`]).
//! `self_added_key` is how the sync engine accepts such a device's log.

use std::collections::BTreeMap;
use std::fmt;

use super::order::{Action, StoredOp};
use super::{DeviceId, OpId};

/// A device in the roster. `Debug` does not print the device's name.
#[derive(Clone, PartialEq, Eq)]
pub struct DeviceView {
    /// The device's id.
    pub device_id: DeviceId,
    /// Its name.
    pub name: String,
    /// The keys of its first addition in total order. For a contested device these
    /// are only one of the candidates: see [`DeviceView::candidate_keys`].
    pub sign_public_key: [u8; 32],
    /// Its X25519 public key (one of the candidates while contested).
    pub dh_public_key: [u8; 32],
    /// The adding operation's device clock.
    pub added_at_ms: i64,
    /// The operation that added it.
    pub added_by: OpId,
    /// Later additions with the same keys (harmless repeats).
    pub repeated_by: Vec<OpId>,
    /// Additions with other keys that no author had seen the first keys before
    /// writing: the device is contested while more than one key pair is a
    /// candidate (see [`DeviceView::candidate_keys`]).
    pub conflicting_additions: Vec<OpId>,
    /// Additions that tried to change keys their author had already seen: refused.
    pub rejected_additions: Vec<OpId>,
    /// Every key pair some counting addition gave it (one, unless contested),
    /// leaving out those only revoked devices gave once a contest is settled.
    pub candidate_keys: Vec<([u8; 32], [u8; 32])>,
    /// Its first addition was its own, with a recovery certificate: it was set up
    /// with the recovery kit (or is the journal's founding device, which the kit
    /// certifies too; see [`crate::Device::set_up_with_kit`]). A device that
    /// certifies itself again later (renewing the kit) does not count.
    pub recovery_certified: bool,
    /// Set when a trusted device revoked this one.
    pub revoked: Option<super::Revocation>,
}

impl DeviceView {
    /// Two different key pairs claim this device id: no key of it is trusted from
    /// the roster alone.
    pub fn is_contested(&self) -> bool {
        self.candidate_keys.len() > 1
    }
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
            .field("rejected_additions", &self.rejected_additions)
            .field("candidate_keys", &self.candidate_keys.len())
            .field("recovery_certified", &self.recovery_certified)
            .field("revoked", &self.revoked)
            .finish()
    }
}

/// A well-formed `DeviceAdded`: ids and keys of the right length.
pub(crate) fn is_well_formed(added: &mycase_proto::v1::DeviceAdded) -> bool {
    added.device_id.len() == 16
        && added.sign_public_key.len() == 32
        && added.dh_public_key.len() == 32
}

/// Folds `DeviceAdded` operations (given in total order) into the roster, by
/// device id. Which additions count is decided by causality alone ("had its
/// author seen an addition of this device with other keys?"), so neither the order
/// they sort in nor their clocks matter; the order only picks the name shown.
/// `revoked_by_another(device)`: a counting revocation of `device` was written by
/// another device (not a retirement); it settles contests (module documentation).
pub(crate) fn build<'a>(
    ops_in_order: impl Iterator<Item = &'a StoredOp>,
    revoked_by_another: impl Fn(&DeviceId) -> bool,
) -> BTreeMap<DeviceId, DeviceView> {
    type Keys = ([u8; 32], [u8; 32]);
    let mut additions: BTreeMap<DeviceId, Vec<(&StoredOp, &mycase_proto::v1::DeviceAdded, Keys)>> =
        BTreeMap::new();
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
        additions
            .entry(device_id)
            .or_default()
            .push((op, added, (sign_public_key, dh_public_key)));
    }
    let mut roster = BTreeMap::new();
    for (device_id, all) in additions {
        // An addition is refused if its author had seen this device with other keys.
        let refused = |op: &StoredOp, keys: &Keys| {
            all.iter()
                .any(|(other, _, k)| k != keys && other.happened_before(op))
        };
        let mut view: Option<DeviceView> = None;
        for (op, added, keys) in &all {
            let self_certified =
                op.key.device == device_id && !added.recovery_certificate.is_empty();
            let Some(known) = view.as_mut() else {
                if refused(op, keys) {
                    // Listed once a counting addition creates the view.
                    continue;
                }
                view = Some(DeviceView {
                    device_id,
                    name: added.name.clone(),
                    sign_public_key: keys.0,
                    dh_public_key: keys.1,
                    added_at_ms: op.recorded_at_ms,
                    added_by: op.id(),
                    repeated_by: Vec::new(),
                    conflicting_additions: Vec::new(),
                    rejected_additions: Vec::new(),
                    candidate_keys: vec![*keys],
                    recovery_certified: self_certified,
                    revoked: None,
                });
                continue;
            };
            if refused(op, keys) {
                continue;
            }
            if known.candidate_keys.contains(keys) {
                known.repeated_by.push(op.id());
            } else {
                known.conflicting_additions.push(op.id());
                known.candidate_keys.push(*keys);
            }
        }
        if let Some(mut view) = view {
            view.rejected_additions = all
                .iter()
                .filter(|(op, _, keys)| refused(op, keys))
                .map(|(op, _, _)| op.id())
                .collect();
            if view.is_contested() {
                // The first counting addition by a device nobody revoked, of each
                // candidate that has one.
                let mut by_trusted: Vec<(&StoredOp, &mycase_proto::v1::DeviceAdded, Keys)> =
                    Vec::new();
                for (op, added, keys) in &all {
                    if !refused(op, keys)
                        && !revoked_by_another(&op.key.device)
                        && !by_trusted.iter().any(|(_, _, k)| k == keys)
                    {
                        by_trusted.push((op, added, *keys));
                    }
                }
                if let [(op, added, keys)] = by_trusted.as_slice() {
                    view.candidate_keys = vec![*keys];
                    (view.sign_public_key, view.dh_public_key) = *keys;
                    view.name = added.name.clone();
                    view.added_at_ms = op.recorded_at_ms;
                    view.added_by = op.id();
                }
            }
            roster.insert(device_id, view);
        }
    }
    roster
}

/// True if `added` carries a recovery certificate by `recovery_key` for exactly
/// this account, device id and keys.
pub fn recovery_certificate_verifies(
    account_id: &[u8],
    recovery_key: &[u8; 32],
    added: &mycase_proto::v1::DeviceAdded,
) -> bool {
    is_well_formed(added)
        && !added.recovery_certificate.is_empty()
        && crate::format::keys::verify_signature(
            recovery_key,
            &mycase_proto::wire::recovery_certificate_message(
                account_id,
                &added.device_id,
                &added.sign_public_key,
                &added.dh_public_key,
            ),
            &added.recovery_certificate,
        )
}

/// If `op` is `device` adding itself with a valid recovery certificate, the
/// signing key it vouches for.
pub(crate) fn self_added_key(
    account_id: &[u8],
    recovery_key: &[u8; 32],
    device: &DeviceId,
    op: &mycase_proto::v1::Operation,
) -> Option<[u8; 32]> {
    let Some(mycase_proto::v1::operation::Body::DeviceAdded(added)) = &op.body else {
        return None;
    };
    if added.device_id.as_slice() != device.as_slice()
        || !recovery_certificate_verifies(account_id, recovery_key, added)
    {
        return None;
    }
    added.sign_public_key.as_slice().try_into().ok()
}

#[cfg(test)]
mod recovery_tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::format::keys::RecoveryKit;
    use ed25519_dalek::Signer;
    use mycase_proto::v1::operation::Body;
    use mycase_proto::v1::{DeviceAdded, Operation};

    fn certified(kit: &RecoveryKit, account: &[u8], device: [u8; 16]) -> DeviceAdded {
        let mut added = DeviceAdded {
            device_id: device.to_vec(),
            sign_public_key: vec![7; 32],
            dh_public_key: vec![8; 32],
            name: "phone".into(),
            recovery_certificate: Vec::new(),
        };
        let msg = mycase_proto::wire::recovery_certificate_message(
            account,
            &added.device_id,
            &added.sign_public_key,
            &added.dh_public_key,
        );
        added.recovery_certificate = kit.signing_key().sign(&msg).to_bytes().to_vec();
        added
    }

    #[test]
    fn certificates_bind_key_account_device_and_keys() {
        let kit = RecoveryKit::generate();
        let key = kit.signing_key().verifying_key().to_bytes();
        let account = [1u8; 16];
        let added = certified(&kit, &account, [2; 16]);
        assert!(recovery_certificate_verifies(&account, &key, &added));
        assert!(!recovery_certificate_verifies(&[9; 16], &key, &added));
        let other = RecoveryKit::generate()
            .signing_key()
            .verifying_key()
            .to_bytes();
        assert!(!recovery_certificate_verifies(&account, &other, &added));
        let mut swapped = added.clone();
        swapped.sign_public_key = vec![6; 32];
        assert!(!recovery_certificate_verifies(&account, &key, &swapped));
        let mut bare = added.clone();
        bare.recovery_certificate.clear();
        assert!(!recovery_certificate_verifies(&account, &key, &bare));

        let op = |body| Operation {
            body: Some(body),
            ..Default::default()
        };
        let self_add = op(Body::DeviceAdded(added));
        assert_eq!(
            self_added_key(&account, &key, &[2; 16], &self_add),
            Some([7; 32])
        );
        // Only for the device itself.
        assert_eq!(self_added_key(&account, &key, &[3; 16], &self_add), None);
    }
}
