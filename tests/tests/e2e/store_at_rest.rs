#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Issue 10, attack 13 (the device's store): someone who copies the device home
//! without the passphrase must not read from `store/receipts` when the survivor
//! was active (the server's time of each record), which devices wrote, or the
//! server's signatures. The receipts stay sealed across a passphrase change that
//! moves the home to new keys, and a copy of the old key file no longer opens them.

use mycase_core::crypto::passphrase::KdfParams;
use mycase_core::key_file_path;
use mycase_core::keyfile::UnlockedKeyFile;
use mycase_core::store::file::FileStore;
use mycase_core::store::{LocalStore, StoreError, StoreKey, StoredReceipt};
use mycase_core::Device;
use mycase_tests::{contains, fields, pair_device, TestServer};

type Kept = Vec<(([u8; 16], u64), StoredReceipt)>;

fn kept<S: LocalStore>(d: &Device<S>) -> Kept {
    d.store().receipts().iter().map(|(p, r)| (*p, *r)).collect()
}

/// Looks in the bytes of the home's receipts file for every server time (as
/// milliseconds and seconds, either byte order), device id and signature.
fn assert_receipts_file_reveals_nothing(home: &std::path::Path, kept: &Kept) {
    let bytes = std::fs::read(home.join("store").join("receipts")).unwrap();
    assert!(bytes.starts_with(mycase_core::store::SEALED_RECEIPTS_MAGIC));
    for ((device, idx), r) in kept {
        let ms = r.server_time_ms;
        for needle in [
            &ms.to_be_bytes()[2..],
            &ms.to_le_bytes()[..6],
            &(ms / 1000).to_be_bytes()[4..],
            &(ms / 1000).to_le_bytes()[..4],
        ] {
            assert!(
                !contains(&bytes, needle),
                "the server time of a record (idx {idx}) is readable in store/receipts"
            );
        }
        assert!(
            !contains(&bytes, device),
            "a device id is readable in store/receipts"
        );
        assert!(
            !contains(&bytes, &r.signature[..16]),
            "a receipt signature is readable in store/receipts"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_of_the_home_shows_no_receipt_times_ids_or_signatures() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("laptop");
    let started_ms = chrono::Utc::now().timestamp_millis() as u64;
    let (mut laptop, kit) = Device::create(
        &home,
        b"old pass",
        KdfParams::MINIMUM,
        server.setup("laptop"),
    )
    .unwrap();
    let tl = server.transport().await;
    laptop.register(&tl, &kit, None).await.unwrap();
    for i in 0..3 {
        laptop
            .add_entry(fields(&format!("entry {i}"), "written on the laptop"))
            .unwrap();
        laptop.sync(&tl).await.unwrap();
    }
    let (mut phone, tp) = pair_device(&server, &mut laptop, &tl, "phone").await;
    phone.add_entry(fields("from the phone", "text")).unwrap();
    phone.sync(&tp).await.unwrap();
    laptop.sync(&tl).await.unwrap();

    // The laptop holds the server's receipts for its own records and the phone's:
    // the times a thief would want, all known here.
    let before = kept(&laptop);
    let phone_id = *phone.device_id();
    assert!(before.iter().any(|((d, _), _)| d == &phone_id));
    assert!(before.iter().any(|((d, _), _)| d == laptop.device_id()));
    let now_ms = chrono::Utc::now().timestamp_millis() as u64;
    assert!(before
        .iter()
        .all(|(_, r)| (started_ms - 1000..=now_ms + 1000).contains(&r.server_time_ms)));
    assert_receipts_file_reveals_nothing(&home, &before);

    // A passphrase change moves the home to new keys (a new device id): the
    // receipts move to the new store key with it.
    let copied_key_file = std::fs::read(key_file_path(&home)).unwrap();
    let moved = laptop
        .change_passphrase_and_keys(&tl, b"new pass", KdfParams::MINIMUM)
        .await
        .unwrap();
    laptop
        .add_entry(fields("after", "after the change"))
        .unwrap();
    laptop.sync(&tl).await.unwrap();
    let after = kept(&laptop);
    assert!(after.len() > before.len());
    assert!(after.iter().any(|((d, _), _)| d == &moved.device_id));
    drop(laptop);
    assert_receipts_file_reveals_nothing(&home, &after);

    // Unlocked again with the new passphrase: every receipt is still there.
    let laptop = Device::unlock(&home, b"new pass").unwrap();
    assert_eq!(kept(&laptop), after);
    drop(laptop);

    // The old key file and the old passphrase (an abuser's copy) give the old
    // store key, which opens nothing: a clear refusal, nothing changed.
    let (_, old_secrets) = UnlockedKeyFile::open(&copied_key_file, b"old pass").unwrap();
    let receipts_before = std::fs::read(home.join("store/receipts")).unwrap();
    let err = FileStore::open(
        &home.join("store"),
        &StoreKey::for_device(&old_secrets.keys),
    )
    .unwrap_err();
    assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");
    assert!(
        err.to_string()
            .contains("does not open with this device's key"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(home.join("store/receipts")).unwrap(),
        receipts_before
    );
}
