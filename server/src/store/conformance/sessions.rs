//! Sessions.

use crate::store::{SessionRow, Store};

pub fn sessions<S: Store, G>(make: impl Fn() -> (S, G)) {
    let (s, _guard) = make();
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
