//! Counts, erasure, tombstones, backup, flushing and closing in sled.

use std::sync::atomic::Ordering;

use sled::transaction::ConflictableTransactionError;
use sled::Transactional;

use super::codec::{arr, decode_account, decode_device, decode_session, pair_key, u64_at};
use super::compaction::{clear_due, mark_due, wait_for_lock};
use super::{tx_err, SledStore};
use crate::store::{Hash, Id, OperatorStore, ShareStore, StoreError, StoreResult, StoreStats};

impl OperatorStore for SledStore {
    fn stats(&self, active_since_day: u32) -> StoreResult<StoreStats> {
        self.with(|t| {
            let mut stats = StoreStats {
                accounts: t.accounts.len() as u64,
                ..StoreStats::default()
            };
            for item in t.activity.iter() {
                let (_, v) = item?;
                if u32::from_be_bytes(arr(&v)?) >= active_since_day {
                    stats.active_accounts += 1;
                }
            }
            for item in t.devices.iter() {
                let (k, v) = item?;
                if !decode_device(&arr(&k)?, &v)?.revoked {
                    stats.devices += 1;
                }
            }
            for item in t.usage.iter() {
                let (_, v) = item?;
                stats.stored_bytes = stats.stored_bytes.saturating_add(u64_at(&v)?);
            }
            Ok(stats)
        })
    }

    fn erase_account(&self, account_id: &Id, statement: Option<&[u8]>) -> StoreResult<()> {
        // Shares first: their ciphertext must not outlive the account.
        self.delete_account_shares(account_id)?;
        self.with(|t| {
            let recovery_key = match t.accounts.get(account_id)? {
                Some(v) => Some(decode_account(&v)?.recovery_public_key),
                None => None,
            };
            // Collect the keys first (sled transactions cannot scan); the caller
            // holds the account's write lock, so no append races this.
            let mut device_ids = Vec::new();
            for item in t.account_devices.scan_prefix(account_id) {
                let (k, _) = item?;
                device_ids.push(arr::<16>(k.get(16..).unwrap_or_default())?);
            }
            let mut sessions = Vec::new();
            for item in t.sessions.iter() {
                let (k, v) = item?;
                if &decode_session(&v)?.account_id == account_id {
                    sessions.push(k);
                }
            }
            let account_tag = crate::store::erased_account_tag(account_id);
            let account_tombstone = crate::store::tombstone::seal(account_id, &account_tag, statement)?;
            let device_tombstones = device_ids
                .iter()
                .map(|d| {
                    let tag = crate::store::erased_device_tag(d);
                    Ok((tag, crate::store::tombstone::seal(d, &tag, statement)?))
                })
                .collect::<StoreResult<Vec<_>>>()?;
            let mut heads = Vec::new();
            for item in t.heads.scan_prefix(account_id) {
                heads.push(item?.0);
            }
            let mut records = Vec::new();
            for item in t.records.scan_prefix(account_id) {
                records.push(item?.0);
            }
            let trees = [
                t.accounts.clone(),
                t.devices.clone(),
                t.account_devices.clone(),
                t.sessions.clone(),
                t.heads.clone(),
                t.records.clone(),
                t.receipts.clone(),
                t.usage.clone(),
                t.activity.clone(),
                t.erased.clone(),
                t.recovery_keys.clone(),
            ];
            trees[..]
                .transaction(|tx| {
                    let [accounts, devices, links, sess, hds, recs, rcpts, usage, activity, erased, recovery_keys] =
                        tx.as_slice()
                    else {
                        return Err(ConflictableTransactionError::Abort(StoreError::Corrupt(
                            "transaction trees",
                        )));
                    };
                    accounts.remove(&account_id[..])?;
                    usage.remove(&account_id[..])?;
                    activity.remove(&account_id[..])?;
                    if let Some(key) = &recovery_key {
                        // Only this account's own entry (never another's).
                        if recovery_keys.get(key)?.as_deref() == Some(&account_id[..]) {
                            recovery_keys.remove(&key[..])?;
                        }
                    }
                    erased.insert(&account_tag[..], account_tombstone.as_slice())?;
                    for d in &device_ids {
                        devices.remove(&d[..])?;
                        links.remove(&pair_key(account_id, d)[..])?;
                    }
                    for (tag, value) in &device_tombstones {
                        erased.insert(&tag[..], value.as_slice())?;
                    }
                    for k in &sessions {
                        sess.remove(k)?;
                    }
                    for k in &heads {
                        hds.remove(k)?;
                    }
                    for k in &records {
                        recs.remove(k)?;
                        rcpts.remove(k)?;
                    }
                    Ok(())
                })
                .map_err(tx_err)?;
            t.db.flush()?;
            self.chunks.remove_account(account_id)
        })?;
        // The erased bytes leave sled's files at the next compaction (the janitor's
        // next tick, or `close`): one rewrite for any number of erasures.
        mark_due(&self.dir)?;
        self.compaction_due.store(true, Ordering::SeqCst);
        Ok(())
    }

    fn reclaim_erased(&self) -> StoreResult<()> {
        if self.compaction_due.swap(false, Ordering::SeqCst) {
            if let Err(e) = self.compact() {
                self.compaction_due.store(true, Ordering::SeqCst);
                return Err(e);
            }
            clear_due(&self.dir)?;
        }
        Ok(())
    }

    fn tombstone(&self, tag: &Hash) -> StoreResult<Option<Vec<u8>>> {
        self.with(|t| Ok(t.erased.get(tag)?.map(|v| v.to_vec())))
    }

    fn write_backup(&self, out: &mut dyn std::io::Write) -> StoreResult<()> {
        let io = |e: std::io::Error| StoreError::Backend(format!("writing the backup: {e}"));
        self.with(|t| {
            let mut w = crate::operator::backup::BackupWriter::new(out).map_err(io)?;
            for name in t.db.tree_names() {
                if crate::operator::backup::SKIPPED_TREES
                    .iter()
                    .any(|skip| skip.as_bytes() == &name[..])
                {
                    continue;
                }
                for kv in t.db.open_tree(&name)?.iter() {
                    let (k, v) = kv?;
                    w.tree_entry(&name, &k, &v).map_err(io)?;
                }
            }
            for (account_id, address, _) in self.chunks.all()? {
                let sealed = self
                    .chunks
                    .get(&account_id, &address)?
                    .ok_or(StoreError::Corrupt("a chunk vanished during the backup"))?;
                w.chunk(&account_id, &address, &sealed).map_err(io)?;
            }
            w.finish().map_err(io)?;
            Ok(())
        })
    }

    fn flush(&self) -> StoreResult<()> {
        self.with(|t| {
            t.db.flush()?;
            Ok(())
        })
    }

    fn close(&self) -> StoreResult<()> {
        // Erased accounts' bytes must not outlive the server on disk.
        self.reclaim_erased()?;
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
            wait_for_lock(&self.dir)?;
        }
        Ok(())
    }
}
