//! Attachment chunks.

use crate::store::{Store, StoreError};

pub fn chunks_per_account<S: Store, G>(make: impl Fn() -> (S, G)) {
    let (s, _guard) = make();
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
