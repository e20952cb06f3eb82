//! One behavioural suite that every `Store` backend must pass.
//!
//! `store_conformance_tests!(name, || (store, guard))` expands to a module of tests;
//! `guard` keeps whatever the store needs alive (a temp dir) for the test's length.

macro_rules! store_conformance_tests {
    ($name:ident, $make:expr) => {
        mod $name {
            #![allow(clippy::unwrap_used, clippy::expect_used)]
            use $crate::store::{
                AccountRow, AccountStore, ChunkStore, DeviceRow, Head, LogStore, NewRecord,
                OperatorStore, SessionRow, SessionStore, ShareStore, Store, StoreError,
                StoredReceipt,
            };

            fn account(n: u8) -> AccountRow {
                AccountRow {
                    recovery_public_key: [n; 32],
                    recovery_blob: vec![n; 10],
                    created_at_unix: 7,
                }
            }

            fn device(account: u8, dev: u8) -> DeviceRow {
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

            fn recs(from: u64, to: u64) -> Vec<NewRecord> {
                (from..=to)
                    .map(|idx| NewRecord {
                        idx,
                        bytes: vec![idx as u8; 3],
                        receipt: receipt(idx),
                    })
                    .collect()
            }

            fn receipt(idx: u64) -> StoredReceipt {
                StoredReceipt {
                    server_time_ms: 1000 + idx,
                    signature: [idx as u8; 64],
                }
            }

            #[test]
            fn receipts_are_stored_with_their_records() {
                let (s, _guard) = ($make)();
                let (a, d) = ([1u8; 16], [3u8; 16]);
                let head = |idx| Head {
                    idx,
                    hash: [idx as u8; 32],
                };
                s.append(&a, &d, 0, &recs(1, 2), head(2)).unwrap();
                assert_eq!(s.receipt(&a, &d, 1).unwrap(), Some(receipt(1)));
                assert_eq!(s.receipt(&a, &d, 2).unwrap(), Some(receipt(2)));
                assert_eq!(s.receipt(&a, &d, 3).unwrap(), None);
                assert_eq!(s.receipt(&[2; 16], &d, 1).unwrap(), None);
                // A refused append leaves no receipt behind.
                assert!(matches!(
                    s.append(&a, &d, 1, &recs(3, 3), head(3)),
                    Err(StoreError::HeadMoved)
                ));
                assert_eq!(s.receipt(&a, &d, 3).unwrap(), None);
                assert_eq!(
                    StoredReceipt::decode(&receipt(7).encode()).unwrap(),
                    receipt(7)
                );
                assert!(StoredReceipt::decode(&[0; 5]).is_err());
            }

            #[test]
            fn accounts_and_devices() {
                let (s, _guard) = ($make)();
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

            #[test]
            fn sessions() {
                let (s, _guard) = ($make)();
                let row = SessionRow {
                    account_id: [1; 16],
                    device_id: [2; 16],
                    expires_at_ms: 100,
                };
                s.put_session(&[9; 32], &row).unwrap();
                s.put_session(
                    &[8; 32],
                    &SessionRow {
                        expires_at_ms: 300,
                        ..row
                    },
                )
                .unwrap();
                assert_eq!(s.session(&[9; 32]).unwrap(), Some(row));
                assert_eq!(s.session(&[7; 32]).unwrap(), None);
                assert_eq!(s.purge_sessions(100).unwrap(), 1);
                assert_eq!(s.session(&[9; 32]).unwrap(), None);
                s.delete_session(&[8; 32]).unwrap();
                assert_eq!(s.session(&[8; 32]).unwrap(), None);
            }

            #[test]
            fn logs_heads_and_vectors() {
                let (s, _guard) = ($make)();
                let (a, d1, d2) = ([1u8; 16], [3u8; 16], [2u8; 16]);
                assert_eq!(s.head(&a, &d1).unwrap(), None);
                assert!(s.vector(&a).unwrap().is_empty());
                s.append(
                    &a,
                    &d1,
                    0,
                    &recs(1, 3),
                    Head {
                        idx: 3,
                        hash: [3; 32],
                    },
                )
                .unwrap();
                s.append(
                    &a,
                    &d2,
                    0,
                    &recs(1, 1),
                    Head {
                        idx: 1,
                        hash: [1; 32],
                    },
                )
                .unwrap();
                // Another account's log does not leak into this vector.
                s.append(
                    &[0; 16],
                    &d1,
                    0,
                    &recs(1, 9),
                    Head {
                        idx: 9,
                        hash: [9; 32],
                    },
                )
                .unwrap();
                assert_eq!(s.vector(&a).unwrap(), vec![(d2, 1), (d1, 3)]);
                assert_eq!(
                    s.head(&a, &d1).unwrap(),
                    Some(Head {
                        idx: 3,
                        hash: [3; 32]
                    })
                );
                // A stale expected head is refused and changes nothing.
                assert!(matches!(
                    s.append(
                        &a,
                        &d1,
                        2,
                        &recs(3, 4),
                        Head {
                            idx: 4,
                            hash: [4; 32]
                        }
                    ),
                    Err(StoreError::HeadMoved)
                ));
                assert_eq!(s.record(&a, &d1, 4).unwrap(), None);
                assert_eq!(s.head(&a, &d1).unwrap().unwrap().idx, 3);
                s.append(
                    &a,
                    &d1,
                    3,
                    &recs(4, 6),
                    Head {
                        idx: 6,
                        hash: [6; 32],
                    },
                )
                .unwrap();
                assert_eq!(s.record(&a, &d1, 2).unwrap(), Some(vec![2; 3]));
                let all = s.records(&a, &d1, 0, 6, 100, usize::MAX).unwrap();
                assert_eq!(
                    all.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
                    vec![1, 2, 3, 4, 5, 6]
                );
                let page = s.records(&a, &d1, 2, 5, 2, usize::MAX).unwrap();
                assert_eq!(page, vec![(3, vec![3; 3]), (4, vec![4; 3])]);
                // The byte budget stops a page early but never returns an empty one.
                assert_eq!(s.records(&a, &d1, 0, 6, 100, 7).unwrap().len(), 2);
                assert_eq!(s.records(&a, &d1, 0, 6, 100, 1).unwrap().len(), 1);
                assert!(s.records(&a, &d1, 6, 6, 100, 100).unwrap().is_empty());
                assert!(s.records(&a, &d1, 5, 3, 100, 100).unwrap().is_empty());
            }

            #[test]
            fn chunks_per_account() {
                let (s, _guard) = ($make)();
                let (a, b) = ([1; 16], [2; 16]);
                let addr = [7u8; 32];
                assert!(!s.has_chunk(&a, &addr).unwrap());
                assert_eq!(s.chunk(&a, &addr).unwrap(), None);
                assert!(s.put_chunk(&a, &addr, b"sealed one").unwrap());
                // Identical bytes again: accepted, not new.
                assert!(!s.put_chunk(&a, &addr, b"sealed one").unwrap());
                // Other bytes at the same address: refused, the first stays.
                assert!(matches!(
                    s.put_chunk(&a, &addr, b"sealed two"),
                    Err(StoreError::ChunkConflict)
                ));
                assert_eq!(s.chunk(&a, &addr).unwrap(), Some(b"sealed one".to_vec()));
                assert!(s.has_chunk(&a, &addr).unwrap());
                // Another account does not see it and may store its own.
                assert!(!s.has_chunk(&b, &addr).unwrap());
                assert!(s.put_chunk(&b, &addr, b"sealed two").unwrap());
                assert_eq!(s.chunk(&b, &addr).unwrap(), Some(b"sealed two".to_vec()));
                assert_eq!(s.chunk(&a, &addr).unwrap(), Some(b"sealed one".to_vec()));
                s.flush().unwrap();
            }

            fn share_row(account: u8, max_views: u32) -> $crate::store::ShareRow {
                $crate::store::ShareRow {
                    account_id: [account; 16],
                    created_at_unix: 100,
                    expires_at_unix: 200,
                    max_views,
                    views: 0,
                    opened_at_unix: Vec::new(),
                    size: 6,
                    ended: None,
                    access_token_hash: (account % 2 == 1).then_some([account; 32]),
                }
            }

            /// Stores a share through an upload, in two pieces.
            fn put(
                s: &impl Store,
                id: &[u8; 16],
                row: &$crate::store::ShareRow,
                bundle: &[u8],
            ) -> Result<(), StoreError> {
                let mut upload = s.begin_share()?;
                let (first, rest) = bundle.split_at(bundle.len() / 2);
                upload.write(first)?;
                upload.write(rest)?;
                assert_eq!(upload.len(), bundle.len() as u64);
                s.put_share(id, row, upload)
            }

            /// The bytes of an opened share, `None` for any other outcome.
            fn opened(open: $crate::store::ShareOpen) -> Option<Vec<u8>> {
                match open {
                    $crate::store::ShareOpen::Opened(bundle) => Some(bundle.read_all().unwrap()),
                    _ => None,
                }
            }

            #[test]
            fn shares_open_count_and_end() {
                use $crate::store::{ShareEnd, ShareOpen, ShareStats};
                let (s, _guard) = ($make)();
                let (a, b) = ([1u8; 16], [2u8; 16]);
                put(&s, &[10; 16], &share_row(1, 2), b"bundle").unwrap();
                assert!(matches!(
                    put(&s, &[10; 16], &share_row(2, 0), b"other"),
                    Err(StoreError::ShareExists)
                ));
                // The first share is untouched by the refused one.
                assert_eq!(s.share(&[10; 16]).unwrap(), Some(share_row(1, 2)));
                assert_eq!(
                    opened(s.open_share(&[10; 16], 150).unwrap()),
                    Some(b"bundle".to_vec())
                );
                // The second view reaches the limit: served in full (the reader
                // outlives the deletion), then ended.
                let last = s.open_share(&[10; 16], 151).unwrap();
                assert!(matches!(
                    s.open_share(&[10; 16], 152).unwrap(),
                    ShareOpen::Ended(ShareEnd::Exhausted)
                ));
                assert_eq!(opened(last), Some(b"bundle".to_vec()));
                let row = s.share(&[10; 16]).unwrap().unwrap();
                assert_eq!(row.views, 2);
                assert_eq!(row.opened_at_unix, vec![150, 151]);
                assert!(matches!(
                    s.open_share(&[11; 16], 150).unwrap(),
                    ShareOpen::Unknown
                ));

                // Expiry.
                put(&s, &[12; 16], &share_row(1, 0), b"bundle").unwrap();
                assert!(matches!(
                    s.open_share(&[12; 16], 200).unwrap(),
                    ShareOpen::Ended(ShareEnd::Expired)
                ));

                // Revocation only by the owner.
                put(&s, &[13; 16], &share_row(1, 0), b"bundle").unwrap();
                assert!(!s.revoke_share(&b, &[13; 16]).unwrap());
                assert!(matches!(
                    s.open_share(&[13; 16], 150).unwrap(),
                    ShareOpen::Opened(_)
                ));
                assert!(s.revoke_share(&a, &[13; 16]).unwrap());
                assert!(matches!(
                    s.open_share(&[13; 16], 150).unwrap(),
                    ShareOpen::Ended(ShareEnd::Revoked)
                ));

                put(&s, &[14; 16], &share_row(2, 0), b"bundle").unwrap();
                let mine: Vec<_> = s
                    .account_shares(&a)
                    .unwrap()
                    .into_iter()
                    .map(|(id, _)| id)
                    .collect();
                assert_eq!(mine, vec![[10; 16], [12; 16], [13; 16]]);

                // Purge ends what expired (the other account's share, at 300).
                s.purge_shares(300).unwrap();
                assert!(matches!(
                    s.open_share(&[14; 16], 150).unwrap(),
                    ShareOpen::Ended(ShareEnd::Expired)
                ));

                assert_eq!(
                    s.share_stats().unwrap(),
                    ShareStats {
                        created: 4,
                        opened: 3
                    }
                );
                assert_eq!(s.delete_account_shares(&a).unwrap(), 3);
                assert!(s.account_shares(&a).unwrap().is_empty());
                assert_eq!(s.share(&[10; 16]).unwrap(), None);
                assert_eq!(s.account_shares(&b).unwrap().len(), 1);
                // Counters are history: erasing an account does not rewrite them.
                assert_eq!(s.share_stats().unwrap().created, 4);
            }

            #[test]
            fn closed_store_refuses_work() {
                let (s, _guard) = ($make)();
                s.flush().unwrap();
                s.close().unwrap();
                assert!(matches!(s.vector(&[1; 16]), Err(StoreError::Closed)));
                // Closing twice is harmless.
                s.close().unwrap();
            }

            #[test]
            fn usage_counts_records_and_new_chunks() {
                let (s, _guard) = ($make)();
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

            #[test]
            fn invites_are_single_use_and_expire() {
                let (s, _guard) = ($make)();
                s.add_invite(&[5; 32], 100).unwrap();
                s.add_invite(&[6; 32], 10).unwrap();
                // Expired at now = 50: refused, nothing stored.
                assert!(matches!(
                    s.create_account_with_invite(
                        &[1; 16],
                        &account(1),
                        &device(1, 10),
                        &[6; 32],
                        50
                    ),
                    Err(StoreError::InviteInvalid)
                ));
                assert_eq!(s.account(&[1; 16]).unwrap(), None);
                assert!(matches!(
                    s.create_account_with_invite(
                        &[1; 16],
                        &account(1),
                        &device(1, 10),
                        &[7; 32],
                        50
                    ),
                    Err(StoreError::InviteInvalid)
                ));
                s.create_account_with_invite(&[1; 16], &account(1), &device(1, 10), &[5; 32], 50)
                    .unwrap();
                assert!(s.account(&[1; 16]).unwrap().is_some());
                // Used: refused the second time.
                assert!(matches!(
                    s.create_account_with_invite(
                        &[2; 16],
                        &account(2),
                        &device(2, 20),
                        &[5; 32],
                        50
                    ),
                    Err(StoreError::InviteInvalid)
                ));
                assert_eq!(s.purge_invites(50).unwrap(), 1);
            }

            #[test]
            fn erase_account_removes_everything_of_it_only() {
                let (s, _guard) = ($make)();
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

            #[test]
            fn activity_and_inactive_accounts() {
                let (s, _guard) = ($make)();
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

            #[test]
            fn last_seen_revocation_and_recovery_blob() {
                let (s, _guard) = ($make)();
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
            #[test]
            fn one_account_per_recovery_key() {
                let (s, _guard) = ($make)();
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

            #[test]
            fn renewing_the_recovery_key_is_atomic_and_retires_the_old_one() {
                let (s, _guard) = ($make)();
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

            #[test]
            fn a_dropped_share_upload_leaves_nothing() {
                let (s, _guard) = ($make)();
                let mut upload = s.begin_share().unwrap();
                upload.write(b"half a bundle").unwrap();
                drop(upload);
                assert_eq!(s.purge_shares(0).unwrap(), 0);
                assert_eq!(s.share(&[10; 16]).unwrap(), None);
                // A share keeps its access token hash.
                put(&s, &[10; 16], &share_row(1, 0), b"bundle").unwrap();
                assert_eq!(
                    s.share(&[10; 16]).unwrap().unwrap().access_token_hash,
                    Some([1; 32])
                );
                put(&s, &[11; 16], &share_row(2, 0), b"bundle").unwrap();
                assert_eq!(s.share(&[11; 16]).unwrap().unwrap().access_token_hash, None);
            }
        }
    };
}
