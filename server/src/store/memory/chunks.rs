//! Attachment chunks in memory, counted in the account's usage.

use super::MemoryStore;
use crate::store::{ChunkStore, Hash, Id, StoreError, StoreResult};

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
