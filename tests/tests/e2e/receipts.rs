#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Server receipts end to end: every device ends up holding a verified receipt
//! for every record (its own from Append, the others' from Pull), pinned to the
//! server's key; a hostile server's bad receipt is reported and nothing is kept.

use mycase_core::receipts;
use mycase_core::store::LocalStore;
use mycase_core::SyncError;
use mycase_core::{DeviceError, PairingFlowError};
use mycase_tests::{
    fields, new_account_device, pair_over, snapshot, HostileTransport, Tamper, TestServer,
};

fn all_receipts_verify<S: LocalStore>(d: &mycase_core::Device<S>, key: &[u8; 32]) -> usize {
    let mut n = 0;
    for (device, log) in d.store().logs() {
        for r in log {
            let receipt = d.store().receipt(device, r.idx).unwrap_or_else(|| {
                panic!(
                    "no receipt for a record at idx {} (own: {})",
                    r.idx,
                    device == d.device_id()
                )
            });
            assert!(receipts::verify(key, d.account_id(), r, receipt));
            n += 1;
        }
    }
    n
}

fn is_bad_receipt(e: &DeviceError) -> bool {
    matches!(e, DeviceError::Sync(SyncError::BadReceipt(_)))
}

#[tokio::test]
async fn every_device_keeps_verified_receipts_and_refuses_bad_ones() {
    let server = TestServer::start().await;
    let key = server.server_public_key();
    let (mut a, ta) = new_account_device(&server).await;
    a.add_entry(fields("first", "one")).unwrap();
    a.sync(&ta).await.unwrap();
    assert_eq!(a.server_key(), Some(key), "pinned on first sync");
    let tb = HostileTransport::new(server.transport().await);
    let (ra, rb) = pair_over(&server, &mut a, &ta, &tb, "phone").await;
    ra.unwrap();
    let mut b = rb.unwrap();
    b.add_entry(fields("from b", "two")).unwrap();
    b.sync(&tb).await.unwrap();
    a.sync(&ta).await.unwrap();
    b.sync(&tb).await.unwrap();
    // Own records' receipts (from Append) and the other's (from Pull).
    assert!(all_receipts_verify(&a, &key) >= 4);
    assert_eq!(all_receipts_verify(&b, &key), all_receipts_verify(&a, &key));

    // A pulled receipt with a flipped byte: refused, nothing kept.
    a.add_entry(fields("second", "three")).unwrap();
    a.sync(&ta).await.unwrap();
    let before = snapshot(&b);
    tb.set(Tamper::FlipReceipt(0));
    let err = b.sync(&tb).await.unwrap_err();
    assert!(is_bad_receipt(&err), "{err:?}");
    assert!(err.to_string().contains("hostile"));
    assert_eq!(snapshot(&b), before);

    // A flipped receipt in an Append answer: refused, not acknowledged locally;
    // the honest retry gets the original receipt back.
    tb.set(Tamper::None);
    b.sync(&tb).await.unwrap();
    b.add_entry(fields("b again", "four")).unwrap();
    let before = snapshot(&b);
    tb.set(Tamper::FlipAppendReceipt);
    let err = b.sync(&tb).await.unwrap_err();
    assert!(is_bad_receipt(&err), "{err:?}");
    assert_eq!(snapshot(&b).sync_state, before.sync_state);
    assert_eq!(snapshot(&b).receipts, before.receipts);
    tb.set(Tamper::None);
    b.sync(&tb).await.unwrap();
    all_receipts_verify(&b, &key);
    a.sync(&ta).await.unwrap();
    assert_eq!(
        a.store().receipts(),
        b.store().receipts(),
        "both devices hold the same receipts for every record"
    );
}

#[tokio::test]
async fn a_swapped_server_key_on_first_sync_is_caught_by_the_receipts() {
    let server = TestServer::start().await;
    let (mut a, ta) = new_account_device(&server).await;
    a.sync(&ta).await.unwrap();
    let tb = HostileTransport::new(server.transport().await);
    tb.set(Tamper::WrongServerKey);
    let (ra, rb) = pair_over(&server, &mut a, &ta, &tb, "phone").await;
    ra.unwrap();
    // The joining device's first sync pins the swapped key, and the first real
    // receipt it pulls does not verify under it.
    let err = rb.expect_err("the join's first sync must fail");
    assert!(
        matches!(&err, PairingFlowError::Device(e) if is_bad_receipt(e)),
        "{err:?}"
    );
}
