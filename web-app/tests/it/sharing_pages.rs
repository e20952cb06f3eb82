//! The first-run, sharing, devices and settings pages over HTTP: each renders,
//! each form's bad input is a 422 with an error summary linked to its field and
//! changes nothing, and each flow does what it says against a real server.

use std::time::Duration;

use mycase_core::app::{
    App, AppOptions, EntryInput, JoinJournal, NewJournal, ShareInput, ShareState,
};
use mycase_core::crypto::passphrase::KdfParams;
use mycase_tests::server::TestServer;
use tokio::sync::oneshot;
use zeroize::Zeroizing;

use crate::harness::{serve, Running, PASS};
use crate::raw_http::{Reply, Request};

fn options() -> AppOptions {
    AppOptions {
        kdf_params: KdfParams::MINIMUM,
    }
}

/// A web app over a journal set up against `server` (locked), and the kit.
async fn set_up_on(server: &TestServer) -> (Running, Zeroizing<String>) {
    let dir = tempfile::tempdir().unwrap();
    let app = App::open_with(dir.path().join("home"), options()).unwrap();
    let created = app
        .create_journal(NewJournal {
            server_url: server.url().to_owned(),
            ca_cert_pem: Some(server.ca_pem().to_owned()),
            device_name: "laptop".to_owned(),
            passphrase: Zeroizing::new(PASS.to_owned()),
            invite: None,
        })
        .await
        .unwrap();
    app.lock().await;
    (serve(app, dir, None).await, created.recovery_kit)
}

async fn empty() -> Running {
    let dir = tempfile::tempdir().unwrap();
    let app = App::open_with(dir.path().join("home"), options()).unwrap();
    serve(app, dir, None).await
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

/// The text between `start` and the next `end` after it.
fn between<'a>(body: &'a str, start: &str, end: &str) -> &'a str {
    let from = body
        .find(start)
        .unwrap_or_else(|| panic!("{start:?} in {body}"))
        + start.len();
    let len = body[from..].find(end).unwrap();
    &body[from..from + len]
}

/// The handle in the first address `prefix{handle}suffix` on a page.
fn handle_in(body: &str, prefix: &str, suffix: &str) -> String {
    let end = body
        .find(suffix)
        .unwrap_or_else(|| panic!("{suffix:?} in {body}"));
    let start = body[..end].rfind(prefix).unwrap() + prefix.len();
    body[start..end].to_owned()
}

/// A 422 whose error summary links to `field`.
fn assert_refused(reply: &Reply, field: &str) {
    assert_eq!(reply.status, 422, "{}", reply.body);
    assert!(reply.body.contains("There is a problem"), "{}", reply.body);
    assert!(
        reply.body.contains(&format!("href=\"#{field}\"")),
        "the summary links to {field}: {}",
        reply.body
    );
    assert!(reply.body.contains(&format!("id=\"{field}\"")), "{field}");
    assert!(reply.body.contains("<title>Error: "));
}

async fn get(app: &Running, cookie: &str, path: &str) -> Reply {
    app.send(Request::get(path).header("Cookie", cookie)).await
}

/// No entry, share or device id in any address on a page (only handles).
fn no_ids_in_addresses(body: &str, ids: &[String]) {
    for href in body.split("href=\"").skip(1) {
        let href = &href[..href.find('"').unwrap()];
        for id in ids {
            assert!(!href.contains(id.as_str()), "{href} holds an id");
        }
    }
}

#[tokio::test]
async fn sharing_pages_make_list_show_and_revoke_a_share() {
    let server = TestServer::start().await;
    let (app, _kit) = set_up_on(&server).await;
    let cookie = app.unlocked().await;
    let core = app.web.app().clone();
    let kitchen = core.add_entry(entry("Kitchen")).await.unwrap();
    core.add_entry(entry("Hallway")).await.unwrap();

    let list = get(&app, &cookie, "/shares").await;
    assert_eq!(list.status, 200);
    assert!(list.body.contains("You have not shared anything"));
    let new = get(&app, &cookie, "/shares/new").await;
    assert_eq!(new.status, 200);
    assert!(new.body.contains("Kitchen") && new.body.contains("Hallway"));
    assert!(new
        .body
        .contains("<legend class=\"fieldset__legend\">Which entries"));
    no_ids_in_addresses(&new.body, std::slice::from_ref(&kitchen));
    assert!(!new.body.contains(&kitchen), "entries are chosen by handle");
    // The first checkbox is Kitchen's or Hallway's: find Kitchen's handle.
    let handle = {
        let at = new.body.find("Kitchen").unwrap();
        let before = &new.body[..at];
        let value = before.rfind("value=\"").unwrap() + 7;
        before[value..value + before[value..].find('"').unwrap()].to_owned()
    };

    // Bad input: nothing chosen; a view limit that is not a number; a stale handle.
    let none = app
        .send(app.post("/shares/new", &cookie).form(&[("expires", "7d")]))
        .await;
    assert_refused(&none, "entries");
    let views = app
        .send(app.post("/shares/new", &cookie).form(&[
            ("entry", &handle),
            ("expires", "7d"),
            ("max_views", "lots"),
        ]))
        .await;
    assert_refused(&views, "max_views");
    assert!(views.body.contains("checked"), "the choice is kept");
    let expiry = app
        .send(
            app.post("/shares/new", &cookie)
                .form(&[("entry", &handle), ("expires", "99d")]),
        )
        .await;
    assert_refused(&expiry, "expires");
    let stale = app
        .send(
            app.post("/shares/new", &cookie)
                .form(&[("entry", "nosuchhandle")]),
        )
        .await;
    assert_eq!(stale.status, 410);
    assert!(core.shares().await.unwrap().shares.is_empty());

    let made = app
        .send(app.post("/shares/new", &cookie).form(&[
            ("entry", &handle),
            ("expires", "1d"),
            ("max_views", "3"),
            ("password", "open sesame"),
        ]))
        .await;
    assert_eq!(made.status, 200, "{}", made.body);
    assert!(made.body.contains("data-copy=\"share-link\""));
    let link = between(
        &made.body,
        "id=\"share-link\" rows=\"3\" readonly spellcheck=\"false\">",
        "<",
    );
    assert!(link.starts_with(server.url()) && link.contains("/s/") && link.contains('#'));
    let listed = core.shares().await.unwrap();
    assert_eq!(listed.shares.len(), 1);
    assert_eq!(listed.shares[0].entry_ids, vec![kitchen.clone()]);
    assert_eq!(listed.shares[0].max_views, 3);
    assert!(listed.shares[0].has_password);

    let list = get(&app, &cookie, "/shares").await;
    assert!(
        list.body.contains("Open") && list.body.contains("0 of 3"),
        "{}",
        list.body
    );
    assert!(list.body.contains("Never"), "not opened yet");
    no_ids_in_addresses(&list.body, &[listed.shares[0].share_id.clone()]);
    // The advocate opens it twice: each time is listed, newest first.
    for _ in 0..2 {
        let parsed = mycase_core::share::link::parse(link).unwrap();
        let transport = mycase_core::transport::grpc::GrpcTransport::connect(
            &parsed.server_url,
            Some(server.ca_pem()),
        )
        .await
        .unwrap();
        mycase_core::fetch_bundle(&transport, &parsed)
            .await
            .unwrap();
    }
    let opened = core.shares().await.unwrap().shares[0].opened_at_ms.clone();
    assert_eq!(opened.len(), 2);
    let times: Vec<String> = opened
        .iter()
        .rev()
        .map(|t| mycase_core::words::uk_time::recorded(*t))
        .collect();
    let list = get(&app, &cookie, "/shares").await;
    assert!(list.body.contains("2 of 3"), "{}", list.body);
    assert!(
        list.body.contains(&format!(
            "<ul class=\"list\"><li>{}</li><li>{}</li></ul>",
            times[0], times[1]
        )),
        "{}",
        list.body
    );
    let share_handle = handle_in(&list.body, "/shares/", "/link\"");
    let again = get(&app, &cookie, &format!("/shares/{share_handle}/link")).await;
    assert_eq!(again.status, 200);
    assert!(again.body.contains(link));
    let confirm = get(&app, &cookie, &format!("/shares/{share_handle}/revoke")).await;
    assert_eq!(confirm.status, 200);
    assert!(confirm.body.contains("Revoke this share?"));
    assert_eq!(
        core.shares().await.unwrap().shares[0].state,
        ShareState::Active,
        "the confirmation page changes nothing"
    );
    let revoked = app
        .send(app.post(&format!("/shares/{share_handle}/revoke"), &cookie))
        .await;
    assert_eq!(
        (revoked.status, revoked.header("location")),
        (303, Some("/shares"))
    );
    assert_eq!(
        core.shares().await.unwrap().shares[0].state,
        ShareState::Revoked
    );
    let list = get(&app, &cookie, "/shares").await;
    assert!(list.body.contains("Revoked"));
    // A share made through the API lists too.
    core.create_share(ShareInput {
        entry_ids: vec![kitchen],
        ..Default::default()
    })
    .await
    .unwrap();
    let list = get(&app, &cookie, "/shares").await;
    assert_eq!(list.body.matches("class=\"card\"").count(), 2);
}

/// Starts a phone joining with `code`; returns the matching code it shows.
fn join_phone(
    server: &TestServer,
    phone: &App,
    code: &str,
) -> (
    oneshot::Receiver<String>,
    tokio::task::JoinHandle<Result<(), mycase_core::app::AppError>>,
) {
    let (shown, matching) = oneshot::channel();
    let phone = phone.clone();
    let join = JoinJournal {
        server_url: server.url().to_owned(),
        ca_cert_pem: Some(server.ca_pem().to_owned()),
        device_name: "phone".into(),
        pairing_code: Zeroizing::new(code.to_owned()),
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

#[tokio::test]
async fn devices_pages_pair_with_a_qr_code_refuse_a_wrong_matching_code_and_revoke() {
    let server = TestServer::start().await;
    let (app, _kit) = set_up_on(&server).await;
    let cookie = app.unlocked().await;
    let core = app.web.app().clone();
    let dir = tempfile::tempdir().unwrap();

    let list = get(&app, &cookie, "/devices").await;
    assert_eq!(list.status, 200);
    assert!(list.body.contains("laptop") && list.body.contains("This device"));
    // When the server last saw each device, in UK time, as the API has it.
    for d in core.devices().await.unwrap() {
        let seen = d
            .last_seen_ms
            .map(mycase_core::words::uk_time::recorded)
            .unwrap_or_else(|| "Not seen".into());
        assert!(
            list.body.contains(&format!(
                "<dt class=\"summary-list__key\">Last seen</dt><dd class=\"summary-list__value\">{seen}</dd>"
            )),
            "{seen}: {}",
            list.body
        );
    }
    assert!(
        !list.body.contains("/revoke\""),
        "this device has no revoke button"
    );

    // Adding: the code as text and as an SVG QR code, with no style attribute.
    let pairing = app.send(app.post("/devices/add", &cookie)).await;
    assert_eq!(pairing.status, 200, "{}", pairing.body);
    let code = between(
        &pairing.body,
        "class=\"pairing-code\" aria-labelledby=\"pairing-code-title\">",
        "<",
    )
    .to_owned();
    assert!(pairing.body.contains("<svg role=\"img\" aria-label="));
    assert!(!pairing.body.contains("style="));
    assert!(!pairing.body.contains("<?xml"));
    // A reload shows the same code.
    let reload = get(&app, &cookie, "/devices/add").await;
    assert!(reload.body.contains(&code));

    let phone = App::open_with(dir.path().join("phone"), options()).unwrap();
    let (matching, joined) = join_phone(&server, &phone, &code);
    let asked = app.send(app.post("/devices/add/wait", &cookie)).await;
    assert_eq!(asked.status, 200, "{}", asked.body);
    assert!(asked.body.contains("“phone”"));
    let shown = matching.await.unwrap().replace(' ', "");
    // A typo changes nothing; wrong digits end it and add nothing.
    let typo = app
        .send(
            app.post("/devices/add/confirm", &cookie)
                .form(&[("matching_code", "12")]),
        )
        .await;
    assert_refused(&typo, "matching_code");
    let wrong = if shown == "000000" {
        "111111"
    } else {
        "000000"
    };
    let refused = app
        .send(
            app.post("/devices/add/confirm", &cookie)
                .form(&[("matching_code", wrong)]),
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains("The device was not added"),
        "{}",
        refused.body
    );
    assert!(joined.await.unwrap().is_err());
    assert_eq!(core.devices().await.unwrap().len(), 1);
    assert!(!phone.status().set_up);

    // Again, with the right digits.
    let pairing = app.send(app.post("/devices/add", &cookie)).await;
    let code = between(
        &pairing.body,
        "class=\"pairing-code\" aria-labelledby=\"pairing-code-title\">",
        "<",
    )
    .to_owned();
    let (matching, joined) = join_phone(&server, &phone, &code);
    let asked = app.send(app.post("/devices/add/wait", &cookie)).await;
    assert_eq!(asked.status, 200);
    let digits = matching.await.unwrap();
    let added = app
        .send(
            app.post("/devices/add/confirm", &cookie)
                .form(&[("matching_code", &digits)]),
        )
        .await;
    assert_eq!(added.status, 200, "{}", added.body);
    assert!(added.body.contains("“phone” was added"));
    joined.await.unwrap().unwrap();
    let devices = core.devices().await.unwrap();
    assert_eq!(devices.len(), 2);

    // Revoking, with its confirmation page first.
    let list = get(&app, &cookie, "/devices").await;
    no_ids_in_addresses(
        &list.body,
        &devices
            .iter()
            .map(|d| d.device_id.clone())
            .collect::<Vec<_>>(),
    );
    let handle = handle_in(&list.body, "/devices/", "/revoke\"");
    let confirm = get(&app, &cookie, &format!("/devices/{handle}/revoke")).await;
    assert!(confirm.body.contains("Revoke “phone”?"));
    assert!(core.devices().await.unwrap().iter().all(|d| !d.revoked));
    let revoked = app
        .send(app.post(&format!("/devices/{handle}/revoke"), &cookie))
        .await;
    assert_eq!(revoked.status, 200, "{}", revoked.body);
    assert!(revoked.body.contains("“phone” is revoked"));
    assert!(core.devices().await.unwrap().iter().any(|d| d.revoked));
}

#[tokio::test]
async fn settings_pages_refuse_bad_input_and_change_the_passphrase_and_idle_time() {
    let server = TestServer::start().await;
    let (app, _kit) = set_up_on(&server).await;
    let cookie = app.unlocked().await;
    let core = app.web.app().clone();
    for path in [
        "/settings",
        "/settings/passphrase",
        "/settings/recovery-kit",
        "/settings/wipe",
        "/settings/delete-account",
    ] {
        let page = get(&app, &cookie, path).await;
        assert_eq!(page.status, 200, "{path}");
        assert!(page.body.contains("<h1 class=\"heading-l\">"), "{path}");
    }

    for bad in ["0", "abc", "241"] {
        let reply = app
            .send(
                app.post("/settings", &cookie)
                    .form(&[("idle_minutes", bad)]),
            )
            .await;
        assert_refused(&reply, "idle_minutes");
    }
    assert_eq!(core.idle_lock_minutes(), 5);
    let saved = app
        .send(
            app.post("/settings", &cookie)
                .form(&[("idle_minutes", "15")]),
        )
        .await;
    assert_eq!(saved.status, 200);
    assert!(saved.body.contains("after 15 minutes"));
    assert_eq!(core.idle_lock_minutes(), 15);

    let mismatch = app
        .send(app.post("/settings/passphrase", &cookie).form(&[
            ("current", PASS),
            ("new", "new one"),
            ("new_again", "another"),
        ]))
        .await;
    assert_refused(&mismatch, "new_again");
    let wrong = app
        .send(app.post("/settings/passphrase", &cookie).form(&[
            ("current", "not it"),
            ("new", "new one"),
            ("new_again", "new one"),
        ]))
        .await;
    assert_refused(&wrong, "current");
    assert!(!wrong.body.contains("not it"), "never echoed");
    let changed = app
        .send(app.post("/settings/passphrase", &cookie).form(&[
            ("current", PASS),
            ("new", "new one"),
            ("new_again", "new one"),
        ]))
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert!(changed.body.contains("moved to new keys"));
    core.lock().await;
    core.unlock("new one").await.unwrap();

    let kit = app
        .send(
            app.post("/settings/recovery-kit", &cookie)
                .form(&[("current_kit", "abcd")]),
        )
        .await;
    assert_refused(&kit, "current_kit");
}

#[tokio::test]
async fn a_kit_renewed_in_settings_is_shown_once_and_must_be_confirmed() {
    let server = TestServer::start().await;
    let (app, kit) = set_up_on(&server).await;
    let cookie = app.unlocked().await;
    let renewed = app
        .send(
            app.post("/settings/recovery-kit", &cookie)
                .form(&[("current_kit", &kit)]),
        )
        .await;
    assert_eq!(renewed.status, 200, "{}", renewed.body);
    let new_kit = between(&renewed.body, "id=\"recovery-kit\">", "<").to_owned();
    assert_ne!(new_kit, kit.as_str());
    assert!(renewed.body.contains("data-print"));
    let unticked = app
        .send(
            app.post("/setup/kit", &cookie)
                .form(&[("kit", &new_kit), ("next", "/settings")]),
        )
        .await;
    assert_refused(&unticked, "written_down");
    assert!(
        unticked.body.contains(&new_kit),
        "shown again to write down"
    );
    let done = app
        .send(app.post("/setup/kit", &cookie).form(&[
            ("kit", &new_kit),
            ("next", "/settings"),
            ("written_down", "yes"),
        ]))
        .await;
    assert_eq!(
        (done.status, done.header("location")),
        (303, Some("/settings"))
    );
}

#[tokio::test]
async fn wiping_from_settings_needs_the_tick_and_then_removes_everything() {
    let server = TestServer::start().await;
    let (app, _kit) = set_up_on(&server).await;
    let cookie = app.unlocked().await;
    app.web.app().add_entry(entry("Kitchen")).await.unwrap();
    let unticked = app
        .send(app.post("/settings/wipe", &cookie).form(&[]))
        .await;
    assert_refused(&unticked, "confirm");
    assert!(app.home.join("keys").exists());
    let wiped = app
        .send(
            app.post("/settings/wipe", &cookie)
                .form(&[("confirm", "yes")]),
        )
        .await;
    assert_eq!(wiped.status, 200, "{}", wiped.body);
    assert!(wiped.body.contains("MyCase is erased from this computer"));
    assert!(wiped
        .body
        .contains("history, which may show that this app was open"));
    assert!(!app.home.exists());
    assert!(!app.web.app().status().set_up);
    // What is left is the way to set up again.
    let unlock = get(&app, &cookie, "/unlock").await;
    assert!(unlock.body.contains("href=\"/setup\""));
}

#[tokio::test]
async fn deleting_the_account_needs_the_tick_and_the_passphrase() {
    let server = TestServer::start().await;
    let (app, _kit) = set_up_on(&server).await;
    let cookie = app.unlocked().await;
    let no_tick = app
        .send(
            app.post("/settings/delete-account", &cookie)
                .form(&[("passphrase", PASS)]),
        )
        .await;
    assert_refused(&no_tick, "confirm");
    let wrong = app
        .send(
            app.post("/settings/delete-account", &cookie)
                .form(&[("confirm", "yes"), ("passphrase", "not it")]),
        )
        .await;
    assert_refused(&wrong, "passphrase");
    assert!(app.web.app().status().set_up);
    app.web.app().sync_now().await.unwrap();
    let deleted = app
        .send(
            app.post("/settings/delete-account", &cookie)
                .form(&[("confirm", "yes"), ("passphrase", PASS)]),
        )
        .await;
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    assert!(deleted.body.contains("Your journal is deleted"));
    assert!(!app.home.exists());
}

/// A multipart body as a browser sends the create form.
fn multipart(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "----mycase-test-boundary";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    if let Some((name, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"ca.pem\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn first_run_creates_shows_the_kit_once_and_recovers_with_it() {
    let server = TestServer::start().await;
    let app = empty().await;
    let cookie = app.sign_in().await;
    for path in ["/setup", "/setup/create", "/setup/join", "/setup/recover"] {
        let page = get(&app, &cookie, path).await;
        assert_eq!(page.status, 200, "{path}");
    }
    let create = |fields: Vec<(&'static str, String)>, file: Option<Vec<u8>>| {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (content_type, body) = multipart(&fields, file.as_deref().map(|f| ("ca_cert_file", f)));
        app.post("/setup/create", &cookie)
            .header("Content-Type", &content_type)
            .body(body)
    };
    let fields = |again: &str| {
        vec![
            ("server_url", server.url().to_owned()),
            ("ca_cert_pem", String::new()),
            ("device_name", "laptop".to_owned()),
            ("passphrase", PASS.to_owned()),
            ("passphrase_again", again.to_owned()),
        ]
    };
    let mismatch = app.send(create(fields("other"), None)).await;
    assert_refused(&mismatch, "passphrase_again");
    let not_a_cert = app
        .send(create(fields(PASS), Some(b"not a certificate".to_vec())))
        .await;
    assert_refused(&not_a_cert, "ca_cert_file");
    let untrusted = app.send(create(fields(PASS), None)).await;
    assert_refused(&untrusted, "ca_cert_pem");
    assert!(!app.web.app().status().set_up);
    assert!(!app.home.join("keys").exists());

    let made = app
        .send(create(
            fields(PASS),
            Some(server.ca_pem().as_bytes().to_vec()),
        ))
        .await;
    assert_eq!(made.status, 200, "{}", made.body);
    let kit = between(&made.body, "id=\"recovery-kit\">", "<").to_owned();
    assert!(made.body.contains("I have written it down"));
    assert!(made.body.contains("data-print"));
    assert!(app.web.app().status().unlocked);
    let unticked = app
        .send(
            app.post("/setup/kit", &cookie)
                .form(&[("kit", &kit), ("next", "/")]),
        )
        .await;
    assert_refused(&unticked, "written_down");
    let done = app
        .send(app.post("/setup/kit", &cookie).form(&[
            ("kit", &kit),
            ("next", "/"),
            ("written_down", "yes"),
        ]))
        .await;
    assert_eq!((done.status, done.header("location")), (303, Some("/")));
    // Set up, the first-run pages send home.
    let again = get(&app, &cookie, "/setup/create").await;
    assert_eq!(again.status, 303);

    // Another computer brings it back with the kit (and refuses a wrong one).
    let other = empty().await;
    let cookie = other.sign_in().await;
    let recover = |kit: &str| {
        other.post("/setup/recover", &cookie).form(&[
            ("server_url", server.url()),
            ("ca_cert_pem", server.ca_pem()),
            ("device_name", "new laptop"),
            ("recovery_kit", kit),
            ("passphrase", PASS),
            ("passphrase_again", PASS),
        ])
    };
    let wrong = other.send(recover("abcd-efgh")).await;
    assert_refused(&wrong, "recovery_kit");
    assert!(!other.web.app().status().set_up);
    let back = other.send(recover(&kit)).await;
    assert_eq!(
        (back.status, back.header("location")),
        (303, Some("/")),
        "{}",
        back.body
    );
    assert!(other.web.app().status().unlocked);
}

#[tokio::test]
async fn joining_with_a_pairing_code_shows_the_matching_code() {
    let server = TestServer::start().await;
    let (laptop, _kit) = set_up_on(&server).await;
    let core = laptop.web.app().clone();
    core.unlock(PASS).await.unwrap();
    core.add_entry(entry("Kitchen")).await.unwrap();
    let session = core.begin_pairing().await.unwrap();

    let app = empty().await;
    let cookie = app.sign_in().await;
    let join = |code: &str| {
        app.post("/setup/join", &cookie).form(&[
            ("server_url", server.url()),
            ("ca_cert_pem", server.ca_pem()),
            ("device_name", "phone"),
            ("pairing_code", code),
            ("passphrase", PASS),
            ("passphrase_again", PASS),
        ])
    };
    let bad = app.send(join("not a code")).await;
    assert_refused(&bad, "pairing_code");
    assert!(!app.web.app().status().set_up);

    let code = session.code().to_string();
    let waiting = {
        let s = session.clone();
        tokio::spawn(async move { s.await_request().await })
    };
    let shown = app.send(join(&code)).await;
    assert_eq!(shown.status, 200, "{}", shown.body);
    let digits = between(&shown.body, "class=\"matching-code\">", "<").to_owned();
    assert_eq!(waiting.await.unwrap().unwrap().name, "phone");
    session.confirm(&digits).await.unwrap();
    let joined = tokio::time::timeout(
        Duration::from_secs(60),
        app.send(app.post("/setup/join/wait", &cookie)),
    )
    .await
    .unwrap();
    assert_eq!((joined.status, joined.header("location")), (303, Some("/")));
    assert!(app.web.app().status().unlocked);
    assert_eq!(app.web.app().entries().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_clash_of_edits_is_shown_on_the_entry_page_and_settled_there() {
    use mycase_core::app::RecoverJournal;
    use mycase_web_app::handles::HandleKind;

    let server = TestServer::start().await;
    let (app, kit) = set_up_on(&server).await;
    let cookie = app.unlocked().await;
    let core = app.web.app();
    let id = core.add_entry(entry("Kitchen")).await.unwrap();
    core.sync_now().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let phone = App::open_with(dir.path().join("phone"), options()).unwrap();
    phone
        .recover_journal(RecoverJournal {
            server_url: server.url().to_owned(),
            ca_cert_pem: Some(server.ca_pem().to_owned()),
            device_name: "phone".into(),
            recovery_kit: kit.clone(),
            passphrase: Zeroizing::new(PASS.to_owned()),
        })
        .await
        .unwrap();
    phone.sync_now().await.unwrap();

    // The title changed here and on the phone, neither having seen the other.
    let mut here = core.entry(&id).await.unwrap().to_input();
    here.title = "Title from the laptop".into();
    core.amend_entry(&id, here).await.unwrap();
    let mut there = phone.entry(&id).await.unwrap().to_input();
    there.title = "Title from the phone".into();
    phone.amend_entry(&id, there).await.unwrap();
    phone.sync_now().await.unwrap();
    core.sync_now().await.unwrap();

    // The entry page shows both versions, with a form to keep one.
    let handle = app.web.handles().handle(HandleKind::Entry, &id);
    let page = get(&app, &cookie, &format!("/entries/{handle}")).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("Title from the laptop") && page.body.contains("Title from the phone")
    );
    let action = format!("action=\"/entries/{handle}/resolve\"");
    assert!(page.body.contains(&action), "{}", page.body);
    let resolve = format!("/entries/{handle}/resolve");

    // No choice, or one that is not a version: the field's error, nothing settled.
    for choice in ["", "nonsense"] {
        let refused = app
            .send(
                app.post(&resolve, &cookie)
                    .form(&[("field", "title"), ("choice", choice)]),
            )
            .await;
        assert_eq!(refused.status, 422, "{choice:?}");
        assert!(
            refused.body.contains("href=\"#conflict-title\""),
            "{}",
            refused.body
        );
        assert_eq!(core.entry(&id).await.unwrap().conflicts.len(), 1);
    }

    // Keeping the phone's version settles it here and, after a sync, there.
    let versions = core.entry(&id).await.unwrap().conflicts[0].versions.clone();
    let kept = versions
        .iter()
        .find(|v| v.value == "Title from the phone")
        .unwrap();
    let settled = app
        .send(
            app.post(&resolve, &cookie)
                .form(&[("field", "title"), ("choice", &kept.choice)]),
        )
        .await;
    assert_eq!(
        (settled.status, settled.header("location")),
        (303, Some(format!("/entries/{handle}").as_str()))
    );
    let shown = core.entry(&id).await.unwrap();
    assert!(shown.conflicts.is_empty());
    assert_eq!(shown.title.as_deref(), Some("Title from the phone"));
    let page = get(&app, &cookie, &format!("/entries/{handle}")).await;
    assert!(
        !page.body.contains(&action),
        "the form is gone once settled"
    );
    core.sync_now().await.unwrap();
    phone.sync_now().await.unwrap();
    let on_phone = phone.entry(&id).await.unwrap();
    assert!(on_phone.conflicts.is_empty());
    assert_eq!(on_phone.title.as_deref(), Some("Title from the phone"));
}

#[tokio::test]
async fn offline_the_app_keeps_what_is_written_and_sends_it_when_the_server_is_back() {
    let mut server = TestServer::start().await;
    let (app, _kit) = set_up_on(&server).await;
    let cookie = app.unlocked().await;
    let core = app.web.app();
    core.sync_now().await.unwrap();
    server.stop().await;

    // Recorded while the server is down: saved on this computer, and said so.
    let saved = app
        .send(app.post("/entries/new", &cookie).form(&[
            ("title", "Written offline"),
            ("text", "While the server was down."),
            ("when_kind", "exact"),
            ("when_day", "14"),
            ("when_month", "3"),
            ("when_year", "2026"),
            ("when_time", "9:30pm"),
        ]))
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert!(core.sync_now().await.is_err(), "the server is down");
    let home = get(&app, &cookie, "/").await;
    assert!(
        home.body
            .contains("Offline: changes are kept on this computer"),
        "{}",
        home.body
    );
    let timeline = get(&app, &cookie, "/timeline").await;
    assert!(timeline.body.contains("Written offline"));
    assert!(core.status().sync.pending_upload > 0);

    // Back: it goes, and the indicator says so.
    server.start_again().await;
    core.sync_now().await.unwrap();
    assert_eq!(core.status().sync.pending_upload, 0);
    let home = get(&app, &cookie, "/").await;
    assert!(!home.body.contains("Offline:"), "{}", home.body);
}
