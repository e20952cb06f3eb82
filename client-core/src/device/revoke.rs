//! Revoking a device (the move to a new key epoch that follows is in `rotate`).
//!
//! Revocation, from any trusted device:
//! 1. the server is told first, so the revoked device's log stops growing there;
//! 2. a pull brings in whatever it had written before that;
//! 3. `DeviceRevoked` (with where its log ends) and `KeyRotated` (a fresh epoch key
//!    sealed to every remaining device's X25519 key) are written, sealed under the
//!    old epoch, which the remaining devices can read;
//! 4. this device moves to the new epoch; the others do when they sync;
//! 5. the recovery blob is resealed (to the kit's X25519 key) with the new key.

use mycase_proto::v1::operation::Body;
use mycase_proto::v1::DeviceRevoked;

use crate::clock::now_ms;
use crate::device::{Device, DeviceError};
use crate::format::epoch_keys::{next_epoch, EpochError};
use crate::format::statement::StatementKind;
use crate::ids::DeviceId;
use crate::store::LocalStore;
use crate::transport::{Transport, TransportError};

/// What can go wrong revoking a device.
#[derive(Debug, thiserror::Error)]
pub enum RevokeError {
    /// A device asked to revoke itself (wiping is how a device leaves).
    #[error("a device cannot revoke itself")]
    CannotRevokeSelf,
    /// No device of this journal has that id.
    #[error("no device of this journal has that id")]
    UnknownDevice,
    /// The device failed (store, keys, server refusal: carried in the chain).
    #[error(transparent)]
    Device(#[from] DeviceError),
}

impl From<TransportError> for RevokeError {
    fn from(e: TransportError) -> Self {
        RevokeError::Device(e.into())
    }
}

impl From<EpochError> for RevokeError {
    fn from(e: EpochError) -> Self {
        RevokeError::Device(e.into())
    }
}

/// What a revocation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokeReport {
    /// The revoked device.
    pub device_id: DeviceId,
    /// The revoked device's log ends here: later records from it are refused.
    pub last_idx: u64,
    /// The epoch this device now writes under.
    pub key_epoch: u32,
    /// Whether the recovery blob on the server now holds the new key.
    pub recovery_blob_updated: bool,
}

impl<S: LocalStore> Device<S> {
    /// Revokes `target` (see the module documentation for the steps).
    pub async fn revoke_device<T: Transport>(
        &mut self,
        transport: &T,
        target: DeviceId,
    ) -> Result<RevokeReport, RevokeError> {
        if target == self.secrets.device_id {
            return Err(RevokeError::CannotRevokeSelf);
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
    pub fn record_revocation(&mut self, target: DeviceId) -> Result<(u64, u32), RevokeError> {
        if target == self.secrets.device_id {
            return Err(RevokeError::CannotRevokeSelf);
        }
        if !self.knows_device(&target) {
            return Err(RevokeError::UnknownDevice);
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
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::device::DeviceSetup;
    use crate::format::epoch_keys::open_epoch_key;
    use crate::format::keyfile::DeviceSecrets;
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
            Err(RevokeError::CannotRevokeSelf)
        ));
        assert!(matches!(
            a.record_revocation([9; 16]),
            Err(RevokeError::UnknownDevice)
        ));
    }
}
