//! The device's account on the server: registering, authenticating, judging a
//! refusal as revoked or deleted, signed statements, deleting the account.

use ed25519_dalek::Signer;
use mycase_proto::v1::{Operation, RegisterRequest};
use mycase_proto::wire::register_message;

use crate::format::keys::RecoveryKit;
use crate::format::statement::StatementKind;
use crate::ids::DeviceId;
use crate::store::LocalStore;
use crate::transport::Transport;

use crate::device::home::write_private_atomic;
use crate::device::{Device, DeviceError, Refused};

impl<S: LocalStore> Device<S> {
    /// Proves possession of the device key and keeps the session in `transport`.
    /// A refusal as revoked or deleted is judged here (see [`Self::judge_refusal`]).
    pub async fn authenticate<T: Transport>(&self, transport: &T) -> Result<(), DeviceError> {
        self.authenticate_unjudged(transport)
            .await
            .map_err(|e| self.judge_refusal(e))
    }

    async fn authenticate_unjudged<T: Transport>(&self, transport: &T) -> Result<(), DeviceError> {
        let device_id = self.secrets.device_id.to_vec();
        let challenge = transport.challenge(device_id.clone()).await?;
        let signature = self
            .secrets
            .keys
            .sign(&mycase_proto::wire::auth_message(&device_id, &challenge));
        let resp = transport
            .authenticate(mycase_proto::v1::AuthenticateRequest {
                device_id,
                challenge,
                signature: signature.to_vec(),
            })
            .await?;
        if resp.account_id != self.secrets.account_id {
            return Err(DeviceError::WrongAccount);
        }
        transport.set_session(Some(resp.session_token));
        Ok(())
    }

    /// Turns the server's word that this device is revoked, or its account deleted,
    /// into the checked fact, when the statement it carries is signed by a device
    /// this device trusts (from its own roster, not revoked before; its own key
    /// counts, for a copy of this device that retired itself). Before returning a
    /// checked refusal, what exists only on this device is sealed for the recovery
    /// kit ([`crate::format::leftovers`]), so the erasure that follows loses nothing the
    /// survivor cannot bring back. Anything else is returned unchanged.
    pub fn judge_refusal(&self, e: DeviceError) -> DeviceError {
        use crate::format::statement::{verify, StatementKind};
        let (kind, unproven) = match &e {
            DeviceError::Refused(Refused::RevocationUnproven(t)) => {
                (StatementKind::DeviceRevoked, t)
            }
            DeviceError::Refused(Refused::DeletionUnproven(t)) => {
                (StatementKind::AccountDeleted, t)
            }
            _ => return e,
        };
        let revocations = self.journal.revocations();
        let author_key = |author: &DeviceId| {
            if author == &self.secrets.device_id {
                return Some(self.secrets.keys.sign_public());
            }
            if revocations.contains_key(author) {
                return None;
            }
            self.trusted_key(author)
        };
        let Ok(checked) = verify(
            unproven.statement(),
            kind,
            &self.secrets.account_id,
            &self.secrets.device_id,
            author_key,
        ) else {
            return e;
        };
        if let Err(io) = self.keep_leftovers() {
            return DeviceError::Io(io);
        }
        DeviceError::Refused(match kind {
            StatementKind::DeviceRevoked => Refused::Revoked { by: checked.author },
            StatementKind::AccountDeleted => Refused::AccountDeleted { by: checked.author },
        })
    }

    /// Seals this device's records the server never acknowledged for the recovery
    /// kit, into the home (kept by the wipe that follows). Nothing to do for a
    /// device kept only in memory, or with nothing unsent.
    fn keep_leftovers(&self) -> Result<(), std::io::Error> {
        let Some((key_path, _)) = &self.key_file else {
            return Ok(());
        };
        let Some(home) = key_path.parent() else {
            return Ok(());
        };
        let Some(recovery_dh) = self.recovery_dh_public_key() else {
            return Ok(());
        };
        let me = self.secrets.device_id;
        let acked = self.store.sync_state().acked_own;
        let unsent: Vec<(u64, Operation)> = self
            .store
            .log(&me)
            .iter()
            .filter(|r| r.idx > acked)
            .filter_map(|r| self.secrets.open_operation(r).ok().map(|op| (r.idx, op)))
            .collect();
        if unsent.is_empty() {
            return Ok(());
        }
        let sealed =
            crate::format::leftovers::seal(&recovery_dh, &self.secrets.account_id, &me, &unsent);
        write_private_atomic(&crate::format::leftovers::path_in(home), &sealed)
    }

    /// Erases this account on the server: every device, record, attachment and
    /// share. The caller then wipes this device (`crate::device::wipe::wipe`).
    pub async fn delete_account<T: Transport>(&self, transport: &T) -> Result<(), DeviceError> {
        self.authenticate(transport).await?;
        let statement = self.sign_statement(StatementKind::AccountDeleted, None);
        transport.delete_account(statement).await?;
        Ok(())
    }

    /// This device's signed statement that `target` is revoked (what
    /// [`Transport::revoke_device`] carries to the server).
    pub fn revocation_statement(&self, target: &DeviceId) -> mycase_proto::v1::DeviceStatement {
        self.sign_statement(StatementKind::DeviceRevoked, Some(target))
    }

    /// A statement about the account signed by this device (see
    /// [`crate::format::statement`]): what makes another device erase itself.
    pub(crate) fn sign_statement(
        &self,
        kind: StatementKind,
        subject: Option<&DeviceId>,
    ) -> mycase_proto::v1::DeviceStatement {
        crate::format::statement::sign(
            &self.secrets.keys,
            kind,
            &self.secrets.account_id,
            subject,
            &self.secrets.device_id,
        )
    }

    /// Registers the account and this first device on the server, with the
    /// recovery kit's public key and the vault keys sealed under its wrap key.
    pub async fn register<T: Transport>(
        &self,
        transport: &T,
        kit: &RecoveryKit,
        invite_code: Option<String>,
    ) -> Result<(), DeviceError> {
        let s = &self.secrets;
        let recovery_public_key = kit.signing_key().verifying_key().to_bytes().to_vec();
        let recovery_blob =
            crate::format::recovery_blob::seal_v1(kit, &s.account_id, &s.keyring, &s.trust_anchors);
        let recovery_proof =
            kit.signing_key()
                .sign(&mycase_proto::wire::recovery_registration_message(
                    &s.account_id,
                    &s.device_id,
                    &s.keys.sign_public(),
                    &s.keys.dh_public(),
                ));
        let proof = s.keys.sign(&register_message(
            &s.account_id,
            &s.device_id,
            &s.keys.sign_public(),
            &s.keys.dh_public(),
            &recovery_public_key,
            &recovery_blob,
        ));
        transport
            .register(RegisterRequest {
                account_id: s.account_id.to_vec(),
                device_id: s.device_id.to_vec(),
                sign_public_key: s.keys.sign_public().to_vec(),
                dh_public_key: s.keys.dh_public().to_vec(),
                recovery_public_key,
                recovery_blob,
                invite_code: invite_code.unwrap_or_default(),
                proof: proof.to_vec(),
                recovery_proof: recovery_proof.to_bytes().to_vec(),
            })
            .await?;
        Ok(())
    }
}
