//! Pairing: adding a device to the journal (the CLI's `pair` on the existing
//! device and `join` on the new one). The existing device's side (`begin_pairing`,
//! `await_join_request`, then `accept_join` or `refuse_join`) and the new device's
//! side (`join`), over the server's relay. See [`crate::format::pairing`] for what is
//! sealed, why a server cannot swap keys, and why whoever types the code first is
//! not added unless the survivor confirms the matching code.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mycase_proto::v1::{PairingGrant, PairingJoin};

use crate::crypto::passphrase::KdfParams;
use crate::crypto::random_bytes;
use crate::device::open::SetupError;
use crate::device::{Device, DeviceError, DeviceSetup};
use crate::format::keyfile::{DeviceSecrets, TrustAnchor};
use crate::format::keys::{DeviceKeys, KeyError, Keyring};
use crate::format::pairing::{
    check_ready, is_refusal, matching_code, open_challenge, open_grant, open_join, ready_tag,
    seal_challenge, seal_grant, seal_join, seal_refusal, MatchingCode, PairingCode, PairingError,
    CHALLENGE_LEN, PAIRING_PROTOCOL,
};
use crate::ids::{id_from_slice, new_id, DeviceId};
use crate::journal::ops;
use crate::store::file::FileStore;
use crate::store::LocalStore;
use crate::transport::{Refusal, Transport, TransportError};

/// How long a pairing code stays valid.
pub const PAIRING_TTL: Duration = Duration::from_secs(600);

/// A device asking to join, before the survivor confirmed it. Its matching code
/// is kept inside: the survivor must read it off the new device and type it.
pub struct JoinRequest {
    /// The id the new device chose.
    pub device_id: DeviceId,
    /// The name the new device gave itself (its holder chose it: untrusted text).
    pub name: String,
    join: PairingJoin,
    challenge: [u8; CHALLENGE_LEN],
    matching: MatchingCode,
}

impl std::fmt::Debug for JoinRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JoinRequest")
            .field("device_id", &hex::encode(self.device_id))
            .finish_non_exhaustive()
    }
}

/// The device that joined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairedDevice {
    /// The new device's id.
    pub device_id: DeviceId,
    /// The new device's name.
    pub name: String,
}

/// What can go wrong pairing a device, on either side: the pairing itself (a
/// code used twice, a tampered answer, a refusal), a home already set up, or the
/// device under it.
#[derive(Debug, thiserror::Error)]
pub enum PairingFlowError {
    /// A device is already set up in that home; nothing was changed.
    #[error("MyCase is already set up in {0}")]
    AlreadyInitialised(PathBuf),
    /// Pairing failed.
    #[error(transparent)]
    Pairing(#[from] PairingError),
    /// The device failed (store, keys, sync, server refusal: carried in the chain).
    #[error(transparent)]
    Device(#[from] DeviceError),
}

impl From<TransportError> for PairingFlowError {
    fn from(e: TransportError) -> Self {
        PairingFlowError::Device(e.into())
    }
}

impl From<SetupError> for PairingFlowError {
    fn from(e: SetupError) -> Self {
        match e {
            SetupError::AlreadyInitialised(home) => PairingFlowError::AlreadyInitialised(home),
            SetupError::Device(e) => PairingFlowError::Device(e),
        }
    }
}

impl From<KeyError> for PairingFlowError {
    fn from(e: KeyError) -> Self {
        PairingFlowError::Device(e.into())
    }
}

impl<S: LocalStore> Device<S> {
    /// Opens a pairing slot on the server for `code`. Show the code only after this.
    pub async fn begin_pairing<T: Transport>(
        &self,
        transport: &T,
        code: &PairingCode,
    ) -> Result<(), PairingFlowError> {
        self.authenticate(transport).await?;
        transport
            .open_pairing(code.pairing_id().to_vec(), PAIRING_TTL.as_secs() as u32)
            .await?;
        Ok(())
    }

    /// Waits for a device to send a request with `code`, checks it and answers it
    /// with a fresh challenge, so the new device can show its [`MatchingCode`].
    /// Nothing is added yet: the survivor confirms with [`Device::accept_join`]
    /// (typing the digits the new device shows) or says no with
    /// [`Device::refuse_join`].
    pub async fn await_join_request<T: Transport>(
        &self,
        transport: &T,
        code: &PairingCode,
        deadline: Instant,
    ) -> Result<JoinRequest, PairingFlowError> {
        let pairing_id = code.pairing_id().to_vec();
        let sealed = loop {
            let sealed = transport.await_join(pairing_id.clone()).await?;
            if !sealed.is_empty() {
                break sealed;
            }
            if Instant::now() >= deadline {
                return Err(PairingError::Expired.into());
            }
        };
        let join = open_join(code, &sealed)?;
        let device_id = id_from_slice(&join.device_id).ok_or(PairingError::JoinTampered)?;
        // A known device id never gets new keys, whoever asks.
        if device_id == self.secrets.device_id
            || self
                .journal
                .devices()
                .iter()
                .any(|d| d.device_id == device_id)
        {
            return Err(PairingError::JoinTampered.into());
        }
        let challenge = random_bytes::<CHALLENGE_LEN>();
        let matching = matching_code(code, &join, &challenge);
        // The confirmation slot must exist before the new device can answer in it.
        let ttl = deadline.saturating_duration_since(Instant::now()).as_secs();
        transport
            .open_pairing(
                code.confirm_pairing_id().to_vec(),
                u32::try_from(ttl.max(1)).unwrap_or(u32::MAX),
            )
            .await?;
        transport
            .complete_pairing(pairing_id, seal_challenge(code, &join, &challenge)?)
            .await?;
        Ok(JoinRequest {
            device_id,
            name: join.device_name.clone(),
            join,
            challenge,
            matching,
        })
    }

    /// Adds the requesting device if `typed` is the matching code its screen shows:
    /// checks that it is ready, adds it to the journal's roster (a signed record,
    /// uploaded before anything else), registers its keys and sends it the sealed
    /// grant. On a mismatch nothing is added, the device is told no, and
    /// [`PairingError::CodeMismatch`] is returned.
    pub async fn accept_join<T: Transport>(
        &mut self,
        transport: &T,
        code: &PairingCode,
        request: JoinRequest,
        typed: &str,
        deadline: Instant,
    ) -> Result<PairedDevice, PairingFlowError> {
        if !request.matching.matches(typed) {
            self.refuse_join(transport, code, &request).await;
            return Err(PairingError::CodeMismatch.into());
        }
        let confirm_id = code.confirm_pairing_id().to_vec();
        let tag = loop {
            let tag = transport.await_join(confirm_id.clone()).await?;
            if !tag.is_empty() {
                break tag;
            }
            if Instant::now() >= deadline {
                return Err(PairingError::Expired.into());
            }
        };
        let join = &request.join;
        if !check_ready(code, join, &request.challenge, &tag) {
            // Not the device that showed the digits (a second joiner, or a server
            // that swapped the answer): nothing is added.
            return Err(PairingError::JoinTampered.into());
        }
        let sign: [u8; 32] = join
            .sign_public_key
            .as_slice()
            .try_into()
            .map_err(|_| PairingError::JoinTampered)?;
        let dh: [u8; 32] = join
            .dh_public_key
            .as_slice()
            .try_into()
            .map_err(|_| PairingError::JoinTampered)?;
        let tag = crate::format::epoch_keys::author_tag(&request.device_id);
        if self
            .journal
            .devices()
            .iter()
            .any(|d| crate::format::epoch_keys::author_tag(&d.device_id) == tag)
        {
            // It could never move the journal to new keys (see
            // `journal::rotations`); an honest device picks another id next time.
            self.refuse_join(transport, code, &request).await;
            return Err(PairingError::IdTaken.into());
        }

        self.commit(vec![ops::device_added(
            request.device_id,
            sign,
            dh,
            &join.device_name,
        )])?;
        self.sync_round(transport).await?;
        // This device added it: no "new device" notice here.
        self.acknowledge_devices([request.device_id])?;
        transport
            .add_device(
                join.device_id.clone(),
                join.sign_public_key.clone(),
                join.dh_public_key.clone(),
            )
            .await?;

        // Never a contested device's keys: those shown are only one candidate.
        let roster = self.anchors_to_hand_on();
        let grant = PairingGrant {
            account_id: self.secrets.account_id.to_vec(),
            inviter_device_id: self.secrets.device_id.to_vec(),
            roster: roster.iter().map(TrustAnchor::to_proto).collect(),
            keyring: self.secrets.keyring.to_proto(),
        };
        let sealed_grant = seal_grant(code, join, &grant)?;
        transport.complete_pairing(confirm_id, sealed_grant).await?;
        Ok(PairedDevice {
            device_id: request.device_id,
            name: request.name,
        })
    }

    /// Says no to a request: nothing is added anywhere, and the requesting device
    /// is told (best effort: if it is not waiting any more, there is nobody to tell).
    pub async fn refuse_join<T: Transport>(
        &self,
        transport: &T,
        code: &PairingCode,
        request: &JoinRequest,
    ) {
        let confirm_id = code.confirm_pairing_id().to_vec();
        // One bounded wait: the device sends "ready" as soon as it shows its digits.
        let Ok(tag) = transport.await_join(confirm_id.clone()).await else {
            return;
        };
        if tag.is_empty() {
            return;
        }
        if let Ok(refusal) = seal_refusal(code, &request.join) {
            let _ = transport.complete_pairing(confirm_id, refusal).await;
        }
    }
}

/// The new device's side, independent of where it will store things: sends the
/// sealed request, receives the challenge, shows the [`MatchingCode`] with `show`
/// (the survivor types it on the existing device), then waits for the grant and
/// returns the secrets it carries. A refusal ends with [`PairingError::Refused`].
pub async fn request_grant<T: Transport>(
    transport: &T,
    code: &PairingCode,
    setup: &DeviceSetup,
    deadline: Instant,
    show: impl FnOnce(&MatchingCode),
) -> Result<DeviceSecrets, PairingFlowError> {
    let keys = DeviceKeys::generate();
    let device_id = new_id();
    let join = PairingJoin {
        device_id: device_id.to_vec(),
        sign_public_key: keys.sign_public().to_vec(),
        dh_public_key: keys.dh_public().to_vec(),
        device_name: setup.device_name.clone(),
        protocol: PAIRING_PROTOCOL,
    };
    let pairing_id = code.pairing_id().to_vec();
    transport
        .submit_join(pairing_id.clone(), seal_join(code, &join))
        .await
        .map_err(|e| match e.refusal() {
            // The slot takes one request: someone who saw the code was first.
            Some(Refusal::AlreadyExists) => {
                PairingFlowError::Pairing(PairingError::CodeAlreadyUsed)
            }
            // The slot is also gone once its request was answered.
            Some(Refusal::NotFound) => PairingFlowError::Pairing(PairingError::CodeUnknownOrUsed),
            _ => PairingFlowError::from(e),
        })?;
    let sealed = await_answer(transport, &pairing_id, deadline).await?;
    let challenge = match open_challenge(code, &keys, &join, &sealed) {
        Ok(c) => c,
        // An older existing device grants at once, without a matching code.
        Err(_) if open_grant(code, &keys, &join, &sealed).is_ok() => {
            return Err(PairingError::OldProtocol.into())
        }
        Err(e) => return Err(e.into()),
    };
    show(&matching_code(code, &join, &challenge));
    let confirm_id = code.confirm_pairing_id().to_vec();
    transport
        .submit_join(confirm_id.clone(), ready_tag(code, &join, &challenge))
        .await?;
    let sealed = await_answer(transport, &confirm_id, deadline).await?;
    if is_refusal(code, &keys, &join, &sealed) {
        return Err(PairingError::Refused.into());
    }
    let mut grant = open_grant(code, &keys, &join, &sealed)?;
    let account_id = id_from_slice(&grant.account_id).ok_or(PairingError::Malformed)?;
    let mut anchors = grant
        .roster
        .iter()
        .map(TrustAnchor::from_proto)
        .collect::<Option<Vec<_>>>()
        .ok_or(PairingError::Malformed)?;
    let inviter = id_from_slice(&grant.inviter_device_id).ok_or(PairingError::Malformed)?;
    if !anchors.iter().any(|a| a.device_id == inviter) {
        return Err(PairingError::Malformed.into());
    }
    anchors.push(TrustAnchor {
        device_id,
        sign_public_key: keys.sign_public(),
        dh_public_key: keys.dh_public(),
    });
    let keyring = Keyring::from_proto(&mut grant.keyring)?;
    Ok(DeviceSecrets {
        account_id,
        device_id,
        keys,
        keyring,
        trust_anchors: anchors,
        server_url: setup.server_url.clone(),
        ca_cert_pem: setup.ca_cert_pem.clone(),
        device_name: setup.device_name.clone(),
        notes: Default::default(),
    })
}

/// The existing device's next answer in slot `pairing_id`, waiting until `deadline`.
async fn await_answer<T: Transport>(
    transport: &T,
    pairing_id: &[u8],
    deadline: Instant,
) -> Result<Vec<u8>, PairingFlowError> {
    loop {
        let sealed = transport.await_pairing(pairing_id.to_vec()).await?;
        if !sealed.is_empty() {
            return Ok(sealed);
        }
        if Instant::now() >= deadline {
            return Err(PairingError::Expired.into());
        }
    }
}

impl<S: LocalStore> Device<S> {
    /// Joins over any store: request the grant, then sync everything.
    pub async fn join_in<T: Transport>(
        store: S,
        transport: &T,
        code: &PairingCode,
        setup: DeviceSetup,
        show: impl FnOnce(&MatchingCode),
    ) -> Result<Self, PairingFlowError> {
        let secrets =
            request_grant(transport, code, &setup, Instant::now() + PAIRING_TTL, show).await?;
        let mut device = Device::from_parts(secrets, store)?;
        device.sync(transport).await?;
        Ok(device)
    }
}

impl Device<FileStore> {
    /// Joins the journal of the device showing `code`, keeping this device in `home`.
    pub async fn join<T: Transport>(
        home: &Path,
        passphrase: &[u8],
        params: KdfParams,
        transport: &T,
        code: &PairingCode,
        setup: DeviceSetup,
        show: impl FnOnce(&MatchingCode),
    ) -> Result<Self, PairingFlowError> {
        if crate::device::is_initialised(home) {
            return Err(PairingFlowError::AlreadyInitialised(home.to_path_buf()));
        }
        let secrets =
            request_grant(transport, code, &setup, Instant::now() + PAIRING_TTL, show).await?;
        let mut device = Device::create_joined(home, passphrase, params, secrets)?;
        device.sync(transport).await?;
        Ok(device)
    }
}
