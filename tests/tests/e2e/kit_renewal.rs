#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Issue 10, attacks 1 and 10: the recovery kit is bound to its journal, and
//! outlives the danger only until it is renewed.
//!
//! Tried as a new user would: a device set up from the kit (by someone who saw the
//! kit), revoked, then set up again from the same kit, must read nothing written
//! after its revocation. The survivor is told "a device was set up with your
//! recovery kit", renews the kit, and from then on the old kit opens nothing.

use mycase_core::crypto::passphrase::KdfParams;
use mycase_core::is_initialised;
use mycase_core::keys::{KitAccount, RecoveryKit};
use mycase_core::store::memory::MemoryStore;
use mycase_core::RenewError;
use mycase_core::{Device, RecoverError};
use mycase_tests::{fields, pair_device, TestServer};

async fn recover_into(
    server: &TestServer,
    dir: &tempfile::TempDir,
    name: &str,
    kit: &RecoveryKit,
) -> Result<Device<mycase_core::store::file::FileStore>, RecoverError> {
    let t = server.transport().await;
    Device::recover(
        &dir.path().join(name),
        b"pass",
        KdfParams::MINIMUM,
        &t,
        kit,
        server.setup(name),
    )
    .await
    .map(|(d, _)| d)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renewed_kit_retires_the_old_one_everywhere() {
    let mut server = TestServer::start().await;
    let ta = server.transport().await;
    let (mut laptop, kit) = Device::create_in(MemoryStore::new(), server.setup("laptop")).unwrap();
    // A journal's first kit says which account it opens, without the server.
    assert_eq!(kit.account(), KitAccount::Bound(*laptop.account_id()));
    laptop.register(&ta, &kit, None).await.unwrap();
    laptop
        .add_entry(fields("before", "written before"))
        .unwrap();
    laptop.sync(&ta).await.unwrap();
    assert!(laptop.take_new_device_notices().unwrap().is_empty());

    // Someone who saw the kit sets up a device with it.
    let dir = tempfile::tempdir().unwrap();
    let intruder = recover_into(&server, &dir, "intruder", &kit).await.unwrap();
    let intruder_id = *intruder.device_id();
    laptop.sync(&ta).await.unwrap();
    let notices = laptop.take_new_device_notices().unwrap();
    assert_eq!(notices.len(), 1);
    assert!(
        notices[0].recovery_certified,
        "the notice says the kit was used"
    );

    // The survivor revokes it and renews the kit (which needs the current kit).
    laptop.revoke_device(&ta, intruder_id).await.unwrap();
    let wrong = RecoveryKit::generate();
    assert!(matches!(
        laptop.renew_recovery_kit(&ta, &wrong).await,
        Err(RenewError::NotTheCurrentKit)
    ));
    let new_kit = laptop.renew_recovery_kit(&ta, &kit).await.unwrap();
    assert_eq!(laptop.recovery_public_key(), Some(new_kit.public_key()));
    assert_eq!(new_kit.account(), KitAccount::Bound(*laptop.account_id()));
    // The new kit, as written down, parses back to the same binding.
    let typed = RecoveryKit::parse(&new_kit.to_display()).unwrap();
    assert_eq!(typed.account(), new_kit.account());
    laptop
        .add_entry(fields("after", "written after the renewal"))
        .unwrap();
    laptop.sync(&ta).await.unwrap();
    // The old kit cannot renew again: it is no longer the current one.
    assert!(matches!(
        laptop.renew_recovery_kit(&ta, &kit).await,
        Err(RenewError::NotTheCurrentKit)
    ));

    // The old kit opens nothing any more: the server refuses it, nothing is set up.
    let err = recover_into(&server, &dir, "again", &kit)
        .await
        .unwrap_err();
    assert!(matches!(err, RecoverError::RecoveryRefused), "{err:?}");
    assert!(!is_initialised(&dir.path().join("again")));

    // The new kit brings everything back, what was written after the renewal too.
    let back = recover_into(&server, &dir, "new laptop", &typed)
        .await
        .unwrap();
    let texts: Vec<String> = back
        .journal()
        .entries()
        .into_iter()
        .map(|e| e.text)
        .collect();
    assert!(
        texts.contains(&"written after the renewal".to_string()),
        "{texts:?}"
    );
    assert!(texts.contains(&"written before".to_string()));
    assert_eq!(back.recovery_public_key(), Some(new_kit.public_key()));

    // A device paired afterwards learns the renewed key from the journal alone.
    let (phone, _) = pair_device(&server, &mut laptop, &ta, "phone").await;
    assert_eq!(phone.recovery_public_key(), Some(new_kit.public_key()));
    server.stop().await;
}
