//! [`MemoryStore`]: the [`LocalStore`] contract in memory, for sans-I/O tests of
//! the sync engine. Same checks as the file store, nothing survives a drop.

use std::collections::BTreeMap;

use mycase_proto::v1::Record;

use super::{LocalStore, RecordPosition, StoreError, StoredReceipt, SyncState};
use crate::ids::DeviceId;

/// A store kept only in memory (tests, benchmarks, and apps that keep nothing on disk).
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    logs: BTreeMap<DeviceId, Vec<Record>>,
    state: SyncState,
    receipts: BTreeMap<RecordPosition, StoredReceipt>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

impl LocalStore for MemoryStore {
    fn logs(&self) -> &BTreeMap<DeviceId, Vec<Record>> {
        &self.logs
    }

    fn append(&mut self, device: &DeviceId, records: &[Record]) -> Result<(), StoreError> {
        let current = self.logs.get(device).map_or(0, Vec::len) as u64;
        check_batch(device, current, records)?;
        if records.is_empty() {
            return Ok(());
        }
        self.logs
            .entry(*device)
            .or_default()
            .extend_from_slice(records);
        Ok(())
    }

    fn sync_state(&self) -> &SyncState {
        &self.state
    }

    fn set_sync_state(&mut self, state: SyncState) -> Result<(), StoreError> {
        self.state = state;
        Ok(())
    }

    fn receipts(&self) -> &BTreeMap<RecordPosition, StoredReceipt> {
        &self.receipts
    }

    fn put_receipts(
        &mut self,
        receipts: &[(RecordPosition, StoredReceipt)],
    ) -> Result<(), StoreError> {
        for (position, receipt) in receipts {
            self.receipts.entry(*position).or_insert(*receipt);
        }
        Ok(())
    }
}

/// Checks that `records` continue `device`'s log of `current_len` records, so a
/// bad batch is refused before anything is written. Shared by both stores.
pub(crate) fn check_batch(
    device: &DeviceId,
    current_len: u64,
    records: &[Record],
) -> Result<(), StoreError> {
    for (i, r) in records.iter().enumerate() {
        if r.device_id.as_slice() != device.as_slice() {
            return Err(StoreError::Corrupt(
                "a record in the batch belongs to another device's log".into(),
            ));
        }
        let expected = current_len.saturating_add(1).saturating_add(i as u64);
        if r.idx != expected {
            return Err(StoreError::NotContiguous {
                expected,
                got: r.idx,
            });
        }
    }
    Ok(())
}
