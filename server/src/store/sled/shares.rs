//! Shares in the sled backend: rows in the `shares` tree (key: share id), the
//! access token hashes in `share_access` (key: share id; shares made before
//! tokens have none), an index `account_shares` (account id || share id),
//! counters in `share_stats`, and the ciphertexts as files (see `store::share_files`).
//!
//! Order of writes, so a crash never leaves a readable share that should have
//! ended: the ciphertext file is written before its row; a share is marked ended
//! (and flushed) before its file is deleted; `purge_shares` deletes any file whose
//! row is ended or missing.

use std::sync::MutexGuard;

use super::{SledStore, Trees};
use crate::store::shares::{decode_row, encode_row};
use crate::store::{
    Id, ShareBundle, ShareEnd, ShareOpen, ShareRow, ShareState, ShareStats, ShareStore,
    ShareUpload, StoreError, StoreResult,
};

const CREATED: &[u8] = b"created";
const OPENED: &[u8] = b"opened";

struct ShareTrees {
    rows: sled::Tree,
    access: sled::Tree,
    by_account: sled::Tree,
    stats: sled::Tree,
}

fn trees(t: &Trees) -> StoreResult<ShareTrees> {
    Ok(ShareTrees {
        rows: t.db.open_tree("shares")?,
        access: t.db.open_tree("share_access")?,
        by_account: t.db.open_tree("account_shares")?,
        stats: t.db.open_tree("share_stats")?,
    })
}

impl ShareTrees {
    /// The row with its access token hash.
    fn row(&self, share_id: &Id) -> StoreResult<Option<ShareRow>> {
        let Some(bytes) = self.rows.get(share_id)? else {
            return Ok(None);
        };
        let mut row = row_of(&bytes)?;
        row.access_token_hash = match self.access.get(share_id)? {
            Some(h) => Some(
                h.as_ref()
                    .try_into()
                    .map_err(|_| StoreError::Corrupt("share access hash has the wrong length"))?,
            ),
            None => None,
        };
        Ok(Some(row))
    }
}

fn link_key(account_id: &Id, share_id: &Id) -> [u8; 32] {
    let mut k = [0u8; 32];
    k[..16].copy_from_slice(account_id);
    k[16..].copy_from_slice(share_id);
    k
}

fn row_of(bytes: &[u8]) -> StoreResult<ShareRow> {
    decode_row(bytes).ok_or(StoreError::Corrupt("share row is malformed"))
}

fn bump(stats: &sled::Tree, counter: &[u8]) -> StoreResult<()> {
    stats.update_and_fetch(counter, |old| {
        let n = old
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map_or(0, u64::from_be_bytes);
        Some(n.saturating_add(1).to_be_bytes().to_vec())
    })?;
    Ok(())
}

fn counter(stats: &sled::Tree, counter: &[u8]) -> StoreResult<u64> {
    Ok(stats
        .get(counter)?
        .and_then(|b| <[u8; 8]>::try_from(b.as_ref()).ok())
        .map_or(0, u64::from_be_bytes))
}

impl SledStore {
    fn share_guard(&self) -> StoreResult<MutexGuard<'_, ()>> {
        self.shares_lock
            .lock()
            .map_err(|_| StoreError::Backend("share lock poisoned".into()))
    }

    /// Marks a share ended, durably, then deletes its ciphertext.
    fn end_share(
        &self,
        t: &Trees,
        s: &ShareTrees,
        share_id: &Id,
        mut row: ShareRow,
        end: ShareEnd,
    ) -> StoreResult<()> {
        if row.ended.is_none() {
            row.ended = Some(end);
            s.rows.insert(share_id, encode_row(&row))?;
            t.db.flush()?;
        }
        self.share_files.remove(share_id)?;
        Ok(())
    }
}

impl ShareStore for SledStore {
    fn begin_share(&self) -> StoreResult<ShareUpload> {
        self.with(|_| self.share_files.begin())
    }

    fn put_share(&self, share_id: &Id, row: &ShareRow, bundle: ShareUpload) -> StoreResult<()> {
        self.with(|t| {
            let s = trees(t)?;
            let _guard = self.share_guard()?;
            if s.rows.contains_key(share_id)? {
                return Err(StoreError::ShareExists);
            }
            self.share_files.put(share_id, bundle)?;
            // The token before the row: a row is never visible without it.
            if let Some(hash) = &row.access_token_hash {
                s.access.insert(share_id, &hash[..])?;
            }
            s.rows.insert(share_id, encode_row(row))?;
            s.by_account
                .insert(link_key(&row.account_id, share_id), &[][..])?;
            bump(&s.stats, CREATED)?;
            t.db.flush()?;
            Ok(())
        })
    }

    fn share(&self, share_id: &Id) -> StoreResult<Option<ShareRow>> {
        self.with(|t| trees(t)?.row(share_id))
    }

    fn account_shares(&self, account_id: &Id) -> StoreResult<Vec<(Id, ShareRow)>> {
        self.with(|t| {
            let s = trees(t)?;
            let mut out = Vec::new();
            for item in s.by_account.scan_prefix(account_id) {
                let (k, _) = item?;
                let share_id: Id = k
                    .get(16..)
                    .and_then(|b| b.try_into().ok())
                    .ok_or(StoreError::Corrupt("share index key is malformed"))?;
                if let Some(row) = s.row(&share_id)? {
                    out.push((share_id, row));
                }
            }
            Ok(out)
        })
    }

    fn open_share(&self, share_id: &Id, now_unix: u64) -> StoreResult<ShareOpen> {
        self.with(|t| {
            let s = trees(t)?;
            let _guard = self.share_guard()?;
            let Some(mut row) = s.row(share_id)? else {
                return Ok(ShareOpen::Unknown);
            };
            if let ShareState::Ended(end) = row.state(now_unix) {
                self.end_share(t, &s, share_id, row, end)?;
                return Ok(ShareOpen::Ended(end));
            }
            let Some(file) = self.share_files.open_bundle(share_id)? else {
                return Err(StoreError::Corrupt("an active share has no ciphertext"));
            };
            let bundle = ShareBundle::from_file(file)?;
            row.count_view(now_unix);
            s.rows.insert(share_id, encode_row(&row))?;
            bump(&s.stats, OPENED)?;
            t.db.flush()?;
            if row.ended.is_some() {
                // The last allowed view: nothing can bring the share back (the
                // open file still reads for this one view).
                self.share_files.remove(share_id)?;
            }
            Ok(ShareOpen::Opened(bundle))
        })
    }

    fn revoke_share(&self, account_id: &Id, share_id: &Id) -> StoreResult<bool> {
        self.with(|t| {
            let s = trees(t)?;
            let _guard = self.share_guard()?;
            let Some(row) = s.rows.get(share_id)? else {
                return Ok(false);
            };
            let row = row_of(&row)?;
            if &row.account_id != account_id {
                return Ok(false);
            }
            self.end_share(t, &s, share_id, row, ShareEnd::Revoked)?;
            Ok(true)
        })
    }

    fn purge_shares(&self, now_unix: u64) -> StoreResult<usize> {
        self.with(|t| {
            let s = trees(t)?;
            let _guard = self.share_guard()?;
            let mut deleted = 0;
            for id in self.share_files.ids()? {
                let row = s.rows.get(id)?.map(|b| row_of(&b)).transpose()?;
                match row {
                    None => {
                        if self.share_files.remove(&id)? {
                            deleted += 1;
                        }
                    }
                    Some(row) => {
                        if let ShareState::Ended(end) = row.state(now_unix) {
                            self.end_share(t, &s, &id, row, end)?;
                            deleted += 1;
                        }
                    }
                }
            }
            Ok(deleted)
        })
    }

    fn delete_account_shares(&self, account_id: &Id) -> StoreResult<usize> {
        self.with(|t| {
            let s = trees(t)?;
            let _guard = self.share_guard()?;
            let mut ids = Vec::new();
            for item in s.by_account.scan_prefix(account_id) {
                let (k, _) = item?;
                ids.push(k);
            }
            for k in &ids {
                if let Some(share_id) = k.get(16..).and_then(|b| Id::try_from(b).ok()) {
                    if let Some(row) = s.rows.get(share_id)? {
                        self.end_share(t, &s, &share_id, row_of(&row)?, ShareEnd::Revoked)?;
                    }
                    s.rows.remove(share_id)?;
                    s.access.remove(share_id)?;
                }
                s.by_account.remove(k)?;
            }
            t.db.flush()?;
            Ok(ids.len())
        })
    }

    fn share_stats(&self) -> StoreResult<ShareStats> {
        self.with(|t| {
            let s = trees(t)?;
            Ok(ShareStats {
                created: counter(&s.stats, CREATED)?,
                opened: counter(&s.stats, OPENED)?,
            })
        })
    }
}
