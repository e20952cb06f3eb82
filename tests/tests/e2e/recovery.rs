#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Recovery through a real server: a new device with only the recovery kit gets
//! the whole journal back, the old device accepts what it writes, and a wrong kit
//! fails cleanly without setting anything up.

use mycase_core::crypto::passphrase::KdfParams;
use mycase_core::is_initialised;
use mycase_core::keys::RecoveryKit;
use mycase_core::store::memory::MemoryStore;
use mycase_core::{Device, RecoverError};
use mycase_tests::{fields, text, TestServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recover_with_the_kit_then_both_devices_agree() {
    let server = TestServer::start().await;
    let ta = server.transport().await;
    let (mut a, kit) = Device::create_in(MemoryStore::new(), server.setup("laptop")).unwrap();
    a.register(&ta, &kit, None).await.unwrap();
    let e1 = a.add_entry(fields("shouting", "he shouted at me")).unwrap();
    a.add_entry(fields("phone", "he took my phone")).unwrap();
    a.amend_entry(e1, text("he shouted at me in the kitchen"))
        .unwrap();
    a.sync(&ta).await.unwrap();
    assert!(a.recovery_public_key().is_some());

    // A new device with the kit written down (typed back in).
    let typed = RecoveryKit::parse(&kit.to_display()).unwrap();
    let home = tempfile::tempdir().unwrap();
    let home = home.path().join("mycase");
    let tb = server.transport().await;
    let (mut b, report) = Device::recover(
        &home,
        b"new passphrase",
        KdfParams::MINIMUM,
        &tb,
        &typed,
        server.setup("new phone"),
    )
    .await
    .unwrap();
    assert!(report.pulled >= 4, "{report:?}");
    assert_eq!(a.journal().entries(), b.journal().entries());
    assert_eq!(b.account_id(), a.account_id());

    // B writes; A accepts B's records (B vouched for itself with the kit).
    let e3 = b.add_entry(fields("follow", "he followed me")).unwrap();
    b.amend_entry(e1, text("amended on the recovered device"))
        .unwrap();
    b.sync(&tb).await.unwrap();
    a.sync(&ta).await.unwrap();
    assert!(a.journal().entry(&e3).is_some());
    assert_eq!(a.journal().entries(), b.journal().entries());
    assert_eq!(a.journal().devices().len(), 2);
    drop(b);

    // The recovered device opens again from disk with its new passphrase.
    let b = Device::open(&home, b"new passphrase").unwrap();
    assert_eq!(a.journal().entries(), b.journal().entries());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_kit_fails_cleanly() {
    let server = TestServer::start().await;
    let ta = server.transport().await;
    let (a, kit) = Device::create_in(MemoryStore::new(), server.setup("laptop")).unwrap();
    a.register(&ta, &kit, None).await.unwrap();

    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("mycase");
    let tb = server.transport().await;
    let err = Device::recover(
        &home,
        b"pass",
        KdfParams::MINIMUM,
        &tb,
        &RecoveryKit::generate(),
        server.setup("phone"),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, RecoverError::RecoveryRefused), "{err:?}");
    assert!(!is_initialised(&home));
    assert!(!home.exists(), "nothing was created");
}
