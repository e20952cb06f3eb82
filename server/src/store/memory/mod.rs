//! An in-memory store: for tests and for trying the server without a disk.
//! Each part of [`Store`](crate::store::Store) is implemented in the file of its
//! concern, as in `store::sled`.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

use super::{AccountRow, DeviceRow, Hash, Head, Id, SessionRow, ShareRow, ShareStats};
use super::{StoreError, StoreResult, StoredReceipt};

mod accounts;
mod chunks;
mod logs;
mod operator;
mod sessions;
mod shares;

#[derive(Default)]
struct Inner {
    closed: bool,
    accounts: HashMap<Id, AccountRow>,
    recovery_keys: HashMap<[u8; 32], Id>,
    devices: BTreeMap<Id, DeviceRow>,
    sessions: HashMap<Hash, SessionRow>,
    heads: BTreeMap<(Id, Id), Head>,
    records: BTreeMap<(Id, Id, u64), Vec<u8>>,
    receipts: BTreeMap<(Id, Id, u64), StoredReceipt>,
    chunks: HashMap<(Id, Hash), Vec<u8>>,
    /// Each share's row and its ciphertext while it has one.
    shares: BTreeMap<Id, (ShareRow, Option<Vec<u8>>)>,
    share_stats: ShareStats,
    usage: HashMap<Id, u64>,
    invites: HashMap<Hash, u64>,
    /// Tombstone -> the sealed statement it keeps (see `tombstone`).
    erased: HashMap<Hash, Vec<u8>>,
    activity: HashMap<Id, u32>,
}

#[derive(Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> StoreResult<MutexGuard<'_, Inner>> {
        let guard = self
            .inner
            .lock()
            .map_err(|_| StoreError::Backend("memory store lock poisoned".into()))?;
        if guard.closed {
            return Err(StoreError::Closed);
        }
        Ok(guard)
    }
}

#[cfg(test)]
mod tests {
    crate::store_conformance_tests!(memory, || (crate::store::MemoryStore::new(), ()));
}
