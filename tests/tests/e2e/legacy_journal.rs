#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! A journal written before the trust rules of issue 10 (random account id, a kit
//! not bound to its account, record format 1, plain receipts, a server backup of
//! format 1) still opens, syncs with today's server, and recovers with its old kit.
//! The fixture was written by the binaries of that time; see its README.

use std::path::PathBuf;

use mycase_core::crypto::passphrase::KdfParams;
use mycase_core::keys::{KitAccount, RecoveryKit};
use mycase_core::store::LocalStore;
use mycase_core::Device;
use mycase_tests::{fields, TestServer};

const PASSPHRASE: &[u8] = b"legacy journal passphrase";
const KIT: &str = "KZF2-ODXY-TCPD-IPVH-KH2G-HIAD-UGNI-ZNYK-TCXN-VLIK-UPYG-SXHW-SY6O-LYI";

fn fixture() -> PathBuf {
    mycase_tests::vectors::fixtures_dir().join("journal-2026-11")
}

fn texts<S: LocalStore>(d: &Device<S>) -> Vec<String> {
    let mut t: Vec<String> = d.journal().entries().into_iter().map(|e| e.text).collect();
    t.sort();
    t
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_from_before_the_trust_rules_opens_syncs_and_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("laptop");
    mycase_tests::vectors::copy_dir(&fixture().join("home"), &home);

    // It opens, with every entry and the amendment, and nothing refused.
    let mut laptop = Device::open(&home, PASSPHRASE).unwrap();
    let expected = vec![
        "He shouted and kicked the door for ten minutes, then left.".to_string(),
        "Twelve messages overnight.".to_string(),
        "Written offline before the upgrade.".to_string(),
    ];
    assert_eq!(texts(&laptop), expected);
    assert!(laptop.rejections().is_empty());
    assert!(
        laptop.recovery_public_key().is_some(),
        "the founding key counts"
    );

    // Its server's backup restores into today's server (with that server's receipt
    // key), and the laptop syncs with it: the entry it never sent goes up.
    let mut server = TestServer::start().await;
    server.stop().await;
    mycase_server::operator::backup::restore(
        &fixture().join("server-backup.bin"),
        server.data_dir(),
        16 << 20,
    )
    .unwrap();
    std::fs::copy(
        fixture().join("server-key"),
        server.data_dir().join("server-key"),
    )
    .unwrap();
    server.start_again().await;
    let t = server.transport().await;
    let report = laptop.sync(&t).await.unwrap();
    assert_eq!(report.pushed, 1, "{report:?}");
    assert!(report.quarantined.is_empty(), "{report:?}");
    laptop
        .add_entry(fields("after", "written after the upgrade"))
        .unwrap();
    laptop.sync(&t).await.unwrap();

    // Its kit, from before kits were bound to their account, still recovers it.
    let kit = RecoveryKit::parse(KIT).unwrap();
    assert_eq!(kit.account(), KitAccount::Legacy);
    let tr = server.transport().await;
    let (back, _) = Device::recover(
        &dir.path().join("recovered"),
        b"new pass",
        KdfParams::MINIMUM,
        &tr,
        &kit,
        server.setup("recovered"),
    )
    .await
    .unwrap();
    let mut all = expected;
    all.push("written after the upgrade".to_string());
    all.sort();
    assert_eq!(texts(&back), all);
    assert!(back.quarantined().is_empty(), "{:?}", back.quarantined());

    // And renewing it gives a kit bound to the account.
    let renewed = laptop.renew_recovery_kit(&t, &kit).await.unwrap();
    assert_eq!(renewed.account(), KitAccount::Bound(*laptop.account_id()));
    server.stop().await;
}
