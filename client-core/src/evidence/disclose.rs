//! Disclosing one record without the journal key.
//!
//! A record is XChaCha20-Poly1305 under the epoch's record key `K` with a random
//! 24-byte nonce `N`. By the XChaCha construction (draft-irtf-cfrg-xchacha), that
//! is ChaCha20-Poly1305 (RFC 8439) under the subkey `HChaCha20(K, N[0..16])` with
//! the nonce `0000 || N[16..24]`. The subkey opens exactly that record: it is a
//! PRF output under `K` for a random input, so it tells nothing about `K` or about
//! any other record. An export discloses it for each record it relies on, so a
//! verifier can check the ciphertext and tag and read that one operation.
//!
//! Poly1305 does not commit to its key: someone who builds the ciphertext can make
//! it open under a second key to a second text. A version-2 record therefore
//! starts with a commitment to its subkey (see [`crate::format::record`]), inside what the
//! device signs, and a disclosed key must match it. A version-1 record has none:
//! it opens with the disclosed key, but nothing rules out a second key that opens
//! it differently ([`weakly_bound`]).

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::ChaCha20Poly1305;
use mycase_proto::v1::{Operation, Record};
use mycase_proto::wire::record_associated_data;
use prost::Message;
use zeroize::Zeroizing;

use crate::crypto::aead::{NONCE_LEN, TAG_LEN};
use crate::crypto::padme;
use crate::format::keys::{KeyError, Keyring};
use crate::format::record::{key_commitment, split_commitment, KEY_COMMITTED_FORMAT_VERSION};
use crate::ids::AccountId;

/// One record's ChaCha20-Poly1305 key.
pub type RecordSubkey = Zeroizing<[u8; 32]>;

/// Why a record could not be disclosed or checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DiscloseError {
    /// The record's nonce is not 24 bytes.
    #[error("the record's nonce is not 24 bytes")]
    BadNonce,
    /// The record's key epoch is not held.
    #[error("the record's key epoch is not held by this device")]
    UnknownEpoch,
    /// The record does not open with the disclosed key.
    #[error("the record does not open with the disclosed key: its ciphertext, tag, position or key was altered")]
    DoesNotOpen,
    /// The opened record holds no readable operation.
    #[error("the disclosed record does not hold a readable operation")]
    NotAnOperation,
    /// The disclosed key is not the one the record commits to.
    #[error("the disclosed key is not the key this record commits to: under it the record would read differently from how it was written")]
    NotCommitted,
    /// The record uses a format version this MyCase does not know.
    #[error("the record uses format version {0}, which this version of MyCase does not know")]
    UnknownFormat(u32),
}

/// True for a record whose format carries no key commitment (version 1): its
/// disclosed key opens it, but a second opening cannot be ruled out.
pub fn weakly_bound(record: &Record) -> bool {
    record.format_version < KEY_COMMITTED_FORMAT_VERSION
}

/// HChaCha20(key, nonce[0..16]): the subkey XChaCha20-Poly1305 used for this nonce.
pub fn xchacha_subkey(key: &[u8; 32], nonce: &[u8]) -> Result<RecordSubkey, DiscloseError> {
    let nonce: &[u8; NONCE_LEN] = nonce.try_into().map_err(|_| DiscloseError::BadNonce)?;
    Ok(subkey_for_nonce(key, nonce))
}

/// [`xchacha_subkey`] for a nonce known to be 24 bytes.
pub fn subkey_for_nonce(key: &[u8; 32], nonce: &[u8; NONCE_LEN]) -> RecordSubkey {
    crate::crypto::aead::xchacha_subkey(key, nonce)
}

/// The subkey that opens `record` alone, from the device's keyring.
pub fn record_subkey(keyring: &Keyring, record: &Record) -> Result<RecordSubkey, DiscloseError> {
    let key = keyring
        .get(record.key_epoch)
        .map_err(|_: KeyError| DiscloseError::UnknownEpoch)?;
    xchacha_subkey(key.record_key(), &record.nonce)
}

/// The ChaCha20-Poly1305 nonce XChaCha uses inside: four zero bytes, then the
/// last eight bytes of the record's nonce.
fn inner_nonce(nonce: &[u8]) -> Result<[u8; 12], DiscloseError> {
    let tail = nonce.get(16..NONCE_LEN).ok_or(DiscloseError::BadNonce)?;
    if nonce.len() != NONCE_LEN {
        return Err(DiscloseError::BadNonce);
    }
    let mut n = [0u8; 12];
    n[4..].copy_from_slice(tail);
    Ok(n)
}

/// Opens `record` (of `account_id`) with its disclosed subkey: checks the key
/// against the record's key commitment (version 2), its tag over the ciphertext
/// and the associated data rebuilt from its position, and returns the unpadded
/// operation bytes.
pub fn open_with_subkey(
    account_id: &AccountId,
    record: &Record,
    subkey: &[u8; 32],
) -> Result<Zeroizing<Vec<u8>>, DiscloseError> {
    if !mycase_proto::is_known_record_format(record.format_version) {
        return Err(DiscloseError::UnknownFormat(record.format_version));
    }
    let nonce = inner_nonce(&record.nonce)?;
    let (commitment, sealed) = split_commitment(record).ok_or(DiscloseError::DoesNotOpen)?;
    if let Some(commitment) = commitment {
        let expected = key_commitment(subkey);
        if !bool::from(subtle::ConstantTimeEq::ct_eq(
            commitment,
            expected.as_slice(),
        )) {
            return Err(DiscloseError::NotCommitted);
        }
    }
    if sealed.len() < TAG_LEN {
        return Err(DiscloseError::DoesNotOpen);
    }
    let ad = record_associated_data(
        account_id,
        &record.device_id,
        record.idx,
        &record.prev_hash,
        record.key_epoch,
        record.format_version,
    );
    let cipher = ChaCha20Poly1305::new(subkey.into());
    let padded = Zeroizing::new(
        cipher
            .decrypt(
                (&nonce).into(),
                Payload {
                    msg: sealed,
                    aad: &ad,
                },
            )
            .map_err(|_| DiscloseError::DoesNotOpen)?,
    );
    let data = padme::unpad(&padded).ok_or(DiscloseError::DoesNotOpen)?;
    Ok(Zeroizing::new(data.to_vec()))
}

/// Opens a disclosed record and decodes its operation.
pub fn open_operation(
    account_id: &AccountId,
    record: &Record,
    subkey: &[u8; 32],
) -> Result<Operation, DiscloseError> {
    let bytes = open_with_subkey(account_id, record, subkey)?;
    Operation::decode(bytes.as_slice()).map_err(|_| DiscloseError::NotAnOperation)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::format::keys::Keyring;
    use crate::format::record::{open_record, seal_record, Head};

    #[test]
    fn the_subkey_opens_its_record_and_no_other() {
        let ring = Keyring::generate();
        let account = [1; 16];
        let a = seal_record(&account, &[2; 16], &Head::GENESIS, &ring, b"first").unwrap();
        let b = seal_record(
            &account,
            &[2; 16],
            &Head::after(&account, &a),
            &ring,
            b"second",
        )
        .unwrap();
        let key_a = record_subkey(&ring, &a).unwrap();
        assert_eq!(&*open_with_subkey(&account, &a, &key_a).unwrap(), b"first");
        assert_eq!(
            &*open_with_subkey(&account, &a, &key_a).unwrap(),
            &*open_record(&account, &ring, &a).unwrap()
        );
        assert_eq!(
            open_with_subkey(&account, &b, &key_a),
            Err(DiscloseError::NotCommitted)
        );
        // Any altered byte or position fails: in the key commitment, or after it.
        let mut flipped = a.clone();
        flipped.ciphertext[0] ^= 1;
        assert_eq!(
            open_with_subkey(&account, &flipped, &key_a),
            Err(DiscloseError::NotCommitted)
        );
        let mut flipped = a.clone();
        flipped.ciphertext[40] ^= 1;
        assert_eq!(
            open_with_subkey(&account, &flipped, &key_a),
            Err(DiscloseError::DoesNotOpen)
        );
        let mut tag = a.clone();
        let last = tag.ciphertext.len() - 1;
        tag.ciphertext[last] ^= 1;
        assert!(open_with_subkey(&account, &tag, &key_a).is_err());
        let mut moved = a.clone();
        moved.idx = 5;
        assert!(open_with_subkey(&account, &moved, &key_a).is_err());
        assert!(open_with_subkey(&[9; 16], &a, &key_a).is_err());

        // Today's records commit to their key: another key is refused before
        // the tag is even checked, and an altered commitment is refused too.
        assert_eq!(a.format_version, 3);
        assert!(!weakly_bound(&a));
        assert_eq!(
            open_with_subkey(&account, &a, &[7; 32]),
            Err(DiscloseError::NotCommitted)
        );
        let mut recommitted = a.clone();
        recommitted.ciphertext[..32]
            .copy_from_slice(&crate::format::record::key_commitment(&[7; 32]));
        assert_eq!(
            open_with_subkey(&account, &recommitted, &[7; 32]),
            Err(DiscloseError::DoesNotOpen)
        );
        assert!(open_record(&account, &ring, &recommitted).is_err());
        let mut future = a.clone();
        future.format_version = 4;
        assert_eq!(
            open_with_subkey(&account, &future, &key_a),
            Err(DiscloseError::UnknownFormat(4))
        );
    }

    #[test]
    fn hchacha_matches_the_xchacha_draft_vector() {
        // draft-irtf-cfrg-xchacha-03, section 2.2.1.
        let key: [u8; 32] =
            hex::decode("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
                .unwrap()
                .try_into()
                .unwrap();
        let mut nonce = hex::decode("000000090000004a0000000031415927").unwrap();
        nonce.extend_from_slice(&[0; 8]);
        assert_eq!(
            hex::encode(*xchacha_subkey(&key, &nonce).unwrap()),
            "82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc"
        );
    }
}
