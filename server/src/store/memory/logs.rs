//! Device logs in memory: heads, records and receipts.

use super::MemoryStore;
use crate::store::{Head, Id, LogStore, NewRecord, StoreError, StoreResult, StoredReceipt};

impl LogStore for MemoryStore {
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
        let added: u64 = records.iter().map(|r| r.bytes.len() as u64).sum();
        let used = g.usage.entry(*account_id).or_insert(0);
        *used = used.saturating_add(added);
        g.heads.insert((*account_id, *device_id), new_head);
        Ok(())
    }
}
