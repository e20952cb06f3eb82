//! Shares in memory: each row with its ciphertext while it has one.

use super::MemoryStore;
use crate::store::{
    Id, ShareBundle, ShareEnd, ShareOpen, ShareRow, ShareState, ShareStats, ShareStore,
    ShareUpload, StoreError, StoreResult,
};

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
