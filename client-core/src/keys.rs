//! Key material: vault keys per epoch, the device's own keys, and the recovery kit.
//!
//! Every secret type zeroizes on drop, prints as `[redacted]`, and has no serde.

use std::collections::BTreeMap;
use std::fmt;

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use mycase_proto::v1::EpochKey;
use sha2::{Digest, Sha256};
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::{Zeroize, Zeroizing};

use crate::crypto::grouped_base32::{decode_grouped, encode_grouped};
use crate::crypto::{kdf, random_bytes};

macro_rules! redacted_debug {
    ($t:ty) => {
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($t), "([redacted])"))
            }
        }
    };
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("a key has the wrong length")]
    BadLength,
    #[error("the keyring is empty")]
    EmptyKeyring,
    #[error("no vault key for key epoch {0}")]
    UnknownEpoch(u32),
    #[error("the recovery kit is not valid (check it for typos)")]
    BadRecoveryKit,
}

/// One epoch's vault key, with its record subkey derived once.
pub struct VaultKey {
    key: Zeroizing<[u8; 32]>,
    record_key: Zeroizing<[u8; 32]>,
}
redacted_debug!(VaultKey);

impl VaultKey {
    pub fn generate() -> Self {
        Self::from_bytes(random_bytes::<32>())
    }

    pub fn from_bytes(mut bytes: [u8; 32]) -> Self {
        let key = Zeroizing::new(bytes);
        bytes.zeroize();
        let record_key = kdf::subkey(key.as_ref(), kdf::RECORDS);
        VaultKey { key, record_key }
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.key
    }

    /// The subkey that seals log records.
    pub fn record_key(&self) -> &[u8; 32] {
        &self.record_key
    }

    /// A subkey for another purpose (see [`kdf`] labels).
    pub fn subkey(&self, label: &str) -> Zeroizing<[u8; 32]> {
        kdf::subkey(self.key.as_ref(), label)
    }
}

impl Clone for VaultKey {
    fn clone(&self) -> Self {
        VaultKey::from_bytes(*self.key)
    }
}

/// The account's vault keys by epoch; new records use the highest epoch.
#[derive(Clone, Default)]
pub struct Keyring {
    keys: BTreeMap<u32, VaultKey>,
}
redacted_debug!(Keyring);

impl Keyring {
    /// A keyring with one fresh key at epoch 1.
    pub fn generate() -> Self {
        let mut keys = BTreeMap::new();
        keys.insert(1, VaultKey::generate());
        Keyring { keys }
    }

    pub fn insert(&mut self, epoch: u32, key: VaultKey) {
        self.keys.insert(epoch, key);
    }

    pub fn current(&self) -> Result<(u32, &VaultKey), KeyError> {
        self.keys
            .iter()
            .next_back()
            .map(|(e, k)| (*e, k))
            .ok_or(KeyError::EmptyKeyring)
    }

    pub fn get(&self, epoch: u32) -> Result<&VaultKey, KeyError> {
        self.keys.get(&epoch).ok_or(KeyError::UnknownEpoch(epoch))
    }

    pub fn epochs(&self) -> impl Iterator<Item = u32> + '_ {
        self.keys.keys().copied()
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// For sealing into a key file or a pairing grant. The caller must not keep the
    /// protobuf messages longer than needed (their `Drop` does not zeroize).
    pub fn to_proto(&self) -> Vec<EpochKey> {
        self.keys
            .iter()
            .map(|(e, k)| EpochKey {
                epoch: *e,
                key: k.as_bytes().to_vec(),
            })
            .collect()
    }

    /// Reads keys from protobuf, wiping the protobuf copies.
    pub fn from_proto(entries: &mut [EpochKey]) -> Result<Self, KeyError> {
        let mut keys = BTreeMap::new();
        for e in entries.iter_mut() {
            let bytes: [u8; 32] = e
                .key
                .as_slice()
                .try_into()
                .map_err(|_| KeyError::BadLength)?;
            e.key.zeroize();
            keys.insert(e.epoch, VaultKey::from_bytes(bytes));
        }
        if keys.is_empty() {
            return Err(KeyError::EmptyKeyring);
        }
        Ok(Keyring { keys })
    }
}

/// The device's own keys: Ed25519 signs records and authenticates it; X25519 lets
/// other devices seal vault keys to it. They never leave the device unsealed.
pub struct DeviceKeys {
    signing: SigningKey,
    dh: StaticSecret,
}
redacted_debug!(DeviceKeys);

impl DeviceKeys {
    pub fn generate() -> Self {
        DeviceKeys {
            signing: SigningKey::generate(&mut rand::rngs::OsRng),
            dh: StaticSecret::random_from_rng(rand::rngs::OsRng),
        }
    }

    pub fn from_bytes(sign_seed: &[u8], dh_secret: &[u8]) -> Result<Self, KeyError> {
        let mut seed: [u8; 32] = sign_seed.try_into().map_err(|_| KeyError::BadLength)?;
        let mut dh: [u8; 32] = dh_secret.try_into().map_err(|_| KeyError::BadLength)?;
        let keys = DeviceKeys {
            signing: SigningKey::from_bytes(&seed),
            dh: StaticSecret::from(dh),
        };
        seed.zeroize();
        dh.zeroize();
        Ok(keys)
    }

    pub fn sign_seed(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.signing.to_bytes())
    }

    pub fn dh_secret_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.dh.to_bytes())
    }

    pub fn sign_public(&self) -> [u8; 32] {
        self.signing.verifying_key().to_bytes()
    }

    pub fn dh_public(&self) -> [u8; 32] {
        PublicKey::from(&self.dh).to_bytes()
    }

    pub fn dh_secret(&self) -> &StaticSecret {
        &self.dh
    }

    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.signing.sign(message).to_bytes()
    }
}

/// Verifies an Ed25519 signature (strict: rejects malleable and small-order forms).
pub fn verify_signature(public_key: &[u8; 32], message: &[u8], signature: &[u8]) -> bool {
    let Ok(vk) = VerifyingKey::from_bytes(public_key) else {
        return false;
    };
    let Ok(sig) = ed25519_dalek::Signature::from_slice(signature) else {
        return false;
    };
    vk.verify_strict(message, &sig).is_ok()
}

/// The recovery kit: a 256-bit secret the survivor writes down. It derives a
/// signing key (so a new device can authenticate as the account's recovery
/// identity) and the key that wraps the copy of the vault keys the server holds.
pub struct RecoveryKit {
    secret: Zeroizing<[u8; 32]>,
}
redacted_debug!(RecoveryKit);

impl RecoveryKit {
    const CHECK_LEN: usize = 2;

    pub fn generate() -> Self {
        RecoveryKit {
            secret: Zeroizing::new(random_bytes::<32>()),
        }
    }

    /// The kit as people copy it: base32 in groups of four, with a 16-bit check so
    /// that a typo is reported as a typo.
    pub fn to_display(&self) -> Zeroizing<String> {
        let mut raw = Zeroizing::new(Vec::with_capacity(32 + Self::CHECK_LEN));
        raw.extend_from_slice(self.secret.as_ref());
        raw.extend_from_slice(&Sha256::digest(self.secret.as_ref())[..Self::CHECK_LEN]);
        encode_grouped(&raw)
    }

    /// Parses a kit typed back in: case, spaces and dashes do not matter.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let raw = decode_grouped(text).ok_or(KeyError::BadRecoveryKit)?;
        if raw.len() != 32 + Self::CHECK_LEN {
            return Err(KeyError::BadRecoveryKit);
        }
        let (secret, check) = raw.split_at(32);
        if Sha256::digest(secret)[..Self::CHECK_LEN] != *check {
            return Err(KeyError::BadRecoveryKit);
        }
        let mut s = Zeroizing::new([0u8; 32]);
        s.copy_from_slice(secret);
        Ok(RecoveryKit { secret: s })
    }

    pub fn signing_key(&self) -> SigningKey {
        SigningKey::from_bytes(&kdf::subkey(self.secret.as_ref(), kdf::RECOVERY_SIGN))
    }

    pub fn wrap_key(&self) -> Zeroizing<[u8; 32]> {
        kdf::subkey(self.secret.as_ref(), kdf::RECOVERY_WRAP)
    }

    /// The kit's X25519 key: devices seal later recovery blobs to its public half
    /// (which the journal carries), so only the kit opens them.
    pub fn dh_secret(&self) -> StaticSecret {
        StaticSecret::from(*kdf::subkey(self.secret.as_ref(), kdf::RECOVERY_DH))
    }

    pub fn dh_public(&self) -> [u8; 32] {
        PublicKey::from(&self.dh_secret()).to_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let k = VaultKey::from_bytes([0xAB; 32]);
        let s = format!(
            "{k:?} {:?} {:?}",
            DeviceKeys::generate(),
            RecoveryKit::generate()
        );
        assert!(!s.to_lowercase().contains("abab"));
        assert!(s.contains("redacted"));
    }

    #[test]
    fn recovery_kit_round_trips_and_catches_typos() {
        let kit = RecoveryKit::generate();
        let shown = kit.to_display();
        let back = RecoveryKit::parse(&shown.to_lowercase().replace('-', " ")).unwrap();
        assert_eq!(*back.wrap_key(), *kit.wrap_key());
        let mut typo: Vec<char> = shown.chars().collect();
        typo[0] = if typo[0] == 'A' { 'B' } else { 'A' };
        let typo: String = typo.into_iter().collect();
        assert_eq!(
            RecoveryKit::parse(&typo).err(),
            Some(KeyError::BadRecoveryKit)
        );
        assert_eq!(
            RecoveryKit::parse("short").err(),
            Some(KeyError::BadRecoveryKit)
        );
    }

    #[test]
    fn keyring_uses_the_highest_epoch() {
        let mut ring = Keyring::generate();
        ring.insert(2, VaultKey::from_bytes([2; 32]));
        assert_eq!(ring.current().unwrap().0, 2);
        assert_eq!(ring.get(3).err(), Some(KeyError::UnknownEpoch(3)));
        let mut proto = ring.to_proto();
        let back = Keyring::from_proto(&mut proto).unwrap();
        assert_eq!(back.get(2).unwrap().as_bytes(), &[2; 32]);
        assert!(proto.iter().all(|e| e.key.iter().all(|b| *b == 0)));
    }

    #[test]
    fn signatures_verify_strictly() {
        let k = DeviceKeys::generate();
        let sig = k.sign(b"m");
        assert!(verify_signature(&k.sign_public(), b"m", &sig));
        assert!(!verify_signature(&k.sign_public(), b"n", &sig));
        assert!(!verify_signature(&k.sign_public(), b"m", &sig[..63]));
    }
}
