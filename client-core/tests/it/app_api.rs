//! The application API against a real server: set-up, unlock and lock, the kept
//! draft, the background sync and its events.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use mycase_core::app::{
    App, AppError, AppEvent, AppOptions, EntryInput, JoinJournal, NewJournal, RecoverJournal,
    SyncState,
};
use mycase_core::crypto::passphrase::KdfParams;
use mycase_tests::leaks;
use mycase_tests::server::TestServer;
use tokio::sync::broadcast;
use zeroize::Zeroizing;

const PASS: &str = "correct horse battery staple";

fn options() -> AppOptions {
    AppOptions {
        kdf_params: KdfParams::MINIMUM,
    }
}

fn new_journal(server: &TestServer, name: &str) -> NewJournal {
    NewJournal {
        server_url: server.url().to_owned(),
        ca_cert_pem: Some(server.ca_pem().to_owned()),
        device_name: name.to_owned(),
        passphrase: Zeroizing::new(PASS.to_owned()),
        invite: None,
    }
}

fn entry(text: &str) -> EntryInput {
    EntryInput {
        title: "Kitchen".into(),
        text: text.into(),
        when: "2026-03-14 21:30".into(),
        categories: vec!["Threats".into()],
        ..EntryInput::default()
    }
}

/// Waits (bounded) for an event matching `want`, skipping others.
async fn next_matching(
    events: &mut broadcast::Receiver<AppEvent>,
    want: impl Fn(&AppEvent) -> bool,
) -> AppEvent {
    tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            match events.recv().await {
                Ok(e) if want(&e) => return e,
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => panic!("events closed"),
            }
        }
    })
    .await
    .expect("the event came")
}

#[tokio::test]
async fn create_lock_unlock_and_wrong_passphrases() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let app = App::open_with(&home, options()).unwrap();
    assert!(!app.status().set_up);
    assert!(matches!(app.unlock(PASS).await, Err(AppError::NotSetUp)));

    let created = app
        .create_journal(new_journal(&server, "laptop"))
        .await
        .unwrap();
    assert_eq!(created.first_sync_problem, None);
    assert!(!format!("{created:?}").contains(created.recovery_kit.as_str()));
    let status = app.status();
    assert!(status.set_up && status.unlocked);
    assert_eq!(status.device_name.as_deref(), Some("laptop"));
    // A second set-up in the same home changes nothing.
    assert!(matches!(
        app.create_journal(new_journal(&server, "again")).await,
        Err(AppError::AlreadySetUp)
    ));

    let id = app.add_entry(entry("he shouted")).await.unwrap();
    app.lock().await;
    assert!(!app.is_unlocked());
    assert!(matches!(app.entries().await, Err(AppError::Locked)));
    assert!(matches!(
        app.add_entry(entry("x")).await,
        Err(AppError::Locked)
    ));

    // Wrong tries: free at first, then slowed; the right one is refused while
    // the delay runs and accepted after.
    for _ in 0..2 {
        assert!(matches!(
            app.unlock("wrong").await,
            Err(AppError::WrongPassphrase { wait_secs: 0 })
        ));
    }
    let third = app.unlock("wrong").await;
    assert!(
        matches!(third, Err(AppError::WrongPassphrase { wait_secs }) if wait_secs > 0),
        "{third:?}"
    );
    assert!(matches!(
        app.unlock(PASS).await,
        Err(AppError::TryLater { .. })
    ));
    assert!(!app.is_unlocked());
    // The delay passing, without waiting for it: the attempts file ("count
    // last-failure-ms") is moved back by more than the delay.
    let attempts = home.join("attempts");
    let text = std::fs::read_to_string(&attempts).unwrap();
    let (count, at) = text.trim().split_once(' ').unwrap();
    let earlier = at.parse::<i64>().unwrap() - 2_000;
    std::fs::write(&attempts, format!("{count} {earlier}\n")).unwrap();
    app.unlock(PASS).await.unwrap();
    let entries = app.entries().await.unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].id, id);
    assert_eq!(entries[0].when.as_deref(), Some("Sat 14 March 2026, 21:30"));
}

#[tokio::test]
async fn bad_input_is_refused_and_nothing_is_made() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let app = App::open_with(&home, options()).unwrap();
    let mut bad_url = new_journal(&server, "laptop");
    bad_url.server_url = "http://127.0.0.1:1".into();
    assert!(app.create_journal(bad_url).await.is_err());
    let mut empty = new_journal(&server, "laptop");
    empty.passphrase = Zeroizing::new(String::new());
    assert!(matches!(
        app.create_journal(empty).await,
        Err(AppError::WeakPassphrase { .. })
    ));
    let mut no_name = new_journal(&server, "  ");
    no_name.device_name = "  ".into();
    assert!(matches!(
        app.create_journal(no_name).await,
        Err(AppError::InvalidInput { .. })
    ));
    let mut untrusted = new_journal(&server, "laptop");
    untrusted.ca_cert_pem = None;
    let e = app.create_journal(untrusted).await.unwrap_err();
    assert!(matches!(e, AppError::CertificateNotTrusted(_)), "{e:?}");
    assert!(!app.status().set_up);
    assert!(!home.join("keys").exists());

    app.create_journal(new_journal(&server, "laptop"))
        .await
        .unwrap();
    for (input, field) in [
        (
            EntryInput {
                when: "2026-04-31".into(),
                ..entry("x")
            },
            "when",
        ),
        (
            EntryInput {
                categories: vec!["sad".into()],
                ..entry("x")
            },
            "categories",
        ),
        (EntryInput::default(), "text"),
    ] {
        match app.add_entry(input).await {
            Err(AppError::InvalidInput { field: Some(f), .. }) => assert_eq!(f, field),
            other => panic!("{other:?}"),
        }
    }
    assert!(app.entries().await.unwrap().is_empty());
    assert!(matches!(
        app.set_idle_lock_minutes(0),
        Err(AppError::InvalidInput { .. })
    ));
    app.set_idle_lock_minutes(12).unwrap();
    assert_eq!(app.idle_lock_minutes(), 12);
}

#[tokio::test]
async fn a_draft_survives_a_lock_sealed() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let app = App::open_with(&home, options()).unwrap();
    app.create_journal(new_journal(&server, "laptop"))
        .await
        .unwrap();
    let marker = leaks::marker(24);
    app.save_draft(format!("text={marker}").as_bytes())
        .await
        .unwrap();
    app.lock().await;
    assert!(matches!(app.draft().await, Err(AppError::Locked)));
    assert!(matches!(app.save_draft(b"x").await, Err(AppError::Locked)));
    for file in leaks::files_under(&home) {
        let bytes = std::fs::read(&file).unwrap();
        assert!(
            !leaks::contains(&bytes, marker.as_bytes()),
            "{} holds the draft in plaintext",
            file.display()
        );
    }
    app.unlock(PASS).await.unwrap();
    let kept = app.draft().await.unwrap().unwrap();
    assert_eq!(kept.as_slice(), format!("text={marker}").as_bytes());
    app.discard_draft().unwrap();
    assert!(app.draft().await.unwrap().is_none());
    // A damaged draft is dropped, not an error the survivor is stuck with.
    std::fs::write(home.join("draft"), b"MCDRAFT1 damaged").unwrap();
    assert!(app.draft().await.unwrap().is_none());
    assert!(!home.join("draft").exists());
}

#[tokio::test]
async fn the_sync_service_brings_other_devices_changes_live() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let laptop = App::open_with(dir.path().join("laptop"), options()).unwrap();
    let created = laptop
        .create_journal(new_journal(&server, "laptop"))
        .await
        .unwrap();
    let phone = App::open_with(dir.path().join("phone"), options()).unwrap();
    phone
        .recover_journal(RecoverJournal {
            server_url: server.url().to_owned(),
            ca_cert_pem: Some(server.ca_pem().to_owned()),
            device_name: "phone".into(),
            recovery_kit: created.recovery_kit.clone(),
            passphrase: Zeroizing::new(PASS.to_owned()),
        })
        .await
        .unwrap();

    let mut events = laptop.events();
    let _laptop_sync = laptop.start_sync();
    next_matching(
        &mut events,
        |e| matches!(e, AppEvent::Sync(s) if s.state == SyncState::UpToDate),
    )
    .await;
    // The recovered phone is a new device: the laptop says so once.
    let notices = laptop.notices();
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert!(notices[0].with_recovery_kit);

    let phone_sync = phone.start_sync();
    phone
        .add_entry(entry("written on the phone"))
        .await
        .unwrap();
    next_matching(&mut events, |e| {
        matches!(e, AppEvent::JournalChanged { .. })
    })
    .await;
    let seen = laptop.entries().await.unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].title.as_deref(), Some("Kitchen"));

    // Locked, the laptop holds no device; unlocked again, it catches up.
    laptop.lock().await;
    phone.add_entry(entry("second")).await.unwrap();
    let mut phone_events = phone.events();
    next_matching(&mut phone_events, |e| {
        matches!(e, AppEvent::Sync(s) if s.state == SyncState::UpToDate && s.pending_upload == 0)
    })
    .await;
    laptop.unlock(PASS).await.unwrap();
    next_matching(&mut events, |e| {
        matches!(e, AppEvent::JournalChanged { .. })
    })
    .await;
    assert_eq!(laptop.entries().await.unwrap().len(), 2);
    phone_sync.stop().await;
}

#[tokio::test]
async fn offline_work_is_kept_and_sent_when_the_server_returns() {
    let mut server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let app = App::open_with(dir.path().join("home"), options()).unwrap();
    app.create_journal(new_journal(&server, "laptop"))
        .await
        .unwrap();
    server.stop().await;
    let mut events = app.events();
    let sync = app.start_sync();
    next_matching(
        &mut events,
        |e| matches!(e, AppEvent::Sync(s) if s.state == SyncState::Offline),
    )
    .await;
    app.add_entry(entry("while offline")).await.unwrap();
    assert_eq!(app.entries().await.unwrap().len(), 1);
    assert_eq!(app.status().sync.pending_upload, 1);
    server.start_again().await;
    next_matching(&mut events, |e| {
        matches!(e, AppEvent::Sync(s) if s.state == SyncState::UpToDate && s.pending_upload == 0)
    })
    .await;
    drop(sync);
}

#[tokio::test]
async fn a_wrong_pairing_code_is_a_typed_error_and_makes_nothing() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let app = App::open_with(&home, options()).unwrap();
    let e = app
        .join_journal(
            JoinJournal {
                server_url: server.url().to_owned(),
                ca_cert_pem: Some(server.ca_pem().to_owned()),
                device_name: "phone".into(),
                pairing_code: Zeroizing::new("not a code".into()),
                passphrase: Zeroizing::new(PASS.into()),
            },
            |_| {},
        )
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::PairingFailed { .. }), "{e:?}");
    let e = app
        .recover_journal(RecoverJournal {
            server_url: server.url().to_owned(),
            ca_cert_pem: Some(server.ca_pem().to_owned()),
            device_name: "phone".into(),
            recovery_kit: Zeroizing::new("abcd-efgh".into()),
            passphrase: Zeroizing::new(PASS.into()),
        })
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::RecoveryFailed { .. }), "{e:?}");
    assert!(!home.join("keys").exists());
}

#[tokio::test]
async fn a_connected_session_does_not_sign_in_at_every_change() {
    // Three sign-ins a minute for the account: one per round would run out.
    let server = TestServer::start_with(|config| config.rate_limits.auth_per_account = 3).await;
    let dir = tempfile::tempdir().unwrap();
    let app = App::open_with(dir.path().join("home"), options()).unwrap();
    app.create_journal(new_journal(&server, "laptop"))
        .await
        .unwrap();
    let mut events = app.events();
    let _sync = app.start_sync();
    next_matching(
        &mut events,
        |e| matches!(e, AppEvent::Sync(s) if s.state == SyncState::UpToDate),
    )
    .await;
    for i in 0..8 {
        app.add_entry(entry(&format!("change {i}"))).await.unwrap();
        next_matching(&mut events, |e| {
            matches!(e, AppEvent::Sync(s) if s.state == SyncState::UpToDate && s.pending_upload == 0)
        })
        .await;
    }
    assert_eq!(app.status().sync.problem, None);
}

/// The platform-keystore path: the key file's wrapping key unlocks without the
/// passphrase; a wrong or stale key is refused as its own kind, is not counted as
/// a wrong passphrase, and leaves the journal as it was.
#[tokio::test]
async fn the_key_file_key_unlocks_and_a_stale_one_is_refused() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let app = App::open_with(dir.path().join("home"), options()).unwrap();
    assert!(matches!(
        app.key_file_wrapping_key().await,
        Err(AppError::Locked)
    ));
    app.create_journal(new_journal(&server, "phone"))
        .await
        .unwrap();
    let id = app.add_entry(entry("kept")).await.unwrap();
    let key = app.key_file_wrapping_key().await.unwrap();
    assert_eq!(key.len(), 32);
    app.lock().await;

    app.unlock_with_key(&key).await.unwrap();
    assert_eq!(app.entry(&id).await.unwrap().text, "kept");
    app.lock().await;

    // An attacker's guesses: any other key, or the wrong length.
    for bad in [vec![0u8; 32], key[..31].to_vec(), Vec::new()] {
        assert!(matches!(
            app.unlock_with_key(&bad).await,
            Err(AppError::KeyNotAccepted)
        ));
        assert!(!app.is_unlocked());
    }
    // None of that counted against the passphrase.
    app.unlock(PASS).await.unwrap();

    // A new passphrase seals the file under a new key: the old one is stale.
    app.change_passphrase(PASS, "a whole new passphrase here", true)
        .await
        .unwrap();
    let fresh = app.key_file_wrapping_key().await.unwrap();
    assert_ne!(fresh.as_slice(), key.as_slice());
    app.lock().await;
    assert!(matches!(
        app.unlock_with_key(&key).await,
        Err(AppError::KeyNotAccepted)
    ));
    app.unlock_with_key(&fresh).await.unwrap();
    assert_eq!(app.entry(&id).await.unwrap().text, "kept");
}
