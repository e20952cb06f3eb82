//! XChaCha20-Poly1305 with random 192-bit nonces (`docs/DESIGN.md`, "Sync: one append-only log per device").

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

use super::{random_bytes, DecryptError};

/// Key bytes.
pub const KEY_LEN: usize = 32;
/// Nonce bytes (random, 192 bits).
pub const NONCE_LEN: usize = 24;
/// Tag bytes.
pub const TAG_LEN: usize = 16;

/// Seals `plaintext` under a fresh random nonce; returns `(nonce, ciphertext)`.
pub fn xchacha_seal(
    key: &[u8; KEY_LEN],
    ad: &[u8],
    plaintext: &[u8],
) -> ([u8; NONCE_LEN], Vec<u8>) {
    let nonce = random_bytes::<NONCE_LEN>();
    (nonce, xchacha_seal_with_nonce(key, &nonce, ad, plaintext))
}

/// Seals with a given nonce. Only for frozen test vectors and callers that derive a
/// unique nonce themselves; a repeated (key, nonce) pair breaks confidentiality.
pub fn xchacha_seal_with_nonce(
    key: &[u8; KEY_LEN],
    nonce: &[u8; NONCE_LEN],
    ad: &[u8],
    plaintext: &[u8],
) -> Vec<u8> {
    let cipher = XChaCha20Poly1305::new(key.into());
    // Encryption of an in-memory buffer only fails past ~256 GiB, far beyond any
    // message limit; an empty ciphertext then fails to open rather than panicking.
    cipher
        .encrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: plaintext,
                aad: ad,
            },
        )
        .unwrap_or_default()
}

/// Opens a ciphertext; the plaintext is wiped from memory when dropped.
pub fn xchacha_open(
    key: &[u8; KEY_LEN],
    nonce: &[u8],
    ad: &[u8],
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, DecryptError> {
    if nonce.len() != NONCE_LEN || ciphertext.len() < TAG_LEN {
        return Err(DecryptError);
    }
    let cipher = XChaCha20Poly1305::new(key.into());
    cipher
        .decrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad: ad,
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| DecryptError)
}

/// HChaCha20(key, nonce[0..16]): the subkey XChaCha20-Poly1305 uses for this
/// nonce. Disclosing it opens one record without the vault key.
pub fn xchacha_subkey(key: &[u8; 32], nonce: &[u8; NONCE_LEN]) -> Zeroizing<[u8; 32]> {
    let sub = chacha20::hchacha::<chacha20::cipher::consts::U10>(key.into(), nonce[..16].into());
    let mut out = Zeroizing::new([0u8; 32]);
    out.copy_from_slice(&sub);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper_detection() {
        let key = [7u8; KEY_LEN];
        let (nonce, ct) = xchacha_seal(&key, b"ad", b"hello");
        assert_eq!(&*xchacha_open(&key, &nonce, b"ad", &ct).unwrap(), b"hello");
        assert_eq!(
            xchacha_open(&key, &nonce, b"other ad", &ct),
            Err(DecryptError)
        );
        assert_eq!(
            xchacha_open(&[8u8; KEY_LEN], &nonce, b"ad", &ct),
            Err(DecryptError)
        );
        let mut bad = ct.clone();
        bad[0] ^= 1;
        assert_eq!(xchacha_open(&key, &nonce, b"ad", &bad), Err(DecryptError));
        assert_eq!(
            xchacha_open(&key, &nonce[..23], b"ad", &ct),
            Err(DecryptError)
        );
        assert_eq!(
            xchacha_open(&key, &nonce, b"ad", &ct[..10]),
            Err(DecryptError)
        );
    }

    #[test]
    fn nonces_are_fresh() {
        let key = [7u8; KEY_LEN];
        let (n1, c1) = xchacha_seal(&key, b"", b"same");
        let (n2, c2) = xchacha_seal(&key, b"", b"same");
        assert_ne!(n1, n2);
        assert_ne!(c1, c2);
    }
}
