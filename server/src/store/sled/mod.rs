//! The default backend: an embedded sled database in `data_dir/db`.
//!
//! Keys are fixed-width byte strings (ids, then big-endian idx), so prefix scans
//! return an account's devices and a log's records in order (`codec`). Each part
//! of [`Store`](crate::store::Store) is implemented in the file of its concern
//! (`accounts`, `sessions`, `logs`, `chunks`, `shares`, `operator`); `compaction`
//! rewrites the database after an erasure, `recovery_index` keeps one account per
//! recovery key.

use std::path::Path;
use std::sync::{RwLock, RwLockReadGuard};

use sled::transaction::TransactionError;

use self::codec::arr;
use self::compaction::finish_interrupted_compaction;
use self::recovery_index::{build_recovery_index, RECOVERY_INDEX_BUILT};
use super::chunk_files::ChunkFiles;
use super::share_files::ShareFiles;
use super::{Hash, Id, StoreError, StoreResult};

mod accounts;
mod chunks;
mod codec;
mod compaction;
mod logs;
mod operator;
mod recovery_index;
pub mod restore_rows;
mod sessions;
mod shares;
#[cfg(test)]
mod tests;

struct Trees {
    db: sled::Db,
    accounts: sled::Tree,
    devices: sled::Tree,
    account_devices: sled::Tree,
    sessions: sled::Tree,
    heads: sled::Tree,
    records: sled::Tree,
    /// account id -> stored bytes (u64 BE): records and chunks.
    usage: sled::Tree,
    /// SHA-256 of an invite code -> expiry (u64 BE unix seconds).
    invites: sled::Tree,
    /// Tombstones: `erased_account_tag` / `erased_device_tag` -> the owner's
    /// encoded `DeviceStatement`, sealed (see `tombstone`; empty: erased without one).
    erased: sled::Tree,
    /// Recovery public key -> the one account that holds it.
    recovery_keys: sled::Tree,
    /// Markers of one-off migrations done on this database.
    meta: sled::Tree,
    /// account id -> last day used (u32 BE, days since the epoch).
    activity: sled::Tree,
    /// Record key -> the server's signed receipt for that record.
    receipts: sled::Tree,
}

impl Trees {
    fn open(db: sled::Db) -> StoreResult<Self> {
        Ok(Trees {
            accounts: db.open_tree("accounts")?,
            devices: db.open_tree("devices")?,
            account_devices: db.open_tree("account_devices")?,
            sessions: db.open_tree("sessions")?,
            heads: db.open_tree("heads")?,
            records: db.open_tree("records")?,
            usage: db.open_tree("usage")?,
            invites: db.open_tree("invites")?,
            erased: db.open_tree("erased")?,
            activity: db.open_tree("activity")?,
            receipts: db.open_tree("receipts")?,
            recovery_keys: db.open_tree("recovery_keys")?,
            meta: db.open_tree("meta")?,
            db,
        })
    }
}

/// sled behind a lock that `close` can empty: every handle lives inside it, so
/// closing really drops the database and releases its file lock.
pub struct SledStore {
    trees: RwLock<Option<Trees>>,
    /// The database directory, to wait for sled's file lock on close.
    dir: std::path::PathBuf,
    cache_bytes: u64,
    /// Attachment chunks live in files beside the database (see `chunk_files`).
    chunks: ChunkFiles,
    /// Share ciphertexts, in `shares` beside the chunks directory (see `share_files`).
    share_files: ShareFiles,
    /// Serializes share updates (a view count is read, changed and written back).
    shares_lock: std::sync::Mutex<()>,
    /// An account was erased since the last compaction (see `reclaim_erased`).
    compaction_due: std::sync::atomic::AtomicBool,
}

impl From<sled::Error> for StoreError {
    fn from(e: sled::Error) -> Self {
        StoreError::Backend(e.to_string())
    }
}

fn tx_err(e: TransactionError<StoreError>) -> StoreError {
    match e {
        TransactionError::Abort(e) => e,
        TransactionError::Storage(e) => e.into(),
    }
}

/// sled's page cache. Its default (1 GiB) would let one large attachment upload
/// grow the server to a gigabyte; a charity's small machine needs a bound.
pub const CACHE_BYTES: u64 = 64 * 1024 * 1024;

fn open_db(dir: &Path, cache_bytes: u64) -> StoreResult<sled::Db> {
    Ok(sled::Config::new()
        .path(dir)
        .cache_capacity(cache_bytes)
        .open()?)
}

impl SledStore {
    /// Opens (or creates) the database in `dir` and the chunk files in `chunks_dir`.
    pub fn open(dir: &Path, chunks_dir: &Path) -> StoreResult<Self> {
        Self::open_with_cache(dir, chunks_dir, CACHE_BYTES)
    }

    /// `open` with sled's page cache bounded to `cache_bytes`.
    pub fn open_with_cache(dir: &Path, chunks_dir: &Path, cache_bytes: u64) -> StoreResult<Self> {
        finish_interrupted_compaction(dir)?;
        let trees = Trees::open(open_db(dir, cache_bytes)?)?;
        if !trees.meta.contains_key(RECOVERY_INDEX_BUILT)? {
            build_recovery_index(&trees)?;
        }
        let chunks = ChunkFiles::open(chunks_dir)?;
        // An erasure interrupted after its transaction leaves chunk files of an
        // account that no longer exists: finish it.
        for account_id in chunks.accounts()? {
            if trees.accounts.get(account_id)?.is_none() {
                chunks.remove_account(&account_id)?;
            }
        }
        Ok(Self {
            trees: RwLock::new(Some(trees)),
            dir: dir.to_path_buf(),
            cache_bytes,
            chunks,
            share_files: ShareFiles::open(&chunks_dir.with_file_name("shares"))?,
            shares_lock: std::sync::Mutex::new(()),
            compaction_due: std::sync::atomic::AtomicBool::new(
                compaction::due_marker(dir).exists(),
            ),
        })
    }

    /// Every erasure tombstone (content-free hashes, each with the sealed
    /// statement it keeps, empty for none), for `restore`.
    pub fn erased_tags(&self) -> StoreResult<Vec<(Hash, Vec<u8>)>> {
        self.with(|t| {
            t.erased
                .iter()
                .map(|kv| {
                    let (k, v) = kv?;
                    Ok((arr::<32>(&k)?, v.to_vec()))
                })
                .collect::<StoreResult<Vec<_>>>()
        })
    }

    /// Adds tombstones; one already here keeps its statement if the added one
    /// has none.
    pub fn add_erased_tags(&self, tags: &[(Hash, Vec<u8>)]) -> StoreResult<()> {
        self.with(|t| {
            for (tag, statement) in tags {
                match t.erased.get(tag)? {
                    Some(existing) if statement.is_empty() && !existing.is_empty() => {}
                    _ => {
                        t.erased.insert(tag, statement.as_slice())?;
                    }
                }
            }
            Ok(())
        })
    }

    /// Builds the recovery-key index afresh from the accounts (after a restore,
    /// whose file may predate the index or disagree with its accounts).
    pub fn rebuild_recovery_index(&self) -> StoreResult<()> {
        self.with(build_recovery_index)
    }

    pub fn account_ids(&self) -> StoreResult<Vec<Id>> {
        self.with(|t| {
            t.accounts
                .iter()
                .keys()
                .map(|k| arr::<16>(&k?))
                .collect::<StoreResult<Vec<_>>>()
        })
    }

    /// Puts one tree entry read from a backup.
    pub fn restore_entry(&self, tree: &[u8], key: &[u8], value: &[u8]) -> StoreResult<()> {
        self.with(|t| {
            t.db.open_tree(tree)?.insert(key, value)?;
            Ok(())
        })
    }

    /// Puts one chunk read from a backup (its bytes are already counted in the
    /// backup's usage tree).
    pub fn restore_chunk(&self, account_id: &Id, address: &Hash, sealed: &[u8]) -> StoreResult<()> {
        self.with(|_| self.chunks.put(account_id, address, sealed).map(|_| ()))
    }

    fn with<T>(&self, f: impl FnOnce(&Trees) -> StoreResult<T>) -> StoreResult<T> {
        let guard: RwLockReadGuard<'_, Option<Trees>> = self
            .trees
            .read()
            .map_err(|_| StoreError::Backend("sled store lock poisoned".into()))?;
        match guard.as_ref() {
            Some(t) => f(t),
            None => Err(StoreError::Closed),
        }
    }
}
