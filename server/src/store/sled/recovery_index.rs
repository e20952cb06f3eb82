//! The recovery-key index: each recovery public key names the one account that
//! holds it. Built on open for databases from before it, and after a restore.

use super::codec::{arr, decode_account};
use super::Trees;
use crate::store::{Id, StoreResult};

/// Set in `meta` once the recovery-key index covers every account (databases
/// from before the index get it built on open).
pub(super) const RECOVERY_INDEX_BUILT: &[u8] = b"recovery_index_v1";

/// Indexes every account under its recovery key. Accounts from before the
/// index may share a key (a squatter's registration): the earliest-created keeps
/// it, since a squatter can only copy a key from an account that already exists,
/// and the others can no longer recover with it. How many lost it is logged
/// (a count, no identifier).
pub(super) fn build_recovery_index(t: &Trees) -> StoreResult<()> {
    let mut owners: std::collections::HashMap<[u8; 32], (u64, Id)> =
        std::collections::HashMap::new();
    let mut shared = 0usize;
    for kv in t.accounts.iter() {
        let (k, v) = kv?;
        let row = decode_account(&v)?;
        let id: Id = arr(&k)?;
        let candidate = (row.created_at_unix, id);
        match owners.entry(row.recovery_public_key) {
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(candidate);
            }
            std::collections::hash_map::Entry::Occupied(mut e) => {
                shared += 1;
                if candidate < *e.get() {
                    e.insert(candidate);
                }
            }
        }
    }
    t.recovery_keys.clear()?;
    for (key, (_, id)) in &owners {
        t.recovery_keys.insert(key, &id[..])?;
    }
    t.meta.insert(RECOVERY_INDEX_BUILT, &[1u8][..])?;
    t.db.flush()?;
    if shared > 0 {
        tracing::warn!(
            accounts = shared,
            "accounts registered with a recovery key another account already held can no longer recover with it"
        );
    }
    Ok(())
}
