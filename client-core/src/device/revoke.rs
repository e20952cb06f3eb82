//! Revoking a device and moving the account to a new key epoch; and the notice a
//! device shows when another device was added.
//!
//! Revocation, from any trusted device:
//! 1. the server is told first, so the revoked device's log stops growing there;
//! 2. a pull brings in whatever it had written before that;
//! 3. `DeviceRevoked` (with where its log ends) and `KeyRotated` (a fresh epoch key
//!    sealed to every remaining device's X25519 key) are written, sealed under the
//!    old epoch, which the remaining devices can read;
//! 4. this device moves to the new epoch; the others do when they sync;
//! 5. the recovery blob is resealed (to the kit's X25519 key) with the new key.
//!
//! Any device that finds the current epoch's key was sealed to a revoked device
//! (two devices revoked different devices at once, or a revocation stopped before
//! step 3) rotates again, so every device converges on a clean epoch.

use std::collections::BTreeSet;

use mycase_proto::v1::operation::Body;
use mycase_proto::v1::{DeviceRevoked, KeyRotated, Operation, SealedEpochKey};
use x25519_dalek::StaticSecret;

use crate::device::sync::SyncError;
use crate::device::{now_ms, Device, DeviceError};
use crate::format::epoch_keys::{next_epoch, open_epoch_key, seal_epoch_key};
use crate::format::keyfile::DeviceSecrets;
use crate::format::keys::{Keyring, VaultKey};
use crate::format::statement::StatementKind;
use crate::ids::{AccountId, DeviceId};
use crate::journal::DeviceView;
use crate::store::LocalStore;
use crate::transport::Transport;

/// What a revocation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokeReport {
    pub device_id: DeviceId,
    /// The revoked device's log ends here: later records from it are refused.
    pub last_idx: u64,
    /// The epoch this device now writes under.
    pub key_epoch: u32,
    /// Whether the recovery blob on the server now holds the new key.
    pub recovery_blob_updated: bool,
}

/// Opens the epoch key a verified `KeyRotated` by `author` sealed to `me`, into
/// `keyring`. Returns whether the keyring gained a key.
pub(crate) fn learn_into(
    account_id: &AccountId,
    me: &DeviceId,
    dh_secret: &StaticSecret,
    keyring: &mut Keyring,
    author: &DeviceId,
    op: &Operation,
) -> Result<bool, SyncError> {
    let Some(Body::KeyRotated(rotated)) = &op.body else {
        return Ok(false);
    };
    let Some(mine) = rotated
        .sealed_keys
        .iter()
        .find(|s| s.device_id.as_slice() == me.as_slice())
    else {
        return Ok(false);
    };
    let key = open_epoch_key(
        account_id,
        rotated.key_epoch,
        author,
        me,
        dh_secret,
        &mine.sealed,
    )
    .map_err(|_| SyncError::BadEpochKey)?;
    match keyring.get(rotated.key_epoch) {
        Ok(known) if known.as_bytes() == key.as_bytes() => Ok(false),
        Ok(_) => Err(SyncError::EpochCollision),
        Err(_) => {
            keyring.insert(rotated.key_epoch, key);
            Ok(true)
        }
    }
}

/// [`learn_into`] for the device's own keyring.
pub(crate) fn learn_epoch_key(
    secrets: &mut DeviceSecrets,
    author: &DeviceId,
    op: &Operation,
) -> Result<bool, DeviceError> {
    let DeviceSecrets {
        account_id,
        device_id,
        keys,
        keyring,
        ..
    } = secrets;
    Ok(learn_into(
        account_id,
        device_id,
        keys.dh_secret(),
        keyring,
        author,
        op,
    )?)
}

impl<S: LocalStore> Device<S> {
    /// Revokes `target` (see the module documentation for the steps).
    pub async fn revoke_device<T: Transport>(
        &mut self,
        transport: &T,
        target: DeviceId,
    ) -> Result<RevokeReport, DeviceError> {
        if target == self.secrets.device_id {
            return Err(DeviceError::CannotRevokeSelf);
        }
        // Checked before the server is told: a revocation either finishes (the
        // device cut off and the journal on new keys) or changes nothing.
        next_epoch(self.highest_counting_epoch(), &self.secrets.device_id)?;
        self.authenticate(transport).await?;
        let statement = self.sign_statement(StatementKind::DeviceRevoked, Some(&target));
        transport.revoke_device(target.to_vec(), statement).await?;
        // The server takes no more from it: what is there now is all it wrote.
        self.sync_round(transport).await?;
        if !self.knows_device(&target) {
            // Registered on the server but never added by a trusted device: it
            // never received a key, so refusing it there is all there is to do.
            return Ok(RevokeReport {
                device_id: target,
                last_idx: 0,
                key_epoch: self.current_key_epoch()?,
                recovery_blob_updated: false,
            });
        }
        let (last_idx, key_epoch) = self.record_revocation(target)?;
        self.sync_round(transport).await?;
        let recovery_blob_updated = self.update_recovery_blob(transport).await?;
        Ok(RevokeReport {
            device_id: target,
            last_idx,
            key_epoch,
            recovery_blob_updated,
        })
    }

    /// Writes the revocation of `target` (its log ending where this device's copy
    /// of it ends) and a rotation to a new epoch, locally; [`Self::revoke_device`]
    /// calls it between telling the server and syncing. Returns the revoked log's
    /// last idx and the new epoch.
    pub fn record_revocation(&mut self, target: DeviceId) -> Result<(u64, u32), DeviceError> {
        if target == self.secrets.device_id {
            return Err(DeviceError::CannotRevokeSelf);
        }
        if !self.knows_device(&target) {
            return Err(DeviceError::UnknownDevice);
        }
        let last_idx = self.store.log(&target).len() as u64;
        let revoked = Body::DeviceRevoked(DeviceRevoked {
            device_id: target.to_vec(),
            last_idx,
            revoked_at_ms: now_ms(),
            revoked_by: self.secrets.device_id.to_vec(),
        });
        let epoch = self.rotate_keys_with(vec![revoked], &[target])?;
        Ok((last_idx, epoch))
    }

    fn knows_device(&self, device: &DeviceId) -> bool {
        self.journal
            .devices()
            .iter()
            .any(|d| &d.device_id == device)
            || self.store.logs().contains_key(device)
    }

    /// The remaining devices: in the roster, not revoked, not contested (no key
    /// is sealed to a device id two key pairs claim), and not in `excluding`.
    fn remaining_devices(&self, excluding: &[DeviceId]) -> Vec<DeviceView> {
        self.journal
            .devices()
            .into_iter()
            .filter(|d| {
                d.revoked.is_none() && !d.is_contested() && !excluding.contains(&d.device_id)
            })
            .collect()
    }

    /// The counting epoch of the highest generation (the account's first, 1, if
    /// no rotation counts): the next rotation is one generation above it.
    fn highest_counting_epoch(&self) -> u32 {
        self.journal
            .counting_epochs()
            .into_iter()
            .max_by_key(|e| (crate::format::epoch_keys::generation(*e), *e))
            .unwrap_or(1)
    }

    /// Writes `first` then a `KeyRotated` to a fresh epoch, sealed under the
    /// current epoch; then writes under the new one. Returns the new epoch.
    pub(crate) fn rotate_keys_with(
        &mut self,
        mut first: Vec<Body>,
        excluding: &[DeviceId],
    ) -> Result<u32, DeviceError> {
        let me = self.secrets.device_id;
        let epoch = next_epoch(self.highest_counting_epoch(), &me)?;
        let key = VaultKey::generate();
        let mut recipients: Vec<(DeviceId, [u8; 32])> = self
            .remaining_devices(excluding)
            .iter()
            .map(|d| (d.device_id, d.dh_public_key))
            .collect();
        if !excluding.contains(&me) && !recipients.iter().any(|(d, _)| *d == me) {
            // Always to itself too (unless it is retiring): a crash before the key
            // file is rewritten is then repaired from its own log.
            recipients.push((me, self.secrets.keys.dh_public()));
        }
        let sealed_keys = recipients
            .iter()
            .map(|(device, dh)| SealedEpochKey {
                device_id: device.to_vec(),
                sealed: seal_epoch_key(&self.secrets.account_id, epoch, &me, device, dh, &key),
            })
            .collect();
        first.push(Body::KeyRotated(KeyRotated {
            key_epoch: epoch,
            sealed_keys,
        }));
        self.commit(first)?;
        self.secrets.keyring.insert(epoch, key);
        self.refresh_write_epoch();
        self.persist_secrets()?;
        Ok(epoch)
    }

    /// Whether the epoch this device writes under was given to a device that is
    /// now revoked (or predates every rotation while a device is revoked), or was
    /// not given to a trusted device that should have it (one paired while the
    /// rotation was being made).
    pub fn needs_rotation(&self) -> bool {
        let revocations = self.journal.revocations();
        let Ok((current, _)) = self.secrets.keyring.current() else {
            return false;
        };
        let rotation = self
            .journal
            .rotations()
            .into_iter()
            .find(|r| r.counts() && r.rotated.key_epoch == current);
        let Some(rotation) = rotation else {
            return !revocations.is_empty();
        };
        let recipients: BTreeSet<DeviceId> = rotation
            .rotated
            .sealed_keys
            .iter()
            .filter_map(|s| crate::ids::id_from_slice(&s.device_id))
            .collect();
        recipients.iter().any(|d| revocations.contains_key(d))
            || self
                .remaining_devices(&[])
                .iter()
                .any(|d| !recipients.contains(&d.device_id))
    }

    /// After a sync: rotates again if the current epoch is not clean, and keeps
    /// the recovery blob up to date with the keyring. Authenticated transport.
    pub(crate) async fn maintain_keys<T: Transport>(
        &mut self,
        transport: &T,
    ) -> Result<(), DeviceError> {
        if self.needs_rotation() {
            self.rotate_keys_with(Vec::new(), &[])?;
            self.sync_round(transport).await?;
        }
        let keys = u32::try_from(self.secrets.keyring.len()).unwrap_or(u32::MAX);
        if keys > 1 && keys != self.secrets.notes.recovery_blob_keys {
            self.update_recovery_blob(transport).await?;
        }
        Ok(())
    }

    /// Reseals the whole keyring to the recovery kit's X25519 key and replaces
    /// the server's recovery blob. `false` if the journal carries no such key
    /// (begun before rotation existed): recovery then reads only older epochs.
    pub async fn update_recovery_blob<T: Transport>(
        &mut self,
        transport: &T,
    ) -> Result<bool, DeviceError> {
        let Some(recovery_dh) = self.recovery_dh_public_key() else {
            return Ok(false);
        };
        let anchors = self.anchors_to_hand_on();
        let blob = crate::format::recovery_blob::seal_v3(
            &recovery_dh,
            &self.secrets.account_id,
            &self.secrets.keyring,
            &anchors,
            &self.secrets.device_id,
            &self.secrets.keys,
        );
        transport.update_recovery_blob(blob).await?;
        self.secrets.notes.recovery_blob_keys =
            u32::try_from(self.secrets.keyring.len()).unwrap_or(u32::MAX);
        self.persist_secrets()?;
        Ok(true)
    }

    /// Devices added since this device last told the survivor, oldest first; each
    /// is returned once (the acknowledgement is kept in the key file). The first
    /// call on a device acknowledges the roster as it is, silently.
    pub fn take_new_device_notices(&mut self) -> Result<Vec<DeviceView>, DeviceError> {
        let me = self.secrets.device_id;
        let roster = self.journal.devices();
        let known: BTreeSet<DeviceId> = self
            .secrets
            .notes
            .acknowledged_devices
            .iter()
            .copied()
            .collect();
        let first_time = known.is_empty();
        let mut new: Vec<DeviceView> = roster
            .into_iter()
            .filter(|d| d.device_id != me && !known.contains(&d.device_id))
            .collect();
        if new.is_empty() && !first_time {
            return Ok(Vec::new());
        }
        self.acknowledge_devices(new.iter().map(|d| d.device_id).chain([me]))?;
        if first_time {
            return Ok(Vec::new());
        }
        new.retain(|d| d.revoked.is_none());
        let founders = self.founders();
        for d in &mut new {
            d.recovery_certified &= !founders.contains(&d.device_id);
        }
        new.sort_by_key(|d| (d.added_at_ms, d.device_id));
        Ok(new)
    }

    /// Notes devices as told about (e.g. the one this device just paired).
    pub(crate) fn acknowledge_devices(
        &mut self,
        ids: impl IntoIterator<Item = DeviceId>,
    ) -> Result<(), DeviceError> {
        let notes = &mut self.secrets.notes;
        if notes.acknowledged_devices.is_empty() {
            notes.acknowledged_devices =
                self.journal.devices().iter().map(|d| d.device_id).collect();
        }
        for id in ids {
            if !notes.acknowledged_devices.contains(&id) {
                notes.acknowledged_devices.push(id);
            }
        }
        self.persist_secrets()
    }

    /// The epoch new records and attachments are sealed under.
    pub fn current_key_epoch(&self) -> Result<u32, DeviceError> {
        Ok(self.secrets.keyring.current()?.0)
    }

    /// The vault keys by epoch (for export tools and tests; never print them).
    pub fn keyring(&self) -> &Keyring {
        &self.secrets.keyring
    }

    /// Every epoch this device holds a key for.
    pub fn key_epochs(&self) -> Vec<u32> {
        self.secrets.keyring.epochs().collect()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::device::DeviceSetup;
    use crate::format::keys::DeviceKeys;
    use crate::journal::ops;
    use crate::store::memory::MemoryStore;

    fn setup() -> DeviceSetup {
        DeviceSetup {
            server_url: "https://127.0.0.1:1".into(),
            ca_cert_pem: None,
            device_name: "laptop".into(),
        }
    }

    fn text(t: &str) -> mycase_proto::v1::EntryFields {
        mycase_proto::v1::EntryFields {
            text: Some(t.into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_rotation_key_lost_before_the_key_file_was_written_is_learned_back_from_the_log() {
        let (mut a, _kit) = Device::create_in(MemoryStore::new(), setup()).unwrap();
        let x = DeviceKeys::generate();
        let x_id = [7u8; 16];
        a.commit(vec![ops::device_added(
            x_id,
            x.sign_public(),
            x.dh_public(),
            "old phone",
        )])
        .unwrap();
        let before = a.keyring().clone();
        let (last_idx, epoch) = a.record_revocation(x_id).unwrap();
        assert_eq!(last_idx, 0);
        let entry = a.add_entry(text("under the new epoch")).unwrap();
        let record = a.store().log(a.device_id()).last().unwrap().clone();
        assert_eq!(record.key_epoch, epoch);
        assert!(!a.needs_rotation());
        assert_eq!(a.journal().revocations()[&x_id].revoked_by, *a.device_id());

        // As if the process died after writing the records but before the key
        // file got the new key: the key comes back from its own log.
        let secrets = DeviceSecrets {
            account_id: *a.account_id(),
            device_id: *a.device_id(),
            keys: DeviceKeys::from_bytes(
                a.secrets.keys.sign_seed().as_slice(),
                a.secrets.keys.dh_secret_bytes().as_slice(),
            )
            .unwrap(),
            keyring: before,
            trust_anchors: a.trust_anchors().to_vec(),
            server_url: String::new(),
            ca_cert_pem: None,
            device_name: "laptop".into(),
            notes: Default::default(),
        };
        let back = Device::from_parts(secrets, a.store().clone()).unwrap();
        assert_eq!(back.current_key_epoch().unwrap(), epoch);
        assert!(back.journal().entry(&entry).is_some());
        assert_eq!(back.journal().entries(), a.journal().entries());

        // The revoked device's X25519 key opens none of the sealed epoch keys.
        let rotated = a.journal().rotations().pop().unwrap().rotated;
        assert!(rotated.sealed_keys.iter().all(|s| s.device_id != x_id));
        for s in &rotated.sealed_keys {
            assert!(open_epoch_key(
                a.account_id(),
                epoch,
                a.device_id(),
                &x_id,
                x.dh_secret(),
                &s.sealed
            )
            .is_err());
        }
        assert!(matches!(
            a.record_revocation(*a.device_id()),
            Err(DeviceError::CannotRevokeSelf)
        ));
        assert!(matches!(
            a.record_revocation([9; 16]),
            Err(DeviceError::UnknownDevice)
        ));
    }

    #[test]
    fn notices_come_once_and_not_for_the_first_roster() {
        let (mut a, _kit) = Device::create_in(MemoryStore::new(), setup()).unwrap();
        let early = DeviceKeys::generate();
        a.commit(vec![ops::device_added(
            [5; 16],
            early.sign_public(),
            early.dh_public(),
            "early",
        )])
        .unwrap();
        // The first look acknowledges the roster as it is.
        assert!(a.take_new_device_notices().unwrap().is_empty());
        let later = DeviceKeys::generate();
        a.commit(vec![ops::device_added(
            [6; 16],
            later.sign_public(),
            later.dh_public(),
            "later",
        )])
        .unwrap();
        let notices = a.take_new_device_notices().unwrap();
        assert_eq!(notices.len(), 1);
        assert_eq!(notices[0].name, "later");
        assert!(a.take_new_device_notices().unwrap().is_empty());
    }
}
