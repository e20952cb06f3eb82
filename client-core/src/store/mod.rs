//! The device's local store: the verified records of every device's log (still
//! sealed under the vault key, exactly as they came), and a little sync state.
//!
//! Nothing here is plaintext; the journal is rebuilt in memory by decrypting the
//! records after the passphrase unlocks the keys. The server's receipts (its
//! time for each record) are sealed at rest too, under a [`StoreKey`] derived
//! from the device's own keys. What a copy of the store still shows without the
//! passphrase (device ids, record counts, file times) is listed in [`file`](mod@file).

use std::collections::BTreeMap;

use mycase_proto::v1::Record;

use crate::format::vector::Vector;
use crate::ids::DeviceId;

pub mod file;
pub mod key;
pub mod memory;
mod receipts_file;

pub use key::StoreKey;
pub use receipts_file::MAGIC as SEALED_RECEIPTS_MAGIC;

/// Why the local store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another MyCase process holds the store.
    #[error("the local store is in use by another MyCase process")]
    Busy,
    /// The store is damaged (what is wrong).
    #[error("the local store is damaged: {0}")]
    Corrupt(String),
    /// Records to append do not continue the local log.
    #[error("records do not continue the local log (expected idx {expected}, got {got})")]
    NotContiguous {
        /// The idx the log needs next.
        expected: u64,
        /// The idx given.
        got: u64,
    },
    /// The store's files could not be read or written.
    #[error("local store I/O failed")]
    Io(#[from] std::io::Error),
}

/// Sync bookkeeping kept beside the records. Holds no content.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncState {
    /// The highest idx of this device's own log that the server acknowledged.
    pub acked_own: u64,
    /// The highest vector any server response has shown us and we verified; a
    /// server reporting less is rolling back.
    pub highest_seen: Vector,
    /// The server's receipt key, pinned on first sync (trust on first use): every
    /// receipt after that must verify under it.
    pub server_key: Option<[u8; 32]>,
}

pub use crate::format::receipts::StoredReceipt;

/// Where a record sits: its device's log and its idx.
pub type RecordPosition = (DeviceId, u64);

/// Where a device keeps its logs. Writes are durable when they return.
pub trait LocalStore {
    /// All stored records per device, each log in idx order from 1.
    fn logs(&self) -> &BTreeMap<DeviceId, Vec<Record>>;

    /// Appends records to `device`'s log; they must continue it (idx = len + 1).
    /// All or nothing, durable on return.
    fn append(&mut self, device: &DeviceId, records: &[Record]) -> Result<(), StoreError>;

    /// Where the last sync left off (server vector, acknowledged own records, pinned keys).
    fn sync_state(&self) -> &SyncState;

    /// Replaces the sync state, durably and atomically.
    fn set_sync_state(&mut self, state: SyncState) -> Result<(), StoreError>;

    /// Changes the sync state with `change`, then stores it as
    /// [`LocalStore::set_sync_state`] does.
    fn update_sync_state(&mut self, change: impl FnOnce(&mut SyncState)) -> Result<(), StoreError>
    where
        Self: Sized,
    {
        let mut state = self.sync_state().clone();
        change(&mut state);
        self.set_sync_state(state)
    }

    /// Every verified server receipt kept, by record position.
    fn receipts(&self) -> &BTreeMap<RecordPosition, StoredReceipt>;

    /// Keeps receipts (already verified), durably. A position that already has
    /// one keeps its first: the server's original word is what counts.
    fn put_receipts(
        &mut self,
        receipts: &[(RecordPosition, StoredReceipt)],
    ) -> Result<(), StoreError>;

    /// The receipt kept for a record, if any.
    fn receipt(&self, device: &DeviceId, idx: u64) -> Option<&StoredReceipt> {
        self.receipts().get(&(*device, idx))
    }

    /// How far each stored log goes.
    fn vector(&self) -> Vector {
        self.logs()
            .iter()
            .map(|(d, log)| (*d, log.len() as u64))
            .collect()
    }

    /// One device's log (empty if none).
    fn log(&self, device: &DeviceId) -> &[Record] {
        self.logs().get(device).map(Vec::as_slice).unwrap_or(&[])
    }
}
