//! The Account service: registration, authentication, devices, and the pairing
//! relay's RPCs.

use std::sync::Arc;

use mycase_proto::v1::account_server::Account;
use mycase_proto::v1::device_statement::Kind;
use mycase_proto::v1::{
    AddDeviceRequest, AddDeviceResponse, AuthenticateRequest, AuthenticateResponse,
    AwaitJoinRequest, AwaitJoinResponse, AwaitPairingRequest, AwaitPairingResponse,
    ChallengeRequest, ChallengeResponse, CompletePairingRequest, CompletePairingResponse,
    DeviceRecord, ListDevicesRequest, ListDevicesResponse, OpenPairingRequest, OpenPairingResponse,
    RecoverRequest, RecoverResponse, RecoveryChallengeRequest, RegisterRequest, RegisterResponse,
    RevokeDeviceRequest, RevokeDeviceResponse, SubmitJoinRequest, SubmitJoinResponse,
    UpdateRecoveryBlobRequest, UpdateRecoveryBlobResponse,
};
use mycase_proto::v1::{DeleteAccountRequest, DeleteAccountResponse};
use mycase_proto::v1::{RenewRecoveryKeyRequest, RenewRecoveryKeyResponse};
use mycase_proto::wire;
use tonic::{Request, Response, Status};

use super::Shared;
use crate::access::auth::{now_unix, Session};
use crate::access::statements;
use crate::api::validate;
use crate::error::{ServerError, ServerResult};
use crate::operator::config::RegistrationMode;
use crate::store::day_of;
use crate::store::{AccountRow, DeviceRow, Store};

pub struct AccountService<S> {
    shared: Arc<Shared<S>>,
}

impl<S: Store> AccountService<S> {
    pub fn new(shared: Arc<Shared<S>>) -> Self {
        Self { shared }
    }

    fn register(&self, r: &RegisterRequest) -> ServerResult<()> {
        let account_id = validate::id("account_id", &r.account_id)?;
        let device_id = validate::id("device_id", &r.device_id)?;
        let sign_key = validate::verifying_key("sign_public_key", &r.sign_public_key)?;
        let dh_public_key =
            validate::fixed::<{ validate::KEY_LEN }>("dh_public_key", &r.dh_public_key)?;
        let recovery_key = validate::verifying_key("recovery_public_key", &r.recovery_public_key)?;
        let recovery_public_key = validate::fixed::<{ validate::KEY_LEN }>(
            "recovery_public_key",
            &r.recovery_public_key,
        )?;
        validate::at_most("recovery_blob", &r.recovery_blob, validate::MAX_SEALED_BLOB)?;
        let proof = validate::signature("proof", &r.proof)?;
        let message = wire::register_message(
            &account_id,
            &device_id,
            &r.sign_public_key,
            &r.dh_public_key,
            &r.recovery_public_key,
            &r.recovery_blob,
        );
        sign_key
            .verify_strict(&message, &proof)
            .map_err(|_| ServerError::BadSignature("registration proof does not verify".into()))?;
        // Whoever registers a recovery key must hold it: a key copied from someone
        // else's journal cannot be claimed (and the store refuses one in use).
        if r.recovery_proof.is_empty() {
            return Err(ServerError::InvalidArgument(
                "recovery_proof is required: sign the registration with the recovery key (update MyCase)"
                    .into(),
            ));
        }
        let recovery_proof = validate::signature("recovery_proof", &r.recovery_proof)?;
        let recovery_message = wire::recovery_registration_message(
            &account_id,
            &device_id,
            &r.sign_public_key,
            &r.dh_public_key,
        );
        recovery_key
            .verify_strict(&recovery_message, &recovery_proof)
            .map_err(|_| {
                ServerError::BadSignature(
                    "recovery_proof does not verify under recovery_public_key".into(),
                )
            })?;
        let now = now_unix();
        let account = AccountRow {
            recovery_public_key,
            recovery_blob: r.recovery_blob.clone(),
            created_at_unix: now,
        };
        let device = new_device_row(account_id, device_id, &sign_key, dh_public_key, now);
        match self.shared.registration {
            RegistrationMode::Open => {
                self.shared
                    .store
                    .create_account(&account_id, &account, &device)?;
            }
            RegistrationMode::Invite => {
                if r.invite_code.trim().is_empty() {
                    return Err(ServerError::PermissionDenied(
                        "this server creates accounts by invitation only: ask the service for an invite code",
                    ));
                }
                self.shared.store.create_account_with_invite(
                    &account_id,
                    &account,
                    &device,
                    &crate::access::invites::hash(&r.invite_code),
                    now,
                )?;
            }
        }
        self.shared.store.touch_account(&account_id, day_of(now))?;
        Ok(())
    }

    /// Registers a new device in the account whose recovery key signed a fresh
    /// challenge. Every failure to prove the key is the same UNAUTHENTICATED, so the
    /// answer says nothing about which recovery keys exist.
    fn recover(
        &self,
        r: &RecoverRequest,
        peer: Option<std::net::IpAddr>,
    ) -> ServerResult<(crate::store::Id, Vec<u8>)> {
        let recovery_key = validate::verifying_key("recovery_public_key", &r.recovery_public_key)?;
        let challenge =
            validate::fixed::<{ crate::access::auth::CHALLENGE_LEN }>("challenge", &r.challenge)?;
        let signature = validate::signature("signature", &r.signature)?;
        let device_id = validate::id("device_id", &r.device_id)?;
        let sign_key = validate::verifying_key("sign_public_key", &r.sign_public_key)?;
        let dh_public_key =
            validate::fixed::<{ validate::KEY_LEN }>("dh_public_key", &r.dh_public_key)?;
        self.shared
            .auth
            .take_recovery_challenge(&recovery_key.to_bytes(), &challenge, peer)?;
        let refused = || ServerError::Unauthenticated("unknown recovery key or bad signature");
        let message =
            wire::recover_message(&challenge, &device_id, &r.sign_public_key, &r.dh_public_key);
        recovery_key
            .verify_strict(&message, &signature)
            .map_err(|_| refused())?;
        let (account_id, account) = self
            .shared
            .store
            .account_by_recovery_key(&recovery_key.to_bytes())?
            .ok_or_else(refused)?;
        self.add_device_row(account_id, device_id, &sign_key, dh_public_key)?;
        Ok((account_id, account.recovery_blob))
    }

    /// Adds a device to an account, within the account's device limit (revoked
    /// devices do not count).
    fn add_device_row(
        &self,
        account_id: crate::store::Id,
        device_id: crate::store::Id,
        sign_key: &ed25519_dalek::VerifyingKey,
        dh_public_key: [u8; validate::KEY_LEN],
    ) -> ServerResult<()> {
        let existing = self
            .shared
            .store
            .account_devices(&account_id)?
            .iter()
            .filter(|d| !d.revoked)
            .count();
        self.shared.limits.devices(existing)?;
        self.shared.store.add_device(&new_device_row(
            account_id,
            device_id,
            sign_key,
            dh_public_key,
            now_unix(),
        ))?;
        Ok(())
    }

    fn add_device(&self, account_id: crate::store::Id, r: &AddDeviceRequest) -> ServerResult<()> {
        let device_id = validate::id("device_id", &r.device_id)?;
        let sign_key = validate::verifying_key("sign_public_key", &r.sign_public_key)?;
        let dh_public_key =
            validate::fixed::<{ validate::KEY_LEN }>("dh_public_key", &r.dh_public_key)?;
        self.add_device_row(account_id, device_id, &sign_key, dh_public_key)?;
        Ok(())
    }

    /// Revokes a device of the caller's account on the caller's signed statement,
    /// kept with the device's row and handed back to it with every refusal. The
    /// subject may be the caller itself: a device retiring itself when it is
    /// wiped while online.
    async fn revoke_device(&self, session: &Session, r: &RevokeDeviceRequest) -> ServerResult<()> {
        let device_id = validate::id("device_id", &r.device_id)?;
        let author = self
            .shared
            .store
            .device(&session.device_id)?
            .ok_or(ServerError::Unauthenticated("device unknown"))?;
        let target = self
            .shared
            .store
            .device(&device_id)?
            .filter(|d| d.account_id == session.account_id)
            .ok_or(ServerError::NotFound("no such device in this account"))?;
        let statement = statements::check(
            r.statement.as_ref(),
            Kind::DeviceRevoked,
            session,
            &target.device_id,
            &author,
        )?;
        {
            // Serialized with the account's appends (see `append_blocking`).
            let _serialized = self.shared.append_lock(&session.account_id).lock().await;
            self.shared
                .store
                .revoke_device(&target.device_id, now_unix(), &statement)?;
        }
        self.shared.watchers.device_revoked(&target.device_id);
        Ok(())
    }

    /// Replaces the account's recovery key on the old key's authority: both keys
    /// sign the renewal, the old one must be the account's current key, and the
    /// new one no account's. The key, its index entry and the blob change in one
    /// step; from then on the old key opens nothing.
    fn renew_recovery_key(
        &self,
        session: &Session,
        r: &RenewRecoveryKeyRequest,
    ) -> ServerResult<()> {
        let old = validate::verifying_key("old_recovery_public_key", &r.old_recovery_public_key)?;
        let new = validate::verifying_key("new_recovery_public_key", &r.new_recovery_public_key)?;
        validate::fixed::<{ validate::KEY_LEN }>(
            "new_recovery_dh_public_key",
            &r.new_recovery_dh_public_key,
        )?;
        let old_signature = validate::signature("old_key_signature", &r.old_key_signature)?;
        let new_signature = validate::signature("new_key_signature", &r.new_key_signature)?;
        validate::at_most("recovery_blob", &r.recovery_blob, validate::MAX_SEALED_BLOB)?;
        if r.recovery_blob.is_empty() {
            return Err(ServerError::InvalidArgument(
                "recovery_blob must not be empty".into(),
            ));
        }
        if old == new {
            return Err(ServerError::InvalidArgument(
                "the new recovery key must differ from the old one".into(),
            ));
        }
        let message = wire::recovery_renewal_message(
            &session.account_id,
            old.as_bytes(),
            new.as_bytes(),
            &r.new_recovery_dh_public_key,
        );
        old.verify_strict(&message, &old_signature).map_err(|_| {
            ServerError::BadSignature("the old recovery key did not sign this renewal".into())
        })?;
        new.verify_strict(&message, &new_signature).map_err(|_| {
            ServerError::BadSignature("the new recovery key did not sign this renewal".into())
        })?;
        self.shared.store.renew_recovery_key(
            &session.account_id,
            old.as_bytes(),
            new.as_bytes(),
            &r.recovery_blob,
        )?;
        self.shared.store.flush()?;
        Ok(())
    }

    /// Erases the caller's account on the caller's signed statement, which the
    /// erasure tombstones keep for the account's other devices.
    async fn delete_account(
        &self,
        session: &Session,
        r: &DeleteAccountRequest,
    ) -> ServerResult<()> {
        let author = self
            .shared
            .store
            .device(&session.device_id)?
            .ok_or(ServerError::Unauthenticated("device unknown"))?;
        let statement = statements::check(
            r.statement.as_ref(),
            Kind::AccountDeleted,
            session,
            &[],
            &author,
        )?;
        self.shared
            .erase_account(session.account_id, Some(statement))
            .await
    }

    fn update_recovery_blob(
        &self,
        session: &Session,
        r: &UpdateRecoveryBlobRequest,
    ) -> ServerResult<()> {
        validate::at_most("recovery_blob", &r.recovery_blob, validate::MAX_SEALED_BLOB)?;
        if r.recovery_blob.is_empty() {
            return Err(ServerError::InvalidArgument(
                "recovery_blob must not be empty".into(),
            ));
        }
        self.shared
            .store
            .set_recovery_blob(&session.account_id, &r.recovery_blob)?;
        Ok(())
    }
}

#[tonic::async_trait]
impl<S: Store> Account for AccountService<S> {
    async fn register(
        &self,
        request: Request<RegisterRequest>,
    ) -> Result<Response<RegisterResponse>, Status> {
        self.shared.limits.auth_attempt(request.remote_addr())?;
        let _gate = self.shared.write_gate.read().await;
        self.register(request.get_ref())?;
        Ok(Response::new(RegisterResponse {}))
    }

    async fn challenge(
        &self,
        request: Request<ChallengeRequest>,
    ) -> Result<Response<ChallengeResponse>, Status> {
        self.shared.limits.auth_attempt(request.remote_addr())?;
        let challenge = self.shared.auth.challenge(&request.get_ref().device_id)?;
        Ok(Response::new(ChallengeResponse {
            challenge: challenge.to_vec(),
        }))
    }

    async fn authenticate(
        &self,
        request: Request<AuthenticateRequest>,
    ) -> Result<Response<AuthenticateResponse>, Status> {
        self.shared.limits.auth_attempt(request.remote_addr())?;
        let r = request.get_ref();
        let device_id = validate::id("device_id", &r.device_id)?;
        if self
            .shared
            .store
            .device(&device_id)
            .map_err(ServerError::from)?
            .is_none()
        {
            // A device of an erased account is told so, with its owner's
            // statement if a device asked for the erasure.
            if let Some(erasure) = self
                .shared
                .store
                .erased_device(&device_id)
                .map_err(ServerError::from)?
            {
                return Err(ServerError::erased(erasure).into());
            }
        }
        let limits = &self.shared.limits;
        let issued = self.shared.auth.authenticate(
            &r.device_id,
            &r.challenge,
            &r.signature,
            request.remote_addr().map(|a| a.ip()),
            |account_id| limits.auth_for_account(account_id),
        )?;
        self.shared
            .store
            .touch_account(&issued.account_id, day_of(now_unix()))
            .map_err(ServerError::from)?;
        Ok(Response::new(AuthenticateResponse {
            session_token: issued.token.to_vec(),
            expires_at_unix: issued.expires_at_unix,
            account_id: issued.account_id.to_vec(),
        }))
    }

    async fn list_devices(
        &self,
        request: Request<ListDevicesRequest>,
    ) -> Result<Response<ListDevicesResponse>, Status> {
        let session = self.shared.auth.session(request.metadata())?;
        let devices = self
            .shared
            .store
            .account_devices(&session.account_id)
            .map_err(ServerError::from)?
            .into_iter()
            .map(|d| DeviceRecord {
                device_id: d.device_id.to_vec(),
                sign_public_key: d.sign_public_key.to_vec(),
                dh_public_key: d.dh_public_key.to_vec(),
                registered_at_unix: d.registered_at_unix,
                revoked: d.revoked,
                last_seen_unix: d.last_seen_unix,
                revoked_at_unix: d.revoked_at_unix,
            })
            .collect();
        Ok(Response::new(ListDevicesResponse { devices }))
    }

    async fn add_device(
        &self,
        request: Request<AddDeviceRequest>,
    ) -> Result<Response<AddDeviceResponse>, Status> {
        let session = self.shared.auth.session(request.metadata())?;
        let _gate = self.shared.write_gate.read().await;
        // Serialized per account, so two additions cannot both pass the device limit.
        let _serialized = self.shared.append_lock(&session.account_id).lock().await;
        self.add_device(session.account_id, request.get_ref())?;
        Ok(Response::new(AddDeviceResponse {}))
    }

    async fn open_pairing(
        &self,
        request: Request<OpenPairingRequest>,
    ) -> Result<Response<OpenPairingResponse>, Status> {
        let session = self.shared.auth.session(request.metadata())?;
        self.shared
            .limits
            .pairing(request.remote_addr(), &session.account_id)?;
        let r = request.get_ref();
        let expires_at_unix =
            self.shared
                .pairing
                .open(session.account_id, &r.pairing_id, r.ttl_seconds)?;
        Ok(Response::new(OpenPairingResponse { expires_at_unix }))
    }

    async fn submit_join(
        &self,
        request: Request<SubmitJoinRequest>,
    ) -> Result<Response<SubmitJoinResponse>, Status> {
        self.shared.limits.auth_attempt(request.remote_addr())?;
        let r = request.get_ref();
        self.shared
            .pairing
            .submit_join(&r.pairing_id, &r.sealed_join)?;
        Ok(Response::new(SubmitJoinResponse {}))
    }

    async fn await_join(
        &self,
        request: Request<AwaitJoinRequest>,
    ) -> Result<Response<AwaitJoinResponse>, Status> {
        let session = self.shared.auth.session(request.metadata())?;
        let sealed_join = self
            .shared
            .pairing
            .await_join(session.account_id, &request.get_ref().pairing_id)
            .await?;
        Ok(Response::new(AwaitJoinResponse { sealed_join }))
    }

    async fn complete_pairing(
        &self,
        request: Request<CompletePairingRequest>,
    ) -> Result<Response<CompletePairingResponse>, Status> {
        let session = self.shared.auth.session(request.metadata())?;
        let r = request.get_ref();
        self.shared
            .pairing
            .complete(session.account_id, &r.pairing_id, &r.sealed_grant)?;
        Ok(Response::new(CompletePairingResponse {}))
    }

    async fn recovery_challenge(
        &self,
        request: Request<RecoveryChallengeRequest>,
    ) -> Result<Response<ChallengeResponse>, Status> {
        self.shared.limits.auth_attempt(request.remote_addr())?;
        let challenge = self
            .shared
            .auth
            .recovery_challenge(&request.get_ref().recovery_public_key)?;
        Ok(Response::new(ChallengeResponse {
            challenge: challenge.to_vec(),
        }))
    }

    async fn recover(
        &self,
        request: Request<RecoverRequest>,
    ) -> Result<Response<RecoverResponse>, Status> {
        self.shared.limits.auth_attempt(request.remote_addr())?;
        let _gate = self.shared.write_gate.read().await;
        let peer = request.remote_addr().map(|a| a.ip());
        let (account_id, recovery_blob) = self.recover(request.get_ref(), peer)?;
        Ok(Response::new(RecoverResponse {
            account_id: account_id.to_vec(),
            recovery_blob,
        }))
    }

    async fn revoke_device(
        &self,
        request: Request<RevokeDeviceRequest>,
    ) -> Result<Response<RevokeDeviceResponse>, Status> {
        let session = self.shared.auth.session(request.metadata())?;
        self.revoke_device(&session, request.get_ref()).await?;
        Ok(Response::new(RevokeDeviceResponse {}))
    }

    async fn update_recovery_blob(
        &self,
        request: Request<UpdateRecoveryBlobRequest>,
    ) -> Result<Response<UpdateRecoveryBlobResponse>, Status> {
        let session = self.shared.auth.session(request.metadata())?;
        self.update_recovery_blob(&session, request.get_ref())?;
        Ok(Response::new(UpdateRecoveryBlobResponse {}))
    }

    async fn renew_recovery_key(
        &self,
        request: Request<RenewRecoveryKeyRequest>,
    ) -> Result<Response<RenewRecoveryKeyResponse>, Status> {
        let session = self.shared.auth.session(request.metadata())?;
        let _gate = self.shared.write_gate.read().await;
        self.renew_recovery_key(&session, request.get_ref())?;
        Ok(Response::new(RenewRecoveryKeyResponse {}))
    }

    async fn await_pairing(
        &self,
        request: Request<AwaitPairingRequest>,
    ) -> Result<Response<AwaitPairingResponse>, Status> {
        let sealed_grant = self
            .shared
            .pairing
            .await_pairing(&request.get_ref().pairing_id)
            .await?;
        Ok(Response::new(AwaitPairingResponse { sealed_grant }))
    }

    async fn delete_account(
        &self,
        request: Request<DeleteAccountRequest>,
    ) -> Result<Response<DeleteAccountResponse>, Status> {
        let session = self.shared.auth.session(request.metadata())?;
        self.shared.limits.deletion(request.remote_addr())?;
        self.delete_account(&session, request.get_ref()).await?;
        Ok(Response::new(DeleteAccountResponse {}))
    }
}

/// The row of a device just registered: not revoked, never seen.
fn new_device_row(
    account_id: crate::store::Id,
    device_id: crate::store::Id,
    sign_key: &ed25519_dalek::VerifyingKey,
    dh_public_key: [u8; validate::KEY_LEN],
    registered_at_unix: u64,
) -> DeviceRow {
    DeviceRow {
        account_id,
        device_id,
        sign_public_key: sign_key.to_bytes(),
        dh_public_key,
        registered_at_unix,
        revoked: false,
        last_seen_unix: 0,
        revoked_at_unix: 0,
        revocation: None,
    }
}
