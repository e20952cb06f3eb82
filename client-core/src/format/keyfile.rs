//! The device's secrets at rest: one file, sealed with XChaCha20-Poly1305 under a
//! key that Argon2id derives from the local passphrase. The Argon2 parameters and
//! salt are in the clear (and bound as associated data); everything else is sealed.

use mycase_proto::v1::{DeviceSecrets as DeviceSecretsProto, KeyFileEnvelope, TrustedDevice};
use prost::Message;
use zeroize::{Zeroize, Zeroizing};

use crate::crypto::aead::{xchacha_open, xchacha_seal};
use crate::crypto::passphrase::{argon2id_kek, KdfParams, PassphraseError};
use crate::crypto::random_bytes;
use crate::format::keys::{DeviceKeys, KeyError, Keyring};
use crate::ids::{id_from_slice, AccountId, DeviceId};

const FORMAT_VERSION: u32 = 1;
const SALT_LEN: usize = 16;

/// Why a key file did not open.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// The passphrase does not open it (or it was altered).
    #[error("wrong passphrase (or the key file was altered)")]
    WrongPassphrase,
    /// It is not a MyCase key file, or is damaged.
    #[error("the key file is damaged or not a MyCase key file")]
    Malformed,
    /// It was written by a newer MyCase (its format version).
    #[error("the key file has format version {0}, which this version of MyCase does not know")]
    UnsupportedVersion(u32),
    /// The passphrase could not be stretched (parameters out of range).
    #[error(transparent)]
    Passphrase(#[from] PassphraseError),
    /// It holds an invalid key.
    #[error("the key file holds an invalid key")]
    Key(#[from] KeyError),
}

/// A device another device trusts: its id and public keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustAnchor {
    /// The anchor's device id.
    pub device_id: DeviceId,
    /// Its Ed25519 public key.
    pub sign_public_key: [u8; 32],
    /// Its X25519 public key.
    pub dh_public_key: [u8; 32],
}

impl TrustAnchor {
    /// As the key file and pairing grants carry it.
    pub fn to_proto(&self) -> TrustedDevice {
        TrustedDevice {
            device_id: self.device_id.to_vec(),
            sign_public_key: self.sign_public_key.to_vec(),
            dh_public_key: self.dh_public_key.to_vec(),
        }
    }

    /// From its wire form; `None` if malformed.
    pub fn from_proto(t: &TrustedDevice) -> Option<Self> {
        Some(TrustAnchor {
            device_id: id_from_slice(&t.device_id)?,
            sign_public_key: t.sign_public_key.as_slice().try_into().ok()?,
            dh_public_key: t.dh_public_key.as_slice().try_into().ok()?,
        })
    }
}

/// Everything the device needs to act for the survivor.
pub struct DeviceSecrets {
    /// The account (journal) the device belongs to.
    pub account_id: AccountId,
    /// The device's id.
    pub device_id: DeviceId,
    /// The device's own key pairs.
    pub keys: DeviceKeys,
    /// The vault keys by epoch.
    pub keyring: Keyring,
    /// The devices trusted without the journal's word (the founding device first).
    pub trust_anchors: Vec<TrustAnchor>,
    /// The server the device syncs with.
    pub server_url: String,
    /// The CA certificate it trusts for that server, if any.
    pub ca_cert_pem: Option<String>,
    /// The device's name.
    pub device_name: String,
    /// What this device alone remembers (which devices the survivor was told
    /// about, which keys the recovery blob holds).
    pub notes: LocalNotes,
}

/// Per-device bookkeeping kept in the key file. Holds no content.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LocalNotes {
    /// Devices whose addition the survivor has been told about here. Empty in a
    /// key file written before notices existed: the roster then counts as seen.
    pub acknowledged_devices: Vec<DeviceId>,
    /// How many epoch keys the last recovery blob this device uploaded held.
    pub recovery_blob_keys: u32,
    /// The recovery key this device was set up with, if it was recovered: a root
    /// of trust it holds without the journal's word.
    pub recovery_root: Option<[u8; 32]>,
}

impl std::fmt::Debug for DeviceSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeviceSecrets([redacted])")
    }
}

/// The passphrase-derived key, kept while the device is unlocked so the file can be
/// rewritten (new keys, new anchors) without asking for the passphrase again.
pub struct UnlockedKeyFile {
    kek: Zeroizing<[u8; 32]>,
    salt: [u8; SALT_LEN],
    params: KdfParams,
}

impl std::fmt::Debug for UnlockedKeyFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UnlockedKeyFile([redacted])")
    }
}

fn header_ad(params: &KdfParams, salt: &[u8]) -> Vec<u8> {
    let mut ad = b"mycase/v1/key-file".to_vec();
    ad.extend_from_slice(&FORMAT_VERSION.to_be_bytes());
    ad.extend_from_slice(&params.memory_kib.to_be_bytes());
    ad.extend_from_slice(&params.iterations.to_be_bytes());
    ad.extend_from_slice(&params.parallelism.to_be_bytes());
    ad.extend_from_slice(salt);
    ad
}

impl UnlockedKeyFile {
    /// Derives a key for a new key file (fresh salt).
    pub fn create(passphrase: &[u8], params: KdfParams) -> Result<Self, KeyFileError> {
        let salt = random_bytes::<SALT_LEN>();
        let kek = argon2id_kek(passphrase, &salt, params)?;
        Ok(UnlockedKeyFile { kek, salt, params })
    }

    /// Seals the secrets into key file bytes.
    pub fn seal(&self, secrets: &DeviceSecrets) -> Vec<u8> {
        let mut inner = DeviceSecretsProto {
            account_id: secrets.account_id.to_vec(),
            device_id: secrets.device_id.to_vec(),
            sign_secret_key: secrets.keys.sign_seed().to_vec(),
            dh_secret_key: secrets.keys.dh_secret_bytes().to_vec(),
            keyring: secrets.keyring.to_proto(),
            trust_anchors: secrets
                .trust_anchors
                .iter()
                .map(TrustAnchor::to_proto)
                .collect(),
            server_url: secrets.server_url.clone(),
            ca_cert_pem: secrets.ca_cert_pem.clone().unwrap_or_default(),
            device_name: secrets.device_name.clone(),
            acknowledged_devices: secrets
                .notes
                .acknowledged_devices
                .iter()
                .map(|d| d.to_vec())
                .collect(),
            recovery_blob_keys: secrets.notes.recovery_blob_keys,
            recovery_root: secrets
                .notes
                .recovery_root
                .map(|k| k.to_vec())
                .unwrap_or_default(),
        };
        let plain = Zeroizing::new(inner.encode_to_vec());
        wipe_proto(&mut inner);
        let (nonce, ciphertext) =
            xchacha_seal(&self.kek, &header_ad(&self.params, &self.salt), &plain);
        KeyFileEnvelope {
            format_version: FORMAT_VERSION,
            argon2_memory_kib: self.params.memory_kib,
            argon2_iterations: self.params.iterations,
            argon2_parallelism: self.params.parallelism,
            salt: self.salt.to_vec(),
            nonce: nonce.to_vec(),
            ciphertext,
        }
        .encode_to_vec()
    }

    /// Opens key file bytes with a passphrase.
    pub fn open(bytes: &[u8], passphrase: &[u8]) -> Result<(Self, DeviceSecrets), KeyFileError> {
        Self::open_deriving(bytes, |salt, params| {
            Ok(argon2id_kek(passphrase, salt, params)?)
        })
    }

    /// Opens key file bytes with the key the passphrase derives (kept by a platform
    /// keystore, see [`UnlockedKeyFile::wrapping_key`]): no Argon2id, so a host can
    /// unlock behind biometrics. A key that does not open the file is
    /// [`KeyFileError::WrongPassphrase`], as a wrong passphrase is.
    pub fn open_with_key(
        bytes: &[u8],
        key: &[u8; 32],
    ) -> Result<(Self, DeviceSecrets), KeyFileError> {
        Self::open_deriving(bytes, |_, _| Ok(Zeroizing::new(*key)))
    }

    /// Reads the envelope's clear header, gets the key from `key_for` (given the
    /// salt and parameters), and opens the sealed part.
    fn open_deriving(
        bytes: &[u8],
        key_for: impl FnOnce(&[u8; SALT_LEN], KdfParams) -> Result<Zeroizing<[u8; 32]>, KeyFileError>,
    ) -> Result<(Self, DeviceSecrets), KeyFileError> {
        let env = KeyFileEnvelope::decode(bytes).map_err(|_| KeyFileError::Malformed)?;
        if env.format_version != FORMAT_VERSION {
            return Err(KeyFileError::UnsupportedVersion(env.format_version));
        }
        let params = KdfParams {
            memory_kib: env.argon2_memory_kib,
            iterations: env.argon2_iterations,
            parallelism: env.argon2_parallelism,
        };
        let salt: [u8; SALT_LEN] = env
            .salt
            .as_slice()
            .try_into()
            .map_err(|_| KeyFileError::Malformed)?;
        let kek = key_for(&salt, params)?;
        Self::open_envelope(&env, kek, salt, params)
    }

    /// The key the key file is sealed under (what the passphrase derives), for a
    /// platform keystore to hold behind biometrics. It opens only this file as
    /// sealed now: a new passphrase or a resealed file needs the new key.
    pub fn wrapping_key(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(*self.kek)
    }

    fn open_envelope(
        env: &KeyFileEnvelope,
        kek: Zeroizing<[u8; 32]>,
        salt: [u8; SALT_LEN],
        params: KdfParams,
    ) -> Result<(Self, DeviceSecrets), KeyFileError> {
        let plain = xchacha_open(
            &kek,
            &env.nonce,
            &header_ad(&params, &salt),
            &env.ciphertext,
        )
        .map_err(|_| KeyFileError::WrongPassphrase)?;
        let mut inner =
            DeviceSecretsProto::decode(plain.as_slice()).map_err(|_| KeyFileError::Malformed)?;
        let secrets = secrets_from_proto(&mut inner);
        wipe_proto(&mut inner);
        Ok((UnlockedKeyFile { kek, salt, params }, secrets?))
    }

    /// A new passphrase: fresh salt, same secrets.
    pub fn rekey(&self, new_passphrase: &[u8]) -> Result<Self, KeyFileError> {
        Self::create(new_passphrase, self.params.max_with(KdfParams::DEFAULT))
    }
}

impl KdfParams {
    fn max_with(self, other: KdfParams) -> KdfParams {
        KdfParams {
            memory_kib: self.memory_kib.max(other.memory_kib),
            iterations: self.iterations.max(other.iterations),
            parallelism: self.parallelism.max(other.parallelism),
        }
    }
}

fn secrets_from_proto(p: &mut DeviceSecretsProto) -> Result<DeviceSecrets, KeyFileError> {
    let anchors = p
        .trust_anchors
        .iter()
        .map(TrustAnchor::from_proto)
        .collect::<Option<Vec<_>>>()
        .ok_or(KeyFileError::Malformed)?;
    Ok(DeviceSecrets {
        account_id: id_from_slice(&p.account_id).ok_or(KeyFileError::Malformed)?,
        device_id: id_from_slice(&p.device_id).ok_or(KeyFileError::Malformed)?,
        keys: DeviceKeys::from_bytes(&p.sign_secret_key, &p.dh_secret_key)?,
        keyring: Keyring::from_proto(&mut p.keyring)?,
        trust_anchors: anchors,
        server_url: p.server_url.clone(),
        ca_cert_pem: (!p.ca_cert_pem.is_empty()).then(|| p.ca_cert_pem.clone()),
        device_name: p.device_name.clone(),
        notes: LocalNotes {
            acknowledged_devices: p
                .acknowledged_devices
                .iter()
                .map(|d| id_from_slice(d))
                .collect::<Option<Vec<_>>>()
                .ok_or(KeyFileError::Malformed)?,
            recovery_blob_keys: p.recovery_blob_keys,
            recovery_root: if p.recovery_root.is_empty() {
                None
            } else {
                Some(
                    p.recovery_root
                        .as_slice()
                        .try_into()
                        .map_err(|_| KeyFileError::Malformed)?,
                )
            },
        },
    })
}

fn wipe_proto(p: &mut DeviceSecretsProto) {
    p.sign_secret_key.zeroize();
    p.dh_secret_key.zeroize();
    for k in &mut p.keyring {
        k.key.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> DeviceSecrets {
        let keys = DeviceKeys::generate();
        let anchor = TrustAnchor {
            device_id: [2; 16],
            sign_public_key: keys.sign_public(),
            dh_public_key: keys.dh_public(),
        };
        DeviceSecrets {
            account_id: [1; 16],
            device_id: [2; 16],
            keys,
            keyring: Keyring::generate(),
            trust_anchors: vec![anchor],
            server_url: "https://127.0.0.1:7443".into(),
            ca_cert_pem: None,
            device_name: "laptop".into(),
            notes: LocalNotes {
                acknowledged_devices: vec![[2; 16], [3; 16]],
                recovery_blob_keys: 2,
                recovery_root: Some([4; 32]),
            },
        }
    }

    #[test]
    fn round_trip_and_wrong_passphrase() {
        let s = sample();
        let unlocked = UnlockedKeyFile::create(b"pass phrase", KdfParams::MINIMUM).unwrap();
        let bytes = unlocked.seal(&s);
        let (_, back) = UnlockedKeyFile::open(&bytes, b"pass phrase").unwrap();
        assert_eq!(back.account_id, s.account_id);
        assert_eq!(back.keys.sign_public(), s.keys.sign_public());
        assert_eq!(
            back.keyring.current().unwrap().1.as_bytes(),
            s.keyring.current().unwrap().1.as_bytes()
        );
        assert_eq!(back.trust_anchors, s.trust_anchors);
        assert_eq!(back.notes, s.notes);
        assert!(matches!(
            UnlockedKeyFile::open(&bytes, b"pass phrasf"),
            Err(KeyFileError::WrongPassphrase)
        ));
        assert!(matches!(
            UnlockedKeyFile::open(&bytes[..10], b"pass phrase"),
            Err(KeyFileError::Malformed)
        ));
    }

    #[test]
    fn weakened_parameters_are_refused() {
        let s = sample();
        let unlocked = UnlockedKeyFile::create(b"pw", KdfParams::MINIMUM).unwrap();
        let mut env = KeyFileEnvelope::decode(unlocked.seal(&s).as_slice()).unwrap();
        env.argon2_memory_kib = 8;
        let r = UnlockedKeyFile::open(&env.encode_to_vec(), b"pw");
        assert!(matches!(
            r,
            Err(KeyFileError::Passphrase(PassphraseError::WeakParameters))
        ));
    }

    #[test]
    fn secrets_are_not_in_the_file() {
        let s = sample();
        let bytes = UnlockedKeyFile::create(b"pw", KdfParams::MINIMUM)
            .unwrap()
            .seal(&s);
        let seed = s.keys.sign_seed();
        assert!(!bytes.windows(32).any(|w| w == seed.as_slice()));
        assert!(!bytes.windows(6).any(|w| w == b"laptop"));
    }
}
