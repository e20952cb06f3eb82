//! One behavioural suite that every `Store` backend must pass.
//!
//! `store_conformance_tests!(name, || (store, guard))` expands to a module of tests;
//! `guard` keeps whatever the store needs alive (a temp dir) for the test's length.

macro_rules! store_conformance_tests {
    ($name:ident, $make:expr) => {
        mod $name {
            #![allow(clippy::unwrap_used, clippy::expect_used)]
            use $crate::store::{
                AccountRow, DeviceRow, Head, NewRecord, SessionRow, Store, StoreError,
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

            #[test]
            fn closed_store_refuses_work() {
                let (s, _guard) = ($make)();
                s.flush().unwrap();
                s.close().unwrap();
                assert!(matches!(s.vector(&[1; 16]), Err(StoreError::Closed)));
                // Closing twice is harmless.
                s.close().unwrap();
            }
        }
    };
}
