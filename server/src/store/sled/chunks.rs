//! Attachment chunks: files beside the database (see `store::chunk_files`), their
//! bytes counted in the account's usage.

use super::codec::add_usage;
use super::SledStore;
use crate::store::{ChunkStore, Hash, Id, StoreResult};

impl ChunkStore for SledStore {
    fn put_chunk(&self, account_id: &Id, address: &Hash, sealed: &[u8]) -> StoreResult<bool> {
        self.with(|t| {
            let new = self.chunks.put(account_id, address, sealed)?;
            if new {
                let mut failed = None;
                t.usage.update_and_fetch(account_id, |old| {
                    match add_usage(old, sealed.len() as u64) {
                        Ok(v) => Some(v.to_vec()),
                        Err(e) => {
                            failed = Some(e);
                            old.map(<[u8]>::to_vec)
                        }
                    }
                })?;
                if let Some(e) = failed {
                    return Err(e);
                }
            }
            Ok(new)
        })
    }

    fn has_chunk(&self, account_id: &Id, address: &Hash) -> StoreResult<bool> {
        self.with(|_| self.chunks.has(account_id, address))
    }

    fn chunk(&self, account_id: &Id, address: &Hash) -> StoreResult<Option<Vec<u8>>> {
        self.with(|_| self.chunks.get(account_id, address))
    }
}
