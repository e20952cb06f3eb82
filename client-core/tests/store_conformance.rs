#![allow(clippy::unwrap_used, clippy::expect_used)]
//! One suite run against every `LocalStore`, plus the FileStore's crash and
//! locking behaviour.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mycase_core::ids::DeviceId;
use mycase_core::store::file::FileStore;
use mycase_core::store::memory::MemoryStore;
use mycase_core::store::{LocalStore, StoreError, StoredReceipt, SyncState};
use mycase_core::vector::Vector;
use mycase_proto::v1::Record;
use rand::RngCore;

const A: DeviceId = [0xaa; 16];
const B: DeviceId = [0xbb; 16];

fn rec(device: &DeviceId, idx: u64) -> Record {
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

fn recs(device: &DeviceId, from: u64, to: u64) -> Vec<Record> {
    (from..=to).map(|i| rec(device, i)).collect()
}

macro_rules! store_suite {
    ($name:ident, $make:expr) => {
        mod $name {
            use super::*;

            #[test]
            fn append_and_read_back() {
                let (mut s, _guard) = $make;
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

            #[test]
            fn non_contiguous_batch_changes_nothing() {
                let (mut s, _guard) = $make;
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

            #[test]
            fn wrong_device_rejected() {
                let (mut s, _guard) = $make;
                s.append(&A, &recs(&A, 1, 1)).unwrap();
                let before = s.logs().clone();
                let err = s.append(&A, &recs(&B, 2, 2)).unwrap_err();
                assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");
                let mut mixed = recs(&A, 2, 2);
                mixed.push(rec(&B, 3));
                assert!(matches!(s.append(&A, &mixed), Err(StoreError::Corrupt(_))));
                assert_eq!(s.logs(), &before);
            }

            #[test]
            fn receipts_keep_the_first_per_record() {
                let (mut s, _guard) = $make;
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

            #[test]
            fn sync_state_round_trip() {
                let (mut s, _guard) = $make;
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
        }
    };
}

fn memory() -> (MemoryStore, ()) {
    (MemoryStore::new(), ())
}

fn file() -> (FileStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    (FileStore::open(&dir.path().join("store")).unwrap(), dir)
}

store_suite!(memory_store, memory());
store_suite!(file_store, file());

// ------------------------------------------------------------ FileStore only

fn store_dir(tmp: &tempfile::TempDir) -> PathBuf {
    tmp.path().join("store")
}

fn log_path(dir: &Path, device: &DeviceId) -> PathBuf {
    dir.join("logs").join(hex::encode(device))
}

fn append_bytes(path: &Path, bytes: &[u8]) {
    let mut f = OpenOptions::new().append(true).open(path).unwrap();
    f.write_all(bytes).unwrap();
}

/// A store holding A 1..=3 (two batches) and B 1..=2, closed again.
fn populated() -> (tempfile::TempDir, Vec<Record>, Vec<Record>) {
    let tmp = tempfile::tempdir().unwrap();
    let a = recs(&A, 1, 3);
    let b = recs(&B, 1, 2);
    let mut s = FileStore::open(&store_dir(&tmp)).unwrap();
    s.append(&A, &a[..2]).unwrap();
    s.append(&A, &a[2..]).unwrap();
    s.append(&B, &b).unwrap();
    (tmp, a, b)
}

#[test]
fn reopen_keeps_everything() {
    let (tmp, a, b) = populated();
    let state = SyncState {
        acked_own: 3,
        highest_seen: [(A, 3), (B, 2)].into_iter().collect(),
        server_key: Some([6; 32]),
    };
    {
        let mut s = FileStore::open(&store_dir(&tmp)).unwrap();
        s.set_sync_state(state.clone()).unwrap();
    }
    let mut s = FileStore::open(&store_dir(&tmp)).unwrap();
    assert_eq!(s.log(&A), a.as_slice());
    assert_eq!(s.log(&B), b.as_slice());
    assert_eq!(s.sync_state(), &state);
    // Receipts survive a reopen; a torn final frame is cut off.
    let receipt = StoredReceipt {
        server_time_ms: 77,
        signature: [7; 64],
    };
    s.put_receipts(&[((A, 1), receipt)]).unwrap();
    drop(s);
    append_bytes(&store_dir(&tmp).join("receipts"), &[1, 2, 3]);
    let mut s = FileStore::open(&store_dir(&tmp)).unwrap();
    assert_eq!(s.receipt(&A, 1), Some(&receipt));
    assert_eq!(s.receipts().len(), 1);
    s.put_receipts(&[((A, 2), receipt)]).unwrap();
    drop(s);
    let s = FileStore::open(&store_dir(&tmp)).unwrap();
    assert_eq!(s.receipts().len(), 2);
    drop(s);
    let mut s = FileStore::open(&store_dir(&tmp)).unwrap();
    // Appends continue after a reopen, and survive another.
    let more = recs(&A, 4, 4);
    s.append(&A, &more).unwrap();
    drop(s);
    let s = FileStore::open(&store_dir(&tmp)).unwrap();
    assert_eq!(s.log(&A).len(), 4);
    assert_eq!(s.log(&A)[3], more[0]);
}

#[cfg(unix)]
#[test]
fn files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let (tmp, _, _) = populated();
    let dir = store_dir(&tmp);
    {
        let mut s = FileStore::open(&dir).unwrap();
        s.set_sync_state(SyncState {
            acked_own: 1,
            ..Default::default()
        })
        .unwrap();
    }
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("logs")), 0o700);
    assert_eq!(mode(&log_path(&dir, &A)), 0o600);
    assert_eq!(mode(&dir.join("state")), 0o600);
    assert_eq!(mode(&dir.join("lock")), 0o600);
}

#[test]
fn torn_tail_garbage_is_dropped() {
    let (tmp, a, b) = populated();
    let dir = store_dir(&tmp);
    let path = log_path(&dir, &A);
    let good_len = std::fs::metadata(&path).unwrap().len();
    // A length prefix promising more than the file holds, then a few bytes.
    append_bytes(&path, &[0, 0, 1, 0, 0x0a, 0x10, 0xaa]);
    let mut s = FileStore::open(&dir).unwrap();
    assert_eq!(s.log(&A), a.as_slice());
    assert_eq!(s.log(&B), b.as_slice());
    assert_eq!(
        std::fs::metadata(&path).unwrap().len(),
        good_len,
        "the tail is cut off the file"
    );
    // New appends land where the garbage was.
    s.append(&A, &recs(&A, 4, 5)).unwrap();
    drop(s);
    assert_eq!(FileStore::open(&dir).unwrap().log(&A).len(), 5);
}

#[test]
fn truncated_last_frame_is_dropped() {
    let (tmp, a, _) = populated();
    let dir = store_dir(&tmp);
    let path = log_path(&dir, &A);
    // Cut the file inside the last batch: that batch was never acknowledged.
    let len = std::fs::metadata(&path).unwrap().len();
    OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(len - 20)
        .unwrap();
    let s = FileStore::open(&dir).unwrap();
    assert_eq!(s.log(&A), &a[..2]);
}

#[test]
fn every_truncation_point_keeps_a_committed_prefix() {
    let (tmp, a, _) = populated();
    let dir = store_dir(&tmp);
    let path = log_path(&dir, &A);
    let full = std::fs::read(&path).unwrap();
    for cut in 0..full.len() {
        std::fs::write(&path, &full[..cut]).unwrap();
        let s = FileStore::open(&dir).unwrap();
        let n = s.log(&A).len();
        // Only whole batches: [] or [1, 2]; never a half batch.
        assert!(n == 0 || n == 2, "cut at {cut} left {n} records");
        assert_eq!(s.log(&A), &a[..n]);
    }
}

#[test]
fn zero_filled_tail_is_dropped() {
    let (tmp, a, _) = populated();
    let dir = store_dir(&tmp);
    append_bytes(&log_path(&dir, &A), &[0; 300]);
    let s = FileStore::open(&dir).unwrap();
    assert_eq!(s.log(&A), a.as_slice());
}

#[test]
fn garbage_in_the_middle_is_corrupt() {
    let (tmp, _, _) = populated();
    let dir = store_dir(&tmp);
    let path = log_path(&dir, &A);
    let mut bytes = std::fs::read(&path).unwrap();
    // Overwrite the body of the first record, keeping its length prefix: it no
    // longer decodes, and committed frames follow it.
    for b in bytes.iter_mut().skip(4).take(30) {
        *b = 0xff;
    }
    std::fs::write(&path, &bytes).unwrap();
    let err = FileStore::open(&dir).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");
    // Nothing was "repaired" away.
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
}

#[test]
fn log_of_the_wrong_device_is_corrupt() {
    let (tmp, _, _) = populated();
    let dir = store_dir(&tmp);
    std::fs::copy(log_path(&dir, &A), log_path(&dir, &[0xcc; 16])).unwrap();
    assert!(matches!(FileStore::open(&dir), Err(StoreError::Corrupt(_))));
}

#[test]
fn unreadable_state_is_corrupt() {
    let (tmp, _, _) = populated();
    let dir = store_dir(&tmp);
    std::fs::write(dir.join("state"), b"not a state").unwrap();
    assert!(matches!(FileStore::open(&dir), Err(StoreError::Corrupt(_))));
}

#[test]
fn second_open_is_busy() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = store_dir(&tmp);
    let first = FileStore::open(&dir).unwrap();
    assert!(matches!(FileStore::open(&dir), Err(StoreError::Busy)));
    let started = Instant::now();
    assert!(matches!(
        FileStore::open_waiting(&dir, Duration::from_millis(100)),
        Err(StoreError::Busy)
    ));
    assert!(started.elapsed() >= Duration::from_millis(100));
    drop(first);
    FileStore::open(&dir).unwrap();
}

#[test]
fn open_waiting_gets_the_store_once_released() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = store_dir(&tmp);
    let first = FileStore::open(&dir).unwrap();
    // The waiter starts while the store is held (or just after it is released:
    // either way it must end up with the store, well before its deadline).
    let waiter = {
        let dir = dir.clone();
        std::thread::spawn(move || FileStore::open_waiting(&dir, Duration::from_secs(30)))
    };
    drop(first);
    let s = waiter.join().unwrap().unwrap();
    assert!(s.logs().is_empty());
}
