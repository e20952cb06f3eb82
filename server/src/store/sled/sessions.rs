//! Sessions in sled: the `sessions` tree, keyed by the token's hash.

use super::codec::{decode_session, encode_session};
use super::SledStore;
use crate::store::{Hash, SessionRow, SessionStore, StoreResult};

impl SessionStore for SledStore {
    fn put_session(&self, token_hash: &Hash, session: &SessionRow) -> StoreResult<()> {
        self.with(|t| {
            t.sessions
                .insert(token_hash, &encode_session(session)[..])?;
            Ok(())
        })
    }

    fn session(&self, token_hash: &Hash) -> StoreResult<Option<SessionRow>> {
        self.with(|t| {
            t.sessions
                .get(token_hash)?
                .map(|b| decode_session(&b))
                .transpose()
        })
    }

    fn delete_session(&self, token_hash: &Hash) -> StoreResult<()> {
        self.with(|t| {
            t.sessions.remove(token_hash)?;
            Ok(())
        })
    }

    fn purge_sessions(&self, now_ms: u64) -> StoreResult<usize> {
        self.with(|t| {
            let mut expired = Vec::new();
            for item in t.sessions.iter() {
                let (k, v) = item?;
                if decode_session(&v)?.expires_at_ms <= now_ms {
                    expired.push(k);
                }
            }
            for k in &expired {
                t.sessions.remove(k)?;
            }
            Ok(expired.len())
        })
    }
}
