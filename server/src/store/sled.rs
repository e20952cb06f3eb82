//! The default backend: an embedded sled database in `data_dir/db`.
//!
//! Keys are fixed-width byte strings (ids, then big-endian idx), so prefix scans
//! return an account's devices and a log's records in order.

use std::path::Path;
use std::sync::{RwLock, RwLockReadGuard};

use super::chunk_files::ChunkFiles;

use sled::transaction::{ConflictableTransactionError, TransactionError};
use sled::Transactional;

use super::{
    AccountRow, DeviceRow, Hash, Head, Id, NewRecord, SessionRow, Store, StoreError, StoreResult,
    StoredReceipt,
};

struct Trees {
    db: sled::Db,
    accounts: sled::Tree,
    devices: sled::Tree,
    account_devices: sled::Tree,
    sessions: sled::Tree,
    heads: sled::Tree,
    records: sled::Tree,
    receipts: sled::Tree,
}

/// sled behind a lock that `close` can empty: every handle lives inside it, so
/// closing really drops the database and releases its file lock.
pub struct SledStore {
    trees: RwLock<Option<Trees>>,
    /// The database directory, to wait for sled's file lock on close.
    dir: std::path::PathBuf,
    /// Attachment chunks live in files beside the database (see `chunk_files`).
    chunks: ChunkFiles,
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

const DEVICE_ROW_LEN: usize = 16 + 32 + 32 + 8 + 1;

fn encode_device(d: &DeviceRow) -> Vec<u8> {
    let mut v = Vec::with_capacity(DEVICE_ROW_LEN);
    v.extend_from_slice(&d.account_id);
    v.extend_from_slice(&d.sign_public_key);
    v.extend_from_slice(&d.dh_public_key);
    v.extend_from_slice(&d.registered_at_unix.to_be_bytes());
    v.push(u8::from(d.revoked));
    v
}

fn decode_device(device_id: &Id, b: &[u8]) -> StoreResult<DeviceRow> {
    if b.len() != DEVICE_ROW_LEN {
        return Err(StoreError::Corrupt("device row has the wrong length"));
    }
    Ok(DeviceRow {
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

impl SledStore {
    /// Opens (or creates) the database in `dir` and the chunk files in `chunks_dir`.
    pub fn open(dir: &Path, chunks_dir: &Path) -> StoreResult<Self> {
        let db = sled::Config::new()
            .path(dir)
            .cache_capacity(CACHE_BYTES)
            .open()?;
        let trees = Trees {
            accounts: db.open_tree("accounts")?,
            devices: db.open_tree("devices")?,
            account_devices: db.open_tree("account_devices")?,
            sessions: db.open_tree("sessions")?,
            heads: db.open_tree("heads")?,
            records: db.open_tree("records")?,
            receipts: db.open_tree("receipts")?,
            db,
        };
        Ok(Self {
            trees: RwLock::new(Some(trees)),
            dir: dir.to_path_buf(),
            chunks: ChunkFiles::open(chunks_dir)?,
        })
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

impl Store for SledStore {
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
            (&t.accounts, &t.devices, &t.account_devices)
                .transaction(|(accounts, devices, links)| {
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

    fn account_by_recovery_key(
        &self,
        recovery_public_key: &[u8; 32],
    ) -> StoreResult<Option<(Id, AccountRow)>> {
        self.with(|t| {
            for kv in t.accounts.iter() {
                let (k, v) = kv?;
                let row = decode_account(&v)?;
                if &row.recovery_public_key == recovery_public_key {
                    return Ok(Some((arr(&k)?, row)));
                }
            }
            Ok(None)
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
            // One transaction over the trees: the records, their receipts and the
            // head that makes them visible land together or not at all.
            (&t.records, &t.receipts, &t.heads)
                .transaction(|(recs, receipts, heads)| {
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
                    Ok(())
                })
                .map_err(tx_err)
        })
    }

    fn put_chunk(&self, account_id: &Id, address: &Hash, sealed: &[u8]) -> StoreResult<bool> {
        self.with(|_| self.chunks.put(account_id, address, sealed))
    }

    fn has_chunk(&self, account_id: &Id, address: &Hash) -> StoreResult<bool> {
        self.with(|_| self.chunks.has(account_id, address))
    }

    fn chunk(&self, account_id: &Id, address: &Hash) -> StoreResult<Option<Vec<u8>>> {
        self.with(|_| self.chunks.get(account_id, address))
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
            let lock_file = std::fs::File::open(self.dir.join("db"))
                .map_err(|e| StoreError::Backend(format!("reopening the database file: {e}")))?;
            lock_file
                .lock()
                .map_err(|e| StoreError::Backend(format!("waiting for the database lock: {e}")))?;
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
    fn reopens_after_close() {
        use super::super::Store;
        let dir = tempfile::tempdir().unwrap();
        let (db, chunks) = (dir.path().join("db"), dir.path().join("chunks"));
        let s = super::SledStore::open(&db, &chunks).unwrap();
        s.close().unwrap();
        let s2 = super::SledStore::open(&db, &chunks).unwrap();
        s2.close().unwrap();
    }
}
