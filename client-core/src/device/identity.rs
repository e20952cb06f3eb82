//! A device's own identity: retiring it (a wipe while online), and replacing its
//! keys (a passphrase change).
//!
//! A device id's keys never change (see [`crate::journal::roster`]), so "new keys"
//! means a new device: the current one adds its successor, retires itself in the
//! same signed batch as a move to a new key epoch sealed to everyone but itself,
//! registers the successor on the server and has the server refuse the old
//! identity. Copies of the old key file (in a backup, in freed disk blocks, known
//! with the old passphrase) then open nothing written after that, and can no longer
//! sign in.

use mycase_proto::v1::operation::Body;
use mycase_proto::v1::DeviceRevoked;

use crate::clock::now_ms;
use crate::crypto::passphrase::KdfParams;
use crate::device::{Device, DeviceError};
use crate::format::keyfile::TrustAnchor;
use crate::format::keys::DeviceKeys;
use crate::format::statement::StatementKind;
use crate::ids::{new_id, DeviceId};
use crate::journal::ops;
use crate::store::file::FileStore;
use crate::store::LocalStore;
use crate::transport::Transport;

/// What replacing a device's keys did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewIdentity {
    /// The id the device had before.
    pub old_device_id: DeviceId,
    /// The id it has now.
    pub device_id: DeviceId,
    /// The epoch the journal moved to (which the old keys never held).
    pub key_epoch: u32,
}

impl<S: LocalStore> Device<S> {
    /// Retires this device: its log ends with a signed retirement the other
    /// devices see (they move to keys it does not have), and the server refuses
    /// it from then on, on its own signed statement. What it wrote is pushed first.
    pub async fn retire<T: Transport>(&mut self, transport: &T) -> Result<(), DeviceError> {
        self.authenticate(transport).await?;
        self.sync_round(transport).await?;
        let me = self.secrets.device_id;
        let last_idx = self.head_of(&me).idx + 1;
        self.commit(vec![Body::DeviceRevoked(DeviceRevoked {
            device_id: me.to_vec(),
            last_idx,
            revoked_at_ms: now_ms(),
            revoked_by: me.to_vec(),
        })])?;
        self.sync_round(transport).await?;
        let statement = self.sign_statement(StatementKind::DeviceRevoked, Some(&me));
        transport.revoke_device(me.to_vec(), statement).await?;
        Ok(())
    }
}

impl Device<FileStore> {
    /// Changes the local passphrase and moves this device to new keys (a new
    /// device id), so nothing sealed by the old passphrase is worth anything after
    /// today. Needs the server; on failure before the server step nothing changed,
    /// and the caller may fall back to [`Device::change_passphrase`].
    pub async fn change_passphrase_and_keys<T: Transport>(
        &mut self,
        transport: &T,
        new_passphrase: &[u8],
        params: KdfParams,
    ) -> Result<NewIdentity, DeviceError> {
        self.authenticate(transport).await?;
        self.sync_round(transport).await?;
        let old = self.secrets.device_id;
        let keys = DeviceKeys::generate();
        let successor = new_id();
        // Registered first: if the server refuses (a device limit), nothing changed.
        transport
            .add_device(
                successor.to_vec(),
                keys.sign_public().to_vec(),
                keys.dh_public().to_vec(),
            )
            .await?;
        self.commit(vec![ops::device_added(
            successor,
            keys.sign_public(),
            keys.dh_public(),
            &self.secrets.device_name,
        )])?;
        // The retirement and the rotation are one batch: the rotation is the last
        // record the old identity's log may hold.
        let last_idx = self.head_of(&old).idx + 2;
        let retired = Body::DeviceRevoked(DeviceRevoked {
            device_id: old.to_vec(),
            last_idx,
            revoked_at_ms: now_ms(),
            revoked_by: old.to_vec(),
        });
        let key_epoch = self.rotate_keys_with(vec![retired], &[old])?;
        self.sync_round(transport).await?;
        let statement = self.sign_statement(StatementKind::DeviceRevoked, Some(&old));
        transport.revoke_device(old.to_vec(), statement).await?;

        // From here on this home is the successor.
        self.secrets.trust_anchors.push(TrustAnchor {
            device_id: successor,
            sign_public_key: keys.sign_public(),
            dh_public_key: keys.dh_public(),
        });
        self.secrets.device_id = successor;
        self.secrets.keys = keys;
        self.secrets.notes.acknowledged_devices.push(successor);
        let mut state = self.store.sync_state().clone();
        state.acked_own = 0;
        self.store.set_sync_state(state)?;
        self.reseal_key_file(new_passphrase, params)?;
        self.sync(transport).await?;
        Ok(NewIdentity {
            old_device_id: old,
            device_id: successor,
            key_epoch,
        })
    }
}
