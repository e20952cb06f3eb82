//! An in-memory store: for tests and for trying the server without a disk.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

use super::{
    AccountRow, AccountStore, ChunkStore, DeviceRow, Hash, Head, Id, LogStore, NewRecord,
    OperatorStore, SessionRow, SessionStore, ShareBundle, ShareEnd, ShareOpen, ShareRow,
    ShareState, ShareStats, ShareStore, ShareUpload, StoreError, StoreResult, StoreStats,
    StoredReceipt,
};

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

impl AccountStore for MemoryStore {
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
        if g.recovery_keys.contains_key(&account.recovery_public_key) {
            return Err(StoreError::RecoveryKeyInUse);
        }
        g.recovery_keys
            .insert(account.recovery_public_key, *account_id);
        g.accounts.insert(*account_id, account.clone());
        g.devices
            .insert(first_device.device_id, first_device.clone());
        Ok(())
    }

    fn create_account_with_invite(
        &self,
        account_id: &Id,
        account: &AccountRow,
        first_device: &DeviceRow,
        code_hash: &Hash,
        now_unix: u64,
    ) -> StoreResult<()> {
        let mut g = self.lock()?;
        if g.invites.get(code_hash).is_none_or(|&exp| exp <= now_unix) {
            return Err(StoreError::InviteInvalid);
        }
        if g.accounts.contains_key(account_id) {
            return Err(StoreError::AccountExists);
        }
        if g.devices.contains_key(&first_device.device_id) {
            return Err(StoreError::DeviceExists);
        }
        if g.recovery_keys.contains_key(&account.recovery_public_key) {
            return Err(StoreError::RecoveryKeyInUse);
        }
        g.invites.remove(code_hash);
        g.recovery_keys
            .insert(account.recovery_public_key, *account_id);
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

    fn account_by_recovery_key(
        &self,
        recovery_public_key: &[u8; 32],
    ) -> StoreResult<Option<(Id, AccountRow)>> {
        let g = self.lock()?;
        Ok(g.recovery_keys
            .get(recovery_public_key)
            .and_then(|id| g.accounts.get(id).map(|a| (*id, a.clone())))
            .filter(|(_, a)| &a.recovery_public_key == recovery_public_key))
    }

    fn touch_device(&self, device_id: &Id, seen_unix: u64) -> StoreResult<()> {
        if let Some(d) = self.lock()?.devices.get_mut(device_id) {
            d.last_seen_unix = d.last_seen_unix.max(seen_unix);
        }
        Ok(())
    }

    fn revoke_device(&self, device_id: &Id, at_unix: u64, statement: &[u8]) -> StoreResult<bool> {
        let mut g = self.lock()?;
        let d = g
            .devices
            .get_mut(device_id)
            .ok_or(StoreError::UnknownDevice)?;
        if d.revoked {
            return Ok(false);
        }
        d.revoked = true;
        d.revoked_at_unix = at_unix;
        d.revocation = Some(statement.to_vec());
        g.sessions.retain(|_, s| &s.device_id != device_id);
        Ok(true)
    }

    fn set_recovery_blob(&self, account_id: &Id, blob: &[u8]) -> StoreResult<()> {
        let mut g = self.lock()?;
        let a = g
            .accounts
            .get_mut(account_id)
            .ok_or(StoreError::UnknownAccount)?;
        a.recovery_blob = blob.to_vec();
        Ok(())
    }

    fn renew_recovery_key(
        &self,
        account_id: &Id,
        old: &[u8; 32],
        new: &[u8; 32],
        blob: &[u8],
    ) -> StoreResult<()> {
        let mut g = self.lock()?;
        let g = &mut *g;
        let a = g
            .accounts
            .get_mut(account_id)
            .ok_or(StoreError::UnknownAccount)?;
        if &a.recovery_public_key != old {
            return Err(StoreError::RecoveryKeyChanged);
        }
        if g.recovery_keys.contains_key(new) {
            return Err(StoreError::RecoveryKeyInUse);
        }
        a.recovery_public_key = *new;
        a.recovery_blob = blob.to_vec();
        g.recovery_keys.remove(old);
        g.recovery_keys.insert(*new, *account_id);
        Ok(())
    }

    fn add_invite(&self, code_hash: &Hash, expires_at_unix: u64) -> StoreResult<()> {
        self.lock()?.invites.insert(*code_hash, expires_at_unix);
        Ok(())
    }

    fn purge_invites(&self, now_unix: u64) -> StoreResult<usize> {
        let mut g = self.lock()?;
        let before = g.invites.len();
        g.invites.retain(|_, exp| *exp > now_unix);
        Ok(before - g.invites.len())
    }

    fn touch_account(&self, account_id: &Id, day: u32) -> StoreResult<()> {
        self.lock()?.activity.insert(*account_id, day);
        Ok(())
    }

    fn inactive_accounts(&self, before_day: u32) -> StoreResult<Vec<Id>> {
        let g = self.lock()?;
        Ok(g.accounts
            .iter()
            .filter(|(id, a)| {
                let last = g
                    .activity
                    .get(*id)
                    .copied()
                    .unwrap_or_else(|| super::day_of(a.created_at_unix));
                last < before_day
            })
            .map(|(id, _)| *id)
            .collect())
    }

    fn account_usage(&self, account_id: &Id) -> StoreResult<u64> {
        Ok(self.lock()?.usage.get(account_id).copied().unwrap_or(0))
    }
}

impl SessionStore for MemoryStore {
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
}

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

impl ChunkStore for MemoryStore {
    fn put_chunk(&self, account_id: &Id, address: &Hash, sealed: &[u8]) -> StoreResult<bool> {
        let mut g = self.lock()?;
        match g.chunks.get(&(*account_id, *address)) {
            Some(existing) if existing.as_slice() == sealed => Ok(false),
            Some(_) => Err(StoreError::ChunkConflict),
            None => {
                g.chunks.insert((*account_id, *address), sealed.to_vec());
                let used = g.usage.entry(*account_id).or_insert(0);
                *used = used.saturating_add(sealed.len() as u64);
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
}

impl ShareStore for MemoryStore {
    fn begin_share(&self) -> StoreResult<ShareUpload> {
        // Refused like every other call once closed.
        drop(self.lock()?);
        Ok(ShareUpload::in_memory())
    }

    fn put_share(&self, share_id: &Id, row: &ShareRow, bundle: ShareUpload) -> StoreResult<()> {
        let bundle = bundle.into_bytes()?;
        let mut g = self.lock()?;
        if g.shares.contains_key(share_id) {
            return Err(StoreError::ShareExists);
        }
        g.shares.insert(*share_id, (row.clone(), Some(bundle)));
        g.share_stats.created += 1;
        Ok(())
    }

    fn share(&self, share_id: &Id) -> StoreResult<Option<ShareRow>> {
        Ok(self
            .lock()?
            .shares
            .get(share_id)
            .map(|(row, _)| row.clone()))
    }

    fn account_shares(&self, account_id: &Id) -> StoreResult<Vec<(Id, ShareRow)>> {
        Ok(self
            .lock()?
            .shares
            .iter()
            .filter(|(_, (row, _))| &row.account_id == account_id)
            .map(|(id, (row, _))| (*id, row.clone()))
            .collect())
    }

    fn open_share(&self, share_id: &Id, now_unix: u64) -> StoreResult<ShareOpen> {
        let mut g = self.lock()?;
        let Some((row, bundle)) = g.shares.get_mut(share_id) else {
            return Ok(ShareOpen::Unknown);
        };
        if let ShareState::Ended(end) = row.state(now_unix) {
            row.ended = Some(end);
            *bundle = None;
            return Ok(ShareOpen::Ended(end));
        }
        let bytes = bundle
            .clone()
            .ok_or(StoreError::Corrupt("an active share has no ciphertext"))?;
        row.count_view(now_unix);
        if row.ended.is_some() {
            *bundle = None;
        }
        g.share_stats.opened += 1;
        Ok(ShareOpen::Opened(ShareBundle::from_bytes(bytes)))
    }

    fn revoke_share(&self, account_id: &Id, share_id: &Id) -> StoreResult<bool> {
        let mut g = self.lock()?;
        match g.shares.get_mut(share_id) {
            Some((row, bundle)) if &row.account_id == account_id => {
                row.ended.get_or_insert(ShareEnd::Revoked);
                *bundle = None;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    fn purge_shares(&self, now_unix: u64) -> StoreResult<usize> {
        let mut g = self.lock()?;
        let mut deleted = 0;
        for (row, bundle) in g.shares.values_mut() {
            if let ShareState::Ended(end) = row.state(now_unix) {
                row.ended = Some(end);
                if bundle.take().is_some() {
                    deleted += 1;
                }
            }
        }
        Ok(deleted)
    }

    fn delete_account_shares(&self, account_id: &Id) -> StoreResult<usize> {
        let mut g = self.lock()?;
        let before = g.shares.len();
        g.shares.retain(|_, (row, _)| &row.account_id != account_id);
        Ok(before - g.shares.len())
    }

    fn share_stats(&self) -> StoreResult<ShareStats> {
        Ok(self.lock()?.share_stats)
    }
}

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
        let tag = super::erased_account_tag(account_id);
        g.erased
            .insert(tag, super::tombstone::seal(account_id, &tag, statement)?);
        let devices: Vec<Id> = g
            .devices
            .values()
            .filter(|d| &d.account_id == account_id)
            .map(|d| d.device_id)
            .collect();
        for d in &devices {
            g.devices.remove(d);
            let tag = super::erased_device_tag(d);
            g.erased
                .insert(tag, super::tombstone::seal(d, &tag, statement)?);
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

#[cfg(test)]
mod tests {
    store_conformance_tests!(memory, || (crate::store::MemoryStore::new(), ()));
}
