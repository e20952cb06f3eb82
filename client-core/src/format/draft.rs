//! A half-written entry kept across a lock: the app's form fields, sealed so that
//! only this device's passphrase opens them again (never plaintext on disk).
//!
//! Layout (v1): `MAGIC` (8 bytes, also the associated data) ‖ nonce (24) ‖
//! XChaCha20-Poly1305 ciphertext of the form's bytes, under
//! HKDF-SHA256(device X25519 secret, [`kdf::LOCAL_DRAFT`]).

use zeroize::Zeroizing;

use crate::crypto::aead::{xchacha_open, xchacha_seal, xchacha_seal_with_nonce, NONCE_LEN};
use crate::crypto::kdf;

/// The first bytes of a v1 draft file.
pub const MAGIC: &[u8; 8] = b"MCDRAFT1";
/// The largest draft kept (a form's text fields, not its attachments).
pub const MAX_DRAFT_BYTES: usize = 1024 * 1024;

/// Why a draft file could not be opened.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DraftError {
    /// Not a draft this version reads.
    #[error("not a MyCase draft (or from a newer version)")]
    UnknownFormat,
    /// It does not open under this device's key (damaged, or from before new keys).
    #[error("the kept draft could not be opened")]
    Unopenable,
    /// Larger than any draft this version keeps.
    #[error("the draft is too large to keep")]
    TooLarge,
}

/// The draft key of the device whose X25519 secret this is.
pub fn draft_key(dh_secret: &[u8; 32]) -> Zeroizing<[u8; 32]> {
    kdf::subkey(dh_secret, kdf::LOCAL_DRAFT)
}

/// Seals a draft under a fresh nonce.
pub fn seal(key: &[u8; 32], draft: &[u8]) -> Result<Vec<u8>, DraftError> {
    if draft.len() > MAX_DRAFT_BYTES {
        return Err(DraftError::TooLarge);
    }
    let (nonce, ct) = xchacha_seal(key, MAGIC, draft);
    Ok(frame(&nonce, &ct))
}

/// [`seal`] with a given nonce: frozen vectors only.
pub fn seal_with_nonce(key: &[u8; 32], nonce: &[u8; NONCE_LEN], draft: &[u8]) -> Vec<u8> {
    frame(nonce, &xchacha_seal_with_nonce(key, nonce, MAGIC, draft))
}

fn frame(nonce: &[u8; NONCE_LEN], ct: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(MAGIC.len() + NONCE_LEN + ct.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(nonce);
    out.extend_from_slice(ct);
    out
}

/// Opens a sealed draft.
pub fn open(key: &[u8; 32], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, DraftError> {
    let rest = sealed
        .strip_prefix(MAGIC.as_slice())
        .ok_or(DraftError::UnknownFormat)?;
    if rest.len() > NONCE_LEN + MAX_DRAFT_BYTES + 16 {
        return Err(DraftError::TooLarge);
    }
    let (nonce, ct) = rest
        .split_at_checked(NONCE_LEN)
        .ok_or(DraftError::Unopenable)?;
    xchacha_open(key, nonce, MAGIC, ct).map_err(|_| DraftError::Unopenable)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn round_trips_and_refuses_another_key_or_a_flipped_byte() {
        let key = draft_key(&[7; 32]);
        let sealed = seal(&key, b"title=kitchen").unwrap();
        assert_eq!(open(&key, &sealed).unwrap().as_slice(), b"title=kitchen");
        assert!(!sealed.windows(7).any(|w| w == b"kitchen"));
        let other = draft_key(&[8; 32]);
        assert_eq!(open(&other, &sealed), Err(DraftError::Unopenable));
        let mut flipped = sealed.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert_eq!(open(&key, &flipped), Err(DraftError::Unopenable));
        assert_eq!(open(&key, b"MCDRAFT2xx"), Err(DraftError::UnknownFormat));
        assert_eq!(open(&key, b"MCDRAFT1"), Err(DraftError::Unopenable));
        assert_eq!(
            seal(&key, &vec![0; MAX_DRAFT_BYTES + 1]),
            Err(DraftError::TooLarge)
        );
    }
}
