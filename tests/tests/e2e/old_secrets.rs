#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Issue 10, attack 9: old secrets. A copy of the key file (a backup, freed disk
//! blocks) with the old passphrase must open nothing written after a passphrase
//! change, and a wiped device's copy must not sign in again.

use mycase_core::crypto::passphrase::KdfParams;
use mycase_core::key_file_path;
use mycase_core::keyfile::UnlockedKeyFile;
use mycase_core::store::memory::MemoryStore;
use mycase_core::store::LocalStore;
use mycase_core::{Device, DeviceError, Refused};
use mycase_tests::{fields, pair_device, TestServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_passphrase_change_leaves_old_key_file_copies_worthless() {
    let mut server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("laptop");
    let (mut laptop, kit) = Device::create(
        &home,
        b"old pass",
        KdfParams::MINIMUM,
        server.setup("laptop"),
    )
    .unwrap();
    let tl = server.transport().await;
    laptop.register(&tl, &kit, None).await.unwrap();
    laptop
        .add_entry(fields("before", "written before"))
        .unwrap();
    laptop.sync(&tl).await.unwrap();
    let (mut phone, tp) = pair_device(&server, &mut laptop, &tl, "phone").await;
    phone.sync(&tp).await.unwrap();

    // What an abuser keeps: a copy of the key file, and the old passphrase.
    let copied = std::fs::read(key_file_path(&home)).unwrap();
    let old_id = *laptop.device_id();
    let old_epoch = laptop.current_key_epoch().unwrap();

    let moved = laptop
        .change_passphrase_and_keys(&tl, b"new pass", KdfParams::MINIMUM)
        .await
        .unwrap();
    assert_eq!(moved.old_device_id, old_id);
    assert_ne!(moved.device_id, old_id);
    assert_eq!(laptop.device_id(), &moved.device_id);
    assert_ne!(moved.key_epoch, old_epoch);
    let after = laptop
        .add_entry(fields("after", "written after the change"))
        .unwrap();
    laptop.sync(&tl).await.unwrap();
    phone.sync(&tp).await.unwrap();
    // The phone trusts the successor, reads it, and moved to the new epoch too.
    assert!(phone.journal().entry(&after).is_some());
    assert_eq!(phone.current_key_epoch().unwrap(), moved.key_epoch);
    let retired = &phone.journal().revocations()[&old_id];
    assert!(retired.is_retirement(&old_id));
    assert!(!phone.needs_rotation());

    // The copy still opens with the old passphrase (it is a copy), but it holds
    // no key for anything written now, and the server no longer lets it in.
    let (_, secrets) = UnlockedKeyFile::open(&copied, b"old pass").unwrap();
    assert!(secrets.keyring.get(moved.key_epoch).is_err());
    let record = laptop
        .store()
        .log(laptop.device_id())
        .last()
        .unwrap()
        .clone();
    assert_eq!(record.key_epoch, moved.key_epoch);
    assert!(
        mycase_core::record::open_record(laptop.account_id(), &secrets.keyring, &record).is_err()
    );
    let old_copy = Device::from_parts(secrets, MemoryStore::new()).unwrap();
    let t_copy = server.transport().await;
    let refused = old_copy.authenticate(&t_copy).await.unwrap_err();
    assert!(
        matches!(refused, DeviceError::Refused(Refused::Revoked { .. })),
        "{refused:?}"
    );

    // The home opens with the new passphrase only.
    drop(laptop);
    assert!(Device::open(&home, b"old pass").is_err());
    let reopened = Device::open(&home, b"new pass").unwrap();
    assert_eq!(reopened.device_id(), &moved.device_id);
    assert!(reopened.journal().entry(&after).is_some());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_wiped_online_retires_and_its_copy_cannot_come_back() {
    let mut server = TestServer::start().await;
    let (mut laptop, tl) = mycase_tests::new_account_device(&server).await;
    laptop.sync(&tl).await.unwrap();
    let (mut phone, tp) = pair_device(&server, &mut laptop, &tl, "phone").await;
    phone
        .add_entry(fields("last", "written just before the wipe"))
        .unwrap();
    let phone_id = *phone.device_id();

    phone.retire(&tp).await.unwrap();
    laptop.sync(&tl).await.unwrap();
    // What it wrote reached the laptop; its retirement is signed and in its log;
    // the laptop moved to keys the phone never had.
    assert!(laptop
        .journal()
        .entries()
        .iter()
        .any(|e| e.text == "written just before the wipe"));
    let r = &laptop.journal().revocations()[&phone_id];
    assert!(r.is_retirement(&phone_id));
    let rotation = laptop
        .journal()
        .rotations()
        .into_iter()
        .rfind(|r| r.counts())
        .unwrap();
    assert_eq!(
        rotation.rotated.key_epoch,
        laptop.current_key_epoch().unwrap()
    );
    assert!(rotation
        .rotated
        .sealed_keys
        .iter()
        .all(|s| s.device_id != phone_id.to_vec()));
    // The phone's keys (as a copy of it would hold them) are refused, on the
    // phone's own signed statement.
    let err = phone.sync(&tp).await.unwrap_err();
    assert!(
        matches!(err, DeviceError::Refused(Refused::Revoked { by }) if by == phone_id),
        "{err:?}"
    );
    server.stop().await;
}
