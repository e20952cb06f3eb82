#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The charity's backup and the survivor's erasure with real client devices:
//! a backup taken while devices sync restores to a server that serves them the
//! same journal and attachment; an account deleted from one device is gone for
//! its other device (told "deleted") and from a later restore of an older backup.

use std::io::Write;
use std::path::Path;

use mycase_server::operator::{admin, backup};
use mycase_tests::{fields, new_account_device, pair_device, TestServer};

async fn backup_running(data_dir: &Path, out: &Path) {
    let mut client = admin::connect(&data_dir.join(admin::SOCKET_NAME))
        .await
        .unwrap();
    let mut stream = client
        .backup(mycase_proto::v1::BackupRequest {})
        .await
        .unwrap()
        .into_inner();
    let mut file = std::fs::File::create(out).unwrap();
    while let Some(piece) = stream.message().await.unwrap() {
        file.write_all(&piece.data).unwrap();
    }
    file.sync_all().unwrap();
    backup::verify(out).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restored_server_serves_the_same_journal_and_forgets_erased_accounts() {
    let mut server = TestServer::start().await;
    let (mut a, ta) = new_account_device(&server).await;
    let entry = a
        .add_entry(fields("shouting", "he shouted in the kitchen"))
        .unwrap();
    let files = tempfile::tempdir().unwrap();
    let evidence = files.path().join("photo.jpg");
    let photo: Vec<u8> = (0..1_500_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&evidence, &photo).unwrap();
    a.attach_file(&ta, entry, &evidence, |_, _| {})
        .await
        .unwrap();
    a.sync(&ta).await.unwrap();
    let (mut b, tb) = pair_device(&server, &mut a, &ta, "phone").await;
    b.add_entry(fields("phone", "he took my phone")).unwrap();
    b.sync(&tb).await.unwrap();
    a.sync(&ta).await.unwrap();
    assert_eq!(a.journal().entries(), b.journal().entries());

    // Another survivor's account, erased after the backup.
    let (mut other, t_other) = new_account_device(&server).await;
    other.add_entry(fields("x", "another journal")).unwrap();
    other.sync(&t_other).await.unwrap();

    let backups = tempfile::tempdir().unwrap();
    let file = backups.path().join("mycase.backup");
    backup_running(server.data_dir(), &file).await;

    other.delete_account(&t_other).await.unwrap();
    server.stop().await;
    let erased = backup::restore(&file, server.data_dir(), 16 << 20).unwrap();
    assert_eq!(erased, 1);
    server.start_again().await;

    // Both devices carry on over their old connections: same journal, the
    // attachment downloads byte for byte, and new writes flow both ways.
    let ra = a.sync(&ta).await.unwrap();
    assert_eq!(ra.pulled, 0);
    b.sync(&tb).await.unwrap();
    assert_eq!(a.journal().entries(), b.journal().entries());
    let out = tempfile::tempdir().unwrap();
    let got = b
        .get_attachment(&tb, entry, "photo.jpg", out.path(), |_, _| {})
        .await
        .unwrap();
    assert!(std::fs::read(got).unwrap() == photo);
    let after = a
        .add_entry(fields("after", "written after the restore"))
        .unwrap();
    a.sync(&ta).await.unwrap();
    let rb = b.sync(&tb).await.unwrap();
    assert!(rb.pulled >= 1);
    assert!(b.journal().entry(&after).is_some());

    // The erased account stays erased, and its device is told so.
    let err = other.sync(&t_other).await.unwrap_err();
    assert!(err.is_account_deleted(), "{err}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_the_account_from_one_device_tells_the_other() {
    let server = TestServer::start().await;
    let (mut a, ta) = new_account_device(&server).await;
    a.add_entry(fields("e", "an entry")).unwrap();
    a.sync(&ta).await.unwrap();
    let (mut b, tb) = pair_device(&server, &mut a, &ta, "phone").await;
    b.sync(&tb).await.unwrap();

    a.delete_account(&ta).await.unwrap();
    // B's session is gone; its sync re-authenticates and hears why.
    let err = b.sync(&tb).await.unwrap_err();
    assert!(err.is_account_deleted(), "{err}");
    // A cannot come back either.
    assert!(a.sync(&ta).await.unwrap_err().is_account_deleted());
}
