//! Sessions in memory, keyed by the token's hash.

use super::MemoryStore;
use crate::store::{Hash, SessionRow, SessionStore, StoreResult};

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
