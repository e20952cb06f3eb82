//! Share links in the journal: `ShareCreated` and `ShareRevoked` operations, so
//! every device lists the survivor's shares (and can show a link again).
//!
//! Fold: for each share id, the first `ShareCreated` in total order describes it;
//! a `ShareRevoked` anywhere (before or after, from any device) marks it revoked.
//! Revocation cannot be undone.

use std::collections::BTreeMap;

use mycase_proto::v1::operation::Body;
use mycase_proto::v1::{ShareCreated, ShareRevoked};

use super::order::{Action, ShareChange};
use super::{DeviceId, EntryId, Journal};
use crate::format::share_bundle::ShareKey;

/// A share as the journal records it. `Debug` never shows the key or description.
#[derive(Clone)]
pub struct ShareRecord {
    /// The share's id on the server.
    pub share_id: [u8; 16],
    /// The link's key (it opens the bundle: never log it).
    pub link_key: ShareKey,
    /// The server the link points at.
    pub server_url: String,
    /// The entries shared.
    pub entry_ids: Vec<EntryId>,
    /// The selection, in words.
    pub description: String,
    /// When the link stops working (Unix milliseconds).
    pub expires_at_ms: i64,
    /// Views allowed (0: unlimited).
    pub max_views: u32,
    /// A password protects it.
    pub has_password: bool,
    /// It carries attachments.
    pub includes_attachments: bool,
    /// When it was made (its author's clock).
    pub created_at_ms: i64,
    /// The device that made it.
    pub created_by: DeviceId,
    /// When a revocation was recorded, if any.
    pub revoked_at_ms: Option<i64>,
}

impl std::fmt::Debug for ShareRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShareRecord")
            .field("share_id", &hex::encode(self.share_id))
            .field("entries", &self.entry_ids.len())
            .field("expires_at_ms", &self.expires_at_ms)
            .field("revoked", &self.revoked_at_ms.is_some())
            .finish_non_exhaustive()
    }
}

/// What a new share holds and allows, to record it.
pub struct NewShare<'a> {
    /// The share's id on the server.
    pub share_id: [u8; 16],
    /// The link's key (it opens the bundle: never log it).
    pub link_key: &'a ShareKey,
    /// The server the link points at.
    pub server_url: &'a str,
    /// The entries shared.
    pub entry_ids: &'a [EntryId],
    /// The selection, in words.
    pub description: &'a str,
    /// When the link stops working (Unix milliseconds).
    pub expires_at_ms: i64,
    /// Views allowed (0: unlimited).
    pub max_views: u32,
    /// A password protects it.
    pub has_password: bool,
    /// It carries attachments.
    pub includes_attachments: bool,
}

/// The operation that records a new share in the journal.
pub fn share_created(share: &NewShare<'_>) -> Body {
    Body::ShareCreated(ShareCreated {
        share_id: share.share_id.to_vec(),
        link_key: share.link_key.as_bytes().to_vec(),
        server_url: share.server_url.to_string(),
        entry_ids: share.entry_ids.iter().map(|id| id.to_vec()).collect(),
        description: share.description.to_string(),
        expires_at_ms: share.expires_at_ms,
        max_views: share.max_views,
        has_password: share.has_password,
        includes_attachments: share.includes_attachments,
    })
}

/// The operation that records a share revoked.
pub fn share_revoked(share_id: [u8; 16]) -> Body {
    Body::ShareRevoked(ShareRevoked {
        share_id: share_id.to_vec(),
    })
}

impl Journal {
    /// Every share recorded, newest first.
    pub fn shares(&self) -> Vec<ShareRecord> {
        let mut shares: BTreeMap<[u8; 16], ShareRecord> = BTreeMap::new();
        let mut revoked: BTreeMap<[u8; 16], i64> = BTreeMap::new();
        for op in self.ops.values() {
            match &op.action {
                Action::Share(ShareChange::Created(c)) => {
                    let Some(record) = record(c, op.recorded_at_ms, op.key.device) else {
                        continue;
                    };
                    shares.entry(record.share_id).or_insert(record);
                }
                Action::Share(ShareChange::Revoked(id)) => {
                    revoked.entry(*id).or_insert(op.recorded_at_ms);
                }
                _ => {}
            }
        }
        let mut list: Vec<ShareRecord> = shares
            .into_values()
            .map(|mut r| {
                r.revoked_at_ms = revoked.get(&r.share_id).copied();
                r
            })
            .collect();
        list.sort_by_key(|r| std::cmp::Reverse((r.created_at_ms, r.share_id)));
        list
    }

    /// The share whose id starts with `hex_prefix` (at least 4 hex digits).
    pub fn resolve_share(&self, hex_prefix: &str) -> Option<Vec<ShareRecord>> {
        let prefix = hex_prefix.trim().to_ascii_lowercase();
        if prefix.len() < super::MIN_PREFIX_LEN {
            return None;
        }
        Some(
            self.shares()
                .into_iter()
                .filter(|r| hex::encode(r.share_id).starts_with(&prefix))
                .collect(),
        )
    }
}

/// `None` for a malformed key (ids were checked on decode).
fn record(c: &ShareCreated, recorded_at_ms: i64, device: DeviceId) -> Option<ShareRecord> {
    Some(ShareRecord {
        share_id: c.share_id.as_slice().try_into().ok()?,
        link_key: ShareKey::from_bytes(c.link_key.as_slice().try_into().ok()?),
        server_url: c.server_url.clone(),
        entry_ids: c
            .entry_ids
            .iter()
            .filter_map(|id| id.as_slice().try_into().ok())
            .collect(),
        description: c.description.clone(),
        expires_at_ms: c.expires_at_ms,
        max_views: c.max_views,
        has_password: c.has_password,
        includes_attachments: c.includes_attachments,
        created_at_ms: recorded_at_ms,
        created_by: device,
        revoked_at_ms: None,
    })
}
