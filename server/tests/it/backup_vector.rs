//! Frozen backup files that every later version must restore: operators keep
//! backups for years. `backup-v1.bin` ("MYCASE-BACKUP-1") was written before
//! signed statements and the recovery-key index; `backup-v2.bin`
//! ("MYCASE-BACKUP-2") carries a revocation statement, an owner's erasure
//! statement and a retention erasure without one.
//!
//! `MYCASE_WRITE_VECTORS=1 cargo test -p mycase-server --test it backup_vector -- --ignored`
//! writes the current version's afresh (only when introducing a new backup
//! format, never to make a failing test pass; v1 can no longer be written).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use mycase_server::store::{
    erased_account_tag, AccountRow, AccountStore, ChunkStore, DeviceRow, Head, LogStore, NewRecord,
    OperatorStore, SledStore, StoredReceipt,
};

const KEPT: [u8; 16] = [0x11; 16];
const ERASED: [u8; 16] = [0x22; 16];

/// v2 only: an account erased by the retention policy (no statement).
const RETIRED: [u8; 16] = [0x33; 16];

fn vector_path(version: u8) -> PathBuf {
    mycase_tests::vectors::server_dir().join(format!("backup-v{version}.bin"))
}

fn device(account: [u8; 16], n: u8) -> DeviceRow {
    DeviceRow {
        account_id: account,
        device_id: [n; 16],
        sign_public_key: [n; 32],
        dh_public_key: [n ^ 0xff; 32],
        registered_at_unix: 1_700_000_000,
        revoked: false,
        last_seen_unix: 0,
        revoked_at_unix: 0,
        revocation: None,
    }
}

fn account(n: u8) -> AccountRow {
    AccountRow {
        recovery_public_key: [n; 32],
        recovery_blob: vec![n; 48],
        created_at_unix: 1_700_000_000,
    }
}

#[test]
fn the_frozen_backup_restores() {
    let dir = tempfile::tempdir().unwrap();
    let erased =
        mycase_server::operator::backup::restore(&vector_path(1), dir.path(), 8 << 20).unwrap();
    assert_eq!(erased, 0);
    let s = SledStore::open(&dir.path().join("db"), &dir.path().join("chunks")).unwrap();
    assert_eq!(s.account(&KEPT).unwrap(), Some(account(1)));
    assert_eq!(s.account_devices(&KEPT).unwrap(), vec![device(KEPT, 3)]);
    assert_eq!(s.vector(&KEPT).unwrap(), vec![([3; 16], 2)]);
    assert_eq!(
        s.record(&KEPT, &[3; 16], 2).unwrap(),
        Some(b"record two".to_vec())
    );
    assert_eq!(
        s.chunk(&KEPT, &[9; 32]).unwrap(),
        Some(b"sealed chunk".to_vec())
    );
    assert_eq!(s.account_usage(&KEPT).unwrap(), 22 + 12);
    assert_eq!(s.account(&ERASED).unwrap(), None);
    assert!(s.is_erased(&erased_account_tag(&ERASED)).unwrap());
    // Erased before statements: the device is told the account is not here,
    // never handed a wipe order nobody signed.
    assert_eq!(
        s.erased_device(&[4; 16]).unwrap().map(|e| e.statement),
        Some(None)
    );
    // The recovery-key index was built from the restored accounts.
    assert_eq!(
        s.account_by_recovery_key(&[1; 32])
            .unwrap()
            .map(|(id, _)| id),
        Some(KEPT)
    );
    assert_eq!(s.account_by_recovery_key(&[2; 32]).unwrap(), None);
    s.close().unwrap();
}

const REVOCATION: &[u8] = b"revocation statement signed by device 3";
const DELETION: &[u8] = b"deletion statement signed by device 4";

fn revoked_device() -> DeviceRow {
    DeviceRow {
        revoked: true,
        revoked_at_unix: 1_700_000_500,
        revocation: Some(REVOCATION.to_vec()),
        ..device(KEPT, 5)
    }
}

#[test]
fn the_frozen_v2_backup_restores_with_its_statements() {
    let dir = tempfile::tempdir().unwrap();
    let erased =
        mycase_server::operator::backup::restore(&vector_path(2), dir.path(), 8 << 20).unwrap();
    assert_eq!(erased, 0);
    let s = SledStore::open(&dir.path().join("db"), &dir.path().join("chunks")).unwrap();
    assert_eq!(s.account(&KEPT).unwrap(), Some(account(1)));
    assert_eq!(
        s.account_devices(&KEPT).unwrap(),
        vec![device(KEPT, 3), revoked_device()]
    );
    assert_eq!(
        s.record(&KEPT, &[3; 16], 2).unwrap(),
        Some(b"record two".to_vec())
    );
    assert_eq!(
        s.erased_device(&[4; 16]).unwrap().map(|e| e.statement),
        Some(Some(DELETION.to_vec()))
    );
    assert_eq!(
        s.erased_device(&[6; 16]).unwrap().map(|e| e.statement),
        Some(None)
    );
    assert_eq!(
        s.account_by_recovery_key(&[1; 32])
            .unwrap()
            .map(|(id, _)| id),
        Some(KEPT)
    );
    assert_eq!(s.account(&ERASED).unwrap(), None);
    assert_eq!(s.account(&RETIRED).unwrap(), None);
    s.close().unwrap();
}

#[test]
#[ignore = "writes the vector; run only when introducing a new backup format"]
fn write_vector() {
    if std::env::var("MYCASE_WRITE_VECTORS").as_deref() != Ok("1") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let s = SledStore::open(&dir.path().join("db"), &dir.path().join("chunks")).unwrap();
    s.create_account(&KEPT, &account(1), &device(KEPT, 3))
        .unwrap();
    let records = vec![
        NewRecord {
            idx: 1,
            bytes: b"record one!!".to_vec(),
            receipt: StoredReceipt {
                server_time_ms: 1,
                signature: [7; 64],
            },
        },
        NewRecord {
            idx: 2,
            bytes: b"record two".to_vec(),
            receipt: StoredReceipt {
                server_time_ms: 1,
                signature: [7; 64],
            },
        },
    ];
    s.append(
        &KEPT,
        &[3; 16],
        0,
        &records,
        Head {
            idx: 2,
            hash: [5; 32],
        },
    )
    .unwrap();
    s.put_chunk(&KEPT, &[9; 32], b"sealed chunk").unwrap();
    s.add_device(&device(KEPT, 5)).unwrap();
    s.revoke_device(&[5; 16], 1_700_000_500, REVOCATION)
        .unwrap();
    s.create_account(&ERASED, &account(2), &device(ERASED, 4))
        .unwrap();
    s.erase_account(&ERASED, Some(DELETION)).unwrap();
    s.create_account(&RETIRED, &account(3), &device(RETIRED, 6))
        .unwrap();
    s.erase_account(&RETIRED, None).unwrap();
    let mut out = Vec::new();
    s.write_backup(&mut out).unwrap();
    s.close().unwrap();
    std::fs::write(vector_path(2), out).unwrap();
}
