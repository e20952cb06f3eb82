//! Recovery with the recovery kit: a new device, with no other device to vouch for
//! it, proves the recovery key to the server, gets the sealed vault keys back,
//! certifies itself in the journal with the same key, and syncs the whole journal.

use std::path::Path;

use ed25519_dalek::Signer;
use mycase_proto::v1::operation::Body;
use mycase_proto::v1::{DeviceAdded, RecoverRequest};
use mycase_proto::wire::{recover_message, recovery_certificate_message};

use crate::crypto::passphrase::KdfParams;
use crate::device::{is_initialised, open_recovery_blob, Device, DeviceError, DeviceSetup};
use crate::ids::{id_from_slice, new_id};
use crate::keyfile::{DeviceSecrets, TrustAnchor};
use crate::keys::{DeviceKeys, RecoveryKit};
use crate::store::file::FileStore;
use crate::sync::SyncReport;
use crate::transport::{Transport, TransportError};

impl Device<FileStore> {
    /// Sets up a new device in `home` from the recovery kit and brings the journal
    /// back from the server.
    ///
    /// Nothing is written locally until the server has accepted the kit and the
    /// sealed vault keys have opened: a wrong kit leaves `home` as it was. If only
    /// the final sync fails, the device is set up and `sync` can be run again.
    pub async fn recover<T: Transport>(
        home: &Path,
        passphrase: &[u8],
        params: KdfParams,
        transport: &T,
        kit: &RecoveryKit,
        setup: DeviceSetup,
    ) -> Result<(Self, SyncReport), DeviceError> {
        if is_initialised(home) {
            return Err(DeviceError::AlreadyInitialised(home.to_path_buf()));
        }
        let recovery = kit.signing_key();
        let recovery_public_key = recovery.verifying_key().to_bytes();
        let keys = DeviceKeys::generate();
        let device_id = new_id();
        let refused = |e: TransportError| match e.code() {
            Some(tonic::Code::Unauthenticated) => DeviceError::RecoveryRefused,
            _ => DeviceError::Transport(e),
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
        let account_id = id_from_slice(&resp.account_id).ok_or(DeviceError::RecoveryRefused)?;
        let recovered = open_recovery_blob(kit, &account_id, &resp.recovery_blob)?;

        let mut trust_anchors = recovered.trust_anchors;
        trust_anchors.retain(|a| a.device_id != device_id);
        trust_anchors.push(TrustAnchor {
            device_id,
            sign_public_key: keys.sign_public(),
            dh_public_key: keys.dh_public(),
        });
        let certificate = recovery.sign(&recovery_certificate_message(
            &account_id,
            &device_id,
            &keys.sign_public(),
            &keys.dh_public(),
        ));
        let me = Body::DeviceAdded(DeviceAdded {
            device_id: device_id.to_vec(),
            sign_public_key: keys.sign_public().to_vec(),
            dh_public_key: keys.dh_public().to_vec(),
            name: setup.device_name.clone(),
            recovery_certificate: certificate.to_bytes().to_vec(),
        });
        let secrets = DeviceSecrets {
            account_id,
            device_id,
            keys,
            keyring: recovered.keyring,
            trust_anchors,
            server_url: setup.server_url,
            ca_cert_pem: setup.ca_cert_pem,
            device_name: setup.device_name,
            notes: Default::default(),
        };
        let mut device = Device::create_joined(home, passphrase, params, secrets)?;
        device.commit(vec![me])?;
        let report = device.sync(transport).await?;
        Ok((device, report))
    }
}
