//! One behavioural suite that every [`Store`](crate::store::Store) backend must
//! pass, as plain functions (one file per part of the trait): each takes a
//! factory returning a fresh, empty store and a guard that keeps whatever it
//! needs alive (a temporary directory) for the test's length, and panics when
//! the backend misbehaves.
//!
//! A backend runs all of it, each function as its own `#[test]`, with
//! `store_conformance_tests!`:
//!
//! ```ignore
//! mycase_server::store_conformance_tests!(my_backend, || {
//!     let dir = tempfile::tempdir().unwrap();
//!     (MyStore::open(dir.path()).unwrap(), dir)
//! });
//! ```
//!
//! Outside this crate, enable the `conformance` feature (in dev-dependencies).

// Test code: a failed expectation is a panic that names it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accounts;
mod chunks;
mod logs;
mod operator;
mod sessions;
mod shares;

pub use accounts::*;
pub use chunks::*;
pub use logs::*;
pub use operator::*;
pub use sessions::*;
pub use shares::*;

use crate::store::{AccountRow, DeviceRow, NewRecord, StoredReceipt};

/// Expands to a module `$module` holding one `#[test]` per function of
/// [`crate::store::conformance`], each given `$make` (a closure returning a
/// fresh `(store, guard)`). Names in the caller's scope are visible to `$make`.
#[macro_export]
macro_rules! store_conformance_tests {
    ($module:ident, $make:expr) => {
        $crate::store_conformance_tests!(@with_names (@tests $module, $make,));
    };
    // The one list of the suite's functions; every other arm takes it from here.
    (@with_names ($($prefix:tt)*)) => {
        $crate::store_conformance_tests! { $($prefix)* [
            accounts_and_devices,
            one_account_per_recovery_key,
            renewing_the_recovery_key_is_atomic_and_retires_the_old_one,
            last_seen_revocation_and_recovery_blob,
            invites_are_single_use_and_expire,
            activity_and_inactive_accounts,
            usage_counts_records_and_new_chunks,
            sessions,
            receipts_are_stored_with_their_records,
            logs_heads_and_vectors,
            chunks_per_account,
            shares_open_count_and_end,
            a_dropped_share_upload_leaves_nothing,
            erase_account_removes_everything_of_it_only,
            closed_store_refuses_work,
        ] }
    };
    (@tests $module:ident, $make:expr, [$($test:ident),+ $(,)?]) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[test]
                fn $test() {
                    $crate::store::conformance::$test($make);
                }
            )+
        }
    };
    (@names) => {
        $crate::store_conformance_tests!(@with_names (@stringify))
    };
    (@stringify [$($test:ident),+ $(,)?]) => {
        [$(stringify!($test)),+]
    };
}

pub(super) fn account(n: u8) -> AccountRow {
    AccountRow {
        recovery_public_key: [n; 32],
        recovery_blob: vec![n; 10],
        created_at_unix: 7,
    }
}

pub(super) fn device(account: u8, dev: u8) -> DeviceRow {
    DeviceRow {
        account_id: [account; 16],
        device_id: [dev; 16],
        sign_public_key: [dev; 32],
        dh_public_key: [dev ^ 0xff; 32],
        registered_at_unix: 42,
        revoked: false,
        last_seen_unix: 0,
        revoked_at_unix: 0,
        revocation: None,
    }
}

pub(super) fn recs(from: u64, to: u64) -> Vec<NewRecord> {
    (from..=to)
        .map(|idx| NewRecord {
            idx,
            bytes: vec![idx as u8; 3],
            receipt: receipt(idx),
        })
        .collect()
}

pub(super) fn receipt(idx: u64) -> StoredReceipt {
    StoredReceipt {
        server_time_ms: 1000 + idx,
        signature: [idx as u8; 64],
    }
}

#[cfg(test)]
mod tests {
    /// A suite function missing from the macro's list would never run: every
    /// `pub fn` of the suite's files must be listed, and nothing else.
    #[test]
    fn the_macro_lists_every_suite_function() {
        let sources = [
            include_str!("accounts.rs"),
            include_str!("chunks.rs"),
            include_str!("logs.rs"),
            include_str!("operator.rs"),
            include_str!("sessions.rs"),
            include_str!("shares.rs"),
        ];
        let mut defined: Vec<&str> = sources
            .iter()
            .flat_map(|source| source.lines())
            .filter_map(|line| line.strip_prefix("pub fn "))
            .filter_map(|rest| rest.split('<').next())
            .collect();
        let mut listed = crate::store_conformance_tests!(@names).to_vec();
        defined.sort_unstable();
        listed.sort_unstable();
        assert_eq!(defined, listed);
        assert_eq!(listed.len(), 15);
    }
}
