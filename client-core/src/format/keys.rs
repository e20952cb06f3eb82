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

/// Why a key could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// A key has the wrong length.
    #[error("a key has the wrong length")]
    BadLength,
    /// The keyring holds no key.
    #[error("the keyring is empty")]
    EmptyKeyring,
    /// No vault key for that epoch.
    #[error("no vault key for key epoch {0}")]
    UnknownEpoch(u32),
    /// The recovery kit is not valid (typo, or not a kit).
    #[error("the recovery kit is not valid (check it for typos)")]
    BadRecoveryKit,
}

/// One epoch's vault key, with its record subkey derived once.
pub struct VaultKey {
    key: Zeroizing<[u8; 32]>,
    record_key: Zeroizing<[u8; 32]>,
    texts_key: Zeroizing<[u8; 32]>,
}
redacted_debug!(VaultKey);

impl VaultKey {
    /// A fresh random vault key.
    pub fn generate() -> Self {
        Self::from_bytes(random_bytes::<32>())
    }

    /// A vault key from its bytes (the source is zeroized).
    pub fn from_bytes(mut bytes: [u8; 32]) -> Self {
        let key = Zeroizing::new(bytes);
        bytes.zeroize();
        let record_key = kdf::subkey(key.as_ref(), kdf::RECORDS);
        let texts_key = kdf::subkey(key.as_ref(), kdf::RECORD_TEXTS);
        VaultKey {
            key,
            record_key,
            texts_key,
        }
    }

    /// The key itself (never print or log it).
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.key
    }

    /// The subkey that seals log records.
    pub fn record_key(&self) -> &[u8; 32] {
        &self.record_key
    }

    /// The subkey that seals records' withholdable texts (record format 3);
    /// an export never discloses it.
    pub fn texts_key(&self) -> &[u8; 32] {
        &self.texts_key
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

/// The account's vault keys by epoch. New records use the write epoch the device
/// chose ([`Keyring::set_write_epoch`]: the highest epoch whose rotation counts),
/// else the highest epoch held.
#[derive(Clone, Default)]
pub struct Keyring {
    keys: BTreeMap<u32, VaultKey>,
    write_epoch: Option<u32>,
}
redacted_debug!(Keyring);

impl Keyring {
    /// A keyring with one fresh key at epoch 1.
    pub fn generate() -> Self {
        let mut keys = BTreeMap::new();
        keys.insert(1, VaultKey::generate());
        Keyring {
            keys,
            write_epoch: None,
        }
    }

    /// The epoch [`Keyring::current`] answers with (`None`: the highest held).
    /// Ignored unless the keyring holds that epoch.
    pub fn set_write_epoch(&mut self, epoch: Option<u32>) {
        self.write_epoch = epoch;
    }

    /// Adds (or replaces) the key of `epoch`.
    pub fn insert(&mut self, epoch: u32, key: VaultKey) {
        self.keys.insert(epoch, key);
    }

    /// The epoch new records are sealed under, with its key.
    pub fn current(&self) -> Result<(u32, &VaultKey), KeyError> {
        if let Some((e, k)) = self.write_epoch.and_then(|e| self.keys.get_key_value(&e)) {
            return Ok((*e, k));
        }
        self.keys
            .iter()
            .next_back()
            .map(|(e, k)| (*e, k))
            .ok_or(KeyError::EmptyKeyring)
    }

    /// The key of `epoch`.
    pub fn get(&self, epoch: u32) -> Result<&VaultKey, KeyError> {
        self.keys.get(&epoch).ok_or(KeyError::UnknownEpoch(epoch))
    }

    /// Every epoch held, in order.
    pub fn epochs(&self) -> impl Iterator<Item = u32> + '_ {
        self.keys.keys().copied()
    }

    /// How many keys it holds.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether it holds none.
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
        Ok(Keyring {
            keys,
            write_epoch: None,
        })
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
    /// Fresh random key pairs.
    pub fn generate() -> Self {
        DeviceKeys {
            signing: SigningKey::generate(&mut rand::rngs::OsRng),
            dh: StaticSecret::random_from_rng(rand::rngs::OsRng),
        }
    }

    /// Key pairs from their secret halves (as the key file stores them).
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

    /// The Ed25519 seed, for sealing into the key file.
    pub fn sign_seed(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.signing.to_bytes())
    }

    /// The X25519 secret, for sealing into the key file.
    pub fn dh_secret_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.dh.to_bytes())
    }

    /// The Ed25519 public key.
    pub fn sign_public(&self) -> [u8; 32] {
        self.signing.verifying_key().to_bytes()
    }

    /// The X25519 public key.
    pub fn dh_public(&self) -> [u8; 32] {
        PublicKey::from(&self.dh).to_bytes()
    }

    /// The X25519 secret, to open what other devices sealed to this one.
    pub fn dh_secret(&self) -> &StaticSecret {
        &self.dh
    }

    /// An Ed25519 signature over `message`.
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
///
/// A kit is bound to one account, and a recovering client refuses a server that
/// answers with any other. A journal's first kit needs no more than its secret:
/// the account id is derived from its key (`wire::account_id_for_recovery_key`),
/// and its check digits are computed with a label older kits lack, so the two are
/// told apart. A renewed kit carries the account id too, so as people copy it, it
/// is longer.
pub struct RecoveryKit {
    secret: Zeroizing<[u8; 32]>,
    binding: KitBinding,
}
redacted_debug!(RecoveryKit);

#[derive(Clone, Copy, PartialEq, Eq)]
enum KitBinding {
    /// Made before kits were bound to accounts.
    Legacy,
    /// The account whose id is derived from this kit's key.
    Derived,
    /// This account (a renewed kit).
    Explicit([u8; 16]),
}

/// Which account a kit opens, as far as the kit itself can say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KitAccount {
    /// This account, and no other.
    Bound([u8; 16]),
    /// A kit from before kits were bound to accounts: whatever account the server
    /// holds under its key. Renewing it binds the new one.
    Legacy,
}

/// Check digits of a kit bound to an account (older kits have unlabelled ones).
const KIT_CHECK_LABEL: &[u8] = b"mycase/v1/recovery-kit";

impl RecoveryKit {
    const CHECK_LEN: usize = 2;

    /// A new journal's kit (its account id is derived from it).
    pub fn generate() -> Self {
        RecoveryKit {
            secret: Zeroizing::new(random_bytes::<32>()),
            binding: KitBinding::Derived,
        }
    }

    /// A renewed kit for an existing account.
    pub fn generate_for(account_id: [u8; 16]) -> Self {
        RecoveryKit {
            secret: Zeroizing::new(random_bytes::<32>()),
            binding: KitBinding::Explicit(account_id),
        }
    }

    /// Which account this kit opens.
    pub fn account(&self) -> KitAccount {
        match self.binding {
            KitBinding::Explicit(id) => KitAccount::Bound(id),
            KitBinding::Derived => {
                KitAccount::Bound(crate::ids::account_id_for_kit_key(&self.public_key()))
            }
            KitBinding::Legacy => KitAccount::Legacy,
        }
    }

    fn check(body: &[u8], labelled: bool) -> [u8; Self::CHECK_LEN] {
        let mut h = Sha256::new();
        if labelled {
            h.update(KIT_CHECK_LABEL);
        }
        h.update(body);
        let d = h.finalize();
        [d[0], d[1]]
    }

    /// The kit as people copy it: base32 in groups of four, with a 16-bit check so
    /// that a typo is reported as a typo. A renewed kit is 16 bytes longer.
    pub fn to_display(&self) -> Zeroizing<String> {
        let mut raw = Zeroizing::new(Vec::with_capacity(32 + 16 + Self::CHECK_LEN));
        raw.extend_from_slice(self.secret.as_ref());
        if let KitBinding::Explicit(account) = &self.binding {
            raw.extend_from_slice(account);
        }
        let check = Self::check(&raw, self.binding != KitBinding::Legacy);
        raw.extend_from_slice(&check);
        encode_grouped(&raw)
    }

    /// Parses a kit typed back in: case, spaces and dashes do not matter.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let raw = decode_grouped(text).ok_or(KeyError::BadRecoveryKit)?;
        let body_len = match raw.len() {
            n if n == 32 + Self::CHECK_LEN => 32,
            n if n == 32 + 16 + Self::CHECK_LEN => 48,
            _ => return Err(KeyError::BadRecoveryKit),
        };
        let (body, check) = raw.split_at(body_len);
        let mut s = Zeroizing::new([0u8; 32]);
        s.copy_from_slice(&body[..32]);
        let binding = match body.get(32..48) {
            Some(id) if Self::check(body, true) == *check => KitBinding::Explicit(
                <[u8; 16]>::try_from(id).map_err(|_| KeyError::BadRecoveryKit)?,
            ),
            None if Self::check(body, true) == *check => KitBinding::Derived,
            None if Self::check(body, false) == *check => KitBinding::Legacy,
            _ => return Err(KeyError::BadRecoveryKit),
        };
        Ok(RecoveryKit { secret: s, binding })
    }

    /// The kit's Ed25519 signing key (the account's recovery key).
    pub fn signing_key(&self) -> SigningKey {
        SigningKey::from_bytes(&kdf::subkey(self.secret.as_ref(), kdf::RECOVERY_SIGN))
    }

    /// The kit's Ed25519 public key (the account's recovery key).
    pub fn public_key(&self) -> [u8; 32] {
        self.signing_key().verifying_key().to_bytes()
    }

    /// The key that seals the first (v1) recovery blob.
    pub fn wrap_key(&self) -> Zeroizing<[u8; 32]> {
        kdf::subkey(self.secret.as_ref(), kdf::RECOVERY_WRAP)
    }

    /// The kit's X25519 key: devices seal later recovery blobs to its public half
    /// (which the journal carries), so only the kit opens them.
    pub fn dh_secret(&self) -> StaticSecret {
        StaticSecret::from(*kdf::subkey(self.secret.as_ref(), kdf::RECOVERY_DH))
    }

    /// The public half of the kit's X25519 key.
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
    fn renewed_kits_carry_their_account_and_first_kits_derive_it() {
        let first = RecoveryKit::generate();
        let derived = crate::ids::account_id_for_kit_key(&first.public_key());
        assert_eq!(first.account(), KitAccount::Bound(derived));
        let back = RecoveryKit::parse(&first.to_display()).unwrap();
        assert_eq!(back.account(), KitAccount::Bound(derived));
        // A kit written down before binding (unlabelled check digits) still parses,
        // and says it is not bound.
        let mut raw = first.secret.to_vec();
        raw.extend_from_slice(&RecoveryKit::check(&first.secret[..], false));
        let old = RecoveryKit::parse(&encode_grouped(&raw)).unwrap();
        assert_eq!(old.account(), KitAccount::Legacy);
        assert_eq!(old.public_key(), first.public_key());

        let renewed = RecoveryKit::generate_for(derived);
        assert_eq!(renewed.account(), KitAccount::Bound(derived));
        let shown = renewed.to_display();
        assert!(shown.len() > first.to_display().len());
        let back = RecoveryKit::parse(&shown).unwrap();
        assert_eq!(back.account(), KitAccount::Bound(derived));
        assert_eq!(back.public_key(), renewed.public_key());
        // A typo in the account part is caught like any other.
        let mut typo: Vec<char> = shown.chars().collect();
        let at = typo.len() - 6;
        typo[at] = if typo[at] == 'A' { 'B' } else { 'A' };
        assert!(RecoveryKit::parse(&typo.into_iter().collect::<String>()).is_err());
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
