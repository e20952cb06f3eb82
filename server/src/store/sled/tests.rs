#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::{codec, SledStore};

crate::store_conformance_tests!(sled, || {
    let dir = tempfile::tempdir().unwrap();
    let store =
        crate::store::SledStore::open(&dir.path().join("db"), &dir.path().join("chunks")).unwrap();
    (store, dir)
});

#[test]
fn an_interrupted_compaction_is_finished_on_open() {
    use crate::store::{AccountStore, OperatorStore};
    let dir = tempfile::tempdir().unwrap();
    let (db, chunks) = (dir.path().join("db"), dir.path().join("chunks"));
    let account = crate::store::AccountRow {
        recovery_public_key: [1; 32],
        recovery_blob: vec![],
        created_at_unix: 1,
    };
    let device = crate::store::DeviceRow {
        account_id: [1; 16],
        device_id: [2; 16],
        sign_public_key: [3; 32],
        dh_public_key: [4; 32],
        registered_at_unix: 1,
        revoked: false,
        last_seen_unix: 0,
        revoked_at_unix: 0,
        revocation: None,
    };
    let s = SledStore::open(&db, &chunks).unwrap();
    s.create_account(&[1; 16], &account, &device).unwrap();
    s.close().unwrap();
    // A crash between moving `db` aside and moving the copy in: the copy
    // (here: the same data) is what opens.
    copy_dir(&db, &dir.path().join("db.compacting"));
    std::fs::rename(&db, dir.path().join("db.old")).unwrap();
    let s = SledStore::open(&db, &chunks).unwrap();
    assert!(s.account(&[1; 16]).unwrap().is_some());
    s.close().unwrap();
    assert!(!dir.path().join("db.old").exists());
    assert!(!dir.path().join("db.compacting").exists());
    // A crash during the copy: the partial copy is dropped.
    std::fs::create_dir(dir.path().join("db.compacting")).unwrap();
    let s = SledStore::open(&db, &chunks).unwrap();
    assert!(s.account(&[1; 16]).unwrap().is_some());
    s.close().unwrap();
    assert!(!dir.path().join("db.compacting").exists());
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.path().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

#[test]
fn device_rows_from_before_last_seen_still_read() {
    let row = crate::store::DeviceRow {
        account_id: [1; 16],
        device_id: [2; 16],
        sign_public_key: [3; 32],
        dh_public_key: [4; 32],
        registered_at_unix: 5,
        revoked: true,
        last_seen_unix: 6,
        revoked_at_unix: 7,
        revocation: Some(b"the signed statement".to_vec()),
    };
    let bytes = codec::encode_device(&row);
    assert_eq!(codec::decode_device(&[2; 16], &bytes).unwrap(), row);
    // A row from before statements: revoked, with no statement to hand back.
    let v2 = codec::decode_device(&[2; 16], &bytes[..codec::DEVICE_ROW_LEN]).unwrap();
    assert_eq!((v2.revoked_at_unix, v2.revocation), (7, None));
    let old = codec::decode_device(&[2; 16], &bytes[..codec::DEVICE_ROW_LEN_V1]).unwrap();
    assert_eq!((old.last_seen_unix, old.revoked_at_unix), (0, 0));
    assert!(old.revoked);
    assert!(codec::decode_device(&[2; 16], &bytes[..50]).is_err());
    assert!(codec::decode_device(&[2; 16], &bytes[..codec::DEVICE_ROW_LEN - 1]).is_err());
}

#[test]
fn a_database_from_before_the_recovery_index_gets_one_on_open() {
    use crate::store::{AccountStore, OperatorStore};
    let dir = tempfile::tempdir().unwrap();
    let (db, chunks) = (dir.path().join("db"), dir.path().join("chunks"));
    let account = |created_at_unix| crate::store::AccountRow {
        recovery_public_key: [1; 32],
        recovery_blob: vec![],
        created_at_unix,
    };
    let device = |n: u8| crate::store::DeviceRow {
        account_id: [n; 16],
        device_id: [n; 16],
        sign_public_key: [n; 32],
        dh_public_key: [n; 32],
        registered_at_unix: 1,
        revoked: false,
        last_seen_unix: 0,
        revoked_at_unix: 0,
        revocation: None,
    };
    let s = SledStore::open(&db, &chunks).unwrap();
    s.create_account(&[2; 16], &account(10), &device(2))
        .unwrap();
    // What an older server allowed: a second account with the same key,
    // written straight into the tree, and no index.
    s.with(|t| {
        t.accounts
            .insert([3u8; 16], codec::encode_account(&account(20)))?;
        t.recovery_keys.clear()?;
        t.meta.clear()?;
        Ok(())
    })
    .unwrap();
    s.close().unwrap();
    let s = SledStore::open(&db, &chunks).unwrap();
    // The earlier account keeps the key; the later one cannot recover with it.
    assert_eq!(
        s.account_by_recovery_key(&[1; 32])
            .unwrap()
            .map(|(id, _)| id),
        Some([2; 16])
    );
    s.close().unwrap();
}

#[test]
fn reopens_after_close() {
    use crate::store::OperatorStore;
    let dir = tempfile::tempdir().unwrap();
    let (db, chunks) = (dir.path().join("db"), dir.path().join("chunks"));
    let s = SledStore::open(&db, &chunks).unwrap();
    s.close().unwrap();
    let s2 = SledStore::open(&db, &chunks).unwrap();
    s2.close().unwrap();
}

/// Erasing does not rewrite the database (a loop of deletions would hold the
/// store's lock through one full copy each); `reclaim_erased` does, once for any
/// number of erasures, and `close` does if it is still due.
#[test]
fn erasures_are_compacted_together_later() {
    use crate::store::{AccountStore, OperatorStore};
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    let (db, chunks) = (dir.path().join("db"), dir.path().join("chunks"));
    let inode = || std::fs::metadata(&db).unwrap().ino();
    let s = SledStore::open(&db, &chunks).unwrap();
    for n in 1..=3u8 {
        let account = crate::store::AccountRow {
            recovery_public_key: [n; 32],
            recovery_blob: vec![],
            created_at_unix: 1,
        };
        let device = crate::store::DeviceRow {
            account_id: [n; 16],
            device_id: [n + 100; 16],
            sign_public_key: [n; 32],
            dh_public_key: [n; 32],
            registered_at_unix: 1,
            revoked: false,
            last_seen_unix: 0,
            revoked_at_unix: 0,
            revocation: None,
        };
        s.create_account(&[n; 16], &account, &device).unwrap();
    }
    s.flush().unwrap();
    let before = inode();
    s.erase_account(&[1; 16], None).unwrap();
    s.erase_account(&[2; 16], None).unwrap();
    assert_eq!(inode(), before, "an erasure rewrote the database");
    assert!(
        s.account(&[1; 16]).unwrap().is_none(),
        "erased at once all the same"
    );

    s.reclaim_erased().unwrap();
    let compacted = inode();
    assert_ne!(compacted, before, "the due compaction did not run");
    s.reclaim_erased().unwrap();
    assert_eq!(
        inode(),
        compacted,
        "nothing was due, yet it compacted again"
    );
    assert!(s.account(&[3; 16]).unwrap().is_some());

    s.erase_account(&[3; 16], None).unwrap();
    s.close().unwrap();
    let closed = inode();
    assert_ne!(closed, compacted, "close left an erasure uncompacted");
    let s = SledStore::open(&db, &chunks).unwrap();
    s.reclaim_erased().unwrap();
    assert_eq!(inode(), closed, "nothing was due after a clean close");
    s.close().unwrap();
}

/// A crash after an erasure, before its compaction: the next run compacts.
#[test]
fn an_erasure_interrupted_before_its_compaction_is_compacted_after_reopening() {
    use crate::store::{AccountStore, OperatorStore};
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    let (db, chunks) = (dir.path().join("db"), dir.path().join("chunks"));
    let s = SledStore::open(&db, &chunks).unwrap();
    let account = crate::store::AccountRow {
        recovery_public_key: [1; 32],
        recovery_blob: vec![],
        created_at_unix: 1,
    };
    let device = crate::store::DeviceRow {
        account_id: [1; 16],
        device_id: [2; 16],
        sign_public_key: [3; 32],
        dh_public_key: [4; 32],
        registered_at_unix: 1,
        revoked: false,
        last_seen_unix: 0,
        revoked_at_unix: 0,
        revocation: None,
    };
    s.create_account(&[1; 16], &account, &device).unwrap();
    s.erase_account(&[1; 16], None).unwrap();
    s.flush().unwrap();
    // The crash: what is on disk now, before any compaction, is what the next
    // run finds (a copy, taken while the store is open, with the marker).
    let crashed = tempfile::tempdir().unwrap();
    let (crashed_db, crashed_chunks) = (crashed.path().join("db"), crashed.path().join("chunks"));
    copy_dir(&db, &crashed_db);
    std::fs::copy(
        dir.path().join("db.compaction-due"),
        crashed.path().join("db.compaction-due"),
    )
    .unwrap();
    s.close().unwrap();
    let (db, chunks) = (crashed_db, crashed_chunks);
    let inode = || std::fs::metadata(&db).unwrap().ino();
    let s = SledStore::open(&db, &chunks).unwrap();
    let before = inode();
    s.reclaim_erased().unwrap();
    assert_ne!(inode(), before, "the interrupted erasure was not compacted");
    s.close().unwrap();
}
