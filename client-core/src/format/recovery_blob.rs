//! The recovery blob: the account's vault keys as the server keeps them for the
//! recovery kit. Pure formats, no I/O.
//!
//! - **v1** (written at registration): nonce and XChaCha20-Poly1305 ciphertext
//!   under the kit's wrap key. Only the kit's holder can write one.
//! - **v2** (`MCR2`, written after key rotations before signed blobs existed):
//!   sealed to the kit's X25519 key. Anyone who knows that public key could have
//!   written it, so a device recovered from one says so.
//! - **v3** (`MCR3`, written after key rotations now): v2's sealing, plus the
//!   writing device's id and its Ed25519 signature over
//!   `"mycase/v1/recovery-blob-v3" || account_id || SHA-256(sealed)`. A recovered
//!   device accepts it only once the journal shows that device is trusted.
//!
//! The plaintext is a `PairingGrant` (account id, keyring, trust anchors).

use mycase_proto::v1::PairingGrant;
use prost::Message;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::crypto::aead::{xchacha_open, xchacha_seal};
use crate::crypto::seal_to::{open_sealed, seal_to};
use crate::crypto::DecryptError;
use crate::format::keyfile::TrustAnchor;
use crate::format::keys::{verify_signature, DeviceKeys, KeyError, Keyring, RecoveryKit};
use crate::ids::{id_from_slice, AccountId, DeviceId};

const V1_AD: &[u8] = b"mycase/v1/recovery-blob";
/// Signed blobs start with this.
pub const V3_PREFIX: &[u8; 4] = b"MCR3";
const V3_AD: &[u8] = b"mycase/v1/recovery-blob-v3";
const V3_SIGNATURE_LABEL: &[u8] = b"mycase/v1/recovery-blob-v3";

/// What a recovery blob holds: the account's keyring and the devices trusted when
/// it was sealed.
#[derive(Debug)]
pub struct RecoveredKeys {
    /// The account's vault keys.
    pub keyring: Keyring,
    /// The devices trusted when it was sealed.
    pub trust_anchors: Vec<TrustAnchor>,
}

/// Who wrote a blob, as far as its format can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlobAuthor {
    /// v1: sealed under a key only the kit derives.
    Kit,
    /// v2: sealed to the kit's public key; anyone could have written it.
    Anonymous,
    /// v3: signed by this device; [`signed_by`] checks the signature once the
    /// device's key is known from the journal.
    Device {
        /// The device that signed it.
        device_id: DeviceId,
        /// Its signature over the sealed blob's hash.
        signature: [u8; 64],
        /// SHA-256 of the sealed part.
        sealed_hash: [u8; 32],
    },
}

/// An opened blob.
#[derive(Debug)]
pub struct OpenedBlob {
    /// What it holds.
    pub keys: RecoveredKeys,
    /// Who wrote it.
    pub author: BlobAuthor,
}

fn grant_of(
    account_id: &AccountId,
    keyring: &Keyring,
    anchors: &[TrustAnchor],
) -> Zeroizing<Vec<u8>> {
    let bundle = PairingGrant {
        account_id: account_id.to_vec(),
        keyring: keyring.to_proto(),
        roster: anchors.iter().map(TrustAnchor::to_proto).collect(),
        ..Default::default()
    };
    Zeroizing::new(bundle.encode_to_vec())
}

fn v3_signed_message(account_id: &AccountId, sealed_hash: &[u8; 32]) -> Vec<u8> {
    [
        V3_SIGNATURE_LABEL,
        account_id.as_slice(),
        sealed_hash.as_slice(),
    ]
    .concat()
}

/// The blob registration uploads: v1, under the kit's wrap key.
pub fn seal_v1(
    kit: &RecoveryKit,
    account_id: &AccountId,
    keyring: &Keyring,
    trust_anchors: &[TrustAnchor],
) -> Vec<u8> {
    let plain = grant_of(account_id, keyring, trust_anchors);
    let ad = [V1_AD, account_id].concat();
    let (nonce, ct) = xchacha_seal(&kit.wrap_key(), &ad, &plain);
    [nonce.as_slice(), &ct].concat()
}

/// A signed blob (v3), sealed to the kit's X25519 key by the device `author`.
pub fn seal_v3(
    recovery_dh_public: &[u8; 32],
    account_id: &AccountId,
    keyring: &Keyring,
    trust_anchors: &[TrustAnchor],
    author: &DeviceId,
    author_keys: &DeviceKeys,
) -> Vec<u8> {
    let plain = grant_of(account_id, keyring, trust_anchors);
    let sealed = seal_to(
        recovery_dh_public,
        &[],
        &[V3_AD, account_id.as_slice()].concat(),
        &plain,
    );
    let sealed_hash: [u8; 32] = Sha256::digest(&sealed).into();
    let signature = author_keys.sign(&v3_signed_message(account_id, &sealed_hash));
    [
        V3_PREFIX.as_slice(),
        author.as_slice(),
        signature.as_slice(),
        &sealed,
    ]
    .concat()
}

/// Opens any version of the blob with the kit. Every failure is the same
/// [`KeyError::BadRecoveryKit`]: a wrong kit and a damaged blob look alike.
pub fn open(
    kit: &RecoveryKit,
    account_id: &AccountId,
    blob: &[u8],
) -> Result<OpenedBlob, KeyError> {
    if let Some(rest) = blob.strip_prefix(V3_PREFIX.as_slice()) {
        if let Some(opened) = open_v3(kit, account_id, rest) {
            return Ok(opened);
        }
    }
    if let Some(sealed) = blob.strip_prefix(RECOVERY_BLOB_V2_PREFIX.as_slice()) {
        if let Ok(mut bundle) = open_recovery_blob_v2(kit, account_id, sealed) {
            return Ok(OpenedBlob {
                keys: recovered_from_grant(account_id, &mut bundle)?,
                author: BlobAuthor::Anonymous,
            });
        }
    }
    // Else v1 (whose random nonce may happen to start with a prefix).
    if blob.len() < 24 {
        return Err(KeyError::BadRecoveryKit);
    }
    let (nonce, ct) = blob.split_at(24);
    let ad = [V1_AD, account_id].concat();
    let plain =
        xchacha_open(&kit.wrap_key(), nonce, &ad, ct).map_err(|_| KeyError::BadRecoveryKit)?;
    let mut bundle =
        PairingGrant::decode(plain.as_slice()).map_err(|_| KeyError::BadRecoveryKit)?;
    Ok(OpenedBlob {
        keys: recovered_from_grant(account_id, &mut bundle)?,
        author: BlobAuthor::Kit,
    })
}

fn open_v3(kit: &RecoveryKit, account_id: &AccountId, rest: &[u8]) -> Option<OpenedBlob> {
    let device_id = id_from_slice(rest.get(..16)?)?;
    let signature: [u8; 64] = rest.get(16..80)?.try_into().ok()?;
    let sealed = rest.get(80..)?;
    let plain = crate::crypto::seal_to::open_sealed(
        &kit.dh_secret(),
        &[],
        &[V3_AD, account_id.as_slice()].concat(),
        sealed,
    )
    .ok()?;
    let mut bundle = PairingGrant::decode(plain.as_slice()).ok()?;
    let keys = recovered_from_grant(account_id, &mut bundle).ok()?;
    Some(OpenedBlob {
        keys,
        author: BlobAuthor::Device {
            device_id,
            signature,
            sealed_hash: Sha256::digest(sealed).into(),
        },
    })
}

/// Whether a v3 blob's signature verifies under `device_key` (the key the journal
/// gives its author).
pub fn signed_by(author: &BlobAuthor, account_id: &AccountId, device_key: &[u8; 32]) -> bool {
    match author {
        BlobAuthor::Device {
            signature,
            sealed_hash,
            ..
        } => verify_signature(
            device_key,
            &v3_signed_message(account_id, sealed_hash),
            signature,
        ),
        BlobAuthor::Kit => true,
        BlobAuthor::Anonymous => false,
    }
}

/// What a blob's `PairingGrant` holds, checked against the account.
fn recovered_from_grant(
    account_id: &AccountId,
    bundle: &mut PairingGrant,
) -> Result<RecoveredKeys, KeyError> {
    if bundle.account_id != account_id {
        return Err(KeyError::BadRecoveryKit);
    }
    let trust_anchors = bundle
        .roster
        .iter()
        .map(TrustAnchor::from_proto)
        .collect::<Option<Vec<_>>>()
        .ok_or(KeyError::BadRecoveryKit)?;
    Ok(RecoveredKeys {
        keyring: Keyring::from_proto(&mut bundle.keyring)?,
        trust_anchors,
    })
}

// Version 2: sealed to the kit's X25519 key, so any device can rewrite it after a
// rotation without the kit.

/// Recovery blobs written after a rotation start with this (earlier ones are a
/// bare nonce and ciphertext under the kit's wrap key).
pub const RECOVERY_BLOB_V2_PREFIX: &[u8; 4] = b"MCR2";
const RECOVERY_BLOB_V2_AD: &[u8] = b"mycase/v1/recovery-blob-v2";

fn recovery_blob_ad(account_id: &AccountId) -> Vec<u8> {
    [RECOVERY_BLOB_V2_AD, account_id].concat()
}

/// The keyring and trust anchors sealed to the recovery kit's X25519 public key
/// (from the journal's `RecoveryKeySet`): any device can write it, only the kit
/// opens it. The plaintext is a `PairingGrant`, as in the first blob.
pub fn seal_recovery_blob_v2(
    recovery_dh_public: &[u8; 32],
    account_id: &AccountId,
    keyring: &Keyring,
    trust_anchors: &[TrustAnchor],
) -> Vec<u8> {
    let bundle = PairingGrant {
        account_id: account_id.to_vec(),
        keyring: keyring.to_proto(),
        roster: trust_anchors.iter().map(TrustAnchor::to_proto).collect(),
        ..Default::default()
    };
    let plain = Zeroizing::new(bundle.encode_to_vec());
    let sealed = seal_to(
        recovery_dh_public,
        &[],
        &recovery_blob_ad(account_id),
        &plain,
    );
    [RECOVERY_BLOB_V2_PREFIX.as_slice(), &sealed].concat()
}

/// Opens a blob from [`seal_recovery_blob_v2`] (without its prefix) with the kit;
/// returns the `PairingGrant` inside.
pub(crate) fn open_recovery_blob_v2(
    kit: &RecoveryKit,
    account_id: &AccountId,
    sealed: &[u8],
) -> Result<PairingGrant, KeyError> {
    let plain = open_sealed(&kit.dh_secret(), &[], &recovery_blob_ad(account_id), sealed)
        .map_err(|DecryptError| KeyError::BadRecoveryKit)?;
    PairingGrant::decode(plain.as_slice()).map_err(|_| KeyError::BadRecoveryKit)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn signed_blobs_name_their_author_and_open_only_with_the_kit() {
        let kit = RecoveryKit::generate();
        let writer = DeviceKeys::generate();
        let ring = Keyring::generate();
        let blob = seal_v3(&kit.dh_public(), &[1; 16], &ring, &[], &[7; 16], &writer);
        let opened = open(&kit, &[1; 16], &blob).unwrap();
        assert_eq!(opened.keys.keyring.len(), 1);
        let BlobAuthor::Device { device_id, .. } = opened.author else {
            panic!("not signed");
        };
        assert_eq!(device_id, [7; 16]);
        assert!(signed_by(&opened.author, &[1; 16], &writer.sign_public()));
        let other = DeviceKeys::generate();
        assert!(!signed_by(&opened.author, &[1; 16], &other.sign_public()));
        // Another kit, another account, a flipped byte: the same opaque refusal.
        assert!(open(&RecoveryKit::generate(), &[1; 16], &blob).is_err());
        assert!(open(&kit, &[2; 16], &blob).is_err());
        let mut bad = blob.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert!(open(&kit, &[1; 16], &bad).is_err());
        // A claimed author swapped in: the signature no longer covers it for its key.
        let mut swapped = blob;
        swapped[4] ^= 1;
        let opened = open(&kit, &[1; 16], &swapped).unwrap();
        assert!(
            matches!(opened.author, BlobAuthor::Device { device_id, .. } if device_id != [7; 16])
        );

        let v1 = seal_v1(&kit, &[1; 16], &ring, &[]);
        assert_eq!(open(&kit, &[1; 16], &v1).unwrap().author, BlobAuthor::Kit);
    }

    #[test]
    fn recovery_blob_v2_opens_only_with_the_kit() {
        let kit = RecoveryKit::generate();
        let mut ring = Keyring::generate();
        ring.insert(
            5 << crate::format::epoch_keys::GENERATION_SHIFT,
            crate::format::keys::VaultKey::from_bytes([5; 32]),
        );
        let blob = seal_recovery_blob_v2(&kit.dh_public(), &[1; 16], &ring, &[]);
        assert!(blob.starts_with(RECOVERY_BLOB_V2_PREFIX));
        let inner = &blob[RECOVERY_BLOB_V2_PREFIX.len()..];
        let grant = open_recovery_blob_v2(&kit, &[1; 16], inner).unwrap();
        assert_eq!(grant.keyring.len(), 2);
        assert!(open_recovery_blob_v2(&RecoveryKit::generate(), &[1; 16], inner).is_err());
        assert!(open_recovery_blob_v2(&kit, &[2; 16], inner).is_err());
    }
}
