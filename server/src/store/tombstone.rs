//! Erasure tombstones. Each is stored under a tag, SHA-256 of a label and the
//! erased account's or device's id (`erased_account_tag`, `erased_device_tag`),
//! so the server recognises a returning device without keeping its id.
//!
//! What an erasure tombstone holds: the owner's signed statement, sealed under a
//! key derived from the erased account's or device's own id (which the server
//! keeps only hashed, as the tombstone's tag). The device presents its id when it
//! next connects, so the server can hand the statement back; someone reading a
//! copy of the disk without that id learns nothing from a tombstone, just as
//! before tombstones kept statements.
//!
//! ```text
//! key    = HKDF-SHA256(ikm = id, salt = "", info = "mycase/v1/tombstone-key")
//! sealed = nonce (24, random) || XChaCha20-Poly1305(key, nonce, statement, ad = tag)
//! ```
//! An empty value means no statement (the retention policy, or a tombstone from
//! before statements).

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use rand::rngs::OsRng;
use rand::RngCore;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::{Hash, Id, StoreError, StoreResult};

/// The content-free tombstone of an erased account: it lets `restore` and the
/// authentication path recognise the account without keeping its id.
pub fn erased_account_tag(account_id: &Id) -> Hash {
    let mut h = Sha256::new();
    h.update(b"mycase/v1/erased-account");
    h.update(account_id);
    h.finalize().into()
}

/// The tombstone of a device of an erased account, so its next connection is
/// told the account was deleted (and it wipes itself).
pub fn erased_device_tag(device_id: &Id) -> Hash {
    let mut h = Sha256::new();
    h.update(b"mycase/v1/erased-device");
    h.update(device_id);
    h.finalize().into()
}

const KEY_LABEL: &[u8] = b"mycase/v1/tombstone-key";
const NONCE_LEN: usize = 24;

fn cipher(id: &[u8]) -> StoreResult<XChaCha20Poly1305> {
    let mut key = Zeroizing::new([0u8; 32]);
    Hkdf::<Sha256>::new(None, id)
        .expand(KEY_LABEL, key.as_mut())
        .map_err(|_| StoreError::Corrupt("tombstone key length"))?;
    Ok(XChaCha20Poly1305::new(key.as_ref().into()))
}

/// The value stored under `tag` (the hash of `id`) for `statement`.
pub fn seal(id: &[u8], tag: &Hash, statement: Option<&[u8]>) -> StoreResult<Vec<u8>> {
    let Some(statement) = statement else {
        return Ok(Vec::new());
    };
    let mut nonce = [0u8; NONCE_LEN];
    OsRng.fill_bytes(&mut nonce);
    let sealed = cipher(id)?
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: statement,
                aad: tag,
            },
        )
        .map_err(|_| StoreError::Corrupt("tombstone sealing failed"))?;
    let mut out = nonce.to_vec();
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// The statement in a tombstone value, opened with the id it was sealed under.
/// `None` for an empty value; `Corrupt` if it does not open.
pub fn open(id: &[u8], tag: &Hash, value: &[u8]) -> StoreResult<Option<Vec<u8>>> {
    if value.is_empty() {
        return Ok(None);
    }
    let (nonce, sealed) = value
        .split_at_checked(NONCE_LEN)
        .ok_or(StoreError::Corrupt("tombstone too short"))?;
    cipher(id)?
        .decrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: sealed,
                aad: tag,
            },
        )
        .map(Some)
        .map_err(|_| StoreError::Corrupt("tombstone does not open with its id"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn opens_only_with_its_own_id_and_tag() {
        let tag = crate::store::erased_device_tag(&[1; 16]);
        let sealed = seal(&[1; 16], &tag, Some(b"statement")).unwrap();
        assert!(!sealed.windows(9).any(|w| w == b"statement"));
        assert_eq!(
            open(&[1; 16], &tag, &sealed).unwrap().as_deref(),
            Some(&b"statement"[..])
        );
        assert!(open(&[2; 16], &tag, &sealed).is_err());
        let other_tag = crate::store::erased_device_tag(&[2; 16]);
        assert!(open(&[1; 16], &other_tag, &sealed).is_err());
        assert_eq!(seal(&[1; 16], &tag, None).unwrap(), Vec::<u8>::new());
        assert_eq!(open(&[1; 16], &tag, &[]).unwrap(), None);
    }

    #[test]
    fn frozen_vector_opens() {
        // Frozen: tombstones written by this version must keep opening.
        let tag = crate::store::erased_device_tag(&[7; 16]);
        let sealed = hex::decode(FROZEN).unwrap();
        assert_eq!(
            open(&[7; 16], &tag, &sealed).unwrap().as_deref(),
            Some(&b"frozen statement"[..])
        );
    }

    const FROZEN: &str = "2ce885c00c2ccb09da58cc96849914e7f052e853b66e92ee501d71a44f33a6d306bc9eb9f6f95228480089bd2def0d64dd46f8fa76c2bbc0";
}
