//! Share links: `https://<server>/s/<share id, 32 hex digits>#<key, base64url>`.
//!
//! The key is in the fragment, which a browser never sends to the server.

use data_encoding::BASE64URL_NOPAD;
use zeroize::Zeroizing;

use super::format::{ShareId, ShareKey, KEY_LEN, SHARE_ID_LEN};

/// A parsed link. `Debug` never shows the key.
pub struct ShareLink {
    /// `https://host[:port]`, without a trailing slash.
    pub server_url: String,
    /// The share's id.
    pub share_id: ShareId,
    /// The key after `#` (never sent to the server).
    pub key: ShareKey,
}

impl std::fmt::Debug for ShareLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShareLink")
            .field("server_url", &self.server_url)
            .field("share_id", &hex::encode(self.share_id))
            .finish_non_exhaustive()
    }
}

/// Why a link was not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// It is not a MyCase share link.
    #[error("this is not a MyCase share link (it looks like https://server/s/ID#KEY)")]
    NotALink,
    /// The key part is missing or cut short.
    #[error(
        "the link is incomplete: the key after # is missing or cut short (copy the whole link)"
    )]
    Incomplete,
}

/// The link for a share on `server_url`.
pub fn format(server_url: &str, share_id: &ShareId, key: &ShareKey) -> Zeroizing<String> {
    Zeroizing::new(format!(
        "{}/s/{}#{}",
        server_url.trim_end_matches('/'),
        hex::encode(share_id),
        BASE64URL_NOPAD.encode(key.as_bytes())
    ))
}

/// Reads a link; the key must be complete.
pub fn parse(link: &str) -> Result<ShareLink, LinkError> {
    let link = link.trim();
    let rest = link.strip_prefix("https://").ok_or(LinkError::NotALink)?;
    let (location, fragment) = match rest.split_once('#') {
        Some((location, fragment)) => (location, fragment),
        None => (rest, ""),
    };
    let (host, path) = location.split_once("/s/").ok_or(LinkError::NotALink)?;
    if host.is_empty() || host.contains('/') {
        return Err(LinkError::NotALink);
    }
    let id_hex = path.trim_end_matches('/');
    let share_id: ShareId = hex::decode(id_hex)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or(LinkError::NotALink)?;
    let key_bytes = Zeroizing::new(
        BASE64URL_NOPAD
            .decode(fragment.as_bytes())
            .map_err(|_| LinkError::Incomplete)?,
    );
    let key: [u8; KEY_LEN] = key_bytes
        .as_slice()
        .try_into()
        .map_err(|_| LinkError::Incomplete)?;
    debug_assert_eq!(share_id.len(), SHARE_ID_LEN);
    Ok(ShareLink {
        server_url: format!("https://{host}"),
        share_id,
        key: ShareKey::from_bytes(key),
    })
}
