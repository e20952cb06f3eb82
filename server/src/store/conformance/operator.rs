//! Erasure and closing.

use super::shares::{put, share_row};
use super::{account, device, recs};
use crate::store::{Head, SessionRow, Store, StoreError};

pub fn erase_account_removes_everything_of_it_only<S: Store, G>(make: impl Fn() -> (S, G)) {
    let (s, _guard) = make();
    let (a, b) = ([1u8; 16], [2u8; 16]);
    s.create_account(&a, &account(1), &device(1, 10)).unwrap();
    s.add_device(&device(1, 11)).unwrap();
    s.create_account(&b, &account(2), &device(2, 20)).unwrap();
    let head = Head {
        idx: 2,
        hash: [2; 32],
    };
    s.append(&a, &[10; 16], 0, &recs(1, 2), head).unwrap();
    s.append(&b, &[20; 16], 0, &recs(1, 2), head).unwrap();
    s.put_chunk(&a, &[9; 32], b"chunk of a").unwrap();
    s.put_chunk(&b, &[9; 32], b"chunk of b").unwrap();
    let session = SessionRow {
        account_id: a,
        device_id: [10; 16],
        expires_at_ms: u64::MAX,
    };
    s.put_session(&[3; 32], &session).unwrap();
    s.touch_account(&a, 9).unwrap();
    put(&s, &[30; 16], &share_row(1, 0), b"share of a").unwrap();
    put(&s, &[31; 16], &share_row(2, 0), b"share of b").unwrap();
    s.erase_account(&a, Some(b"signed by a")).unwrap();

    assert_eq!(s.account(&a).unwrap(), None);
    assert_eq!(s.device(&[10; 16]).unwrap(), None);
    assert_eq!(s.device(&[11; 16]).unwrap(), None);
    assert!(s.account_devices(&a).unwrap().is_empty());
    assert_eq!(s.session(&[3; 32]).unwrap(), None);
    assert!(s.vector(&a).unwrap().is_empty());
    assert_eq!(s.record(&a, &[10; 16], 1).unwrap(), None);
    assert!(!s.has_chunk(&a, &[9; 32]).unwrap());
    assert_eq!(s.account_usage(&a).unwrap(), 0);
    assert!(s.is_erased(&crate::store::erased_account_tag(&a)).unwrap());
    assert!(s
        .is_erased(&crate::store::erased_device_tag(&[11; 16]))
        .unwrap());
    assert!(!s.is_erased(&crate::store::erased_account_tag(&b)).unwrap());
    // The tombstones keep the owner's statement, sealed under the
    // erased id: a copy of the store without the id shows nothing.
    for tag in [
        crate::store::erased_account_tag(&a),
        crate::store::erased_device_tag(&[10; 16]),
    ] {
        let raw = s.tombstone(&tag).unwrap().unwrap();
        assert!(!raw.windows(11).any(|w| w == b"signed by a"));
    }
    assert_eq!(
        s.erased_account(&a).unwrap().map(|e| e.statement),
        Some(Some(b"signed by a".to_vec()))
    );
    let statement = Some(b"signed by a".to_vec());
    assert_eq!(
        s.erased_device(&[10; 16]).unwrap().map(|e| e.statement),
        Some(statement)
    );
    // Its recovery key is free again; the other account's is not.
    assert_eq!(
        s.account_by_recovery_key(&account(1).recovery_public_key)
            .unwrap(),
        None
    );
    assert!(s
        .account_by_recovery_key(&account(2).recovery_public_key)
        .unwrap()
        .is_some());
    assert_eq!(s.share(&[30; 16]).unwrap(), None);
    assert!(s.account_shares(&a).unwrap().is_empty());
    // The other account is untouched.
    assert!(s.account(&b).unwrap().is_some());
    assert_eq!(s.account_shares(&b).unwrap().len(), 1);
    assert_eq!(s.vector(&b).unwrap(), vec![([20; 16], 2)]);
    assert_eq!(s.chunk(&b, &[9; 32]).unwrap(), Some(b"chunk of b".to_vec()));
    let stats = s.stats(0).unwrap();
    assert_eq!(
        (stats.accounts, stats.devices, stats.active_accounts),
        (1, 1, 0)
    );
    // Without a statement (the retention policy), the tombstone says so.
    s.erase_account(&b, None).unwrap();
    assert_eq!(
        s.erased_device(&[20; 16]).unwrap().map(|e| e.statement),
        Some(None)
    );
    assert_eq!(s.erased_device(&[21; 16]).unwrap(), None);
}

pub fn closed_store_refuses_work<S: Store, G>(make: impl Fn() -> (S, G)) {
    let (s, _guard) = make();
    s.flush().unwrap();
    s.close().unwrap();
    assert!(matches!(s.vector(&[1; 16]), Err(StoreError::Closed)));
    // Closing twice is harmless.
    s.close().unwrap();
}
