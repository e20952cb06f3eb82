//! Accounts, devices, recovery keys, invites, activity and usage.

use super::{account, device, recs};
use crate::store::{AccountRow, Head, SessionRow, Store, StoreError};

pub fn accounts_and_devices<S: Store, G>(make: impl Fn() -> (S, G)) {
    let (s, _guard) = make();
    s.create_account(&[1; 16], &account(1), &device(1, 10))
        .unwrap();
    assert_eq!(s.account(&[1; 16]).unwrap(), Some(account(1)));
    assert_eq!(s.account(&[2; 16]).unwrap(), None);
    assert!(matches!(
        s.create_account(&[1; 16], &account(1), &device(1, 11)),
        Err(StoreError::AccountExists)
    ));
    assert!(matches!(
        s.create_account(&[2; 16], &account(2), &device(2, 10)),
        Err(StoreError::DeviceExists)
    ));
    // A failed create leaves nothing behind.
    assert_eq!(s.account(&[2; 16]).unwrap(), None);
    s.add_device(&device(1, 5)).unwrap();
    assert!(matches!(
        s.add_device(&device(1, 5)),
        Err(StoreError::DeviceExists)
    ));
    assert!(matches!(
        s.add_device(&device(3, 6)),
        Err(StoreError::UnknownAccount)
    ));
    s.create_account(&[2; 16], &account(2), &device(2, 20))
        .unwrap();
    let devs = s.account_devices(&[1; 16]).unwrap();
    assert_eq!(devs, vec![device(1, 5), device(1, 10)]);
    assert_eq!(s.device(&[20; 16]).unwrap(), Some(device(2, 20)));
    assert_eq!(s.device(&[99; 16]).unwrap(), None);
    assert_eq!(
        s.account_by_recovery_key(&[2; 32]).unwrap(),
        Some(([2; 16], account(2)))
    );
    assert_eq!(s.account_by_recovery_key(&[9; 32]).unwrap(), None);
}

pub fn one_account_per_recovery_key<S: Store, G>(make: impl Fn() -> (S, G)) {
    let (s, _guard) = make();
    s.create_account(&[1; 16], &account(1), &device(1, 10))
        .unwrap();
    // Another account claiming the same key: refused, nothing stored.
    assert!(matches!(
        s.create_account(&[2; 16], &account(1), &device(2, 20)),
        Err(StoreError::RecoveryKeyInUse)
    ));
    assert_eq!(s.account(&[2; 16]).unwrap(), None);
    assert_eq!(s.device(&[20; 16]).unwrap(), None);
    let code = [5u8; 32];
    s.add_invite(&code, 100).unwrap();
    assert!(matches!(
        s.create_account_with_invite(&[2; 16], &account(1), &device(2, 20), &code, 50),
        Err(StoreError::RecoveryKeyInUse)
    ));
    // The invite was not used up by the refusal.
    s.create_account_with_invite(&[2; 16], &account(2), &device(2, 20), &code, 50)
        .unwrap();
    let (found, row) = s.account_by_recovery_key(&[1; 32]).unwrap().unwrap();
    assert_eq!((found, row), ([1; 16], account(1)));
    assert_eq!(s.account_by_recovery_key(&[9; 32]).unwrap(), None);
}

pub fn renewing_the_recovery_key_is_atomic_and_retires_the_old_one<S: Store, G>(
    make: impl Fn() -> (S, G),
) {
    let (s, _guard) = make();
    s.create_account(&[1; 16], &account(1), &device(1, 10))
        .unwrap();
    s.create_account(&[2; 16], &account(2), &device(2, 20))
        .unwrap();
    // Not with a key that is not the account's current one.
    assert!(matches!(
        s.renew_recovery_key(&[1; 16], &[2; 32], &[3; 32], b"blob"),
        Err(StoreError::RecoveryKeyChanged)
    ));
    // Not to a key another account holds.
    assert!(matches!(
        s.renew_recovery_key(&[1; 16], &[1; 32], &[2; 32], b"blob"),
        Err(StoreError::RecoveryKeyInUse)
    ));
    assert!(matches!(
        s.renew_recovery_key(&[7; 16], &[1; 32], &[3; 32], b"blob"),
        Err(StoreError::UnknownAccount)
    ));
    assert_eq!(s.account(&[1; 16]).unwrap(), Some(account(1)));
    s.renew_recovery_key(&[1; 16], &[1; 32], &[3; 32], b"resealed")
        .unwrap();
    let row = s.account(&[1; 16]).unwrap().unwrap();
    assert_eq!(
        (row.recovery_public_key, row.recovery_blob.as_slice()),
        ([3; 32], &b"resealed"[..])
    );
    assert_eq!(s.account_by_recovery_key(&[1; 32]).unwrap(), None);
    assert_eq!(
        s.account_by_recovery_key(&[3; 32])
            .unwrap()
            .map(|(id, _)| id),
        Some([1; 16])
    );
    // The old key is free: renewing again from it is refused, and a new
    // account may now take it.
    assert!(matches!(
        s.renew_recovery_key(&[1; 16], &[1; 32], &[4; 32], b"blob"),
        Err(StoreError::RecoveryKeyChanged)
    ));
    s.create_account(&[3; 16], &account(1), &device(3, 30))
        .unwrap();
}

pub fn last_seen_revocation_and_recovery_blob<S: Store, G>(make: impl Fn() -> (S, G)) {
    let (s, _guard) = make();
    s.create_account(&[1; 16], &account(1), &device(1, 10))
        .unwrap();
    s.add_device(&device(1, 11)).unwrap();
    // Last seen only moves forward.
    s.touch_device(&[10; 16], 3600).unwrap();
    s.touch_device(&[10; 16], 0).unwrap();
    assert_eq!(s.device(&[10; 16]).unwrap().unwrap().last_seen_unix, 3600);
    s.touch_device(&[99; 16], 3600).unwrap();
    assert_eq!(s.device(&[99; 16]).unwrap(), None);

    // Revoking drops the device's sessions, and only its own.
    let session = |dev: u8| SessionRow {
        account_id: [1; 16],
        device_id: [dev; 16],
        expires_at_ms: u64::MAX,
    };
    s.put_session(&[1; 32], &session(11)).unwrap();
    s.put_session(&[2; 32], &session(11)).unwrap();
    s.put_session(&[3; 32], &session(10)).unwrap();
    assert!(s.revoke_device(&[11; 16], 500, b"by 10").unwrap());
    let revoked = s.device(&[11; 16]).unwrap().unwrap();
    assert!(revoked.revoked);
    assert_eq!(revoked.revoked_at_unix, 500);
    assert_eq!(revoked.revocation.as_deref(), Some(&b"by 10"[..]));
    assert_eq!(s.session(&[1; 32]).unwrap(), None);
    assert_eq!(s.session(&[2; 32]).unwrap(), None);
    assert_eq!(s.session(&[3; 32]).unwrap(), Some(session(10)));
    // A second revocation changes nothing (the first time and
    // statement stay).
    assert!(!s.revoke_device(&[11; 16], 900, b"later").unwrap());
    let still = s.device(&[11; 16]).unwrap().unwrap();
    assert_eq!(still.revoked_at_unix, 500);
    assert_eq!(still.revocation.as_deref(), Some(&b"by 10"[..]));
    assert_eq!(s.device(&[10; 16]).unwrap().unwrap().revocation, None);
    assert!(matches!(
        s.revoke_device(&[99; 16], 1, b"x"),
        Err(StoreError::UnknownDevice)
    ));
    assert!(!s.device(&[10; 16]).unwrap().unwrap().revoked);
    let listed = s.account_devices(&[1; 16]).unwrap();
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().any(|d| d.revoked && d.device_id == [11; 16]));

    s.set_recovery_blob(&[1; 16], b"new blob").unwrap();
    let a = s.account(&[1; 16]).unwrap().unwrap();
    assert_eq!(a.recovery_blob, b"new blob");
    assert_eq!(a.recovery_public_key, account(1).recovery_public_key);
    assert!(matches!(
        s.set_recovery_blob(&[7; 16], b"x"),
        Err(StoreError::UnknownAccount)
    ));
}

pub fn invites_are_single_use_and_expire<S: Store, G>(make: impl Fn() -> (S, G)) {
    let (s, _guard) = make();
    s.add_invite(&[5; 32], 100).unwrap();
    s.add_invite(&[6; 32], 10).unwrap();
    // Expired at now = 50: refused, nothing stored.
    assert!(matches!(
        s.create_account_with_invite(&[1; 16], &account(1), &device(1, 10), &[6; 32], 50),
        Err(StoreError::InviteInvalid)
    ));
    assert_eq!(s.account(&[1; 16]).unwrap(), None);
    assert!(matches!(
        s.create_account_with_invite(&[1; 16], &account(1), &device(1, 10), &[7; 32], 50),
        Err(StoreError::InviteInvalid)
    ));
    s.create_account_with_invite(&[1; 16], &account(1), &device(1, 10), &[5; 32], 50)
        .unwrap();
    assert!(s.account(&[1; 16]).unwrap().is_some());
    // Used: refused the second time.
    assert!(matches!(
        s.create_account_with_invite(&[2; 16], &account(2), &device(2, 20), &[5; 32], 50),
        Err(StoreError::InviteInvalid)
    ));
    assert_eq!(s.purge_invites(50).unwrap(), 1);
}

pub fn activity_and_inactive_accounts<S: Store, G>(make: impl Fn() -> (S, G)) {
    let (s, _guard) = make();
    let mut old = account(1);
    old.created_at_unix = 86_400 * 5;
    s.create_account(&[1; 16], &old, &device(1, 10)).unwrap();
    let other = AccountRow {
        recovery_public_key: [2; 32],
        ..old.clone()
    };
    s.create_account(&[2; 16], &other, &device(2, 20)).unwrap();
    s.touch_account(&[2; 16], 20).unwrap();
    assert_eq!(s.inactive_accounts(10).unwrap(), vec![[1; 16]]);
    assert_eq!(s.stats(15).unwrap().active_accounts, 1);
    assert_eq!(s.stats(21).unwrap().active_accounts, 0);
}

pub fn usage_counts_records_and_new_chunks<S: Store, G>(make: impl Fn() -> (S, G)) {
    let (s, _guard) = make();
    let a = [1u8; 16];
    s.create_account(&a, &account(1), &device(1, 10)).unwrap();
    assert_eq!(s.account_usage(&a).unwrap(), 0);
    let head = Head {
        idx: 2,
        hash: [2; 32],
    };
    s.append(&a, &[10; 16], 0, &recs(1, 2), head).unwrap();
    assert_eq!(s.account_usage(&a).unwrap(), 6);
    s.put_chunk(&a, &[9; 32], b"0123456789").unwrap();
    // The same chunk again is not counted twice.
    s.put_chunk(&a, &[9; 32], b"0123456789").unwrap();
    assert_eq!(s.account_usage(&a).unwrap(), 16);
    assert_eq!(s.stats(0).unwrap().stored_bytes, 16);
}
