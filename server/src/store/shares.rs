//! What the server keeps about a share link: its owner, policy, view count, the
//! times it was opened and the hash of its access token. Never its key or
//! contents (it cannot read them). Also the two handles through which a share's
//! ciphertext passes, so it is streamed to and from storage, never held whole.

use std::io::{Read, Write};
use std::path::Path;

use super::{Hash, Id, StoreError, StoreResult};

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
    /// SHA-256 of the access token a fetch must present (derived from the link's
    /// key, see `api::shares`); `None` for shares made before tokens, which
    /// open without one until they expire.
    pub access_token_hash: Option<Hash>,
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
#[derive(Debug)]
pub enum ShareOpen {
    /// Counted; here is the ciphertext.
    Opened(ShareBundle),
    Ended(ShareEnd),
    Unknown,
}

fn io_err(what: &'static str) -> impl FnOnce(std::io::Error) -> StoreError {
    move |e| StoreError::Backend(format!("share storage: {what}: {e}"))
}

enum Sink {
    /// A temporary file in the store's share directory, renamed into place by
    /// `put_share` (so a bundle appears whole or not at all).
    File(tempfile::NamedTempFile),
    /// The memory store's.
    Memory(Vec<u8>),
}

/// A share's ciphertext as it is received (see `Store::begin_share`). Dropped
/// without `put_share`, it leaves nothing behind.
pub struct ShareUpload {
    sink: Sink,
    len: u64,
}

impl std::fmt::Debug for ShareUpload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShareUpload")
            .field("len", &self.len)
            .finish()
    }
}

impl ShareUpload {
    /// Received into a temporary file in `dir` (named `.partial-*`, which the
    /// store sweeps if a crash leaves one).
    pub fn in_dir(dir: &Path) -> StoreResult<Self> {
        let file = tempfile::Builder::new()
            .prefix(".partial-")
            .tempfile_in(dir)
            .map_err(io_err("creating a file"))?;
        Ok(Self {
            sink: Sink::File(file),
            len: 0,
        })
    }

    pub fn in_memory() -> Self {
        Self {
            sink: Sink::Memory(Vec::new()),
            len: 0,
        }
    }

    /// Appends received bytes (blocking I/O: call it off the async runtime).
    pub fn write(&mut self, bytes: &[u8]) -> StoreResult<()> {
        match &mut self.sink {
            Sink::File(f) => f.write_all(bytes).map_err(io_err("writing"))?,
            Sink::Memory(v) => v.extend_from_slice(bytes),
        }
        self.len = self.len.saturating_add(bytes.len() as u64);
        Ok(())
    }

    /// Bytes received so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The synced temporary file, for a backend that keeps files.
    pub(crate) fn into_synced_file(self) -> StoreResult<tempfile::NamedTempFile> {
        match self.sink {
            Sink::File(f) => {
                f.as_file().sync_all().map_err(io_err("syncing"))?;
                Ok(f)
            }
            Sink::Memory(_) => Err(StoreError::Backend(
                "share storage: an upload begun in memory was given to a file store".into(),
            )),
        }
    }

    /// The bytes, for the memory store.
    pub(crate) fn into_bytes(self) -> StoreResult<Vec<u8>> {
        match self.sink {
            Sink::Memory(v) => Ok(v),
            Sink::File(mut f) => {
                let mut v = Vec::new();
                std::io::Seek::rewind(f.as_file_mut()).map_err(io_err("reading"))?;
                f.as_file_mut()
                    .read_to_end(&mut v)
                    .map_err(io_err("reading"))?;
                Ok(v)
            }
        }
    }
}

/// A reader of a share's ciphertext, handed out by `open_share`.
pub struct ShareBundle {
    reader: Box<dyn Read + Send>,
    len: u64,
}

impl std::fmt::Debug for ShareBundle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShareBundle")
            .field("len", &self.len)
            .finish()
    }
}

impl ShareBundle {
    /// An open file: on Unix it still reads after the file is deleted.
    pub fn from_file(file: std::fs::File) -> StoreResult<Self> {
        let len = file.metadata().map_err(io_err("reading"))?.len();
        Ok(Self {
            reader: Box::new(file),
            len,
        })
    }

    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self {
            len: bytes.len() as u64,
            reader: Box::new(std::io::Cursor::new(bytes)),
        }
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The next at most `max` bytes; empty at the end (blocking I/O).
    pub fn read_piece(&mut self, max: usize) -> StoreResult<Vec<u8>> {
        let mut piece = Vec::with_capacity(max.min(usize::try_from(self.len).unwrap_or(max)));
        (&mut self.reader)
            .take(max as u64)
            .read_to_end(&mut piece)
            .map_err(io_err("reading"))?;
        Ok(piece)
    }

    /// Everything left (tests and small bundles).
    pub fn read_all(mut self) -> StoreResult<Vec<u8>> {
        let mut all = Vec::new();
        self.reader
            .read_to_end(&mut all)
            .map_err(io_err("reading"))?;
        Ok(all)
    }
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
        // Kept beside the row (the row's layout predates it).
        access_token_hash: None,
        opened_at_unix: times
            .chunks_exact(8)
            .filter_map(|c| c.try_into().ok().map(u64::from_be_bytes))
            .collect(),
    })
}
