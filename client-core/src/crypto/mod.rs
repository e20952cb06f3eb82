//! Cryptographic primitives, each a small function named after what it does.
//!
//! No I/O here. Decryption failures are deliberately opaque ([`DecryptError`]): a
//! caller learns that something did not authenticate, never why.

pub mod aead;
pub mod grouped_base32;
pub mod kdf;
pub mod padme;
pub mod passphrase;
pub mod seal_to;

/// Something did not authenticate: wrong key, altered bytes, or altered context.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("decryption failed: wrong key or the data was altered")]
pub struct DecryptError;

/// Fills a fresh array from the operating system's CSPRNG.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    use rand::RngCore;
    let mut out = [0u8; N];
    rand::rngs::OsRng.fill_bytes(&mut out);
    out
}
