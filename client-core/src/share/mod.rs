//! Sharing chosen entries with an advocate through a link that opens in any browser.
//!
//! - [`select`]: which entries, and the manifest describing them (pure).
//! - [`contents`]: the container inside the bundle (manifest + attachments, padded).
//! - [`location`]: photos carried as copies without their location metadata.
//! - [`format`](mod@format): the bundle: AES-256-GCM under the link's key, optional password
//!   (PBKDF2-HMAC-SHA256 + HKDF), key and password checks. The format is written
//!   down there; the browser viewer (`server/src/api/http/viewer.js`) implements the
//!   same with WebCrypto, and frozen vectors in `tests/vectors/` hold both to it.
//! - [`link`]: links of the form `https://<server>/s/<id>#<key>`.
//! - [`access`]: the token derived from the link's key that a fetch presents, so
//!   that nobody without the key can spend a share's views.
//!
//! Making, listing and revoking shares from a device, and fetching and opening a
//! link, are device flows (`device/shares.rs`).

pub mod access;
pub mod contents;
pub mod link;
pub mod location;
pub mod select;

/// The bundle format, kept with the other formats (`format/share_bundle.rs`).
pub use crate::format::share_bundle as format;
pub use access::AccessToken;
pub use contents::{ContentsError, Manifest, Opened};
pub use format::{OpenError, ShareId, ShareKey};
pub use link::{LinkError, ShareLink};
pub use select::Selection;

use zeroize::Zeroizing;

/// Why a share did not open, from the bundle's point of view.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShareError {
    /// The bundle did not open.
    #[error(transparent)]
    Open(#[from] OpenError),
    /// It opened, but its contents do not add up.
    #[error("this share has been altered: {0}")]
    Contents(#[from] ContentsError),
}

/// A sealed bundle ready to upload, with its id and link key.
pub struct Sealed {
    /// The share's id.
    pub share_id: ShareId,
    /// The link's key.
    pub key: ShareKey,
    /// The sealed bundle.
    pub bundle: Vec<u8>,
}

impl std::fmt::Debug for Sealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealed")
            .field("share_id", &hex::encode(self.share_id))
            .field("bundle_len", &self.bundle.len())
            .finish_non_exhaustive()
    }
}

/// Seals a manifest and its attachments' bytes under a fresh id and key.
pub fn seal_new(
    manifest: &Manifest,
    files: &[&[u8]],
    password: Option<&[u8]>,
) -> Result<Sealed, ContentsError> {
    let padded = contents::encode(manifest, files)?;
    let share_id: ShareId = crate::crypto::random_bytes();
    let key = ShareKey::random();
    let password = password.map(|password| format::Password {
        password,
        iterations: format::DEFAULT_ITERATIONS,
    });
    let bundle = format::seal(&share_id, &key, password, &padded);
    Ok(Sealed {
        share_id,
        key,
        bundle,
    })
}

/// Opens a bundle: key, password, body, then every attachment's checksum.
pub fn open_bundle(
    share_id: &ShareId,
    key: &ShareKey,
    password: Option<&[u8]>,
    bundle: &[u8],
) -> Result<Opened, ShareError> {
    let padded: Zeroizing<Vec<u8>> = format::open(share_id, key, password, bundle)?;
    Ok(contents::decode(&padded)?)
}

#[cfg(test)]
mod tests;
