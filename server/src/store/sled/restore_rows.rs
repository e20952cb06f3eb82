//! Which rows of a backup a restore takes. A backup file's checksum only says
//! it is whole, not who wrote it: anyone who can edit the file can recompute
//! it. So a restore takes only the trees this store knows, decodes every row
//! with the store's own codec, and never takes ephemeral or short-lived state
//! (a planted `sessions` row would otherwise give a chosen token an account).

use super::codec::{arr, decode_account, decode_device, decode_head, u64_at};
use crate::store::{StoreResult, StoredReceipt};

/// What a restore does with one row that passed its checks.
#[derive(Debug, PartialEq, Eq)]
pub enum RowUse {
    /// Put it in the restored database.
    Restore,
    /// Leave it out: sessions and challenges (devices sign in again) and shares
    /// (their ciphertext files are not in a backup; the links have ended).
    Skip,
}

/// Why a backup row was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum RowRefusal {
    /// The tree is not one this store keeps.
    UnknownTree,
    /// The row does not decode as that tree's rows do.
    Malformed(&'static str),
}

const EPHEMERAL_TREES: &[&str] = &[
    "sessions",
    "challenges",
    "shares",
    "share_access",
    "account_shares",
    "share_stats",
];

/// Checks one tree entry read from a backup.
pub fn check_row(tree: &[u8], key: &[u8], value: &[u8]) -> Result<RowUse, RowRefusal> {
    let name = std::str::from_utf8(tree).map_err(|_| RowRefusal::UnknownTree)?;
    if EPHEMERAL_TREES.contains(&name) {
        return Ok(RowUse::Skip);
    }
    let decoded: StoreResult<()> = match name {
        "accounts" => arr::<16>(key).and(decode_account(value).map(drop)),
        "devices" => arr::<16>(key).and_then(|id| decode_device(&id, value).map(drop)),
        "account_devices" => arr::<32>(key).and(empty(value)),
        "heads" => arr::<32>(key).and(decode_head(value).map(drop)),
        // Records are ciphertext the server never reads; their key is fixed.
        "records" => arr::<40>(key).map(drop),
        "receipts" => arr::<40>(key).and(StoredReceipt::decode(value).map(drop)),
        "usage" => arr::<16>(key).and(u64_at(value).map(drop)),
        "invites" => arr::<32>(key).and(u64_at(value).map(drop)),
        // Tombstones: a tag, then the owner's statement (empty: none).
        "erased" => arr::<32>(key).map(drop),
        "activity" => arr::<16>(key).and(arr::<4>(value).map(drop)),
        "recovery_keys" => arr::<32>(key).and(arr::<16>(value).map(drop)),
        // Markers of migrations done: a name and a flag.
        "meta" => arr::<1>(value).map(drop),
        _ => return Err(RowRefusal::UnknownTree),
    };
    match decoded {
        Ok(()) => Ok(RowUse::Restore),
        Err(crate::store::StoreError::Corrupt(why)) => Err(RowRefusal::Malformed(why)),
        Err(_) => Err(RowRefusal::Malformed("the row does not decode")),
    }
}

fn empty(value: &[u8]) -> StoreResult<()> {
    if value.is_empty() {
        Ok(())
    } else {
        Err(crate::store::StoreError::Corrupt(
            "a link row carries a value",
        ))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn sessions_are_skipped_and_unknown_trees_refused() {
        assert_eq!(check_row(b"sessions", &[0; 32], &[0; 40]), Ok(RowUse::Skip));
        assert_eq!(
            check_row(b"__sled__default", b"k", b"v"),
            Err(RowRefusal::UnknownTree)
        );
        assert_eq!(check_row(b"usage", &[1; 16], &[0; 8]), Ok(RowUse::Restore));
        assert!(matches!(
            check_row(b"usage", &[1; 16], &[0; 7]),
            Err(RowRefusal::Malformed(_))
        ));
        assert!(matches!(
            check_row(b"devices", &[1; 16], &[0; 3]),
            Err(RowRefusal::Malformed(_))
        ));
    }
}
