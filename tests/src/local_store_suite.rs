//! The behavioural suite every client `LocalStore` backend passes (the file
//! store and the in-memory store today; a phone's store tomorrow): plain
//! functions taking a factory that makes a fresh, empty store (and whatever
//! keeps it alive, a temporary directory). Run them all with
//! [`local_store_conformance_tests!`](crate::local_store_conformance_tests):
//!
//! ```text
//! mycase_tests::local_store_conformance_tests!(file_store, || {
//!     let dir = tempfile::tempdir().unwrap();
//!     (FileStore::open(&dir.path().join("store"), &key).unwrap(), dir)
//! });
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use mycase_core::ids::DeviceId;
use mycase_core::store::{LocalStore, StoreError, StoredReceipt, SyncState};
use mycase_core::vector::Vector;
use mycase_proto::v1::Record;
use rand::RngCore;

/// Two device ids the suite writes logs for.
pub const A: DeviceId = [0xaa; 16];
/// The second device id.
pub const B: DeviceId = [0xbb; 16];

/// A record of `device` at `idx` with random ciphertext (a signature on even idx).
pub fn rec(device: &DeviceId, idx: u64) -> Record {
    let mut ciphertext = vec![0u8; 64 + (idx as usize % 7) * 13];
    rand::thread_rng().fill_bytes(&mut ciphertext);
    Record {
        device_id: device.to_vec(),
        idx,
        prev_hash: vec![idx as u8; 32],
        key_epoch: 1,
        format_version: 1,
        nonce: vec![3; 24],
        ciphertext,
        signature: if idx.is_multiple_of(2) {
            vec![9; 64]
        } else {
            Vec::new()
        },
    }
}

/// Records `from..=to` of `device`.
pub fn recs(device: &DeviceId, from: u64, to: u64) -> Vec<Record> {
    (from..=to).map(|i| rec(device, i)).collect()
}

/// Part of the suite: see the module docs.
pub fn append_and_read_back<S: LocalStore, G>(make: impl Fn() -> (S, G)) {
    let (mut s, _guard) = make();
    assert!(s.logs().is_empty());
    let a1 = recs(&A, 1, 3);
    let a2 = recs(&A, 4, 5);
    let b1 = recs(&B, 1, 1);
    s.append(&A, &a1).unwrap();
    s.append(&B, &b1).unwrap();
    s.append(&A, &a2).unwrap();
    s.append(&A, &[]).unwrap();
    let all_a: Vec<Record> = a1.iter().chain(&a2).cloned().collect();
    assert_eq!(s.log(&A), all_a.as_slice());
    assert_eq!(s.log(&B), b1.as_slice());
    assert!(s.log(&[0xcc; 16]).is_empty());
    let expected: Vector = [(A, 5), (B, 1)].into_iter().collect();
    assert_eq!(s.vector(), expected);
}

/// Part of the suite: see the module docs.
pub fn non_contiguous_batch_changes_nothing<S: LocalStore, G>(make: impl Fn() -> (S, G)) {
    let (mut s, _guard) = make();
    s.append(&A, &recs(&A, 1, 2)).unwrap();
    let before = s.logs().clone();
    // A gap.
    let err = s.append(&A, &recs(&A, 4, 5)).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::NotContiguous {
                expected: 3,
                got: 4
            }
        ),
        "{err:?}"
    );
    // A replay of an existing idx.
    let err = s.append(&A, &recs(&A, 2, 3)).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::NotContiguous {
                expected: 3,
                got: 2
            }
        ),
        "{err:?}"
    );
    // Good start, gap inside the batch: nothing of it is kept.
    let mut batch = recs(&A, 3, 4);
    batch.push(rec(&A, 6));
    let err = s.append(&A, &batch).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::NotContiguous {
                expected: 5,
                got: 6
            }
        ),
        "{err:?}"
    );
    // A new log must start at 1.
    assert!(matches!(
        s.append(&B, &recs(&B, 2, 2)),
        Err(StoreError::NotContiguous { .. })
    ));
    assert_eq!(s.logs(), &before);
    // And the store still works afterwards.
    s.append(&A, &recs(&A, 3, 3)).unwrap();
    assert_eq!(s.log(&A).len(), 3);
}

/// Part of the suite: see the module docs.
pub fn wrong_device_rejected<S: LocalStore, G>(make: impl Fn() -> (S, G)) {
    let (mut s, _guard) = make();
    s.append(&A, &recs(&A, 1, 1)).unwrap();
    let before = s.logs().clone();
    let err = s.append(&A, &recs(&B, 2, 2)).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");
    let mut mixed = recs(&A, 2, 2);
    mixed.push(rec(&B, 3));
    assert!(matches!(s.append(&A, &mixed), Err(StoreError::Corrupt(_))));
    assert_eq!(s.logs(), &before);
}

/// Part of the suite: see the module docs.
pub fn receipts_keep_the_first_per_record<S: LocalStore, G>(make: impl Fn() -> (S, G)) {
    let (mut s, _guard) = make();
    let r = |t: u64| StoredReceipt {
        server_time_ms: t,
        signature: [t as u8; 64],
    };
    assert!(s.receipts().is_empty());
    s.put_receipts(&[((A, 1), r(10)), ((A, 2), r(20))]).unwrap();
    s.put_receipts(&[((A, 1), r(99)), ((B, 1), r(30))]).unwrap();
    assert_eq!(s.receipt(&A, 1), Some(&r(10)));
    assert_eq!(s.receipt(&A, 2), Some(&r(20)));
    assert_eq!(s.receipt(&B, 1), Some(&r(30)));
    assert_eq!(s.receipt(&B, 2), None);
    assert_eq!(s.receipts().len(), 3);
}

/// Part of the suite: see the module docs.
pub fn sync_state_round_trip<S: LocalStore, G>(make: impl Fn() -> (S, G)) {
    let (mut s, _guard) = make();
    assert_eq!(s.sync_state(), &SyncState::default());
    let state = SyncState {
        acked_own: 42,
        highest_seen: [(A, 42), (B, 7)].into_iter().collect(),
        server_key: Some([5; 32]),
    };
    s.set_sync_state(state.clone()).unwrap();
    assert_eq!(s.sync_state(), &state);
    s.set_sync_state(SyncState::default()).unwrap();
    assert_eq!(s.sync_state(), &SyncState::default());
}

/// One `#[test]` per function of [`local_store_suite`](crate::local_store_suite),
/// run against the stores `$make` (a `Fn() -> (store, guard)`) makes. A backend
/// that runs this gets every behaviour the suite adds.
#[macro_export]
macro_rules! local_store_conformance_tests {
    ($name:ident, $make:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[test]
            fn append_and_read_back() {
                $crate::local_store_suite::append_and_read_back($make);
            }
            #[test]
            fn non_contiguous_batch_changes_nothing() {
                $crate::local_store_suite::non_contiguous_batch_changes_nothing($make);
            }
            #[test]
            fn wrong_device_rejected() {
                $crate::local_store_suite::wrong_device_rejected($make);
            }
            #[test]
            fn receipts_keep_the_first_per_record() {
                $crate::local_store_suite::receipts_keep_the_first_per_record($make);
            }
            #[test]
            fn sync_state_round_trip() {
                $crate::local_store_suite::sync_state_round_trip($make);
            }
        }
    };
}
