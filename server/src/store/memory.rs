//! An in-memory store: for tests and for trying the server without a disk.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

use super::{
    AccountRow, DeviceRow, Hash, Head, Id, NewRecord, SessionRow, Store, StoreError, StoreResult,
    StoredReceipt,
};

#[derive(Default)]
struct Inner {
    closed: bool,
    accounts: HashMap<Id, AccountRow>,
    devices: BTreeMap<Id, DeviceRow>,
    sessions: HashMap<Hash, SessionRow>,
    heads: BTreeMap<(Id, Id), Head>,
    records: BTreeMap<(Id, Id, u64), Vec<u8>>,
    receipts: BTreeMap<(Id, Id, u64), StoredReceipt>,
    chunks: HashMap<(Id, Hash), Vec<u8>>,
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

impl Store for MemoryStore {
    fn create_account(
        &self,
        account_id: &Id,
        account: &AccountRow,
        first_device: &DeviceRow,
    ) -> StoreResult<()> {
        let mut g = self.lock()?;
        if g.accounts.contains_key(account_id) {
            return Err(StoreError::AccountExists);
        }
        if g.devices.contains_key(&first_device.device_id) {
            return Err(StoreError::DeviceExists);
        }
        g.accounts.insert(*account_id, account.clone());
        g.devices
            .insert(first_device.device_id, first_device.clone());
        Ok(())
    }

    fn account(&self, account_id: &Id) -> StoreResult<Option<AccountRow>> {
        Ok(self.lock()?.accounts.get(account_id).cloned())
    }

    fn add_device(&self, device: &DeviceRow) -> StoreResult<()> {
        let mut g = self.lock()?;
        if !g.accounts.contains_key(&device.account_id) {
            return Err(StoreError::UnknownAccount);
        }
        if g.devices.contains_key(&device.device_id) {
            return Err(StoreError::DeviceExists);
        }
        g.devices.insert(device.device_id, device.clone());
        Ok(())
    }

    fn device(&self, device_id: &Id) -> StoreResult<Option<DeviceRow>> {
        Ok(self.lock()?.devices.get(device_id).cloned())
    }

    fn account_by_recovery_key(
        &self,
        recovery_public_key: &[u8; 32],
    ) -> StoreResult<Option<(Id, AccountRow)>> {
        Ok(self
            .lock()?
            .accounts
            .iter()
            .find(|(_, a)| &a.recovery_public_key == recovery_public_key)
            .map(|(id, a)| (*id, a.clone())))
    }

    fn account_devices(&self, account_id: &Id) -> StoreResult<Vec<DeviceRow>> {
        // BTreeMap iteration is already in device id order.
        Ok(self
            .lock()?
            .devices
            .values()
            .filter(|d| &d.account_id == account_id)
            .cloned()
            .collect())
    }

    fn put_session(&self, token_hash: &Hash, session: &SessionRow) -> StoreResult<()> {
        self.lock()?.sessions.insert(*token_hash, *session);
        Ok(())
    }

    fn session(&self, token_hash: &Hash) -> StoreResult<Option<SessionRow>> {
        Ok(self.lock()?.sessions.get(token_hash).copied())
    }

    fn delete_session(&self, token_hash: &Hash) -> StoreResult<()> {
        self.lock()?.sessions.remove(token_hash);
        Ok(())
    }

    fn purge_sessions(&self, now_ms: u64) -> StoreResult<usize> {
        let mut g = self.lock()?;
        let before = g.sessions.len();
        g.sessions.retain(|_, s| s.expires_at_ms > now_ms);
        Ok(before - g.sessions.len())
    }

    fn head(&self, account_id: &Id, device_id: &Id) -> StoreResult<Option<Head>> {
        Ok(self.lock()?.heads.get(&(*account_id, *device_id)).copied())
    }

    fn vector(&self, account_id: &Id) -> StoreResult<Vec<(Id, u64)>> {
        let g = self.lock()?;
        Ok(g.heads
            .range((*account_id, [0u8; 16])..=(*account_id, [0xff; 16]))
            .filter(|(_, h)| h.idx >= 1)
            .map(|((_, d), h)| (*d, h.idx))
            .collect())
    }

    fn record(&self, account_id: &Id, device_id: &Id, idx: u64) -> StoreResult<Option<Vec<u8>>> {
        Ok(self
            .lock()?
            .records
            .get(&(*account_id, *device_id, idx))
            .cloned())
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
        let g = self.lock()?;
        let mut out = Vec::new();
        if after >= up_to {
            return Ok(out);
        }
        let mut bytes = 0usize;
        for ((_, _, idx), rec) in g
            .records
            .range((*account_id, *device_id, after + 1)..=(*account_id, *device_id, up_to))
        {
            if out.len() >= max_count || (!out.is_empty() && bytes + rec.len() > max_bytes) {
                break;
            }
            bytes += rec.len();
            out.push((*idx, rec.clone()));
        }
        Ok(out)
    }

    fn receipt(
        &self,
        account_id: &Id,
        device_id: &Id,
        idx: u64,
    ) -> StoreResult<Option<StoredReceipt>> {
        Ok(self
            .lock()?
            .receipts
            .get(&(*account_id, *device_id, idx))
            .copied())
    }

    fn append(
        &self,
        account_id: &Id,
        device_id: &Id,
        expected_head: u64,
        records: &[NewRecord],
        new_head: Head,
    ) -> StoreResult<()> {
        let mut g = self.lock()?;
        let current = g.heads.get(&(*account_id, *device_id)).map_or(0, |h| h.idx);
        if current != expected_head {
            return Err(StoreError::HeadMoved);
        }
        for r in records {
            g.records
                .insert((*account_id, *device_id, r.idx), r.bytes.clone());
            g.receipts
                .insert((*account_id, *device_id, r.idx), r.receipt);
        }
        g.heads.insert((*account_id, *device_id), new_head);
        Ok(())
    }

    fn put_chunk(&self, account_id: &Id, address: &Hash, sealed: &[u8]) -> StoreResult<bool> {
        let mut g = self.lock()?;
        match g.chunks.get(&(*account_id, *address)) {
            Some(existing) if existing.as_slice() == sealed => Ok(false),
            Some(_) => Err(StoreError::ChunkConflict),
            None => {
                g.chunks.insert((*account_id, *address), sealed.to_vec());
                Ok(true)
            }
        }
    }

    fn has_chunk(&self, account_id: &Id, address: &Hash) -> StoreResult<bool> {
        Ok(self.lock()?.chunks.contains_key(&(*account_id, *address)))
    }

    fn chunk(&self, account_id: &Id, address: &Hash) -> StoreResult<Option<Vec<u8>>> {
        Ok(self.lock()?.chunks.get(&(*account_id, *address)).cloned())
    }

    fn flush(&self) -> StoreResult<()> {
        self.lock().map(|_| ())
    }

    fn close(&self) -> StoreResult<()> {
        let mut g = self
            .inner
            .lock()
            .map_err(|_| StoreError::Backend("memory store lock poisoned".into()))?;
        g.closed = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    store_conformance_tests!(memory, || (crate::store::MemoryStore::new(), ()));
}
