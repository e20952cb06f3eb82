//! Counts, erasure, tombstones, backup, flushing and closing in memory.

use super::MemoryStore;
use crate::store::{Hash, Id, OperatorStore, StoreError, StoreResult, StoreStats};

impl OperatorStore for MemoryStore {
    fn stats(&self, active_since_day: u32) -> StoreResult<StoreStats> {
        let g = self.lock()?;
        Ok(StoreStats {
            accounts: g.accounts.len() as u64,
            active_accounts: g
                .activity
                .values()
                .filter(|&&d| d >= active_since_day)
                .count() as u64,
            devices: g.devices.values().filter(|d| !d.revoked).count() as u64,
            stored_bytes: g.usage.values().fold(0u64, |a, b| a.saturating_add(*b)),
        })
    }

    fn erase_account(&self, account_id: &Id, statement: Option<&[u8]>) -> StoreResult<()> {
        let mut g = self.lock()?;
        let g = &mut *g;
        if let Some(a) = g.accounts.remove(account_id) {
            if g.recovery_keys.get(&a.recovery_public_key) == Some(account_id) {
                g.recovery_keys.remove(&a.recovery_public_key);
            }
        }
        g.usage.remove(account_id);
        g.activity.remove(account_id);
        let tag = crate::store::erased_account_tag(account_id);
        g.erased.insert(
            tag,
            crate::store::tombstone::seal(account_id, &tag, statement)?,
        );
        let devices: Vec<Id> = g
            .devices
            .values()
            .filter(|d| &d.account_id == account_id)
            .map(|d| d.device_id)
            .collect();
        for d in &devices {
            g.devices.remove(d);
            let tag = crate::store::erased_device_tag(d);
            g.erased
                .insert(tag, crate::store::tombstone::seal(d, &tag, statement)?);
        }
        g.sessions.retain(|_, s| &s.account_id != account_id);
        g.heads.retain(|(a, _), _| a != account_id);
        g.records.retain(|(a, _, _), _| a != account_id);
        g.receipts.retain(|(a, _, _), _| a != account_id);
        g.chunks.retain(|(a, _), _| a != account_id);
        g.shares.retain(|_, (row, _)| &row.account_id != account_id);
        Ok(())
    }

    fn tombstone(&self, tag: &Hash) -> StoreResult<Option<Vec<u8>>> {
        Ok(self.lock()?.erased.get(tag).cloned())
    }

    fn write_backup(&self, _out: &mut dyn std::io::Write) -> StoreResult<()> {
        Err(StoreError::Backend(
            "the memory store keeps nothing to back up".into(),
        ))
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
