//! Moving the account to a new key epoch: a fresh vault key sealed to every
//! remaining device, written as `KeyRotated` under the old epoch, and the
//! recovery blob resealed to the kit with the whole keyring.
//!
//! Any device that finds the current epoch's key was sealed to a revoked device
//! (two devices revoked different devices at once, or a revocation stopped before
//! it rotated) rotates again, so every device converges on a clean epoch.

use std::collections::BTreeSet;

use mycase_proto::v1::operation::Body;
use mycase_proto::v1::KeyRotated;

use crate::device::{Device, DeviceError};
use crate::format::epoch_keys::next_epoch;
use crate::format::keys::{Keyring, VaultKey};
use crate::ids::DeviceId;
use crate::journal::DeviceView;
use crate::store::LocalStore;
use crate::transport::Transport;

impl<S: LocalStore> Device<S> {
    /// The remaining devices: in the roster, not revoked, not contested (no key
    /// is sealed to a device id two key pairs claim), and not in `excluding`.
    pub(super) fn remaining_devices(&self, excluding: &[DeviceId]) -> Vec<DeviceView> {
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
    pub(super) fn highest_counting_epoch(&self) -> u32 {
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
        let me = *self.device_id();
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
            recipients.push((me, self.secrets.dh_public()));
        }
        first.push(Body::KeyRotated(KeyRotated {
            key_epoch: epoch,
            sealed_keys: self.secrets.seal_epoch_key_to(epoch, &key, &recipients),
        }));
        self.commit(first)?;
        self.secrets.adopt_epoch_key(epoch, key);
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
        let Ok(current) = self.secrets.write_epoch() else {
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
        if self.secrets.recovery_blob_stale() {
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
        let blob = self.secrets.seal_recovery_blob(&recovery_dh, &anchors);
        transport.update_recovery_blob(blob).await?;
        self.secrets.note_recovery_blob_current();
        self.persist_secrets()?;
        Ok(true)
    }

    /// The epoch new records and attachments are sealed under.
    pub fn current_key_epoch(&self) -> Result<u32, DeviceError> {
        Ok(self.secrets.write_epoch()?)
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
