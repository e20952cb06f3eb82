//! The application API's sharing, devices and account settings against a real
//! server: shares made, opened with the core's fetch, listed with their views
//! and revoked; pairing driven step by step through a `PairingSession` (a wrong
//! matching code adds nothing); revoking a device (which erases itself when it
//! next uses the app); passphrase change, kit renewal, wipe and account deletion.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use mycase_core::app::{
    parse_pairing_qr, App, AppError, AppEvent, AppOptions, EntryInput, ErasedReason, JoinJournal,
    NewJournal, PairingSession, RecoverJournal, ShareInput, ShareState, WithholdChoice,
};
use mycase_core::crypto::passphrase::KdfParams;
use mycase_core::share::{self, link};
use mycase_core::transport::grpc::GrpcTransport;
use mycase_core::{fetch_bundle, FetchError};
use mycase_tests::server::TestServer;
use tokio::sync::{broadcast, oneshot};
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

fn entry(title: &str) -> EntryInput {
    EntryInput {
        title: title.into(),
        text: "what happened".into(),
        when: "2026-03-14".into(),
        categories: vec![],
        ..EntryInput::default()
    }
}

/// A new journal on its first device, in `dir/name`; returns the app and the kit.
async fn laptop(server: &TestServer, dir: &tempfile::TempDir) -> (App, Zeroizing<String>) {
    let app = App::open_with(dir.path().join("laptop"), options()).unwrap();
    let created = app
        .create_journal(new_journal(server, "laptop"))
        .await
        .unwrap();
    (app, created.recovery_kit)
}

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

fn invalid_field<T: std::fmt::Debug>(result: Result<T, AppError>) -> String {
    match result {
        Err(AppError::InvalidInput { field: Some(f), .. }) => f,
        other => panic!("expected a field's error, got {other:?}"),
    }
}

/// Opens a share link as an advocate's client would (no device, only the link).
async fn open_link(
    server: &TestServer,
    text: &str,
    password: Option<&str>,
) -> Result<share::Opened, FetchError> {
    let link = link::parse(text).unwrap();
    let transport = GrpcTransport::connect(&link.server_url, Some(server.ca_pem()))
        .await
        .unwrap();
    let bundle = fetch_bundle(&transport, &link).await?;
    Ok(share::open_bundle(
        &link.share_id,
        &link.key,
        password.map(str::as_bytes),
        &bundle,
    )
    .unwrap())
}

#[tokio::test]
async fn words_withheld_from_a_share_never_reach_the_advocate() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (app, _kit) = laptop(&server, &dir).await;
    let id = app
        .add_entry(EntryInput {
            text: "He came to 12 Elm Road, Leeds and shouted.".into(),
            location: "12 Elm Road".into(),
            ..entry("At the refuge")
        })
        .await
        .unwrap();
    let withhold = |field: &str, words: Option<&str>| WithholdChoice {
        entry: id[..8].into(),
        field: field.into(),
        words: words.map(Into::into),
    };
    // Words that are not there, or a field that cannot be withheld: the
    // field's error, and no share made.
    for bad in [
        withhold("text", Some("Oak Road")),
        withhold("severity", None),
        withhold("impact", None),
    ] {
        let input = ShareInput {
            entry_ids: vec![id.clone()],
            withhold: vec![bad],
            ..Default::default()
        };
        assert_eq!(invalid_field(app.create_share(input).await), "withhold");
    }
    assert!(app.shares().await.unwrap().shares.is_empty());

    let made = app
        .create_share(ShareInput {
            entry_ids: vec![id.clone()],
            withhold: vec![
                withhold("text", Some("12 Elm Road")),
                withhold("where", None),
            ],
            ..Default::default()
        })
        .await
        .unwrap();
    let opened = open_link(&server, &made.link, None).await.unwrap();
    let shared = &opened.manifest.entries[0];
    assert_eq!(shared.text, "He came to [withheld] Leeds and shouted.");
    assert_eq!(shared.location.as_deref(), Some("[withheld]"));
    assert_eq!(shared.title.as_deref(), Some("At the refuge"));
    let changes: Vec<&str> = shared.history[0]
        .changes
        .iter()
        .map(|c| c.value.as_str())
        .collect();
    assert!(changes.contains(&"He came to [withheld] Leeds and shouted."));
    let everything = serde_json::to_string(&opened.manifest).unwrap();
    assert!(!everything.contains("Elm"), "{everything}");
    // The journal keeps every word.
    let kept = app.entry(&id).await.unwrap();
    assert_eq!(kept.location.as_deref(), Some("12 Elm Road"));
}

#[tokio::test]
async fn a_share_is_made_opened_listed_with_its_views_and_revoked() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (app, _kit) = laptop(&server, &dir).await;
    let kitchen = app.add_entry(entry("Kitchen")).await.unwrap();
    app.add_entry(entry("Not shared")).await.unwrap();

    // Bad input: a clear field error each, and no share made.
    let good = ShareInput {
        entry_ids: vec![kitchen.clone()],
        expires: "2d".into(),
        max_views: 2,
        password: Some(Zeroizing::new("open sesame".into())),
        ..Default::default()
    };
    for (bad, field) in [
        (
            ShareInput {
                entry_ids: vec![],
                ..good.clone()
            },
            "entries",
        ),
        (
            ShareInput {
                entry_ids: vec!["ffffffff".into()],
                ..good.clone()
            },
            "entries",
        ),
        (
            ShareInput {
                expires: "32d".into(),
                ..good.clone()
            },
            "expires",
        ),
        (
            ShareInput {
                password: Some(Zeroizing::new(String::new())),
                ..good.clone()
            },
            "password",
        ),
        (
            ShareInput {
                from: "14/03/2026x".into(),
                ..good.clone()
            },
            "from",
        ),
    ] {
        assert_eq!(invalid_field(app.create_share(bad).await), field);
    }
    assert!(app.shares().await.unwrap().shares.is_empty());

    let made = app.create_share(good).await.unwrap();
    assert_eq!(made.entries, 1);
    assert_eq!(made.max_views, 2);
    assert!(!format!("{made:?}").contains(made.link.as_str()));
    let listed = app.shares().await.unwrap();
    assert!(listed.server_reached);
    assert_eq!(listed.shares.len(), 1);
    assert_eq!(listed.shares[0].state, ShareState::Active);
    assert_eq!(listed.shares[0].views, Some(0));
    assert_eq!(listed.shares[0].entry_ids, vec![kitchen.clone()]);
    assert!(listed.shares[0].has_password);

    // The advocate opens it with the core's own fetch (as `mycase share open`).
    let opened = open_link(&server, &made.link, Some("open sesame"))
        .await
        .unwrap();
    assert_eq!(opened.manifest.entries.len(), 1);
    assert_eq!(opened.manifest.entries[0].title.as_deref(), Some("Kitchen"));
    let listed = app.shares().await.unwrap();
    assert_eq!(listed.shares[0].views, Some(1));
    assert_eq!(listed.shares[0].opened_at_ms.len(), 1);
    // The link can be copied again later, and is the same.
    let again = app.share_link(&made.share_id).await.unwrap();
    assert_eq!(again.as_str(), made.link.as_str());
    assert!(matches!(
        app.share_link("00112233445566778899aabbccddeeff").await,
        Err(AppError::NotFound { .. })
    ));

    assert!(matches!(
        app.revoke_share("ffff").await,
        Err(AppError::NotFound { .. })
    ));
    app.revoke_share(&made.share_id).await.unwrap();
    let listed = app.shares().await.unwrap();
    assert_eq!(listed.shares[0].state, ShareState::Revoked);
    assert!(matches!(
        open_link(&server, &made.link, Some("open sesame")).await,
        Err(FetchError::Ended(_))
    ));
}

#[tokio::test]
async fn without_the_server_shares_are_still_listed_and_none_is_made() {
    let mut server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (app, _kit) = laptop(&server, &dir).await;
    let id = app.add_entry(entry("Kitchen")).await.unwrap();
    app.create_share(ShareInput {
        entry_ids: vec![id.clone()],
        ..Default::default()
    })
    .await
    .unwrap();
    server.stop().await;
    let listed = app.shares().await.unwrap();
    assert!(!listed.server_reached);
    assert_eq!(listed.shares[0].state, ShareState::NotChecked);
    assert_eq!(listed.shares[0].views, None);
    let e = app
        .create_share(ShareInput {
            entry_ids: vec![id],
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(e.is_offline(), "{e:?}");
    assert_eq!(app.shares().await.unwrap().shares.len(), 1);
}

/// Starts the phone's join in the background; returns the matching code it
/// shows and its outcome.
fn join_phone(
    server: &TestServer,
    phone: &App,
    code: Zeroizing<String>,
) -> (
    oneshot::Receiver<String>,
    tokio::task::JoinHandle<Result<(), AppError>>,
) {
    let (shown, matching) = oneshot::channel();
    let phone = phone.clone();
    let join = JoinJournal {
        server_url: server.url().to_owned(),
        ca_cert_pem: Some(server.ca_pem().to_owned()),
        device_name: "phone".into(),
        pairing_code: code,
        passphrase: Zeroizing::new(PASS.into()),
    };
    let task = tokio::spawn(async move {
        phone
            .join_journal(join, move |m| {
                let _ = shown.send(m);
            })
            .await
    });
    (matching, task)
}

async fn pair(server: &TestServer, laptop: &App, phone: &App) -> String {
    let session = laptop.begin_pairing().await.unwrap();
    let (matching, joined) = join_phone(server, phone, session.code());
    let asked = session.await_request().await.unwrap();
    assert_eq!(asked.name, "phone");
    let added = session.confirm(&matching.await.unwrap()).await.unwrap();
    joined.await.unwrap().unwrap();
    added.device_id
}

#[tokio::test]
async fn pairing_step_by_step_and_a_wrong_matching_code_adds_nothing() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (laptop, _kit) = laptop(&server, &dir).await;
    laptop.add_entry(entry("Kitchen")).await.unwrap();
    let phone_home = dir.path().join("phone");
    let phone = App::open_with(&phone_home, options()).unwrap();

    let session = laptop.begin_pairing().await.unwrap();
    let invite = parse_pairing_qr(&session.qr_text()).unwrap();
    assert_eq!(invite.server_url, server.url());
    assert_eq!(invite.pairing_code.as_str(), session.code().as_str());
    assert!(!format!("{session:?}").contains(session.code().as_str()));
    // Nobody has asked yet: a matching code is refused without ending anything.
    assert_eq!(
        invalid_field(session.confirm("123456").await),
        "matching_code"
    );

    let (matching, joined) = join_phone(&server, &phone, session.code());
    let asked = session.await_request().await.unwrap();
    assert_eq!(asked.name, "phone");
    // Asked again, the same request at once.
    assert_eq!(session.await_request().await.unwrap(), asked);
    let shown = matching.await.unwrap();
    // A typo (not six digits) changes nothing; six wrong digits end it.
    assert_eq!(
        invalid_field(session.confirm("12 34").await),
        "matching_code"
    );
    let wrong = if shown.replace(' ', "") == "000000" {
        "111111"
    } else {
        "000000"
    };
    let e = session.confirm(wrong).await.unwrap_err();
    assert!(matches!(e, AppError::PairingFailed { .. }), "{e:?}");
    let e = joined.await.unwrap().unwrap_err();
    assert!(matches!(e, AppError::PairingFailed { .. }), "{e:?}");
    assert!(matches!(
        session.confirm(&shown).await,
        Err(AppError::PairingFailed { .. })
    ));
    let devices = laptop.devices().await.unwrap();
    assert_eq!(devices.len(), 1, "{devices:?}");
    assert!(devices[0].this_device);
    assert!(!phone.status().set_up);
    assert!(!phone_home.join("keys").exists());

    // Again, with the right code: added, and the phone has the journal.
    let phone_id = pair(&server, &laptop, &phone).await;
    let devices = laptop.devices().await.unwrap();
    assert_eq!(devices.len(), 2);
    let listed = devices.iter().find(|d| d.device_id == phone_id).unwrap();
    assert_eq!(listed.name.as_deref(), Some("phone"));
    assert!(listed.trusted && !listed.revoked && !listed.this_device);
    assert!(listed.last_seen_ms.is_some());
    assert_eq!(phone.entries().await.unwrap().len(), 1);
    // The laptop added it itself: no new-device notice for it there.
    assert!(laptop.notices().is_empty());
}

#[tokio::test]
async fn a_pairing_wait_holds_nothing_and_ends_on_lock_or_cancel() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (laptop, _kit) = laptop(&server, &dir).await;

    let session = laptop.begin_pairing().await.unwrap();
    let waiting = {
        let s: PairingSession = session.clone();
        tokio::spawn(async move { s.await_request().await })
    };
    // While it waits the journal is free...
    tokio::time::timeout(Duration::from_secs(5), laptop.add_entry(entry("meanwhile")))
        .await
        .expect("not blocked by the pairing wait")
        .unwrap();
    // ...and cancelling ends the wait at once.
    session.cancel().await;
    let e = tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .expect("the wait ended")
        .unwrap()
        .unwrap_err();
    assert!(matches!(e, AppError::PairingFailed { .. }), "{e:?}");

    let session = laptop.begin_pairing().await.unwrap();
    let waiting = {
        let s = session.clone();
        tokio::spawn(async move { s.await_request().await })
    };
    tokio::time::timeout(Duration::from_secs(5), laptop.lock())
        .await
        .expect("locking is never held up by a pairing");
    // Locking ends the wait at once, and the session with it.
    let e = tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .expect("the wait ended")
        .unwrap()
        .unwrap_err();
    assert!(matches!(e, AppError::Locked), "{e:?}");
    laptop.unlock(PASS).await.unwrap();
    assert!(matches!(
        session.await_request().await,
        Err(AppError::PairingFailed { .. })
    ));
    assert_eq!(laptop.devices().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_revoked_device_using_the_app_is_erased() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (laptop, _kit) = laptop(&server, &dir).await;
    let phone_home = dir.path().join("phone");
    let phone = App::open_with(&phone_home, options()).unwrap();
    let phone_id = pair(&server, &laptop, &phone).await;

    // The protections: not this device, not a bad or unknown id.
    let me = laptop
        .devices()
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.this_device)
        .unwrap();
    assert_eq!(
        invalid_field(laptop.revoke_device(&me.device_id).await),
        "device"
    );
    assert_eq!(invalid_field(laptop.revoke_device(" ").await), "device");
    for unknown in ["00000000", "xyz"] {
        assert!(matches!(
            laptop.revoke_device(unknown).await,
            Err(AppError::NotFound { .. })
        ));
    }
    assert!(laptop.devices().await.unwrap().iter().all(|d| !d.revoked));

    // By any part of its name (or its id, as the web app gives it).
    let revoked = laptop.revoke_device("PHON").await.unwrap();
    assert_eq!(revoked.device_id, phone_id);
    assert_eq!(revoked.name.as_deref(), Some("phone"));
    assert!(!revoked.set_up_with_kit);
    let devices = laptop.devices().await.unwrap();
    assert!(
        devices
            .iter()
            .find(|d| d.device_id == phone_id)
            .unwrap()
            .revoked
    );

    // The phone, next time it talks to the server, erases itself and says so.
    let mut events = phone.events();
    let e = phone.sync_now().await.unwrap_err();
    assert!(matches!(e, AppError::Revoked), "{e:?}");
    let erased = next_matching(&mut events, |e| matches!(e, AppEvent::Erased { .. })).await;
    assert_eq!(
        erased,
        AppEvent::Erased {
            reason: ErasedReason::Revoked
        }
    );
    assert!(!phone.is_unlocked());
    assert!(!phone_home.join("keys").exists());
    assert!(matches!(phone.entries().await, Err(AppError::Locked)));
}

#[tokio::test]
async fn a_passphrase_change_moves_to_new_keys_and_a_wrong_current_one_changes_nothing() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (app, _kit) = laptop(&server, &dir).await;
    app.add_entry(entry("Kitchen")).await.unwrap();
    let before = app.devices().await.unwrap();
    let old_id = before
        .iter()
        .find(|d| d.this_device)
        .unwrap()
        .device_id
        .clone();

    assert!(matches!(
        app.change_passphrase("wrong", "new passphrase", false)
            .await,
        Err(AppError::WrongPassphrase { .. })
    ));
    assert_eq!(
        invalid_field(app.change_passphrase(PASS, "", false).await),
        "new_passphrase"
    );
    app.lock().await;
    assert!(matches!(
        app.change_passphrase(PASS, "new passphrase", false).await,
        Err(AppError::Locked)
    ));
    app.unlock(PASS).await.unwrap();

    let changed = app
        .change_passphrase(PASS, "new passphrase", false)
        .await
        .unwrap();
    assert!(changed.keys_replaced, "{changed:?}");
    let after = app.devices().await.unwrap();
    let me = after.iter().find(|d| d.this_device).unwrap();
    assert_ne!(me.device_id, old_id);
    assert!(
        after
            .iter()
            .find(|d| d.device_id == old_id)
            .unwrap()
            .revoked
    );
    app.lock().await;
    assert!(matches!(
        app.unlock(PASS).await,
        Err(AppError::WrongPassphrase { .. })
    ));
    app.unlock("new passphrase").await.unwrap();
    assert_eq!(app.entries().await.unwrap().len(), 1);

    // Keeping the keys: only the passphrase changes, and no server is needed.
    let changed = app
        .change_passphrase("new passphrase", "third", true)
        .await
        .unwrap();
    assert!(!changed.keys_replaced);
    assert_eq!(changed.keys_not_replaced_because, None);
    app.lock().await;
    app.unlock("third").await.unwrap();
}

#[tokio::test]
async fn the_recovery_kit_is_renewed_only_with_the_current_one() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (app, kit) = laptop(&server, &dir).await;
    let e = app.renew_recovery_kit("abcd-efgh").await.unwrap_err();
    assert!(matches!(e, AppError::RecoveryFailed { .. }), "{e:?}");
    let renewed = app.renew_recovery_kit(&kit).await.unwrap();
    assert!(renewed.journal_updated);
    assert_ne!(renewed.recovery_kit.as_str(), kit.as_str());
    assert!(!format!("{renewed:?}").contains(renewed.recovery_kit.as_str()));
    // The old kit renews nothing and brings nothing back any more.
    let e = app.renew_recovery_kit(&kit).await.unwrap_err();
    assert!(matches!(e, AppError::RecoveryFailed { .. }), "{e:?}");
    let other = App::open_with(dir.path().join("other"), options()).unwrap();
    let recover = |kit: &Zeroizing<String>| RecoverJournal {
        server_url: server.url().to_owned(),
        ca_cert_pem: Some(server.ca_pem().to_owned()),
        device_name: "other".into(),
        recovery_kit: kit.clone(),
        passphrase: Zeroizing::new(PASS.into()),
    };
    assert!(other.recover_journal(recover(&kit)).await.is_err());
    other
        .recover_journal(recover(&renewed.recovery_kit))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_wipe_sends_what_is_left_retires_the_device_and_removes_it() {
    let mut server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (laptop, _kit) = laptop(&server, &dir).await;
    let phone_home = dir.path().join("phone");
    let phone = App::open_with(&phone_home, options()).unwrap();
    let phone_id = pair(&server, &laptop, &phone).await;

    // Offline, what is not sent is counted; back online, it is sent first.
    server.stop().await;
    phone.add_entry(entry("from the phone")).await.unwrap();
    let check = phone.check_before_wipe().await.unwrap();
    assert_eq!(check.unsent_changes, Some(1));
    server.start_again().await;
    let check = phone.check_before_wipe().await.unwrap();
    assert_eq!(check.unsent_changes, Some(0));
    assert_eq!(check.sent_now, 1);

    let wiped = phone.wipe_device().await.unwrap();
    assert!(wiped.removed && wiped.retired, "{wiped:?}");
    assert!(!phone_home.exists());
    assert!(!phone.is_unlocked());
    assert!(!phone.status().set_up);
    let devices = laptop.devices().await.unwrap();
    assert!(
        devices
            .iter()
            .find(|d| d.device_id == phone_id)
            .unwrap()
            .revoked
    );
    laptop.sync_now().await.unwrap();
    assert_eq!(laptop.entries().await.unwrap().len(), 1);

    // Locked, a wipe needs nothing and still removes everything.
    laptop.lock().await;
    assert_eq!(
        laptop.check_before_wipe().await.unwrap().unsent_changes,
        None
    );
    let wiped = laptop.wipe_device().await.unwrap();
    assert!(wiped.removed && !wiped.retired);
    assert!(!dir.path().join("laptop").exists());
}

#[tokio::test]
async fn deleting_the_account_needs_the_passphrase_and_erases_every_device() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (laptop, _kit) = laptop(&server, &dir).await;
    laptop.add_entry(entry("Kitchen")).await.unwrap();
    let phone_home = dir.path().join("phone");
    let phone = App::open_with(&phone_home, options()).unwrap();
    pair(&server, &laptop, &phone).await;

    assert!(matches!(
        laptop.delete_account("wrong").await,
        Err(AppError::WrongPassphrase { .. })
    ));
    // Nothing was deleted: the account syncs as before.
    laptop.sync_now().await.unwrap();
    phone.sync_now().await.unwrap();
    assert_eq!(phone.entries().await.unwrap().len(), 1);

    let mut events = laptop.events();
    laptop.delete_account(PASS).await.unwrap();
    assert_eq!(
        next_matching(&mut events, |e| matches!(e, AppEvent::Erased { .. })).await,
        AppEvent::Erased {
            reason: ErasedReason::AccountDeleted
        }
    );
    assert!(!dir.path().join("laptop").exists());
    // The phone hears of it, checks it, and erases itself too.
    let e = phone.sync_now().await.unwrap_err();
    assert!(matches!(e, AppError::AccountDeleted), "{e:?}");
    assert!(!phone_home.join("keys").exists());
}

/// A pairing QR text as this version writes it (format 1): it must keep reading.
#[test]
fn the_pairing_qr_format_1_vector_reads() {
    let invite = parse_pairing_qr(
        "mycase-pair:1:AEBA-GBAF-AYDQ-QCIK-BMGA-2DQP-CAIR-EEYU:https://mycase.example.org:8443",
    )
    .unwrap();
    assert_eq!(invite.server_url, "https://mycase.example.org:8443");
    assert_eq!(
        invite.pairing_code.as_str(),
        "AEBA-GBAF-AYDQ-QCIK-BMGA-2DQP-CAIR-EEYU"
    );
}
