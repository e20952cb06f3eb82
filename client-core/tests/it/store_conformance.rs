#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The test kit's `LocalStore` suite run against the file and memory stores,
//! plus the FileStore's own crash and locking behaviour.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mycase_core::ids::DeviceId;
use mycase_core::store::file::FileStore;
use mycase_core::store::memory::MemoryStore;
use mycase_core::store::{LocalStore, StoreError, StoreKey, StoredReceipt, SyncState};
use mycase_proto::v1::Record;
use mycase_tests::local_store_suite::{recs, A, B};
use rand::RngCore;

/// The key every FileStore of these tests is sealed under (except where a test
/// says otherwise).
fn key() -> StoreKey {
    StoreKey::from_bytes([0x5e; 32])
}

fn memory() -> (MemoryStore, ()) {
    (MemoryStore::new(), ())
}

fn file() -> (FileStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    (
        FileStore::open(&dir.path().join("store"), &key()).unwrap(),
        dir,
    )
}

mycase_tests::local_store_conformance_tests!(memory_store, memory);
mycase_tests::local_store_conformance_tests!(file_store, file);

/// The macro runs every function of the suite: one added to the suite but not to
/// the macro would silently never run.
#[test]
fn the_suite_runs_every_function() {
    let source = include_str!("../../../tests/src/local_store_suite.rs");
    let defined: Vec<&str> = source
        .lines()
        .filter_map(|l| l.strip_prefix("pub fn "))
        .filter(|l| l.contains("<S: LocalStore"))
        .filter_map(|l| l.split('<').next())
        .collect();
    let run: Vec<&str> = source
        .lines()
        .filter_map(|l| l.trim().strip_prefix("$crate::local_store_suite::"))
        .filter_map(|l| l.split('(').next())
        .collect();
    assert!(defined.len() >= 5, "{defined:?}");
    assert_eq!(defined, run);
}

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
    let mut s = FileStore::open(&store_dir(&tmp), &key()).unwrap();
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
        let mut s = FileStore::open(&store_dir(&tmp), &key()).unwrap();
        s.set_sync_state(state.clone()).unwrap();
    }
    let mut s = FileStore::open(&store_dir(&tmp), &key()).unwrap();
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
    let mut s = FileStore::open(&store_dir(&tmp), &key()).unwrap();
    assert_eq!(s.receipt(&A, 1), Some(&receipt));
    assert_eq!(s.receipts().len(), 1);
    s.put_receipts(&[((A, 2), receipt)]).unwrap();
    drop(s);
    let s = FileStore::open(&store_dir(&tmp), &key()).unwrap();
    assert_eq!(s.receipts().len(), 2);
    drop(s);
    let mut s = FileStore::open(&store_dir(&tmp), &key()).unwrap();
    // Appends continue after a reopen, and survive another.
    let more = recs(&A, 4, 4);
    s.append(&A, &more).unwrap();
    drop(s);
    let s = FileStore::open(&store_dir(&tmp), &key()).unwrap();
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
        let mut s = FileStore::open(&dir, &key()).unwrap();
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
    let mut s = FileStore::open(&dir, &key()).unwrap();
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
    assert_eq!(FileStore::open(&dir, &key()).unwrap().log(&A).len(), 5);
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
    let s = FileStore::open(&dir, &key()).unwrap();
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
        let s = FileStore::open(&dir, &key()).unwrap();
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
    let s = FileStore::open(&dir, &key()).unwrap();
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
    let err = FileStore::open(&dir, &key()).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");
    // Nothing was "repaired" away.
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
}

#[test]
fn log_of_the_wrong_device_is_corrupt() {
    let (tmp, _, _) = populated();
    let dir = store_dir(&tmp);
    std::fs::copy(log_path(&dir, &A), log_path(&dir, &[0xcc; 16])).unwrap();
    assert!(matches!(
        FileStore::open(&dir, &key()),
        Err(StoreError::Corrupt(_))
    ));
}

#[test]
fn unreadable_state_is_corrupt() {
    let (tmp, _, _) = populated();
    let dir = store_dir(&tmp);
    std::fs::write(dir.join("state"), b"not a state").unwrap();
    assert!(matches!(
        FileStore::open(&dir, &key()),
        Err(StoreError::Corrupt(_))
    ));
}

#[test]
fn second_open_is_busy() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = store_dir(&tmp);
    let first = FileStore::open(&dir, &key()).unwrap();
    assert!(matches!(
        FileStore::open(&dir, &key()),
        Err(StoreError::Busy)
    ));
    let started = Instant::now();
    assert!(matches!(
        FileStore::open_waiting(&dir, &key(), Duration::from_millis(100)),
        Err(StoreError::Busy)
    ));
    assert!(started.elapsed() >= Duration::from_millis(100));
    drop(first);
    FileStore::open(&dir, &key()).unwrap();
}

#[test]
fn open_waiting_gets_the_store_once_released() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = store_dir(&tmp);
    let first = FileStore::open(&dir, &key()).unwrap();
    // The waiter starts while the store is held (or just after it is released:
    // either way it must end up with the store, well before its deadline).
    let waiter = {
        let dir = dir.clone();
        std::thread::spawn(move || FileStore::open_waiting(&dir, &key(), Duration::from_secs(30)))
    };
    drop(first);
    let s = waiter.join().unwrap().unwrap();
    assert!(s.logs().is_empty());
}

// ------------------------------------------------------------ sealed receipts

const SERVER_TIME_BASE: u64 = 1_767_225_600_000; // 2026-01-01, as a server would stamp

fn receipt_for(device: &DeviceId, idx: u64) -> StoredReceipt {
    let mut signature = [0u8; 64];
    rand::thread_rng().fill_bytes(&mut signature);
    StoredReceipt {
        server_time_ms: SERVER_TIME_BASE + idx * 61_000 + device[0] as u64,
        signature,
    }
}

fn receipts_for(device: &DeviceId, from: u64, to: u64) -> Vec<((DeviceId, u64), StoredReceipt)> {
    (from..=to)
        .map(|i| ((*device, i), receipt_for(device, i)))
        .collect()
}

fn receipts_path(dir: &Path) -> PathBuf {
    dir.join("receipts")
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Every file under `dir` with its bytes, to show that nothing changed.
fn snapshot_dir(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else {
                out.push((p.clone(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// What a thief reading the file would look for: any time (big or little
/// endian, as milliseconds or seconds), device id or signature.
fn assert_reveals_nothing(bytes: &[u8], kept: &[((DeviceId, u64), StoredReceipt)]) {
    for ((device, idx), r) in kept {
        for needle in [
            r.server_time_ms.to_be_bytes(),
            r.server_time_ms.to_le_bytes(),
            (r.server_time_ms / 1000).to_be_bytes(),
        ] {
            assert!(
                !contains(bytes, &needle[2..]),
                "a server time of idx {idx} is readable"
            );
        }
        assert!(!contains(bytes, &device[..8]), "a device id is readable");
        assert!(
            !contains(bytes, &r.signature[..16]),
            "a signature is readable"
        );
    }
}

#[test]
fn receipts_at_rest_show_no_time_id_or_signature() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = store_dir(&tmp);
    let mut kept = receipts_for(&A, 1, 5);
    kept.extend(receipts_for(&B, 1, 3));
    {
        let mut s = FileStore::open(&dir, &key()).unwrap();
        s.put_receipts(&kept[..5]).unwrap();
        s.put_receipts(&kept[5..]).unwrap();
    }
    let bytes = std::fs::read(receipts_path(&dir)).unwrap();
    assert!(bytes.starts_with(mycase_core::store::SEALED_RECEIPTS_MAGIC));
    assert_reveals_nothing(&bytes, &kept);
    // And they come back, after the open compacted the two frames into one.
    let s = FileStore::open(&dir, &key()).unwrap();
    for (position, r) in &kept {
        assert_eq!(s.receipt(&position.0, position.1), Some(r));
    }
    assert_reveals_nothing(&std::fs::read(receipts_path(&dir)).unwrap(), &kept);
}

#[test]
fn receipts_grow_per_batch_in_padded_steps_not_per_record() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = store_dir(&tmp);
    let mut s = FileStore::open(&dir, &key()).unwrap();
    s.put_receipts(&receipts_for(&A, 1, 1)).unwrap();
    let one = std::fs::metadata(receipts_path(&dir)).unwrap().len();
    drop(s);
    // Fifteen more, in one batch: the same size.
    let tmp2 = tempfile::tempdir().unwrap();
    let dir2 = store_dir(&tmp2);
    let mut s2 = FileStore::open(&dir2, &key()).unwrap();
    s2.put_receipts(&receipts_for(&A, 1, 16)).unwrap();
    assert_eq!(std::fs::metadata(receipts_path(&dir2)).unwrap().len(), one);
    // Batch sizes 40 and 41 give the same growth: Padmé steps, not 96 bytes a record.
    let before = std::fs::metadata(receipts_path(&dir2)).unwrap().len();
    s2.put_receipts(&receipts_for(&A, 17, 56)).unwrap();
    let step_40 = std::fs::metadata(receipts_path(&dir2)).unwrap().len() - before;
    let before = std::fs::metadata(receipts_path(&dir2)).unwrap().len();
    s2.put_receipts(&receipts_for(&A, 57, 97)).unwrap();
    let step_41 = std::fs::metadata(receipts_path(&dir2)).unwrap().len() - before;
    assert_eq!(step_40, step_41);
    drop(s2);
    // A reopen compacts: one frame of all 97, no trace of the three batches.
    FileStore::open(&dir2, &key()).unwrap();
    let tmp3 = tempfile::tempdir().unwrap();
    let dir3 = store_dir(&tmp3);
    FileStore::open(&dir3, &key())
        .unwrap()
        .put_receipts(&receipts_for(&A, 1, 97))
        .unwrap();
    assert_eq!(
        std::fs::metadata(receipts_path(&dir2)).unwrap().len(),
        std::fs::metadata(receipts_path(&dir3)).unwrap().len()
    );
}

#[test]
fn wrong_key_is_a_clear_error_and_changes_nothing() {
    let (tmp, _, _) = populated();
    let dir = store_dir(&tmp);
    let kept = receipts_for(&A, 1, 3);
    {
        let mut s = FileStore::open(&dir, &key()).unwrap();
        s.put_receipts(&kept[..1]).unwrap();
        s.put_receipts(&kept[1..]).unwrap(); // two frames: an open would compact them
    }
    let before = snapshot_dir(&dir);
    let err = FileStore::open(&dir, &StoreKey::from_bytes([0x77; 32])).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains("does not open with this device's key")
            && message.contains("nothing was changed"),
        "{message}"
    );
    assert_eq!(snapshot_dir(&dir), before);
    // The right key still opens everything.
    let s = FileStore::open(&dir, &key()).unwrap();
    assert_eq!(s.receipts().len(), 3);
}

#[test]
fn damaged_receipts_frame_is_corrupt_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = store_dir(&tmp);
    {
        let mut s = FileStore::open(&dir, &key()).unwrap();
        s.put_receipts(&receipts_for(&A, 1, 2)).unwrap();
        s.put_receipts(&receipts_for(&A, 3, 4)).unwrap();
    }
    let path = receipts_path(&dir);
    let mut bytes = std::fs::read(&path).unwrap();
    // A flipped byte inside the first frame, which the second one follows.
    bytes[48 + 100] ^= 0x01;
    std::fs::write(&path, &bytes).unwrap();
    let before = snapshot_dir(&dir);
    let err = FileStore::open(&dir, &key()).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");
    assert_eq!(snapshot_dir(&dir), before);
    // A damaged magic, or a damaged header: corrupt too, never taken for the
    // plain format and "migrated" away.
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[48 + 100] ^= 0x01;
    for at in [2, 20] {
        let mut damaged = bytes.clone();
        damaged[at] ^= 0x01;
        std::fs::write(&path, &damaged).unwrap();
        let err = FileStore::open(&dir, &key()).unwrap_err();
        assert!(matches!(err, StoreError::Corrupt(_)), "byte {at}: {err:?}");
        assert_eq!(std::fs::read(&path).unwrap(), damaged);
    }
    // Garbage that is no receipts file at all.
    let mut garbage = vec![0u8; 96 * 3];
    rand::thread_rng().fill_bytes(&mut garbage);
    std::fs::write(&path, &garbage).unwrap();
    assert!(matches!(
        FileStore::open(&dir, &key()),
        Err(StoreError::Corrupt(_))
    ));
    assert_eq!(std::fs::read(&path).unwrap(), garbage);
}

#[test]
fn torn_receipts_frame_is_cut_at_every_point() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = store_dir(&tmp);
    let first = receipts_for(&A, 1, 2);
    let second = receipts_for(&B, 1, 2);
    let path = receipts_path(&dir);
    let (committed, full) = {
        let mut s = FileStore::open(&dir, &key()).unwrap();
        s.put_receipts(&first).unwrap();
        let committed = std::fs::read(&path).unwrap();
        s.put_receipts(&second).unwrap();
        (committed, std::fs::read(&path).unwrap())
    };
    let check = |bytes: &[u8], what: &str| {
        std::fs::write(&path, bytes).unwrap();
        let s = FileStore::open(&dir, &key()).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(s.receipts().len(), 2, "{what}");
        for (position, r) in &first {
            assert_eq!(s.receipt(&position.0, position.1), Some(r), "{what}");
        }
        drop(s);
        // The torn tail is gone from the file, and appends work again.
        let mut s = FileStore::open(&dir, &key()).unwrap();
        s.put_receipts(&second).unwrap();
        drop(s);
        assert_eq!(
            FileStore::open(&dir, &key()).unwrap().receipts().len(),
            4,
            "{what}"
        );
    };
    for cut in committed.len()..full.len() {
        check(&full[..cut], &format!("cut at {cut}"));
    }
    // The second frame's length landed, its data did not (zeros in its place).
    let mut zeroed = full.clone();
    zeroed[committed.len() + 4..].fill(0);
    check(&zeroed, "unwritten data");
    // Part of its data did not land (a block of zeros inside the frame).
    let mut hole = full.clone();
    hole[committed.len() + 200..committed.len() + 712].fill(0);
    check(&hole, "a block never written");
    // A zero-filled remainder after the last frame.
    let mut padded = committed.clone();
    padded.extend_from_slice(&[0; 300]);
    check(&padded, "zero-filled tail");
}

#[test]
fn flipped_byte_in_the_final_receipts_frame_is_corrupt_not_torn() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = store_dir(&tmp);
    FileStore::open(&dir, &key())
        .unwrap()
        .put_receipts(&receipts_for(&A, 1, 3))
        .unwrap();
    let path = receipts_path(&dir);
    let mut bytes = std::fs::read(&path).unwrap();
    let n = bytes.len();
    bytes[n - 40] ^= 0x80;
    std::fs::write(&path, &bytes).unwrap();
    assert!(matches!(
        FileStore::open(&dir, &key()),
        Err(StoreError::Corrupt(_))
    ));
    assert_eq!(std::fs::read(&path).unwrap(), bytes, "nothing was cut away");
}

/// The receipts file as MyCase wrote it before sealing: plain 96-byte frames.
fn plain_receipts(kept: &[((DeviceId, u64), StoredReceipt)]) -> Vec<u8> {
    let mut out = Vec::new();
    for ((device, idx), r) in kept {
        out.extend_from_slice(device);
        out.extend_from_slice(&idx.to_be_bytes());
        out.extend_from_slice(&r.server_time_ms.to_be_bytes());
        out.extend_from_slice(&r.signature);
    }
    out
}

#[test]
fn plain_receipts_are_migrated_to_sealed() {
    let (tmp, a, _) = populated();
    let dir = store_dir(&tmp);
    let mut kept = receipts_for(&A, 1, 3);
    kept.extend(receipts_for(&B, 1, 2));
    let mut plain = plain_receipts(&kept);
    plain.extend_from_slice(&[1, 2, 3]); // a torn final frame, as before
    std::fs::write(receipts_path(&dir), &plain).unwrap();
    let mut s = FileStore::open(&dir, &key()).unwrap();
    assert_eq!(s.receipts().len(), kept.len());
    for (position, r) in &kept {
        assert_eq!(s.receipt(&position.0, position.1), Some(r));
    }
    assert_eq!(s.log(&A), a.as_slice());
    let sealed = std::fs::read(receipts_path(&dir)).unwrap();
    assert!(sealed.starts_with(mycase_core::store::SEALED_RECEIPTS_MAGIC));
    assert_reveals_nothing(&sealed, &kept);
    assert!(!dir.join("receipts.tmp").exists());
    // The migrated file takes new receipts and keeps them all.
    s.put_receipts(&receipts_for(&A, 4, 4)).unwrap();
    drop(s);
    assert_eq!(
        FileStore::open(&dir, &key()).unwrap().receipts().len(),
        kept.len() + 1
    );
}

#[test]
fn a_crash_during_migration_leaves_the_plain_file_whole() {
    // The migration writes receipts.tmp, syncs it, then renames it over the
    // plain file: a crash before the rename leaves the plain file and any prefix
    // of the temp file, which the next open must ignore.
    let tmp = tempfile::tempdir().unwrap();
    let dir = store_dir(&tmp);
    let kept = receipts_for(&A, 1, 4);
    let plain = plain_receipts(&kept);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(receipts_path(&dir), &plain).unwrap();
    // What the migration would have written.
    let model = tempfile::tempdir().unwrap();
    let model_dir = store_dir(&model);
    std::fs::create_dir_all(&model_dir).unwrap();
    std::fs::write(receipts_path(&model_dir), &plain).unwrap();
    drop(FileStore::open(&model_dir, &key()).unwrap());
    let sealed = std::fs::read(receipts_path(&model_dir)).unwrap();
    for cut in (0..=sealed.len()).step_by(97) {
        std::fs::write(receipts_path(&dir), &plain).unwrap();
        std::fs::write(dir.join("receipts.tmp"), &sealed[..cut]).unwrap();
        let s = FileStore::open(&dir, &key()).unwrap();
        assert_eq!(s.receipts().len(), kept.len(), "temp cut at {cut}");
        for (position, r) in &kept {
            assert_eq!(s.receipt(&position.0, position.1), Some(r));
        }
        assert!(!dir.join("receipts.tmp").exists());
    }
    // After the rename, the sealed file is simply the store's receipts.
    std::fs::write(receipts_path(&dir), &sealed).unwrap();
    assert_eq!(
        FileStore::open(&dir, &key()).unwrap().receipts().len(),
        kept.len()
    );
}

#[test]
fn rekey_moves_receipts_to_the_new_key_and_a_crash_on_either_side_keeps_them() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = store_dir(&tmp);
    let kept = receipts_for(&A, 1, 6);
    let old = key();
    let new = StoreKey::from_bytes([0x6f; 32]);
    let crashed = tempfile::tempdir().unwrap();
    let mut s = FileStore::open(&dir, &old).unwrap();
    s.put_receipts(&kept).unwrap();
    // The switch (in a device: writing the key file) takes a copy of the store
    // as a crash at that moment would leave it.
    s.rekey(new.clone(), || -> Result<(), StoreError> {
        copy_dir(&dir, &crashed.path().join("store"));
        Ok(())
    })
    .unwrap();
    s.put_receipts(&receipts_for(&A, 7, 7)).unwrap();
    drop(s);
    let s = FileStore::open(&dir, &new).unwrap();
    assert_eq!(s.receipts().len(), 7);
    drop(s);
    assert!(matches!(
        FileStore::open(&dir, &old),
        Err(StoreError::Corrupt(_))
    ));

    assert!(crashed.path().join("store/receipts.next").exists());
    // Crashed before the key file was written: the home still holds the old keys.
    let before_switch = tempfile::tempdir().unwrap();
    copy_dir(&crashed.path().join("store"), &store_dir(&before_switch));
    let s = FileStore::open(&store_dir(&before_switch), &old).unwrap();
    assert_eq!(s.receipts().len(), 6);
    drop(s);
    assert!(
        !store_dir(&before_switch).join("receipts.next").exists(),
        "the leftover is removed"
    );
    assert_eq!(
        FileStore::open(&store_dir(&before_switch), &old)
            .unwrap()
            .receipts()
            .len(),
        6
    );

    // Crashed after the key file was written: the home holds the new keys.
    let after_switch = tempfile::tempdir().unwrap();
    copy_dir(&crashed.path().join("store"), &store_dir(&after_switch));
    let s = FileStore::open(&store_dir(&after_switch), &new).unwrap();
    assert_eq!(s.receipts().len(), 6);
    drop(s);
    assert!(!store_dir(&after_switch).join("receipts.next").exists());
    assert_eq!(
        FileStore::open(&store_dir(&after_switch), &new)
            .unwrap()
            .receipts()
            .len(),
        6
    );
}

#[test]
fn a_failed_key_switch_keeps_the_old_key() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = store_dir(&tmp);
    let mut s = FileStore::open(&dir, &key()).unwrap();
    s.put_receipts(&receipts_for(&A, 1, 2)).unwrap();
    let err = s
        .rekey(StoreKey::from_bytes([0x6f; 32]), || {
            Err(StoreError::Io(std::io::Error::other("disk full")))
        })
        .unwrap_err();
    assert!(matches!(err, StoreError::Io(_)), "{err:?}");
    // Still sealed under the old key, in this process and after a reopen.
    s.put_receipts(&receipts_for(&A, 3, 3)).unwrap();
    drop(s);
    assert!(dir.join("receipts.next").exists());
    assert_eq!(FileStore::open(&dir, &key()).unwrap().receipts().len(), 3);
    assert!(
        !dir.join("receipts.next").exists(),
        "the leftover is removed"
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

// ------------------------------------------------------------ frozen vector
//
// `MYCASE_WRITE_VECTORS=1 cargo test -p mycase-core --test it store_conformance -- --ignored`
// writes it (only for a new format version, never to make a failing test pass).

fn vectors_dir() -> PathBuf {
    mycase_tests::vectors::client_core_dir()
}

fn vector_param(name: &str) -> [u8; 32] {
    let value = mycase_tests::vectors::param(&vectors_dir().join("store-receipts-v1.txt"), name);
    hex::decode(value).unwrap().try_into().unwrap()
}

fn vector_receipts() -> Vec<((DeviceId, u64), StoredReceipt)> {
    let mut out = Vec::new();
    for (device, count) in [(A, 3u64), (B, 2)] {
        for idx in 1..=count {
            out.push((
                (device, idx),
                StoredReceipt {
                    server_time_ms: SERVER_TIME_BASE + 1000 * idx + device[0] as u64,
                    signature: [device[0] ^ idx as u8; 64],
                },
            ));
        }
    }
    out
}

fn vector_key() -> StoreKey {
    let key = StoreKey::from_dh_secret(&vector_param("dh_secret"));
    assert_eq!(
        key,
        StoreKey::from_bytes(vector_param("store_key")),
        "key derivation changed"
    );
    key
}

#[test]
fn sealed_receipts_vector_opens() {
    let blob = std::fs::read(vectors_dir().join("store-receipts-v1.bin")).unwrap();
    assert!(blob.starts_with(b"MCRCPTS1"));
    let tmp = tempfile::tempdir().unwrap();
    let dir = store_dir(&tmp);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(receipts_path(&dir), &blob).unwrap();
    let expected = vector_receipts();
    assert_reveals_nothing(&blob, &expected);
    assert!(matches!(
        FileStore::open(&dir, &key()),
        Err(StoreError::Corrupt(_))
    ));
    let s = FileStore::open(&dir, &vector_key()).unwrap();
    assert_eq!(s.receipts().len(), expected.len());
    for (position, r) in &expected {
        assert_eq!(s.receipt(&position.0, position.1), Some(r));
    }
}

#[test]
#[ignore = "writes the frozen vector; see above"]
fn write_sealed_receipts_vector() {
    if std::env::var_os("MYCASE_WRITE_VECTORS").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = store_dir(&tmp);
    let all = vector_receipts();
    {
        let mut s = FileStore::open(&dir, &vector_key()).unwrap();
        s.put_receipts(&all[..3]).unwrap();
        s.put_receipts(&all[3..]).unwrap();
    }
    std::fs::copy(
        receipts_path(&dir),
        vectors_dir().join("store-receipts-v1.bin"),
    )
    .unwrap();
}
