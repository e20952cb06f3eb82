#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Issue 10, attack 14: a pull is never buffered without bound, and a server that
//! strips receipts is noticed.

use mycase_tests::{fields, pair_device, HostileTransport, Tamper, TestServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_pull_is_applied_in_bounded_rounds() {
    let mut server = TestServer::start().await;
    let (mut a, ta) = mycase_tests::new_account_device(&server).await;
    a.sync(&ta).await.unwrap();
    let (mut b, tb) = pair_device(&server, &mut a, &ta, "phone").await;
    // Many small batches (each signed), so a small buffer can end on a signature.
    for i in 0..60 {
        a.add_entry(fields(&format!("entry {i}"), "some text"))
            .unwrap();
    }
    a.sync(&ta).await.unwrap();
    // A buffer smaller than one record: each round takes what it must, and grows
    // when nothing it holds ends on a signature, so the sync still finishes.
    b.limit_pull_buffer(64);
    let report = b.sync(&tb).await.unwrap();
    assert!(report.quarantined.is_empty(), "{report:?}");
    assert_eq!(report.held_back, 0);
    assert_eq!(b.journal().entries(), a.journal().entries());
    assert_eq!(b.journal().entries().len(), 60);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_pulled_without_receipts_are_counted() {
    let mut server = TestServer::start().await;
    let (mut a, ta) = mycase_tests::new_account_device(&server).await;
    a.sync(&ta).await.unwrap();
    let (mut b, _tb) = pair_device(&server, &mut a, &ta, "phone").await;
    a.add_entry(fields("x", "y")).unwrap();
    a.add_entry(fields("z", "w")).unwrap();
    a.sync(&ta).await.unwrap();
    let hostile = HostileTransport::new(server.transport().await);
    hostile.set(Tamper::StripReceipts);
    let report = b.sync(&hostile).await.unwrap();
    assert!(report.pulled >= 2);
    assert_eq!(report.without_receipt, report.pulled, "{report:?}");
    // And no receipt was kept for them, so an export names them.
    let a_id = *a.device_id();
    use mycase_core::store::LocalStore;
    let last = b.store().log(&a_id).last().unwrap().idx;
    assert!(b.store().receipt(&a_id, last).is_none());
    server.stop().await;
}
