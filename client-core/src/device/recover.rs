//! Recovery with the recovery kit: a new device, with no other device to vouch for
//! it, proves the recovery key to the server, gets the sealed vault keys back,
//! certifies itself in the journal with the same key, and syncs the whole journal.
//!
//! What the recovering device trusts comes from the kit, not from the server:
//! - the account: a kit opens one account ([`crate::format::keys::KitAccount`]); a server
//!   answering with another is refused before anything is written;
//! - the devices: those the kit certified (the founding device, a device that
//!   renewed the kit, other recovered devices) and whoever they added; not the
//!   trust anchors inside the blob, which any device could have written (they are
//!   used only for journals older than kits bound to accounts);
//! - the blob: a signed one (v3) is kept only if the journal shows its writer is a
//!   trusted device; otherwise the new home is wiped again and recovery refused.

use std::path::{Path, PathBuf};

use ed25519_dalek::Signer;
use mycase_proto::v1::{DeviceAdded, RecoverRequest, RecoveryKeySet};
use mycase_proto::wire::{recover_message, recovery_certificate_message, recovery_renewal_message};

use crate::crypto::passphrase::KdfParams;
use crate::device::open::SetupError;
use crate::device::sync::SyncReport;
use crate::device::{is_initialised, Device, DeviceError, DeviceSetup};
use crate::format::keyfile::{DeviceSecrets, TrustAnchor};
use crate::format::keys::{DeviceKeys, KitAccount, RecoveryKit};
use crate::format::recovery_blob::{self, BlobAuthor};
use crate::ids::{id_from_slice, new_id, AccountId, DeviceId};
use crate::store::file::FileStore;
use crate::transport::{Refusal, Transport, TransportError};

/// What can go wrong recovering a journal onto a new device with the recovery kit;
/// every refusal leaves the home as it was.
#[derive(Debug, thiserror::Error)]
pub enum RecoverError {
    /// A device is already set up in that home; nothing was changed.
    #[error("MyCase is already set up in {0}")]
    AlreadyInitialised(PathBuf),
    /// The server does not accept the recovery kit.
    #[error(
        "the server does not accept this recovery kit: check it was typed correctly and that \
         this is the server the journal was set up on; nothing was set up here"
    )]
    RecoveryRefused,
    /// The server answered for another account than the kit's.
    #[error("the server answered for a different account: refusing it")]
    WrongAccount,
    /// The recovery blob was not written by a device of the journal, so it was not used.
    #[error(
        "the server's copy of the keys for the recovery kit was not written by one of your \
         devices, so it was not used: nothing was set up here"
    )]
    RecoveryBlobUntrusted,
    /// Setting up or syncing the new device failed (store, keys, server refusal:
    /// carried in the chain).
    #[error(transparent)]
    Device(#[from] DeviceError),
}

impl From<SetupError> for RecoverError {
    fn from(e: SetupError) -> Self {
        match e {
            SetupError::AlreadyInitialised(home) => RecoverError::AlreadyInitialised(home),
            SetupError::Device(e) => RecoverError::Device(e),
        }
    }
}

impl From<TransportError> for RecoverError {
    fn from(e: TransportError) -> Self {
        RecoverError::Device(e.into())
    }
}

/// This device adding itself, certified by the kit (so that devices can accept a
/// device nobody else vouched for, and a device recovered later can trust it).
pub fn certified_addition(
    kit: &RecoveryKit,
    account_id: &AccountId,
    device_id: &DeviceId,
    keys: &DeviceKeys,
    name: &str,
) -> DeviceAdded {
    let certificate = kit.signing_key().sign(&recovery_certificate_message(
        account_id,
        device_id,
        &keys.sign_public(),
        &keys.dh_public(),
    ));
    DeviceAdded {
        device_id: device_id.to_vec(),
        sign_public_key: keys.sign_public().to_vec(),
        dh_public_key: keys.dh_public().to_vec(),
        name: name.to_string(),
        recovery_certificate: certificate.to_bytes().to_vec(),
    }
}

/// A new journal's `RecoveryKeySet`: the kit's keys, its X25519 key signed by the
/// kit itself.
pub fn founding_recovery_key(kit: &RecoveryKit, account_id: &AccountId) -> RecoveryKeySet {
    let pk = kit.public_key();
    let dh = kit.dh_public();
    let signature = kit
        .signing_key()
        .sign(&recovery_renewal_message(account_id, &[], &pk, &dh));
    RecoveryKeySet {
        recovery_public_key: pk.to_vec(),
        recovery_dh_public_key: dh.to_vec(),
        signature: signature.to_bytes().to_vec(),
    }
}

/// The account id the server named, if the kit allows it. A kit made before kits
/// were bound to accounts (a random account id) is allowed with `legacy = true`.
fn accepted_account(kit: &RecoveryKit, answered: &[u8]) -> Result<(AccountId, bool), RecoverError> {
    let answered = id_from_slice(answered).ok_or(RecoverError::RecoveryRefused)?;
    match kit.account() {
        KitAccount::Bound(id) if id == answered => Ok((id, false)),
        KitAccount::Bound(_) => Err(RecoverError::WrongAccount),
        KitAccount::Legacy => Ok((answered, true)),
    }
}

impl Device<FileStore> {
    /// Sets up a new device in `home` from the recovery kit and brings the journal
    /// back from the server.
    ///
    /// Nothing is kept locally unless the server answered for the kit's own
    /// account, the sealed vault keys opened and (for a signed blob) the journal
    /// shows the blob's writer is trusted: otherwise `home` is left as it was. If
    /// only the network fails during the final sync, the device is set up and
    /// `sync` can be run again.
    pub async fn recover<T: Transport>(
        home: &Path,
        passphrase: &[u8],
        params: KdfParams,
        transport: &T,
        kit: &RecoveryKit,
        setup: DeviceSetup,
    ) -> Result<(Self, SyncReport), RecoverError> {
        if is_initialised(home) {
            return Err(RecoverError::AlreadyInitialised(home.to_path_buf()));
        }
        let recovery = kit.signing_key();
        let recovery_public_key = kit.public_key();
        let keys = DeviceKeys::generate();
        let device_id = new_id();
        let refused = |e: TransportError| match e.refusal() {
            Some(Refusal::Unauthenticated) => RecoverError::RecoveryRefused,
            _ => RecoverError::Device(DeviceError::Transport(e)),
        };
        let challenge = transport
            .recovery_challenge(recovery_public_key.to_vec())
            .await?;
        let signature = recovery.sign(&recover_message(
            &challenge,
            &device_id,
            &keys.sign_public(),
            &keys.dh_public(),
        ));
        let resp = transport
            .recover(RecoverRequest {
                recovery_public_key: recovery_public_key.to_vec(),
                challenge,
                signature: signature.to_bytes().to_vec(),
                device_id: device_id.to_vec(),
                sign_public_key: keys.sign_public().to_vec(),
                dh_public_key: keys.dh_public().to_vec(),
            })
            .await
            .map_err(refused)?;
        let (account_id, legacy) = accepted_account(kit, &resp.account_id)?;
        let opened = recovery_blob::open(kit, &account_id, &resp.recovery_blob)
            .map_err(DeviceError::from)?;

        let me = TrustAnchor {
            device_id,
            sign_public_key: keys.sign_public(),
            dh_public_key: keys.dh_public(),
        };
        let trust_anchors = if legacy {
            // An old journal's founding device is known only from the blob.
            let mut anchors = opened.keys.trust_anchors;
            anchors.retain(|a| a.device_id != device_id);
            anchors.push(me);
            anchors
        } else {
            vec![me]
        };
        let addition = certified_addition(kit, &account_id, &device_id, &keys, &setup.device_name);
        let mut secrets = DeviceSecrets {
            account_id,
            device_id,
            keys,
            keyring: opened.keys.keyring,
            trust_anchors,
            server_url: setup.server_url,
            ca_cert_pem: setup.ca_cert_pem,
            device_name: setup.device_name,
            notes: Default::default(),
        };
        secrets.notes.recovery_root = Some(recovery_public_key);
        let mut device = Device::create_joined(home, passphrase, params, secrets)?;
        device.commit(vec![mycase_proto::v1::operation::Body::DeviceAdded(
            addition,
        )])?;
        let report = device.sync(transport).await?;
        if let BlobAuthor::Device {
            device_id: writer, ..
        } = opened.author
        {
            let trusted = device
                .trusted_key(&writer)
                .is_some_and(|key| recovery_blob::signed_by(&opened.author, &account_id, &key));
            if !trusted {
                drop(device);
                crate::device::wipe::wipe(home)
                    .map_err(|e| DeviceError::Io(std::io::Error::other(e)))?;
                return Err(RecoverError::RecoveryBlobUntrusted);
            }
        }
        device.restore_leftovers(kit, home)?;
        Ok((device, report))
    }

    /// Brings back the records a revoked device of this journal kept for the kit
    /// in this home before erasing itself (see [`crate::format::leftovers`]): each entry,
    /// person or attachment operation the journal does not already hold is written
    /// again by this device, with the time it was first recorded. The file is
    /// removed once they are committed.
    fn restore_leftovers(&mut self, kit: &RecoveryKit, home: &Path) -> Result<usize, DeviceError> {
        let path = crate::format::leftovers::path_in(home);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(e.into()),
        };
        let kept = crate::format::leftovers::open(kit, &self.secrets.account_id, &bytes)?;
        let bodies: Vec<_> = kept
            .operations
            .into_iter()
            .filter(|(idx, _)| {
                !self.journal.contains(&crate::journal::OpId {
                    device: kept.device,
                    idx: *idx,
                })
            })
            .filter_map(|(_, op)| op.body.map(|body| (body, Some(op.recorded_at_ms))))
            // What the survivor wrote, not the trust operations of a device that
            // is gone (its additions, rotations and revocations die with it).
            .filter(|(body, _)| {
                use mycase_proto::v1::operation::Body as B;
                matches!(
                    body,
                    B::EntryCreated(_)
                        | B::EntryAmended(_)
                        | B::EntryDeleted(_)
                        | B::EntryRestored(_)
                        | B::PersonAdded(_)
                        | B::PersonAmended(_)
                        | B::AttachmentAdded(_)
                )
            })
            .collect();
        let n = bodies.len();
        if n > 0 {
            self.commit_timed(bodies)?;
        }
        std::fs::remove_file(&path)?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_kit_accepts_only_its_own_account() {
        let first = RecoveryKit::generate();
        let own = crate::ids::account_id_for_kit_key(&first.public_key());
        assert_eq!(accepted_account(&first, &own).unwrap(), (own, false));
        // A squatter's account, registered under the same key: refused.
        assert!(matches!(
            accepted_account(&first, &[9; 16]),
            Err(RecoverError::WrongAccount)
        ));
        let renewed = RecoveryKit::generate_for(own);
        assert_eq!(accepted_account(&renewed, &own).unwrap(), (own, false));
        assert!(matches!(
            accepted_account(&renewed, &[9; 16]),
            Err(RecoverError::WrongAccount)
        ));
        assert!(matches!(
            accepted_account(&renewed, &[9; 3]),
            Err(RecoverError::RecoveryRefused)
        ));
    }
}
