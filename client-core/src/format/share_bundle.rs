//! The share bundle format, version 1: what the server stores and the viewer's
//! script (`server/src/api/http/viewer.js`) decrypts with WebCrypto. Keep both in step.
//!
//! ```text
//! bundle  = header (74 bytes) || body
//! header  = magic "MYCASESH" (8) || version 0x01 (1) || flags (1: bit 0 = password)
//!           || pbkdf2 iterations (4, u32 big-endian; 0 without a password)
//!           || salt (16; zeros without a password) || nonce (12)
//!           || key_check (16) || password_check (16; zeros without a password)
//! core    = the header's first 42 bytes (magic .. nonce)
//! check_ad = share_id (16 bytes) || core
//!
//! K       = the 32 random bytes in the link's fragment (base64url, no padding)
//! P       = PBKDF2-HMAC-SHA256(password as UTF-8, salt, iterations, 32 bytes)
//! secret  = K || P with a password, else K
//! HKDF    = HKDF-SHA256 with an empty salt; info is the label
//! key_check      = AES-256-GCM(HKDF(K, "mycase/v1/share/key-check"),
//!                              nonce 0^12, plaintext "", ad check_ad)        (the tag)
//! password_check = AES-256-GCM(HKDF(secret, "mycase/v1/share/password-check"),
//!                              nonce 0^12, plaintext "", ad check_ad)        (the tag)
//! body    = AES-256-GCM(HKDF(secret, "mycase/v1/share/body"), nonce,
//!                       padded contents, ad share_id || header)
//! ```
//!
//! The checks let an opener tell apart a wrong or incomplete key (key_check fails),
//! a wrong password (password_check fails) and an altered bundle (the body fails).
//! A fixed zero nonce is safe for the checks: each check key is derived from a fresh
//! random K and seals exactly one (empty) message. The body's associated data is the
//! share id and the whole header, so no part can be swapped between shares.
//! Iterations below [`MIN_ITERATIONS`] are refused when opening (a forged header
//! must not weaken the password), and above [`MAX_ITERATIONS`] too (it must not hang
//! the opener). The contents inside the body are described in [`crate::share::contents`].

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::crypto::kdf::hkdf_sha256;
use crate::crypto::random_bytes;

/// The first bytes of every bundle.
pub const MAGIC: [u8; 8] = *b"MYCASESH";
/// The bundle format version.
pub const VERSION: u8 = 1;
/// Bytes of the header.
pub const HEADER_LEN: usize = 74;
const CORE_LEN: usize = 42;
/// Bytes of the link's key.
pub const KEY_LEN: usize = 32;
/// Bytes of a share id.
pub const SHARE_ID_LEN: usize = 16;
/// Bytes of the password salt.
pub const SALT_LEN: usize = 16;
/// Bytes of the AES-GCM nonce.
pub const NONCE_LEN: usize = 12;
/// Bytes of the AES-GCM tag.
pub const TAG_LEN: usize = 16;
/// OWASP's 2023 figure for PBKDF2-HMAC-SHA256; fewer are refused when opening.
pub const MIN_ITERATIONS: u32 = 600_000;
/// The most PBKDF2 iterations a bundle may ask for.
pub const MAX_ITERATIONS: u32 = 10_000_000;
/// PBKDF2 iterations new bundles use.
pub const DEFAULT_ITERATIONS: u32 = MIN_ITERATIONS;

const FLAG_PASSWORD: u8 = 1;
const LABEL_KEY_CHECK: &str = "mycase/v1/share/key-check";
const LABEL_PASSWORD_CHECK: &str = "mycase/v1/share/password-check";
const LABEL_BODY: &str = "mycase/v1/share/body";

/// A share id (random).
pub type ShareId = [u8; SHARE_ID_LEN];

/// The key in a link's fragment. Redacted `Debug`, zeroized on drop.
#[derive(Clone)]
pub struct ShareKey(Zeroizing<[u8; KEY_LEN]>);

impl ShareKey {
    /// A fresh random key.
    pub fn random() -> Self {
        ShareKey(Zeroizing::new(random_bytes()))
    }

    /// A key from its bytes.
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        ShareKey(Zeroizing::new(bytes))
    }

    /// The key itself (never log it).
    pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }
}

impl std::fmt::Debug for ShareKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ShareKey(<redacted>)")
    }
}

/// Why a bundle did not open. Each says what a person can do about it; none
/// carries key material or content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    /// Not a MyCase share, or damaged.
    #[error("this is not a MyCase share, or it was damaged on the way")]
    NotAShare,
    /// Made by a newer MyCase (its format version).
    #[error("this share was made by a newer version of MyCase (format {0})")]
    UnsupportedVersion(u8),
    /// The link's key does not open it.
    #[error("the link's key does not open this share: the link is incomplete or was changed (copy the whole link, including the part after #)")]
    WrongKey,
    /// A password is needed.
    #[error("this share is protected by a password")]
    PasswordRequired,
    /// The password is not right.
    #[error("the password is not right")]
    WrongPassword,
    /// Its password protection is weaker than MyCase allows.
    #[error("this share's password protection is weaker than MyCase allows ({iterations} iterations); it was not made by MyCase or was altered")]
    WeakPasswordProtection {
        /// The PBKDF2 iterations it asks for.
        iterations: u32,
    },
    /// Its contents do not match what was shared.
    #[error("this share has been altered: its contents do not match what was shared")]
    Altered,
}

/// What the header says before anything is decrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderInfo {
    /// A password protects it.
    pub has_password: bool,
    /// PBKDF2 iterations for the password.
    pub iterations: u32,
}

/// The password to seal with, and its PBKDF2 cost.
pub struct Password<'a> {
    /// The password.
    pub password: &'a [u8],
    /// PBKDF2 iterations.
    pub iterations: u32,
}

/// The random parts of a seal, separate so frozen vectors can be reproduced.
pub struct SealRandomness {
    /// The password salt.
    pub salt: [u8; SALT_LEN],
    /// The AES-GCM nonce.
    pub nonce: [u8; NONCE_LEN],
}

impl SealRandomness {
    /// Fresh random salt and nonce.
    pub fn fresh() -> Self {
        SealRandomness {
            salt: random_bytes(),
            nonce: random_bytes(),
        }
    }
}

/// Seals `padded_contents` for `share_id` under `key` (and `password`, if any).
pub fn seal(
    share_id: &ShareId,
    key: &ShareKey,
    password: Option<Password<'_>>,
    padded_contents: &[u8],
) -> Vec<u8> {
    seal_with(
        share_id,
        key,
        password,
        padded_contents,
        SealRandomness::fresh(),
    )
}

/// [`seal`] with given randomness (tests and frozen vectors only need this).
pub fn seal_with(
    share_id: &ShareId,
    key: &ShareKey,
    password: Option<Password<'_>>,
    padded_contents: &[u8],
    randomness: SealRandomness,
) -> Vec<u8> {
    let mut header = [0u8; HEADER_LEN];
    header[..8].copy_from_slice(&MAGIC);
    header[8] = VERSION;
    let (flags, iterations, salt) = match &password {
        Some(p) => (FLAG_PASSWORD, p.iterations, randomness.salt),
        None => (0, 0, [0u8; SALT_LEN]),
    };
    header[9] = flags;
    header[10..14].copy_from_slice(&iterations.to_be_bytes());
    header[14..30].copy_from_slice(&salt);
    header[30..42].copy_from_slice(&randomness.nonce);

    let check_ad = check_ad(share_id, &header);
    let key_check = tag(
        &hkdf_sha256(key.as_bytes(), &[], LABEL_KEY_CHECK),
        &check_ad,
    );
    header[42..58].copy_from_slice(&key_check);
    let secret = secret(key, password.map(|p| p.password), &salt, iterations);
    if flags & FLAG_PASSWORD != 0 {
        let password_check = tag(&hkdf_sha256(&secret, &[], LABEL_PASSWORD_CHECK), &check_ad);
        header[58..74].copy_from_slice(&password_check);
    }

    let body_key = hkdf_sha256(&secret, &[], LABEL_BODY);
    let mut out = Vec::with_capacity(HEADER_LEN + padded_contents.len() + TAG_LEN);
    out.extend_from_slice(&header);
    out.extend_from_slice(&aes_gcm_seal(
        &body_key,
        &randomness.nonce,
        padded_contents,
        &body_ad(share_id, &header),
    ));
    out
}

/// Reads the header without decrypting (whether to ask for a password).
pub fn header_info(bundle: &[u8]) -> Result<HeaderInfo, OpenError> {
    let header = header(bundle)?;
    Ok(HeaderInfo {
        has_password: header[9] & FLAG_PASSWORD != 0,
        iterations: u32::from_be_bytes([header[10], header[11], header[12], header[13]]),
    })
}

/// Checks the key, then the password, then decrypts; returns the padded contents.
pub fn open(
    share_id: &ShareId,
    key: &ShareKey,
    password: Option<&[u8]>,
    bundle: &[u8],
) -> Result<Zeroizing<Vec<u8>>, OpenError> {
    let info = header_info(bundle)?;
    let header: [u8; HEADER_LEN] = header(bundle)?;
    let check_ad = check_ad(share_id, &header);
    let key_check_key = hkdf_sha256(key.as_bytes(), &[], LABEL_KEY_CHECK);
    if !tag_matches(&key_check_key, &check_ad, &header[42..58]) {
        return Err(OpenError::WrongKey);
    }
    let salt: [u8; SALT_LEN] = header[14..30]
        .try_into()
        .map_err(|_| OpenError::NotAShare)?;
    let secret = if info.has_password {
        if !(MIN_ITERATIONS..=MAX_ITERATIONS).contains(&info.iterations) {
            return Err(OpenError::WeakPasswordProtection {
                iterations: info.iterations,
            });
        }
        let password = password.ok_or(OpenError::PasswordRequired)?;
        let secret = secret(key, Some(password), &salt, info.iterations);
        let check_key = hkdf_sha256(&secret, &[], LABEL_PASSWORD_CHECK);
        if !tag_matches(&check_key, &check_ad, &header[58..74]) {
            return Err(OpenError::WrongPassword);
        }
        secret
    } else {
        secret(key, None, &salt, 0)
    };
    let nonce: [u8; NONCE_LEN] = header[30..42]
        .try_into()
        .map_err(|_| OpenError::NotAShare)?;
    let body_key = hkdf_sha256(&secret, &[], LABEL_BODY);
    aes_gcm_open(
        &body_key,
        &nonce,
        &bundle[HEADER_LEN..],
        &body_ad(share_id, &header),
    )
    .ok_or(OpenError::Altered)
}

fn header(bundle: &[u8]) -> Result<[u8; HEADER_LEN], OpenError> {
    if bundle.len() < 9 || bundle[..8] != MAGIC {
        return Err(OpenError::NotAShare);
    }
    if bundle[8] != VERSION {
        return Err(OpenError::UnsupportedVersion(bundle[8]));
    }
    if bundle.len() < HEADER_LEN + TAG_LEN {
        return Err(OpenError::NotAShare);
    }
    bundle[..HEADER_LEN]
        .try_into()
        .map_err(|_| OpenError::NotAShare)
}

fn check_ad(share_id: &ShareId, header: &[u8; HEADER_LEN]) -> Vec<u8> {
    let mut ad = Vec::with_capacity(SHARE_ID_LEN + CORE_LEN);
    ad.extend_from_slice(share_id);
    ad.extend_from_slice(&header[..CORE_LEN]);
    ad
}

fn body_ad(share_id: &ShareId, header: &[u8; HEADER_LEN]) -> Vec<u8> {
    let mut ad = Vec::with_capacity(SHARE_ID_LEN + HEADER_LEN);
    ad.extend_from_slice(share_id);
    ad.extend_from_slice(header);
    ad
}

/// `K`, or `K || PBKDF2(password)`.
fn secret(
    key: &ShareKey,
    password: Option<&[u8]>,
    salt: &[u8; SALT_LEN],
    iterations: u32,
) -> Zeroizing<Vec<u8>> {
    let mut secret = Zeroizing::new(key.as_bytes().to_vec());
    if let Some(password) = password {
        let mut derived = Zeroizing::new([0u8; KEY_LEN]);
        pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, iterations, derived.as_mut());
        secret.extend_from_slice(derived.as_ref());
    }
    secret
}

fn tag(key: &[u8; KEY_LEN], ad: &[u8]) -> Vec<u8> {
    aes_gcm_seal(key, &[0u8; NONCE_LEN], &[], ad)
}

fn tag_matches(key: &[u8; KEY_LEN], ad: &[u8], tag: &[u8]) -> bool {
    aes_gcm_open(key, &[0u8; NONCE_LEN], tag, ad).is_some()
}

fn aes_gcm_seal(key: &[u8; KEY_LEN], nonce: &[u8; NONCE_LEN], msg: &[u8], aad: &[u8]) -> Vec<u8> {
    let cipher = Aes256Gcm::new(key.into());
    // Encryption fails only past GCM's 64 GiB limit, far above any share size limit.
    cipher
        .encrypt(Nonce::from_slice(nonce), Payload { msg, aad })
        .unwrap_or_default()
}

fn aes_gcm_open(
    key: &[u8; KEY_LEN],
    nonce: &[u8; NONCE_LEN],
    sealed: &[u8],
    aad: &[u8],
) -> Option<Zeroizing<Vec<u8>>> {
    let cipher = Aes256Gcm::new(key.into());
    cipher
        .decrypt(Nonce::from_slice(nonce), Payload { msg: sealed, aad })
        .ok()
        .map(Zeroizing::new)
}
