//! The default backend: an embedded sled database in `data_dir/db`.
//!
//! Keys are fixed-width byte strings (ids, then big-endian idx), so prefix scans
//! return an account's devices and a log's records in order.

use std::path::Path;
use std::sync::{RwLock, RwLockReadGuard};

mod shares;

use super::chunk_files::ChunkFiles;
use super::share_files::ShareFiles;
use super::{ShareOpen, ShareRow, ShareStats};

use sled::transaction::{ConflictableTransactionError, TransactionError};
use sled::Transactional;

use super::{
    AccountRow, AccountStore, ChunkStore, DeviceRow, Hash, Head, Id, LogStore, NewRecord,
    OperatorStore, SessionRow, SessionStore, ShareStore, ShareUpload, StoreError, StoreResult,
    StoreStats, StoredReceipt,
};

pub(super) struct Trees {
    pub(super) db: sled::Db,
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

/// Set in `meta` once the recovery-key index covers every account (databases
/// from before the index get it built on open).
const RECOVERY_INDEX_BUILT: &[u8] = b"recovery_index_v1";

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
    pub(super) share_files: ShareFiles,
    /// Serializes share updates (a view count is read, changed and written back).
    pub(super) shares_lock: std::sync::Mutex<()>,
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

fn pair_key(a: &Id, b: &Id) -> [u8; 32] {
    let mut k = [0u8; 32];
    k[..16].copy_from_slice(a);
    k[16..].copy_from_slice(b);
    k
}

fn record_key(account_id: &Id, device_id: &Id, idx: u64) -> [u8; 40] {
    let mut k = [0u8; 40];
    k[..32].copy_from_slice(&pair_key(account_id, device_id));
    k[32..].copy_from_slice(&idx.to_be_bytes());
    k
}

fn arr<const N: usize>(b: &[u8]) -> StoreResult<[u8; N]> {
    b.try_into()
        .map_err(|_| StoreError::Corrupt("field has the wrong length"))
}

fn u64_at(b: &[u8]) -> StoreResult<u64> {
    Ok(u64::from_be_bytes(arr::<8>(b)?))
}

fn encode_account(a: &AccountRow) -> Vec<u8> {
    let mut v = Vec::with_capacity(40 + a.recovery_blob.len());
    v.extend_from_slice(&a.recovery_public_key);
    v.extend_from_slice(&a.created_at_unix.to_be_bytes());
    v.extend_from_slice(&a.recovery_blob);
    v
}

fn decode_account(b: &[u8]) -> StoreResult<AccountRow> {
    if b.len() < 40 {
        return Err(StoreError::Corrupt("account row too short"));
    }
    Ok(AccountRow {
        recovery_public_key: arr(&b[..32])?,
        created_at_unix: u64_at(&b[32..40])?,
        recovery_blob: b[40..].to_vec(),
    })
}

/// Rows written before last-seen and revoked-at times were kept.
const DEVICE_ROW_LEN_V1: usize = 16 + 32 + 32 + 8 + 1;
/// The fixed part; a revoked device's row is followed by the encoded statement
/// that revoked it (rows without one, older or not revoked, end here).
const DEVICE_ROW_LEN: usize = DEVICE_ROW_LEN_V1 + 8 + 8;

fn encode_device(d: &DeviceRow) -> Vec<u8> {
    let statement = d.revocation.as_deref().unwrap_or_default();
    let mut v = Vec::with_capacity(DEVICE_ROW_LEN + statement.len());
    v.extend_from_slice(&d.account_id);
    v.extend_from_slice(&d.sign_public_key);
    v.extend_from_slice(&d.dh_public_key);
    v.extend_from_slice(&d.registered_at_unix.to_be_bytes());
    v.push(u8::from(d.revoked));
    v.extend_from_slice(&d.last_seen_unix.to_be_bytes());
    v.extend_from_slice(&d.revoked_at_unix.to_be_bytes());
    v.extend_from_slice(statement);
    v
}

fn decode_device(device_id: &Id, b: &[u8]) -> StoreResult<DeviceRow> {
    if b.len() < DEVICE_ROW_LEN && b.len() != DEVICE_ROW_LEN_V1 {
        return Err(StoreError::Corrupt("device row has the wrong length"));
    }
    let (last_seen_unix, revoked_at_unix) = match b.get(DEVICE_ROW_LEN_V1..DEVICE_ROW_LEN) {
        Some(t) => (u64_at(&t[..8])?, u64_at(&t[8..])?),
        None => (0, 0),
    };
    let revocation = b
        .get(DEVICE_ROW_LEN..)
        .filter(|rest| !rest.is_empty())
        .map(<[u8]>::to_vec);
    Ok(DeviceRow {
        last_seen_unix,
        revoked_at_unix,
        revocation,
        account_id: arr(&b[..16])?,
        device_id: *device_id,
        sign_public_key: arr(&b[16..48])?,
        dh_public_key: arr(&b[48..80])?,
        registered_at_unix: u64_at(&b[80..88])?,
        revoked: b[88] != 0,
    })
}

fn encode_session(s: &SessionRow) -> [u8; 40] {
    let mut v = [0u8; 40];
    v[..32].copy_from_slice(&pair_key(&s.account_id, &s.device_id));
    v[32..].copy_from_slice(&s.expires_at_ms.to_be_bytes());
    v
}

fn decode_session(b: &[u8]) -> StoreResult<SessionRow> {
    if b.len() != 40 {
        return Err(StoreError::Corrupt("session row has the wrong length"));
    }
    Ok(SessionRow {
        account_id: arr(&b[..16])?,
        device_id: arr(&b[16..32])?,
        expires_at_ms: u64_at(&b[32..])?,
    })
}

fn encode_head(h: &Head) -> [u8; 40] {
    let mut v = [0u8; 40];
    v[..8].copy_from_slice(&h.idx.to_be_bytes());
    v[8..].copy_from_slice(&h.hash);
    v
}

fn decode_head(b: &[u8]) -> StoreResult<Head> {
    if b.len() != 40 {
        return Err(StoreError::Corrupt("head row has the wrong length"));
    }
    Ok(Head {
        idx: u64_at(&b[..8])?,
        hash: arr(&b[8..])?,
    })
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

    /// Rewrites the database into a fresh one and swaps it in. sled is
    /// log-structured: removed keys and values stay in its files until segments
    /// are rewritten, so after an erasure this is what makes the account's bytes
    /// actually leave the disk. Blocks every other call while it runs.
    fn compact(&self) -> StoreResult<()> {
        let mut guard = self
            .trees
            .write()
            .map_err(|_| StoreError::Backend("sled store lock poisoned".into()))?;
        let Some(old) = guard.take() else {
            return Err(StoreError::Closed);
        };
        let fresh_dir = self.dir.with_extension("compacting");
        let old_dir = self.dir.with_extension("old");
        let io = |what: &'static str| {
            move |e: std::io::Error| StoreError::Backend(format!("compacting: {what}: {e}"))
        };
        if fresh_dir.exists() {
            std::fs::remove_dir_all(&fresh_dir).map_err(io("clearing a stale copy"))?;
        }
        let result = (|| -> StoreResult<()> {
            let fresh = open_db(&fresh_dir, self.cache_bytes)?;
            copy_db(&old.db, &fresh)?;
            fresh.flush()?;
            drop(fresh);
            wait_for_lock(&fresh_dir)
        })();
        old.db.flush()?;
        drop(old);
        wait_for_lock(&self.dir)?;
        if let Err(e) = result {
            // Keep serving the old database rather than none.
            *guard = Some(Trees::open(open_db(&self.dir, self.cache_bytes)?)?);
            return Err(e);
        }
        std::fs::rename(&self.dir, &old_dir).map_err(io("moving the old database"))?;
        std::fs::rename(&fresh_dir, &self.dir).map_err(io("moving the new database"))?;
        std::fs::remove_dir_all(&old_dir).map_err(io("removing the old database"))?;
        *guard = Some(Trees::open(open_db(&self.dir, self.cache_bytes)?)?);
        Ok(())
    }

    pub(super) fn with<T>(&self, f: impl FnOnce(&Trees) -> StoreResult<T>) -> StoreResult<T> {
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

/// Indexes every account under its recovery key. Accounts from before the
/// index may share a key (a squatter's registration): the earliest-created keeps
/// it, since a squatter can only copy a key from an account that already exists,
/// and the others can no longer recover with it. How many lost it is logged
/// (a count, no identifier).
fn build_recovery_index(t: &Trees) -> StoreResult<()> {
    let mut owners: std::collections::HashMap<[u8; 32], (u64, Id)> =
        std::collections::HashMap::new();
    let mut shared = 0usize;
    for kv in t.accounts.iter() {
        let (k, v) = kv?;
        let row = decode_account(&v)?;
        let id: Id = arr(&k)?;
        let candidate = (row.created_at_unix, id);
        match owners.entry(row.recovery_public_key) {
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(candidate);
            }
            std::collections::hash_map::Entry::Occupied(mut e) => {
                shared += 1;
                if candidate < *e.get() {
                    e.insert(candidate);
                }
            }
        }
    }
    t.recovery_keys.clear()?;
    for (key, (_, id)) in &owners {
        t.recovery_keys.insert(key, &id[..])?;
    }
    t.meta.insert(RECOVERY_INDEX_BUILT, &[1u8][..])?;
    t.db.flush()?;
    if shared > 0 {
        tracing::warn!(
            accounts = shared,
            "accounts registered with a recovery key another account already held can no longer recover with it"
        );
    }
    Ok(())
}

/// `compact` swaps directories in steps: (1) the copy is written and flushed,
/// (2) `db` becomes `db.old`, (3) the copy becomes `db`, (4) `db.old` goes.
/// A crash between steps leaves a state this completes (never an empty `db`).
fn finish_interrupted_compaction(dir: &Path) -> StoreResult<()> {
    let fresh = dir.with_extension("compacting");
    let old = dir.with_extension("old");
    let io = |what: &'static str| {
        move |e: std::io::Error| StoreError::Backend(format!("finishing a compaction: {what}: {e}"))
    };
    if !dir.exists() && old.exists() {
        if !fresh.exists() {
            // Cannot happen with the steps above; keep the data rather than guess.
            std::fs::rename(&old, dir).map_err(io("restoring the old database"))?;
            return Ok(());
        }
        // Between (2) and (3): the copy was complete before (2) began.
        std::fs::rename(&fresh, dir).map_err(io("moving the new database"))?;
    }
    if dir.exists() && fresh.exists() {
        // Crashed during (1): the old database is intact; drop the partial copy.
        std::fs::remove_dir_all(&fresh).map_err(io("removing a partial copy"))?;
    }
    if dir.exists() && old.exists() {
        // Between (3) and (4): the old files still hold erased data.
        std::fs::remove_dir_all(&old).map_err(io("removing the old database"))?;
    }
    Ok(())
}

/// Every tree of `from`, key for key, into `to`.
pub(crate) fn copy_db(from: &sled::Db, to: &sled::Db) -> StoreResult<()> {
    for name in from.tree_names() {
        let src = from.open_tree(&name)?;
        let dst = to.open_tree(&name)?;
        for kv in src.iter() {
            let (k, v) = kv?;
            dst.insert(k, v)?;
        }
    }
    Ok(())
}

/// Blocks until sled's flusher thread has let go of the database file lock in
/// `dir` (after the last handle was dropped), so the directory can be reused.
pub(crate) fn wait_for_lock(dir: &Path) -> StoreResult<()> {
    let lock_file = std::fs::File::open(dir.join("db"))
        .map_err(|e| StoreError::Backend(format!("reopening the database file: {e}")))?;
    lock_file
        .lock()
        .map_err(|e| StoreError::Backend(format!("waiting for the database lock: {e}")))
}

fn add_usage(current: Option<&[u8]>, delta: u64) -> StoreResult<[u8; 8]> {
    let now = match current {
        Some(b) => u64_at(b)?,
        None => 0,
    };
    Ok(now.saturating_add(delta).to_be_bytes())
}

impl AccountStore for SledStore {
    fn create_account(
        &self,
        account_id: &Id,
        account: &AccountRow,
        first_device: &DeviceRow,
    ) -> StoreResult<()> {
        self.with(|t| {
            let account_bytes = encode_account(account);
            let device_bytes = encode_device(first_device);
            let link = pair_key(account_id, &first_device.device_id);
            let recovery_key = account.recovery_public_key;
            (
                &t.accounts,
                &t.devices,
                &t.account_devices,
                &t.recovery_keys,
            )
                .transaction(|(accounts, devices, links, recovery_keys)| {
                    if accounts.get(account_id)?.is_some() {
                        return Err(ConflictableTransactionError::Abort(
                            StoreError::AccountExists,
                        ));
                    }
                    if devices.get(first_device.device_id)?.is_some() {
                        return Err(ConflictableTransactionError::Abort(
                            StoreError::DeviceExists,
                        ));
                    }
                    if recovery_keys.get(recovery_key)?.is_some() {
                        return Err(ConflictableTransactionError::Abort(
                            StoreError::RecoveryKeyInUse,
                        ));
                    }
                    recovery_keys.insert(&recovery_key[..], &account_id[..])?;
                    accounts.insert(&account_id[..], account_bytes.as_slice())?;
                    devices.insert(&first_device.device_id[..], device_bytes.as_slice())?;
                    links.insert(&link[..], &[][..])?;
                    Ok(())
                })
                .map_err(tx_err)
        })
    }

    fn create_account_with_invite(
        &self,
        account_id: &Id,
        account: &AccountRow,
        first_device: &DeviceRow,
        code_hash: &Hash,
        now_unix: u64,
    ) -> StoreResult<()> {
        self.with(|t| {
            let account_bytes = encode_account(account);
            let device_bytes = encode_device(first_device);
            let link = pair_key(account_id, &first_device.device_id);
            let recovery_key = account.recovery_public_key;
            (
                &t.accounts,
                &t.devices,
                &t.account_devices,
                &t.invites,
                &t.recovery_keys,
            )
                .transaction(|(accounts, devices, links, invites, recovery_keys)| {
                    let abort = ConflictableTransactionError::Abort;
                    let valid = match invites.get(code_hash)? {
                        Some(b) => u64_at(&b).map_err(abort)? > now_unix,
                        None => false,
                    };
                    if !valid {
                        return Err(abort(StoreError::InviteInvalid));
                    }
                    if accounts.get(account_id)?.is_some() {
                        return Err(abort(StoreError::AccountExists));
                    }
                    if devices.get(first_device.device_id)?.is_some() {
                        return Err(abort(StoreError::DeviceExists));
                    }
                    if recovery_keys.get(recovery_key)?.is_some() {
                        return Err(abort(StoreError::RecoveryKeyInUse));
                    }
                    recovery_keys.insert(&recovery_key[..], &account_id[..])?;
                    // Single use, and nothing is kept that ties it to the account.
                    invites.remove(&code_hash[..])?;
                    accounts.insert(&account_id[..], account_bytes.as_slice())?;
                    devices.insert(&first_device.device_id[..], device_bytes.as_slice())?;
                    links.insert(&link[..], &[][..])?;
                    Ok(())
                })
                .map_err(tx_err)
        })
    }

    fn account(&self, account_id: &Id) -> StoreResult<Option<AccountRow>> {
        self.with(|t| {
            t.accounts
                .get(account_id)?
                .map(|b| decode_account(&b))
                .transpose()
        })
    }

    fn add_device(&self, device: &DeviceRow) -> StoreResult<()> {
        self.with(|t| {
            let device_bytes = encode_device(device);
            let link = pair_key(&device.account_id, &device.device_id);
            (&t.accounts, &t.devices, &t.account_devices)
                .transaction(|(accounts, devices, links)| {
                    if accounts.get(device.account_id)?.is_none() {
                        return Err(ConflictableTransactionError::Abort(
                            StoreError::UnknownAccount,
                        ));
                    }
                    if devices.get(device.device_id)?.is_some() {
                        return Err(ConflictableTransactionError::Abort(
                            StoreError::DeviceExists,
                        ));
                    }
                    devices.insert(&device.device_id[..], device_bytes.as_slice())?;
                    links.insert(&link[..], &[][..])?;
                    Ok(())
                })
                .map_err(tx_err)
        })
    }

    fn device(&self, device_id: &Id) -> StoreResult<Option<DeviceRow>> {
        self.with(|t| {
            t.devices
                .get(device_id)?
                .map(|b| decode_device(device_id, &b))
                .transpose()
        })
    }

    fn account_devices(&self, account_id: &Id) -> StoreResult<Vec<DeviceRow>> {
        self.with(|t| {
            let mut out = Vec::new();
            for item in t.account_devices.scan_prefix(account_id) {
                let (k, _) = item?;
                let device_id: Id = arr(k.get(16..).unwrap_or_default())?;
                let row = t.devices.get(device_id)?.ok_or(StoreError::Corrupt(
                    "account lists a device that is not stored",
                ))?;
                out.push(decode_device(&device_id, &row)?);
            }
            Ok(out)
        })
    }

    fn account_by_recovery_key(
        &self,
        recovery_public_key: &[u8; 32],
    ) -> StoreResult<Option<(Id, AccountRow)>> {
        self.with(|t| {
            let Some(id) = t.recovery_keys.get(recovery_public_key)? else {
                return Ok(None);
            };
            let id: Id = arr(&id)?;
            match t.accounts.get(id)? {
                // The index and the row agree, or the key counts for nobody.
                Some(v) => {
                    let row = decode_account(&v)?;
                    Ok((&row.recovery_public_key == recovery_public_key).then_some((id, row)))
                }
                None => Ok(None),
            }
        })
    }

    fn touch_device(&self, device_id: &Id, seen_unix: u64) -> StoreResult<()> {
        self.with(|t| {
            t.devices
                .transaction(|devices| {
                    let Some(b) = devices.get(device_id)? else {
                        return Ok(());
                    };
                    let mut row = decode_device(device_id, &b)
                        .map_err(ConflictableTransactionError::Abort)?;
                    if row.last_seen_unix >= seen_unix {
                        return Ok(());
                    }
                    row.last_seen_unix = seen_unix;
                    devices.insert(&device_id[..], encode_device(&row))?;
                    Ok(())
                })
                .map_err(tx_err)
        })
    }

    fn revoke_device(&self, device_id: &Id, at_unix: u64, statement: &[u8]) -> StoreResult<bool> {
        self.with(|t| {
            let newly = t
                .devices
                .transaction(|devices| {
                    let b = devices
                        .get(device_id)?
                        .ok_or(ConflictableTransactionError::Abort(
                            StoreError::UnknownDevice,
                        ))?;
                    let mut row = decode_device(device_id, &b)
                        .map_err(ConflictableTransactionError::Abort)?;
                    if row.revoked {
                        return Ok(false);
                    }
                    row.revoked = true;
                    row.revoked_at_unix = at_unix;
                    row.revocation = Some(statement.to_vec());
                    devices.insert(&device_id[..], encode_device(&row))?;
                    Ok(true)
                })
                .map_err(tx_err)?;
            // The device is refused from here on (sessions are checked against it),
            // so deleting its sessions after the flag is set leaves no window.
            let mut doomed = Vec::new();
            for item in t.sessions.iter() {
                let (k, v) = item?;
                if &decode_session(&v)?.device_id == device_id {
                    doomed.push(k);
                }
            }
            for k in &doomed {
                t.sessions.remove(k)?;
            }
            Ok(newly)
        })
    }

    fn set_recovery_blob(&self, account_id: &Id, blob: &[u8]) -> StoreResult<()> {
        self.with(|t| {
            t.accounts
                .transaction(|accounts| {
                    let b =
                        accounts
                            .get(account_id)?
                            .ok_or(ConflictableTransactionError::Abort(
                                StoreError::UnknownAccount,
                            ))?;
                    let mut row =
                        decode_account(&b).map_err(ConflictableTransactionError::Abort)?;
                    row.recovery_blob = blob.to_vec();
                    accounts.insert(&account_id[..], encode_account(&row))?;
                    Ok(())
                })
                .map_err(tx_err)
        })
    }

    fn renew_recovery_key(
        &self,
        account_id: &Id,
        old: &[u8; 32],
        new: &[u8; 32],
        blob: &[u8],
    ) -> StoreResult<()> {
        self.with(|t| {
            (&t.accounts, &t.recovery_keys)
                .transaction(|(accounts, recovery_keys)| {
                    let abort = ConflictableTransactionError::Abort;
                    let b = accounts
                        .get(account_id)?
                        .ok_or(abort(StoreError::UnknownAccount))?;
                    let mut row = decode_account(&b).map_err(abort)?;
                    if &row.recovery_public_key != old {
                        return Err(abort(StoreError::RecoveryKeyChanged));
                    }
                    if recovery_keys.get(new)?.is_some() {
                        return Err(abort(StoreError::RecoveryKeyInUse));
                    }
                    row.recovery_public_key = *new;
                    row.recovery_blob = blob.to_vec();
                    recovery_keys.remove(&old[..])?;
                    recovery_keys.insert(&new[..], &account_id[..])?;
                    accounts.insert(&account_id[..], encode_account(&row))?;
                    Ok(())
                })
                .map_err(tx_err)
        })
    }

    fn add_invite(&self, code_hash: &Hash, expires_at_unix: u64) -> StoreResult<()> {
        self.with(|t| {
            t.invites
                .insert(code_hash, &expires_at_unix.to_be_bytes()[..])?;
            Ok(())
        })
    }

    fn purge_invites(&self, now_unix: u64) -> StoreResult<usize> {
        self.with(|t| {
            let mut expired = Vec::new();
            for item in t.invites.iter() {
                let (k, v) = item?;
                if u64_at(&v)? <= now_unix {
                    expired.push(k);
                }
            }
            for k in &expired {
                t.invites.remove(k)?;
            }
            Ok(expired.len())
        })
    }

    fn touch_account(&self, account_id: &Id, day: u32) -> StoreResult<()> {
        self.with(|t| {
            // One write a day per account at most.
            if t.activity.get(account_id)?.as_deref() != Some(&day.to_be_bytes()[..]) {
                t.activity.insert(account_id, &day.to_be_bytes()[..])?;
            }
            Ok(())
        })
    }

    fn inactive_accounts(&self, before_day: u32) -> StoreResult<Vec<Id>> {
        self.with(|t| {
            let mut out = Vec::new();
            for item in t.accounts.iter() {
                let (k, v) = item?;
                let last = match t.activity.get(&k)? {
                    Some(b) => u32::from_be_bytes(arr(&b)?),
                    None => super::day_of(decode_account(&v)?.created_at_unix),
                };
                if last < before_day {
                    out.push(arr(&k)?);
                }
            }
            Ok(out)
        })
    }

    fn account_usage(&self, account_id: &Id) -> StoreResult<u64> {
        self.with(|t| t.usage.get(account_id)?.map_or(Ok(0), |b| u64_at(&b)))
    }
}

impl SessionStore for SledStore {
    fn put_session(&self, token_hash: &Hash, session: &SessionRow) -> StoreResult<()> {
        self.with(|t| {
            t.sessions
                .insert(token_hash, &encode_session(session)[..])?;
            Ok(())
        })
    }

    fn session(&self, token_hash: &Hash) -> StoreResult<Option<SessionRow>> {
        self.with(|t| {
            t.sessions
                .get(token_hash)?
                .map(|b| decode_session(&b))
                .transpose()
        })
    }

    fn delete_session(&self, token_hash: &Hash) -> StoreResult<()> {
        self.with(|t| {
            t.sessions.remove(token_hash)?;
            Ok(())
        })
    }

    fn purge_sessions(&self, now_ms: u64) -> StoreResult<usize> {
        self.with(|t| {
            let mut expired = Vec::new();
            for item in t.sessions.iter() {
                let (k, v) = item?;
                if decode_session(&v)?.expires_at_ms <= now_ms {
                    expired.push(k);
                }
            }
            for k in &expired {
                t.sessions.remove(k)?;
            }
            Ok(expired.len())
        })
    }
}

impl LogStore for SledStore {
    fn head(&self, account_id: &Id, device_id: &Id) -> StoreResult<Option<Head>> {
        self.with(|t| {
            t.heads
                .get(pair_key(account_id, device_id))?
                .map(|b| decode_head(&b))
                .transpose()
        })
    }

    fn vector(&self, account_id: &Id) -> StoreResult<Vec<(Id, u64)>> {
        self.with(|t| {
            let mut out = Vec::new();
            for item in t.heads.scan_prefix(account_id) {
                let (k, v) = item?;
                let head = decode_head(&v)?;
                if head.idx >= 1 {
                    out.push((arr(k.get(16..).unwrap_or_default())?, head.idx));
                }
            }
            Ok(out)
        })
    }

    fn record(&self, account_id: &Id, device_id: &Id, idx: u64) -> StoreResult<Option<Vec<u8>>> {
        self.with(|t| {
            Ok(t.records
                .get(record_key(account_id, device_id, idx))?
                .map(|v| v.to_vec()))
        })
    }

    fn records(
        &self,
        account_id: &Id,
        device_id: &Id,
        after: u64,
        up_to: u64,
        max_count: usize,
        max_bytes: usize,
    ) -> StoreResult<Vec<(u64, Vec<u8>)>> {
        self.with(|t| {
            let mut out = Vec::new();
            if after >= up_to {
                return Ok(out);
            }
            let start = record_key(account_id, device_id, after.saturating_add(1));
            let end = record_key(account_id, device_id, up_to);
            let mut bytes = 0usize;
            for item in t.records.range(start..=end) {
                let (k, v) = item?;
                if out.len() >= max_count || (!out.is_empty() && bytes + v.len() > max_bytes) {
                    break;
                }
                bytes += v.len();
                out.push((u64_at(k.get(32..).unwrap_or_default())?, v.to_vec()));
            }
            Ok(out)
        })
    }

    fn receipt(
        &self,
        account_id: &Id,
        device_id: &Id,
        idx: u64,
    ) -> StoreResult<Option<StoredReceipt>> {
        self.with(|t| {
            t.receipts
                .get(record_key(account_id, device_id, idx))?
                .map(|b| StoredReceipt::decode(&b))
                .transpose()
        })
    }

    fn append(
        &self,
        account_id: &Id,
        device_id: &Id,
        expected_head: u64,
        records: &[NewRecord],
        new_head: Head,
    ) -> StoreResult<()> {
        self.with(|t| {
            let head_key = pair_key(account_id, device_id);
            let head_bytes = encode_head(&new_head);
            // One transaction over the trees: the records, their receipts, the head
            // that makes them visible and the usage counter land together or not at all.
            let added: u64 = records.iter().map(|r| r.bytes.len() as u64).sum();
            (&t.records, &t.receipts, &t.heads, &t.usage)
                .transaction(|(recs, receipts, heads, usage)| {
                    let current = match heads.get(head_key)? {
                        Some(b) => {
                            decode_head(&b)
                                .map_err(ConflictableTransactionError::Abort)?
                                .idx
                        }
                        None => 0,
                    };
                    if current != expected_head {
                        return Err(ConflictableTransactionError::Abort(StoreError::HeadMoved));
                    }
                    for r in records {
                        let key = record_key(account_id, device_id, r.idx);
                        recs.insert(&key[..], r.bytes.as_slice())?;
                        receipts.insert(&key[..], &r.receipt.encode()[..])?;
                    }
                    heads.insert(&head_key[..], &head_bytes[..])?;
                    let used = usage.get(account_id)?;
                    let used = add_usage(used.as_deref(), added)
                        .map_err(ConflictableTransactionError::Abort)?;
                    usage.insert(&account_id[..], &used[..])?;
                    Ok(())
                })
                .map_err(tx_err)
        })
    }
}

impl ChunkStore for SledStore {
    fn put_chunk(&self, account_id: &Id, address: &Hash, sealed: &[u8]) -> StoreResult<bool> {
        self.with(|t| {
            let new = self.chunks.put(account_id, address, sealed)?;
            if new {
                let mut failed = None;
                t.usage.update_and_fetch(account_id, |old| {
                    match add_usage(old, sealed.len() as u64) {
                        Ok(v) => Some(v.to_vec()),
                        Err(e) => {
                            failed = Some(e);
                            old.map(<[u8]>::to_vec)
                        }
                    }
                })?;
                if let Some(e) = failed {
                    return Err(e);
                }
            }
            Ok(new)
        })
    }

    fn has_chunk(&self, account_id: &Id, address: &Hash) -> StoreResult<bool> {
        self.with(|_| self.chunks.has(account_id, address))
    }

    fn chunk(&self, account_id: &Id, address: &Hash) -> StoreResult<Option<Vec<u8>>> {
        self.with(|_| self.chunks.get(account_id, address))
    }
}

impl ShareStore for SledStore {
    fn begin_share(&self) -> StoreResult<ShareUpload> {
        self.begin_share_sled()
    }

    fn put_share(&self, share_id: &Id, row: &ShareRow, bundle: ShareUpload) -> StoreResult<()> {
        self.put_share_sled(share_id, row, bundle)
    }

    fn share(&self, share_id: &Id) -> StoreResult<Option<ShareRow>> {
        self.share_sled(share_id)
    }

    fn account_shares(&self, account_id: &Id) -> StoreResult<Vec<(Id, ShareRow)>> {
        self.account_shares_sled(account_id)
    }

    fn open_share(&self, share_id: &Id, now_unix: u64) -> StoreResult<ShareOpen> {
        self.open_share_sled(share_id, now_unix)
    }

    fn revoke_share(&self, account_id: &Id, share_id: &Id) -> StoreResult<bool> {
        self.revoke_share_sled(account_id, share_id)
    }

    fn purge_shares(&self, now_unix: u64) -> StoreResult<usize> {
        self.purge_shares_sled(now_unix)
    }

    fn delete_account_shares(&self, account_id: &Id) -> StoreResult<usize> {
        self.delete_account_shares_sled(account_id)
    }

    fn share_stats(&self) -> StoreResult<ShareStats> {
        self.share_stats_sled()
    }
}

impl OperatorStore for SledStore {
    fn stats(&self, active_since_day: u32) -> StoreResult<StoreStats> {
        self.with(|t| {
            let mut stats = StoreStats {
                accounts: t.accounts.len() as u64,
                ..StoreStats::default()
            };
            for item in t.activity.iter() {
                let (_, v) = item?;
                if u32::from_be_bytes(arr(&v)?) >= active_since_day {
                    stats.active_accounts += 1;
                }
            }
            for item in t.devices.iter() {
                let (k, v) = item?;
                if !decode_device(&arr(&k)?, &v)?.revoked {
                    stats.devices += 1;
                }
            }
            for item in t.usage.iter() {
                let (_, v) = item?;
                stats.stored_bytes = stats.stored_bytes.saturating_add(u64_at(&v)?);
            }
            Ok(stats)
        })
    }

    fn erase_account(&self, account_id: &Id, statement: Option<&[u8]>) -> StoreResult<()> {
        // Shares first: their ciphertext must not outlive the account.
        self.delete_account_shares_sled(account_id)?;
        self.with(|t| {
            let recovery_key = match t.accounts.get(account_id)? {
                Some(v) => Some(decode_account(&v)?.recovery_public_key),
                None => None,
            };
            // Collect the keys first (sled transactions cannot scan); the caller
            // holds the account's write lock, so no append races this.
            let mut device_ids = Vec::new();
            for item in t.account_devices.scan_prefix(account_id) {
                let (k, _) = item?;
                device_ids.push(arr::<16>(k.get(16..).unwrap_or_default())?);
            }
            let mut sessions = Vec::new();
            for item in t.sessions.iter() {
                let (k, v) = item?;
                if &decode_session(&v)?.account_id == account_id {
                    sessions.push(k);
                }
            }
            let account_tag = super::erased_account_tag(account_id);
            let account_tombstone = super::tombstone::seal(account_id, &account_tag, statement)?;
            let device_tombstones = device_ids
                .iter()
                .map(|d| {
                    let tag = super::erased_device_tag(d);
                    Ok((tag, super::tombstone::seal(d, &tag, statement)?))
                })
                .collect::<StoreResult<Vec<_>>>()?;
            let mut heads = Vec::new();
            for item in t.heads.scan_prefix(account_id) {
                heads.push(item?.0);
            }
            let mut records = Vec::new();
            for item in t.records.scan_prefix(account_id) {
                records.push(item?.0);
            }
            let trees = [
                t.accounts.clone(),
                t.devices.clone(),
                t.account_devices.clone(),
                t.sessions.clone(),
                t.heads.clone(),
                t.records.clone(),
                t.receipts.clone(),
                t.usage.clone(),
                t.activity.clone(),
                t.erased.clone(),
                t.recovery_keys.clone(),
            ];
            trees[..]
                .transaction(|tx| {
                    let [accounts, devices, links, sess, hds, recs, rcpts, usage, activity, erased, recovery_keys] =
                        tx.as_slice()
                    else {
                        return Err(ConflictableTransactionError::Abort(StoreError::Corrupt(
                            "transaction trees",
                        )));
                    };
                    accounts.remove(&account_id[..])?;
                    usage.remove(&account_id[..])?;
                    activity.remove(&account_id[..])?;
                    if let Some(key) = &recovery_key {
                        // Only this account's own entry (never another's).
                        if recovery_keys.get(key)?.as_deref() == Some(&account_id[..]) {
                            recovery_keys.remove(&key[..])?;
                        }
                    }
                    erased.insert(&account_tag[..], account_tombstone.as_slice())?;
                    for d in &device_ids {
                        devices.remove(&d[..])?;
                        links.remove(&pair_key(account_id, d)[..])?;
                    }
                    for (tag, value) in &device_tombstones {
                        erased.insert(&tag[..], value.as_slice())?;
                    }
                    for k in &sessions {
                        sess.remove(k)?;
                    }
                    for k in &heads {
                        hds.remove(k)?;
                    }
                    for k in &records {
                        recs.remove(k)?;
                        rcpts.remove(k)?;
                    }
                    Ok(())
                })
                .map_err(tx_err)?;
            t.db.flush()?;
            self.chunks.remove_account(account_id)
        })?;
        self.compact()
    }

    fn tombstone(&self, tag: &Hash) -> StoreResult<Option<Vec<u8>>> {
        self.with(|t| Ok(t.erased.get(tag)?.map(|v| v.to_vec())))
    }

    fn write_backup(&self, out: &mut dyn std::io::Write) -> StoreResult<()> {
        let io = |e: std::io::Error| StoreError::Backend(format!("writing the backup: {e}"));
        self.with(|t| {
            let mut w = crate::operator::backup::BackupWriter::new(out).map_err(io)?;
            for name in t.db.tree_names() {
                if crate::operator::backup::SKIPPED_TREES
                    .iter()
                    .any(|skip| skip.as_bytes() == &name[..])
                {
                    continue;
                }
                for kv in t.db.open_tree(&name)?.iter() {
                    let (k, v) = kv?;
                    w.tree_entry(&name, &k, &v).map_err(io)?;
                }
            }
            for (account_id, address, _) in self.chunks.all()? {
                let sealed = self
                    .chunks
                    .get(&account_id, &address)?
                    .ok_or(StoreError::Corrupt("a chunk vanished during the backup"))?;
                w.chunk(&account_id, &address, &sealed).map_err(io)?;
            }
            w.finish().map_err(io)?;
            Ok(())
        })
    }

    fn flush(&self) -> StoreResult<()> {
        self.with(|t| {
            t.db.flush()?;
            Ok(())
        })
    }

    fn close(&self) -> StoreResult<()> {
        let mut guard = self
            .trees
            .write()
            .map_err(|_| StoreError::Backend("sled store lock poisoned".into()))?;
        if let Some(trees) = guard.take() {
            trees.db.flush()?;
            drop(trees);
            // Dropping the last handle tells sled's flusher thread to stop, but the
            // lock on its `db` file goes only when that thread has let go of it.
            // Take the same lock (blocking, no polling) so that once `close`
            // returns the directory can be opened again at once.
            wait_for_lock(&self.dir)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    store_conformance_tests!(sled, || {
        let dir = tempfile::tempdir().unwrap();
        let store =
            crate::store::SledStore::open(&dir.path().join("db"), &dir.path().join("chunks"))
                .unwrap();
        (store, dir)
    });

    #[test]
    fn an_interrupted_compaction_is_finished_on_open() {
        use crate::store::{AccountStore, OperatorStore};
        let dir = tempfile::tempdir().unwrap();
        let (db, chunks) = (dir.path().join("db"), dir.path().join("chunks"));
        let account = crate::store::AccountRow {
            recovery_public_key: [1; 32],
            recovery_blob: vec![],
            created_at_unix: 1,
        };
        let device = crate::store::DeviceRow {
            account_id: [1; 16],
            device_id: [2; 16],
            sign_public_key: [3; 32],
            dh_public_key: [4; 32],
            registered_at_unix: 1,
            revoked: false,
            last_seen_unix: 0,
            revoked_at_unix: 0,
            revocation: None,
        };
        let s = super::SledStore::open(&db, &chunks).unwrap();
        s.create_account(&[1; 16], &account, &device).unwrap();
        s.close().unwrap();
        // A crash between moving `db` aside and moving the copy in: the copy
        // (here: the same data) is what opens.
        copy_dir(&db, &dir.path().join("db.compacting"));
        std::fs::rename(&db, dir.path().join("db.old")).unwrap();
        let s = super::SledStore::open(&db, &chunks).unwrap();
        assert!(s.account(&[1; 16]).unwrap().is_some());
        s.close().unwrap();
        assert!(!dir.path().join("db.old").exists());
        assert!(!dir.path().join("db.compacting").exists());
        // A crash during the copy: the partial copy is dropped.
        std::fs::create_dir(dir.path().join("db.compacting")).unwrap();
        let s = super::SledStore::open(&db, &chunks).unwrap();
        assert!(s.account(&[1; 16]).unwrap().is_some());
        s.close().unwrap();
        assert!(!dir.path().join("db.compacting").exists());
    }

    fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let e = e.unwrap();
            if e.path().is_dir() {
                copy_dir(&e.path(), &to.join(e.file_name()));
            } else {
                std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
            }
        }
    }

    #[test]
    fn device_rows_from_before_last_seen_still_read() {
        let row = super::DeviceRow {
            account_id: [1; 16],
            device_id: [2; 16],
            sign_public_key: [3; 32],
            dh_public_key: [4; 32],
            registered_at_unix: 5,
            revoked: true,
            last_seen_unix: 6,
            revoked_at_unix: 7,
            revocation: Some(b"the signed statement".to_vec()),
        };
        let bytes = super::encode_device(&row);
        assert_eq!(super::decode_device(&[2; 16], &bytes).unwrap(), row);
        // A row from before statements: revoked, with no statement to hand back.
        let v2 = super::decode_device(&[2; 16], &bytes[..super::DEVICE_ROW_LEN]).unwrap();
        assert_eq!((v2.revoked_at_unix, v2.revocation), (7, None));
        let old = super::decode_device(&[2; 16], &bytes[..super::DEVICE_ROW_LEN_V1]).unwrap();
        assert_eq!((old.last_seen_unix, old.revoked_at_unix), (0, 0));
        assert!(old.revoked);
        assert!(super::decode_device(&[2; 16], &bytes[..50]).is_err());
        assert!(super::decode_device(&[2; 16], &bytes[..super::DEVICE_ROW_LEN - 1]).is_err());
    }

    #[test]
    fn a_database_from_before_the_recovery_index_gets_one_on_open() {
        use crate::store::{AccountStore, OperatorStore};
        let dir = tempfile::tempdir().unwrap();
        let (db, chunks) = (dir.path().join("db"), dir.path().join("chunks"));
        let account = |created_at_unix| crate::store::AccountRow {
            recovery_public_key: [1; 32],
            recovery_blob: vec![],
            created_at_unix,
        };
        let device = |n: u8| crate::store::DeviceRow {
            account_id: [n; 16],
            device_id: [n; 16],
            sign_public_key: [n; 32],
            dh_public_key: [n; 32],
            registered_at_unix: 1,
            revoked: false,
            last_seen_unix: 0,
            revoked_at_unix: 0,
            revocation: None,
        };
        let s = super::SledStore::open(&db, &chunks).unwrap();
        s.create_account(&[2; 16], &account(10), &device(2))
            .unwrap();
        // What an older server allowed: a second account with the same key,
        // written straight into the tree, and no index.
        s.with(|t| {
            t.accounts
                .insert([3u8; 16], super::encode_account(&account(20)))?;
            t.recovery_keys.clear()?;
            t.meta.clear()?;
            Ok(())
        })
        .unwrap();
        s.close().unwrap();
        let s = super::SledStore::open(&db, &chunks).unwrap();
        // The earlier account keeps the key; the later one cannot recover with it.
        assert_eq!(
            s.account_by_recovery_key(&[1; 32])
                .unwrap()
                .map(|(id, _)| id),
            Some([2; 16])
        );
        s.close().unwrap();
    }

    #[test]
    fn reopens_after_close() {
        use crate::store::OperatorStore;
        let dir = tempfile::tempdir().unwrap();
        let (db, chunks) = (dir.path().join("db"), dir.path().join("chunks"));
        let s = super::SledStore::open(&db, &chunks).unwrap();
        s.close().unwrap();
        let s2 = super::SledStore::open(&db, &chunks).unwrap();
        s2.close().unwrap();
    }
}
