//! Device logs: heads, records, receipts and the append that moves them.

use super::{receipt, recs};
use crate::store::{Head, Store, StoreError, StoredReceipt};

pub fn receipts_are_stored_with_their_records<S: Store, G>(make: impl Fn() -> (S, G)) {
    let (s, _guard) = make();
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

pub fn logs_heads_and_vectors<S: Store, G>(make: impl Fn() -> (S, G)) {
    let (s, _guard) = make();
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
