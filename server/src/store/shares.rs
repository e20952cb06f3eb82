//! What the server keeps about a share link: its owner, policy, view count and
//! the times it was opened. Never its key or contents (it cannot read them).

use super::Id;

/// How many opening times a share keeps (the latest); the count is always exact.
pub const MAX_OPENED_TIMES: usize = 1000;

/// Why a share ended. Its ciphertext is deleted when it ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShareEnd {
    Expired,
    Revoked,
    /// The view limit was reached.
    Exhausted,
}

impl ShareEnd {
    pub fn code(self) -> u8 {
        match self {
            ShareEnd::Expired => 1,
            ShareEnd::Revoked => 2,
            ShareEnd::Exhausted => 3,
        }
    }

    pub fn from_code(code: u8) -> Option<Option<ShareEnd>> {
        match code {
            0 => Some(None),
            1 => Some(Some(ShareEnd::Expired)),
            2 => Some(Some(ShareEnd::Revoked)),
            3 => Some(Some(ShareEnd::Exhausted)),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShareState {
    Active,
    Ended(ShareEnd),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShareRow {
    pub account_id: Id,
    pub created_at_unix: u64,
    pub expires_at_unix: u64,
    /// 0 = unlimited.
    pub max_views: u32,
    pub views: u32,
    /// When it was opened (Unix seconds), oldest first; the latest [`MAX_OPENED_TIMES`].
    pub opened_at_unix: Vec<u64>,
    /// Ciphertext bytes.
    pub size: u64,
    /// Set once the share has ended (its ciphertext is then gone or going).
    pub ended: Option<ShareEnd>,
}

impl ShareRow {
    /// The state at `now_unix`: an ended share stays ended; an active one has
    /// ended if it expired or used up its views.
    pub fn state(&self, now_unix: u64) -> ShareState {
        if let Some(end) = self.ended {
            return ShareState::Ended(end);
        }
        if now_unix >= self.expires_at_unix {
            return ShareState::Ended(ShareEnd::Expired);
        }
        if self.max_views > 0 && self.views >= self.max_views {
            return ShareState::Ended(ShareEnd::Exhausted);
        }
        ShareState::Active
    }

    /// Counts one view at `now_unix`.
    pub fn count_view(&mut self, now_unix: u64) {
        self.views = self.views.saturating_add(1);
        self.opened_at_unix.push(now_unix);
        if self.opened_at_unix.len() > MAX_OPENED_TIMES {
            let excess = self.opened_at_unix.len() - MAX_OPENED_TIMES;
            self.opened_at_unix.drain(..excess);
        }
        if self.max_views > 0 && self.views >= self.max_views {
            self.ended = Some(ShareEnd::Exhausted);
        }
    }
}

/// The outcome of opening a share.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShareOpen {
    /// Counted; here is the ciphertext.
    Opened(Vec<u8>),
    Ended(ShareEnd),
    Unknown,
}

/// Anonymous counters (what a funder may be shown).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ShareStats {
    pub created: u64,
    pub opened: u64,
}

pub(crate) fn encode_row(r: &ShareRow) -> Vec<u8> {
    let mut v = Vec::with_capacity(49 + 8 * r.opened_at_unix.len());
    v.extend_from_slice(&r.account_id);
    v.extend_from_slice(&r.created_at_unix.to_be_bytes());
    v.extend_from_slice(&r.expires_at_unix.to_be_bytes());
    v.extend_from_slice(&r.max_views.to_be_bytes());
    v.extend_from_slice(&r.views.to_be_bytes());
    v.extend_from_slice(&r.size.to_be_bytes());
    v.push(r.ended.map_or(0, ShareEnd::code));
    for t in &r.opened_at_unix {
        v.extend_from_slice(&t.to_be_bytes());
    }
    v
}

pub(crate) fn decode_row(b: &[u8]) -> Option<ShareRow> {
    let (fixed, times) = b.split_at_checked(49)?;
    if times.len() % 8 != 0 {
        return None;
    }
    let u64_at = |i: usize| fixed.get(i..i + 8)?.try_into().ok().map(u64::from_be_bytes);
    let u32_at = |i: usize| fixed.get(i..i + 4)?.try_into().ok().map(u32::from_be_bytes);
    Some(ShareRow {
        account_id: fixed.get(..16)?.try_into().ok()?,
        created_at_unix: u64_at(16)?,
        expires_at_unix: u64_at(24)?,
        max_views: u32_at(32)?,
        views: u32_at(36)?,
        size: u64_at(40)?,
        ended: ShareEnd::from_code(fixed[48])?,
        opened_at_unix: times
            .chunks_exact(8)
            .filter_map(|c| c.try_into().ok().map(u64::from_be_bytes))
            .collect(),
    })
}
