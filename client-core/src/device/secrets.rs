//! The device's secrets as a component: opening the stored logs with its keyring,
//! and learning the epoch keys other devices sealed to it on the way.

use std::collections::BTreeMap;

use mycase_proto::v1::{Operation, Record, SealedEpochKey};

use crate::device::DeviceError;
use crate::format::epoch_keys::{learn_into, seal_epoch_key};
use crate::format::keyfile::{DeviceSecrets, TrustAnchor};
use crate::format::keys::{KeyError, Keyring, VaultKey};
use crate::format::record::{open_operation, OperationError, RecordError};
use crate::format::recovery_blob::seal_v3;
use crate::ids::DeviceId;
use crate::journal::OpId;

impl DeviceSecrets {
    /// [`learn_into`] for this device's own keyring: opens the epoch key a
    /// verified `KeyRotated` by `author` sealed to this device.
    pub(crate) fn learn_epoch_key(
        &mut self,
        author: &DeviceId,
        op: &Operation,
    ) -> Result<bool, crate::device::sync::SyncError> {
        let DeviceSecrets {
            account_id,
            device_id,
            keys,
            keyring,
            ..
        } = self;
        Ok(learn_into(
            account_id,
            device_id,
            keys.dh_secret(),
            keyring,
            author,
            op,
        )?)
    }

    /// The epoch this device writes under: its keyring's highest.
    pub(crate) fn write_epoch(&self) -> Result<u32, KeyError> {
        Ok(self.keyring.current()?.0)
    }

    /// This device's X25519 public key (epoch keys are sealed to it).
    pub(crate) fn dh_public(&self) -> [u8; 32] {
        self.keys.dh_public()
    }

    /// A new epoch's `key`, sealed by this device to each recipient's X25519 key
    /// (the `sealed_keys` of the `KeyRotated` that announces `epoch`).
    pub(crate) fn seal_epoch_key_to(
        &self,
        epoch: u32,
        key: &VaultKey,
        recipients: &[(DeviceId, [u8; 32])],
    ) -> Vec<SealedEpochKey> {
        recipients
            .iter()
            .map(|(device, dh)| SealedEpochKey {
                device_id: device.to_vec(),
                sealed: seal_epoch_key(&self.account_id, epoch, &self.device_id, device, dh, key),
            })
            .collect()
    }

    /// Takes the key of the epoch this device just moved the account to (the
    /// caller persists the secrets).
    pub(crate) fn adopt_epoch_key(&mut self, epoch: u32, key: VaultKey) {
        self.keyring.insert(epoch, key);
    }

    /// Takes the keyring a sync round verified if it holds more keys than this
    /// one; whether it did (then the caller persists the secrets).
    pub(crate) fn adopt_keyring_if_grown(&mut self, verified: Keyring) -> bool {
        if verified.len() == self.keyring.len() {
            return false;
        }
        self.keyring = verified;
        true
    }

    /// A recovery blob (v3) of the whole keyring, sealed to the kit's X25519 key
    /// `recovery_dh` and signed by this device, handing on `anchors`.
    pub(crate) fn seal_recovery_blob(
        &self,
        recovery_dh: &[u8; 32],
        anchors: &[TrustAnchor],
    ) -> Vec<u8> {
        seal_v3(
            recovery_dh,
            &self.account_id,
            &self.keyring,
            anchors,
            &self.device_id,
            &self.keys,
        )
    }

    /// Whether the server's recovery blob may lack keys this device holds (it
    /// was last written with fewer), once there is more than the first key.
    pub(crate) fn recovery_blob_stale(&self) -> bool {
        let keys = self.keyring_len();
        keys > 1 && keys != self.notes.recovery_blob_keys
    }

    /// Notes that the server's recovery blob now holds the whole keyring (the
    /// caller persists the secrets).
    pub(crate) fn note_recovery_blob_current(&mut self) {
        self.notes.recovery_blob_keys = self.keyring_len();
    }

    fn keyring_len(&self) -> u32 {
        u32::try_from(self.keyring.len()).unwrap_or(u32::MAX)
    }

    /// Decrypts and decodes one stored record's operation with this keyring.
    pub(crate) fn open_operation(&self, record: &Record) -> Result<Operation, OperationError> {
        open_operation(&self.account_id, &self.keyring, record)
    }
}

/// Decrypts every stored record, learning epoch keys sealed to this device from
/// `KeyRotated` operations on the way: a record under an epoch not yet held waits
/// for a later pass, after the rotation that carries its key has been read (logs
/// are read in device order, not in the order they were written).
pub(crate) fn decode_all_learning_keys(
    secrets: &mut DeviceSecrets,
    logs: &BTreeMap<DeviceId, Vec<Record>>,
) -> Result<Vec<(OpId, Operation)>, DeviceError> {
    let mut pending: Vec<(DeviceId, &Record)> = logs
        .iter()
        .flat_map(|(id, log)| log.iter().map(move |r| (*id, r)))
        .collect();
    let mut ops = Vec::with_capacity(pending.len());
    loop {
        let mut waiting = Vec::new();
        let mut learned = false;
        for (device, record) in pending {
            match secrets.open_operation(record) {
                Ok(op) => {
                    learned |= secrets.learn_epoch_key(&device, &op)?;
                    ops.push((
                        OpId {
                            device,
                            idx: record.idx,
                        },
                        op,
                    ));
                }
                Err(OperationError::Record(RecordError::UnknownEpoch { .. })) => {
                    waiting.push((device, record));
                }
                Err(e) => return Err(e.into()),
            }
        }
        match waiting.first() {
            None => return Ok(ops),
            Some((_, record)) if !learned => {
                secrets.open_operation(record)?;
                return Err(DeviceError::BadOperation);
            }
            Some(_) => pending = waiting,
        }
    }
}
