//! Renewing the recovery kit: a new kit replaces the old one, on the old kit's
//! authority (both sign), so that a kit someone else has seen or used stops
//! opening the journal.
//!
//! Steps, from any trusted device with the old kit typed in:
//! 1. the server replaces the account's recovery key and blob (both keys sign);
//!    from then on it refuses the old kit like an unknown one;
//! 2. the journal records `RecoveryKeyRenewed` (checked by every device, see
//!    [`crate::journal::recovery`]), this device certifies itself under the new
//!    kit (so a device recovered with it has a root to trust), and vouches again for
//!    the devices it trusts (devices certified only by the old kit are no longer
//!    trusted through that certificate);
//! 3. a sync pushes it.
//!
//! If step 2 or 3 fails after step 1, the new kit is still the account's: it is
//! returned with the error, and the next sync finishes the journal's part.

use ed25519_dalek::Signer;
use mycase_proto::v1::operation::Body;
use mycase_proto::v1::{RecoveryKeyRenewed, RenewRecoveryKeyRequest};
use mycase_proto::wire::recovery_renewal_message;

use crate::device::{Device, DeviceError};
use crate::format::keyfile::TrustAnchor;
use crate::format::keys::RecoveryKit;
use crate::journal::ops;
use crate::store::LocalStore;
use crate::transport::Transport;

/// Why a renewal did not start, or did not finish.
#[derive(Debug, thiserror::Error)]
pub enum RenewError {
    /// The kit given is not the journal's current recovery kit; nothing was changed.
    #[error(
        "that is not this journal's current recovery kit (check it was typed correctly; a kit \
         that was already replaced cannot renew); nothing was changed"
    )]
    NotTheCurrentKit,
    /// Two recovery kits claim the journal; nothing was changed.
    #[error(
        "two recovery kits claim this journal (someone else renewed the kit without seeing \
         this device's renewal): renew from a device that has synced, after revoking any \
         device you do not recognise; nothing was changed"
    )]
    Contested,
    /// The server did not take the new kit; nothing was changed.
    #[error("the server did not take the new kit; nothing was changed")]
    Server(#[source] DeviceError),
    /// The server took the new kit, but recording it in the journal did not finish: the new kit is
    /// the one that counts.
    #[error(
        "the server took the new kit, but recording it in the journal did not finish: keep the \
         new kit"
    )]
    Unfinished {
        /// The new kit, which must still be shown to the survivor.
        kit: Box<RecoveryKit>,
        /// Why recording it did not finish.
        #[source]
        cause: DeviceError,
    },
}

impl<S: LocalStore> Device<S> {
    /// Replaces the recovery kit (see the module documentation). Returns the new
    /// kit, to be shown to the survivor once and never stored.
    pub async fn renew_recovery_kit<T: Transport>(
        &mut self,
        transport: &T,
        old: &RecoveryKit,
    ) -> Result<RecoveryKit, RenewError> {
        let current = match self.recovery_state() {
            crate::journal::RecoveryState::Current(k) => k,
            crate::journal::RecoveryState::Contested(_) => return Err(RenewError::Contested),
            crate::journal::RecoveryState::Unknown => return Err(RenewError::NotTheCurrentKit),
        };
        if current.public_key != old.public_key() {
            return Err(RenewError::NotTheCurrentKit);
        }
        let account = self.secrets.account_id;
        let new = RecoveryKit::generate_for(account);
        let (old_pk, new_pk, new_dh) = (old.public_key(), new.public_key(), new.dh_public());
        let message = recovery_renewal_message(&account, &old_pk, &new_pk, &new_dh);
        let old_sig = old.signing_key().sign(&message).to_bytes().to_vec();
        let new_sig = new.signing_key().sign(&message).to_bytes().to_vec();
        let anchors = self.anchors_to_hand_on();
        let blob = self.secrets.seal_recovery_blob(&new_dh, &anchors);
        let server_step = async {
            self.authenticate(transport).await?;
            transport
                .renew_recovery_key(RenewRecoveryKeyRequest {
                    old_recovery_public_key: old_pk.to_vec(),
                    new_recovery_public_key: new_pk.to_vec(),
                    new_recovery_dh_public_key: new_dh.to_vec(),
                    old_key_signature: old_sig.clone(),
                    new_key_signature: new_sig.clone(),
                    recovery_blob: blob,
                })
                .await?;
            Ok::<(), DeviceError>(())
        };
        server_step.await.map_err(RenewError::Server)?;

        let me = self.secrets.device_id;
        let mut bodies = vec![
            Body::RecoveryKeyRenewed(RecoveryKeyRenewed {
                old_recovery_public_key: old_pk.to_vec(),
                new_recovery_public_key: new_pk.to_vec(),
                new_recovery_dh_public_key: new_dh.to_vec(),
                old_key_signature: old_sig,
                new_key_signature: new_sig,
            }),
            Body::DeviceAdded(crate::device::recover::certified_addition(
                &new,
                &account,
                &me,
                &self.secrets.keys,
                &self.secrets.device_name,
            )),
        ];
        for d in self.journal.devices() {
            if d.device_id != me && d.revoked.is_none() && !d.is_contested() {
                bodies.push(ops::device_added(
                    d.device_id,
                    d.sign_public_key,
                    d.dh_public_key,
                    &d.name,
                ));
            }
        }
        let finish = async {
            self.commit(bodies)?;
            self.secrets.note_recovery_blob_current();
            self.persist_secrets()?;
            self.sync_round(transport).await?;
            Ok::<(), DeviceError>(())
        };
        match finish.await {
            Ok(()) => Ok(new),
            Err(cause) => Err(RenewError::Unfinished {
                kit: Box::new(new),
                cause,
            }),
        }
    }

    /// The devices a pairing grant or a recovery blob names as trusted: this
    /// device's anchors (the founding device first) and every uncontested device
    /// in the roster (revoked ones too: their records up to the revocation stay
    /// valid). A contested device is left out: the keys its view shows are only
    /// one of the candidates.
    pub(crate) fn anchors_to_hand_on(&self) -> Vec<TrustAnchor> {
        let mut anchors: Vec<TrustAnchor> = self.secrets.trust_anchors.clone();
        for d in self.journal.devices() {
            if d.is_contested() {
                continue;
            }
            if !anchors.iter().any(|a| a.device_id == d.device_id) {
                anchors.push(TrustAnchor {
                    device_id: d.device_id,
                    sign_public_key: d.sign_public_key,
                    dh_public_key: d.dh_public_key,
                });
            }
        }
        anchors
    }
}
