//! A share link's access token: what a fetch shows the server to prove it holds
//! the link, so nobody with only the share id (from a log, a proxy, a link
//! preview that dropped the fragment) can spend its views.
//!
//! ```text
//! token = HKDF-SHA256(ikm = K (the link's key), salt = "", info = "mycase/v1/share/access-token")
//! ```
//!
//! The server is given SHA-256(token) when the share is created and the token at
//! each fetch; it compares the hashes in constant time. The token is a separate
//! HKDF output from the keys that seal the bundle (`format`), so holding it opens
//! nothing. The viewer (`server/src/api/http/viewer.js`) derives the same with
//! WebCrypto; a frozen vector in `tests/vectors/share-access-v1.txt` holds both.

use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::format::ShareKey;
use crate::crypto::kdf::hkdf_sha256;

/// The HKDF label of the access token.
pub const ACCESS_TOKEN_LABEL: &str = "mycase/v1/share/access-token";

/// A link's access token. Redacted `Debug`, zeroized on drop.
pub struct AccessToken(Zeroizing<[u8; 32]>);

impl AccessToken {
    /// The token of the link whose key is `key`.
    pub fn of(key: &ShareKey) -> Self {
        AccessToken(hkdf_sha256(key.as_bytes(), &[], ACCESS_TOKEN_LABEL))
    }

    /// The token itself.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// What the server keeps: SHA-256 of the token.
    pub fn hash(&self) -> [u8; 32] {
        Sha256::digest(self.0.as_ref()).into()
    }
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccessToken(<redacted>)")
    }
}
