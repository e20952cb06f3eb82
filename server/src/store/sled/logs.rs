//! Device logs in sled: heads, records and receipts, appended in one transaction.

use sled::transaction::ConflictableTransactionError;
use sled::Transactional;

use super::codec::{add_usage, arr, decode_head, encode_head, pair_key, record_key, u64_at};
use super::{tx_err, SledStore};
use crate::store::{Head, Id, LogStore, NewRecord, StoreError, StoreResult, StoredReceipt};

impl LogStore for SledStore {
    fn head(&self, account_id: &Id, device_id: &Id) -> StoreResult<Option<Head>> {
        self.with(|t| {
            t.heads
                .get(pair_key(account_id, device_id))?
                .map(|b| decode_head(&b))
                .transpose()
        })
    }

    fn vector(&self, account_id: &Id) -> StoreResult<Vec<(Id, u64)>> {
        self.with(|t| {
            let mut out = Vec::new();
            for item in t.heads.scan_prefix(account_id) {
                let (k, v) = item?;
                let head = decode_head(&v)?;
                if head.idx >= 1 {
                    out.push((arr(k.get(16..).unwrap_or_default())?, head.idx));
                }
            }
            Ok(out)
        })
    }

    fn record(&self, account_id: &Id, device_id: &Id, idx: u64) -> StoreResult<Option<Vec<u8>>> {
        self.with(|t| {
            Ok(t.records
                .get(record_key(account_id, device_id, idx))?
                .map(|v| v.to_vec()))
        })
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
        self.with(|t| {
            let mut out = Vec::new();
            if after >= up_to {
                return Ok(out);
            }
            let start = record_key(account_id, device_id, after.saturating_add(1));
            let end = record_key(account_id, device_id, up_to);
            let mut bytes = 0usize;
            for item in t.records.range(start..=end) {
                let (k, v) = item?;
                if out.len() >= max_count || (!out.is_empty() && bytes + v.len() > max_bytes) {
                    break;
                }
                bytes += v.len();
                out.push((u64_at(k.get(32..).unwrap_or_default())?, v.to_vec()));
            }
            Ok(out)
        })
    }

    fn receipt(
        &self,
        account_id: &Id,
        device_id: &Id,
        idx: u64,
    ) -> StoreResult<Option<StoredReceipt>> {
        self.with(|t| {
            t.receipts
                .get(record_key(account_id, device_id, idx))?
                .map(|b| StoredReceipt::decode(&b))
                .transpose()
        })
    }

    fn append(
        &self,
        account_id: &Id,
        device_id: &Id,
        expected_head: u64,
        records: &[NewRecord],
        new_head: Head,
    ) -> StoreResult<()> {
        self.with(|t| {
            let head_key = pair_key(account_id, device_id);
            let head_bytes = encode_head(&new_head);
            // One transaction over the trees: the records, their receipts, the head
            // that makes them visible and the usage counter land together or not at all.
            let added: u64 = records.iter().map(|r| r.bytes.len() as u64).sum();
            (&t.records, &t.receipts, &t.heads, &t.usage)
                .transaction(|(recs, receipts, heads, usage)| {
                    let current = match heads.get(head_key)? {
                        Some(b) => {
                            decode_head(&b)
                                .map_err(ConflictableTransactionError::Abort)?
                                .idx
                        }
                        None => 0,
                    };
                    if current != expected_head {
                        return Err(ConflictableTransactionError::Abort(StoreError::HeadMoved));
                    }
                    for r in records {
                        let key = record_key(account_id, device_id, r.idx);
                        recs.insert(&key[..], r.bytes.as_slice())?;
                        receipts.insert(&key[..], &r.receipt.encode()[..])?;
                    }
                    heads.insert(&head_key[..], &head_bytes[..])?;
                    let used = usage.get(account_id)?;
                    let used = add_usage(used.as_deref(), added)
                        .map_err(ConflictableTransactionError::Abort)?;
                    usage.insert(&account_id[..], &used[..])?;
                    Ok(())
                })
                .map_err(tx_err)
        })
    }
}
