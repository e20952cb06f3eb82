//! The roster of trusted devices, from `DeviceAdded` operations.
//!
//! A device's first `DeviceAdded` in total order fixes its keys and name. A later
//! one with other keys is ignored (an attempt to swap a device's key must not
//! succeed quietly) but recorded, so the client can warn about it.
//!
//! Every operation in the journal comes from a record the sync engine verified, so a
//! `DeviceAdded` is vouched for by its (trusted) author. The one exception to "a
//! trusted device vouches for a new one" is recovery: a device set up with the
//! recovery kit adds itself, and proves it with a recovery certificate that verifies
//! under the journal's recovery key (set by the founding device's `RecoveryKeySet`).
//! [`self_added_key`] is how the sync engine accepts such a device's log.

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
    /// Set when a trusted device revoked this one.
    pub revoked: Option<super::Revocation>,
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
                        revoked: None,
                    },
                );
            }
        }
    }
    roster
}

/// The recovery public key a `RecoveryKeySet` operation sets, if well formed.
pub(crate) fn recovery_key_of(op: &mycase_proto::v1::Operation) -> Option<[u8; 32]> {
    match &op.body {
        Some(mycase_proto::v1::operation::Body::RecoveryKeySet(set)) => {
            set.recovery_public_key.as_slice().try_into().ok()
        }
        _ => None,
    }
}

/// The recovery kit's X25519 public key a `RecoveryKeySet` carries, if any.
pub(crate) fn recovery_dh_key_of(op: &mycase_proto::v1::Operation) -> Option<[u8; 32]> {
    match &op.body {
        Some(mycase_proto::v1::operation::Body::RecoveryKeySet(set)) => {
            set.recovery_dh_public_key.as_slice().try_into().ok()
        }
        _ => None,
    }
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
        && crate::keys::verify_signature(
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
    use crate::keys::RecoveryKit;
    use ed25519_dalek::Signer;
    use mycase_proto::v1::operation::Body;
    use mycase_proto::v1::{DeviceAdded, Operation, RecoveryKeySet};

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
        let set = op(Body::RecoveryKeySet(RecoveryKeySet {
            recovery_public_key: key.to_vec(),
            ..Default::default()
        }));
        assert_eq!(recovery_key_of(&set), Some(key));
        assert_eq!(recovery_key_of(&self_add), None);
    }
}
