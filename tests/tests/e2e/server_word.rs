#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Issue 10, attack 3: the server's word alone never erases a device.
//!
//! A revocation or an account deletion takes effect only on a statement signed by
//! a device the refused device already trusts, which it checks itself; even then,
//! what exists only on that device is sealed for the recovery kit, and recovering
//! into the same home brings it back.

use mycase_core::crypto::passphrase::KdfParams;
use mycase_core::key_file_path;
use mycase_core::keys::DeviceKeys;
use mycase_core::statement::{self, StatementKind};
use mycase_core::transport::TransportError;
use mycase_core::wipe_keeping_leftovers;
use mycase_core::{leftovers, Device, DeviceError, Refused};
use mycase_tests::{fields, pair_device, snapshot, TestServer};
use prost::Message;

fn refusal(code: tonic::Code, message: &str, details: Vec<u8>) -> TransportError {
    TransportError::from(tonic::Status::with_details(code, message, details.into()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bare_or_forged_refusal_erases_nothing() {
    let mut server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("laptop");
    let (mut laptop, kit) =
        Device::create(&home, b"pass", KdfParams::MINIMUM, server.setup("laptop")).unwrap();
    let tl = server.transport().await;
    laptop.register(&tl, &kit, None).await.unwrap();
    laptop.sync(&tl).await.unwrap();
    let (mut phone, tp) = pair_device(&server, &mut laptop, &tl, "phone").await;
    phone.sync(&tp).await.unwrap();
    laptop
        .add_entry(fields("unsent", "only on the laptop"))
        .unwrap();
    let before = snapshot(&laptop);
    let (account, me, phone_id) = (
        *laptop.account_id(),
        *laptop.device_id(),
        *phone.device_id(),
    );

    let abuser = DeviceKeys::generate();
    let about_someone_else = statement::sign(
        &abuser,
        StatementKind::DeviceRevoked,
        &account,
        Some(&[9; 16]),
        &phone_id,
    );
    let forged_as_phone = statement::sign(
        &abuser,
        StatementKind::DeviceRevoked,
        &account,
        Some(&me),
        &phone_id,
    );
    let genuine_elsewhere = statement::sign(
        &DeviceKeys::generate(),
        StatementKind::AccountDeleted,
        &[7; 16],
        None,
        &phone_id,
    );
    let revoked = mycase_proto::DEVICE_REVOKED;
    let deleted = mycase_proto::ACCOUNT_DELETED;
    let cases = [
        // A bare status, as any server (or anyone with its certificate) can send.
        refusal(tonic::Code::PermissionDenied, revoked, Vec::new()),
        refusal(tonic::Code::NotFound, deleted, Vec::new()),
        // Garbage, a statement about another device, one forged in the phone's
        // name, one from another account.
        refusal(tonic::Code::PermissionDenied, revoked, vec![0xff; 40]),
        refusal(
            tonic::Code::PermissionDenied,
            revoked,
            about_someone_else.encode_to_vec(),
        ),
        refusal(
            tonic::Code::PermissionDenied,
            revoked,
            forged_as_phone.encode_to_vec(),
        ),
        refusal(
            tonic::Code::NotFound,
            deleted,
            genuine_elsewhere.encode_to_vec(),
        ),
    ];
    for sent in cases {
        let judged = laptop.judge_refusal(DeviceError::from(sent.clone()));
        assert!(
            matches!(
                judged,
                DeviceError::Refused(Refused::RevocationUnproven(_))
                    | DeviceError::Refused(Refused::DeletionUnproven(_))
            ),
            "{sent:?} was taken as {judged:?}"
        );
        assert!(!judged.is_revoked() && !judged.is_account_deleted());
        assert!(judged
            .to_string()
            .contains("nothing on this device was erased"));
        // What the CLI does with it: nothing.
        assert!(!leftovers::path_in(&home).exists());
        assert_eq!(snapshot(&laptop), before);
    }
    // An account the server lost is not an order to wipe either.
    let lost = laptop.judge_refusal(DeviceError::from(refusal(
        tonic::Code::NotFound,
        mycase_proto::ACCOUNT_NOT_ON_SERVER,
        Vec::new(),
    )));
    assert!(
        matches!(lost, DeviceError::Refused(Refused::AccountNotOnServer)),
        "{lost:?}"
    );
    assert!(lost.to_string().contains("an export takes everything out"));
    assert!(key_file_path(&home).exists());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_revocation_keeps_what_was_unsent_for_the_kit() {
    let mut server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("laptop");
    let (mut laptop, kit) =
        Device::create(&home, b"pass", KdfParams::MINIMUM, server.setup("laptop")).unwrap();
    let tl = server.transport().await;
    laptop.register(&tl, &kit, None).await.unwrap();
    laptop.add_entry(fields("sent", "on the server")).unwrap();
    laptop.sync(&tl).await.unwrap();
    let (mut phone, tp) = pair_device(&server, &mut laptop, &tl, "phone").await;
    phone.sync(&tp).await.unwrap();

    // Written on the laptop while offline; then the phone revokes the laptop.
    let unsent = laptop
        .add_entry(fields("unsent", "written before the laptop was cut off"))
        .unwrap();
    let unsent_at = laptop.journal().entry(&unsent).unwrap().recorded_at_ms;
    let laptop_id = *laptop.device_id();
    phone.revoke_device(&tp, laptop_id).await.unwrap();

    let err = laptop.sync(&tl).await.unwrap_err();
    assert!(
        matches!(err, DeviceError::Refused(Refused::Revoked { by }) if by == *phone.device_id()),
        "{err:?}"
    );
    let kept = leftovers::path_in(&home);
    assert!(kept.exists());
    // The holder cannot read it: it is sealed to the kit, and holds no plaintext.
    let sealed = std::fs::read(&kept).unwrap();
    assert!(!mycase_tests::contains(&sealed, b"written before"));
    drop(laptop);
    wipe_keeping_leftovers(&home).unwrap();
    assert!(!key_file_path(&home).exists());
    let left: Vec<_> = std::fs::read_dir(&home).unwrap().flatten().collect();
    assert_eq!(left.len(), 1, "only the sealed file stays");

    // The survivor recovers into that home with the kit: the entry is back, with
    // the time it was first written, and the phone receives it.
    let tr = server.transport().await;
    let (mut back, _) = Device::recover(
        &home,
        b"new pass",
        KdfParams::MINIMUM,
        &tr,
        &kit,
        server.setup("laptop again"),
    )
    .await
    .unwrap();
    assert!(!kept.exists());
    let restored = back
        .journal()
        .entries()
        .into_iter()
        .find(|e| e.text == "written before the laptop was cut off")
        .expect("the unsent entry came back");
    assert_eq!(restored.recorded_at_ms, unsent_at);
    back.sync(&tr).await.unwrap();
    phone.sync(&tp).await.unwrap();
    assert!(phone
        .journal()
        .entries()
        .iter()
        .any(|e| e.text == "written before the laptop was cut off"));
    server.stop().await;
}
