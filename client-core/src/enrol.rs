//! Adding a device to the journal: the existing device's side (`begin_pairing`,
//! `finish_pairing`) and the new device's side (`join`), over the server's relay.
//! See [`crate::pairing`] for what is sealed and why a server cannot swap keys.

use std::path::Path;
use std::time::{Duration, Instant};

use mycase_proto::v1::{PairingGrant, PairingJoin};

use crate::crypto::passphrase::KdfParams;
use crate::device::{Device, DeviceError, DeviceSetup};
use crate::ids::{id_from_slice, new_id, DeviceId};
use crate::journal::ops;
use crate::keyfile::{DeviceSecrets, TrustAnchor};
use crate::keys::{DeviceKeys, Keyring};
use crate::pairing::{open_grant, open_join, seal_grant, seal_join, PairingCode, PairingError};
use crate::store::file::FileStore;
use crate::store::LocalStore;
use crate::transport::Transport;

/// How long a pairing code stays valid.
pub const PAIRING_TTL: Duration = Duration::from_secs(600);

/// The device that joined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairedDevice {
    pub device_id: DeviceId,
    pub name: String,
}

/// A device as `mycase devices` shows it: the journal's roster joined with the
/// server's list, so a device the server knows but no trusted device added stands out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceStatus {
    pub device_id: DeviceId,
    /// From the journal (sealed); `None` for a device the journal does not know.
    pub name: Option<String>,
    pub added_at_ms: Option<i64>,
    pub registered_at_unix: Option<u64>,
    pub this_device: bool,
    /// Added by a trusted device (in the journal's signed roster).
    pub trusted: bool,
    pub on_server: bool,
    pub revoked: bool,
    /// When the server last saw it authenticate (to the hour).
    pub last_seen_unix: Option<u64>,
    /// When it was revoked: the journal's revocation, else the server's.
    pub revoked_at_ms: Option<i64>,
    /// The device that revoked it, from the journal.
    pub revoked_by: Option<DeviceId>,
}

fn nonzero(v: u64) -> Option<u64> {
    (v != 0).then_some(v)
}

fn server_revoked_at_ms(s: &mycase_proto::v1::DeviceRecord) -> Option<i64> {
    (s.revoked && s.revoked_at_unix != 0)
        .then(|| i64::try_from(s.revoked_at_unix.saturating_mul(1000)).unwrap_or(i64::MAX))
}

impl<S: LocalStore> Device<S> {
    /// Opens a pairing slot on the server for `code`. Show the code only after this.
    pub async fn begin_pairing<T: Transport>(
        &self,
        transport: &T,
        code: &PairingCode,
    ) -> Result<(), DeviceError> {
        self.authenticate(transport).await?;
        transport
            .open_pairing(code.pairing_id().to_vec(), PAIRING_TTL.as_secs() as u32)
            .await?;
        Ok(())
    }

    /// Waits for the new device, checks its sealed request, adds it to the journal's
    /// roster (a signed record, uploaded before anything else), registers its keys
    /// and sends it the sealed grant.
    pub async fn finish_pairing<T: Transport>(
        &mut self,
        transport: &T,
        code: &PairingCode,
        deadline: Instant,
    ) -> Result<PairedDevice, DeviceError> {
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

        self.commit(vec![ops::device_added(
            device_id,
            sign,
            dh,
            &join.device_name,
        )])?;
        self.sync_round(transport).await?;
        // This device added it: no "new device" notice here.
        self.acknowledge_devices([device_id])?;
        transport
            .add_device(
                join.device_id.clone(),
                join.sign_public_key.clone(),
                join.dh_public_key.clone(),
            )
            .await?;

        let mut roster: Vec<TrustAnchor> = self.secrets.trust_anchors.clone();
        for d in self.journal.devices() {
            if !roster.iter().any(|a| a.device_id == d.device_id) {
                roster.push(TrustAnchor {
                    device_id: d.device_id,
                    sign_public_key: d.sign_public_key,
                    dh_public_key: d.dh_public_key,
                });
            }
        }
        let grant = PairingGrant {
            account_id: self.secrets.account_id.to_vec(),
            inviter_device_id: self.secrets.device_id.to_vec(),
            roster: roster.iter().map(TrustAnchor::to_proto).collect(),
            keyring: self.secrets.keyring.to_proto(),
        };
        let sealed_grant = seal_grant(code, &join, &grant)?;
        transport.complete_pairing(pairing_id, sealed_grant).await?;
        Ok(PairedDevice {
            device_id,
            name: join.device_name,
        })
    }

    /// The account's devices: the journal's roster joined with the server's list.
    pub async fn devices<T: Transport>(
        &self,
        transport: &T,
    ) -> Result<Vec<DeviceStatus>, DeviceError> {
        self.authenticate(transport).await?;
        let on_server = transport.list_devices().await?;
        let roster = self.journal.devices();
        let mut out: Vec<DeviceStatus> = roster
            .iter()
            .map(|d| {
                let server = on_server.iter().find(|s| s.device_id == d.device_id);
                DeviceStatus {
                    device_id: d.device_id,
                    name: Some(d.name.clone()),
                    added_at_ms: Some(d.added_at_ms),
                    registered_at_unix: server.map(|s| s.registered_at_unix),
                    this_device: d.device_id == self.secrets.device_id,
                    trusted: true,
                    on_server: server.is_some(),
                    revoked: d.revoked.is_some() || server.is_some_and(|s| s.revoked),
                    // The server keeps last-seen to the hour; a device was seen when it
                    // was added, so never show an earlier time than that.
                    last_seen_unix: server
                        .and_then(|s| nonzero(s.last_seen_unix))
                        .map(|seen| seen.max(u64::try_from(d.added_at_ms / 1000).unwrap_or(0))),
                    revoked_at_ms: d
                        .revoked
                        .as_ref()
                        .map(|r| r.revoked_at_ms)
                        .or_else(|| server.and_then(server_revoked_at_ms)),
                    revoked_by: d.revoked.as_ref().map(|r| r.revoked_by),
                }
            })
            .collect();
        for s in &on_server {
            let Some(id) = id_from_slice(&s.device_id) else {
                continue;
            };
            if roster.iter().any(|d| d.device_id == id) {
                continue;
            }
            out.push(DeviceStatus {
                device_id: id,
                name: None,
                added_at_ms: None,
                registered_at_unix: Some(s.registered_at_unix),
                this_device: id == self.secrets.device_id,
                trusted: self.secrets.trust_anchors.iter().any(|a| a.device_id == id),
                on_server: true,
                revoked: s.revoked,
                last_seen_unix: nonzero(s.last_seen_unix),
                revoked_at_ms: server_revoked_at_ms(s),
                revoked_by: None,
            });
        }
        Ok(out)
    }
}

/// The new device's side, independent of where it will store things: sends the
/// sealed request, waits for the grant and returns the secrets it carries.
pub async fn request_grant<T: Transport>(
    transport: &T,
    code: &PairingCode,
    setup: &DeviceSetup,
    deadline: Instant,
) -> Result<DeviceSecrets, DeviceError> {
    let keys = DeviceKeys::generate();
    let device_id = new_id();
    let join = PairingJoin {
        device_id: device_id.to_vec(),
        sign_public_key: keys.sign_public().to_vec(),
        dh_public_key: keys.dh_public().to_vec(),
        device_name: setup.device_name.clone(),
    };
    let pairing_id = code.pairing_id().to_vec();
    transport
        .submit_join(pairing_id.clone(), seal_join(code, &join))
        .await?;
    let sealed = loop {
        let sealed = transport.await_pairing(pairing_id.clone()).await?;
        if !sealed.is_empty() {
            break sealed;
        }
        if Instant::now() >= deadline {
            return Err(PairingError::Expired.into());
        }
    };
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

impl<S: LocalStore> Device<S> {
    /// Joins over any store: request the grant, then sync everything.
    pub async fn join_in<T: Transport>(
        store: S,
        transport: &T,
        code: &PairingCode,
        setup: DeviceSetup,
    ) -> Result<Self, DeviceError> {
        let secrets = request_grant(transport, code, &setup, Instant::now() + PAIRING_TTL).await?;
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
    ) -> Result<Self, DeviceError> {
        if crate::device::is_initialised(home) {
            return Err(DeviceError::AlreadyInitialised(home.to_path_buf()));
        }
        let secrets = request_grant(transport, code, &setup, Instant::now() + PAIRING_TTL).await?;
        let mut device = Device::create_joined(home, passphrase, params, secrets)?;
        device.sync(transport).await?;
        Ok(device)
    }
}
