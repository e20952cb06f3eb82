//! Share links: rows, uploads, views, expiry and revocation.

use crate::store::{Store, StoreError};

pub(super) fn share_row(account: u8, max_views: u32) -> crate::store::ShareRow {
    crate::store::ShareRow {
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
pub(super) fn put(
    s: &impl Store,
    id: &[u8; 16],
    row: &crate::store::ShareRow,
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
pub(super) fn opened(open: crate::store::ShareOpen) -> Option<Vec<u8>> {
    match open {
        crate::store::ShareOpen::Opened(bundle) => Some(bundle.read_all().unwrap()),
        _ => None,
    }
}

pub fn shares_open_count_and_end<S: Store, G>(make: impl Fn() -> (S, G)) {
    use crate::store::{ShareEnd, ShareOpen, ShareStats};
    let (s, _guard) = make();
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

pub fn a_dropped_share_upload_leaves_nothing<S: Store, G>(make: impl Fn() -> (S, G)) {
    let (s, _guard) = make();
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
