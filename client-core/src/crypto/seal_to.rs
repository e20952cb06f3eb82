//! Sealing to a device's X25519 public key (used to hand vault keys to a paired
//! device): an ephemeral X25519 exchange, HKDF-SHA256 with an optional extra secret
//! as salt (the pairing code's secret, which the server never sees), then
//! XChaCha20-Poly1305. Output: `ephemeral public key (32) || nonce (24) || ciphertext`.

use x25519_dalek::{EphemeralSecret, PublicKey, StaticSecret};
use zeroize::Zeroizing;

use super::aead::{xchacha_open, xchacha_seal, NONCE_LEN};
use super::kdf::hkdf_sha256;
use super::DecryptError;

const LABEL: &str = "mycase/v1/sealed-to";

fn transcript(ephemeral: &[u8; 32], recipient: &[u8; 32], ad: &[u8]) -> Vec<u8> {
    let mut t = Vec::with_capacity(64 + ad.len());
    t.extend_from_slice(ephemeral);
    t.extend_from_slice(recipient);
    t.extend_from_slice(ad);
    t
}

/// Seals `plaintext` so only the holder of `recipient`'s secret key (and of
/// `extra_secret`) can open it; `ad` is bound but not hidden.
pub fn seal_to(recipient: &[u8; 32], extra_secret: &[u8], ad: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let recipient_pk = PublicKey::from(*recipient);
    let eph = EphemeralSecret::random_from_rng(rand::rngs::OsRng);
    let eph_pk = PublicKey::from(&eph);
    let shared = eph.diffie_hellman(&recipient_pk);
    let key = hkdf_sha256(shared.as_bytes(), extra_secret, LABEL);
    let (nonce, ct) = xchacha_seal(
        &key,
        &transcript(eph_pk.as_bytes(), recipient, ad),
        plaintext,
    );
    let mut out = Vec::with_capacity(32 + NONCE_LEN + ct.len());
    out.extend_from_slice(eph_pk.as_bytes());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    out
}

/// Opens what [`seal_to`] produced.
pub fn open_sealed(
    recipient: &StaticSecret,
    extra_secret: &[u8],
    ad: &[u8],
    sealed: &[u8],
) -> Result<Zeroizing<Vec<u8>>, DecryptError> {
    let (eph, rest) = sealed.split_first_chunk::<32>().ok_or(DecryptError)?;
    let (nonce, ct) = rest.split_first_chunk::<NONCE_LEN>().ok_or(DecryptError)?;
    let shared = recipient.diffie_hellman(&PublicKey::from(*eph));
    // A low-order ephemeral key gives an all-zero secret anyone could compute.
    if !shared.was_contributory() {
        return Err(DecryptError);
    }
    let key = hkdf_sha256(shared.as_bytes(), extra_secret, LABEL);
    let recipient_pk = PublicKey::from(recipient);
    xchacha_open(
        &key,
        nonce,
        &transcript(eph, recipient_pk.as_bytes(), ad),
        ct,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_binding() {
        let sk = StaticSecret::random_from_rng(rand::rngs::OsRng);
        let pk = PublicKey::from(&sk).to_bytes();
        let sealed = seal_to(&pk, b"code", b"ad", b"vault keys");
        assert_eq!(
            &*open_sealed(&sk, b"code", b"ad", &sealed).unwrap(),
            b"vault keys"
        );
        assert!(open_sealed(&sk, b"wrong code", b"ad", &sealed).is_err());
        assert!(open_sealed(&sk, b"code", b"other", &sealed).is_err());
        let other = StaticSecret::random_from_rng(rand::rngs::OsRng);
        assert!(open_sealed(&other, b"code", b"ad", &sealed).is_err());
        let mut swapped = sealed.clone();
        swapped[..32].copy_from_slice(&[0u8; 32]);
        assert!(open_sealed(&sk, b"code", b"ad", &swapped).is_err());
        assert!(open_sealed(&sk, b"code", b"ad", &sealed[..40]).is_err());
    }
}
