//! The frame's own journeys over HTTP: unlock (wrong tries shown), lock now,
//! quick exit, drafts across a lock, handles forgotten at lock, the safety page,
//! live events.

use mycase_web_app::handles::HandleKind;

use crate::harness::{start_empty, start_set_up, PASS};
use crate::raw_http::{Request, Stream};

#[tokio::test]
async fn unlock_refuses_a_wrong_passphrase_with_the_error_and_then_opens() {
    let app = start_set_up().await;
    let cookie = app.sign_in().await;
    let home = app.send(Request::get("/").header("Cookie", &cookie)).await;
    assert_eq!(
        (home.status, home.header("location")),
        (303, Some("/unlock"))
    );

    let wrong = app
        .send(
            app.post("/unlock", &cookie)
                .form(&[("passphrase", "not it")]),
        )
        .await;
    assert!(matches!(wrong.status, 422 | 429), "{}", wrong.status);
    assert!(wrong.body.contains("There is a problem"), "error summary");
    assert!(
        wrong.body.contains("href=\"#passphrase\""),
        "the summary links to the field"
    );
    assert!(wrong.body.contains("passphrase-error"), "the inline error");
    assert!(wrong.body.contains("<title>Error: Unlock – Notes</title>"));
    assert!(
        !wrong.body.contains("not it"),
        "the typed passphrase is never echoed"
    );
    assert!(!app.web.app().is_unlocked());

    let empty = app
        .send(app.post("/unlock", &cookie).form(&[("passphrase", "")]))
        .await;
    assert_eq!(empty.status, 422);
    assert!(empty.body.contains("Enter your passphrase"));

    // The App slows wrong tries; wait it out, as the page says to.
    let mut reply;
    loop {
        reply = app
            .send(app.post("/unlock", &cookie).form(&[("passphrase", PASS)]))
            .await;
        if reply.status != 429 {
            break;
        }
        assert!(
            reply.body.contains("seconds, then try again"),
            "{}",
            reply.body
        );
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
    assert_eq!((reply.status, reply.header("location")), (303, Some("/")));
    assert!(app.web.app().is_unlocked());
    let home = app.send(Request::get("/").header("Cookie", &cookie)).await;
    assert_eq!(home.status, 200);
    assert!(home.body.contains("Lock now") && home.body.contains("laptop"));
    app.stop().await;
}

#[tokio::test]
async fn an_empty_home_says_nothing_is_set_up() {
    let app = start_empty().await;
    let cookie = app.sign_in().await;
    let page = app
        .send(Request::get("/unlock").header("Cookie", &cookie))
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Nothing is set up on this computer yet"));
    let home = app.send(Request::get("/").header("Cookie", &cookie)).await;
    assert_eq!(home.header("location"), Some("/unlock"));
    app.stop().await;
}

#[tokio::test]
async fn lock_now_drops_the_keys_and_forgets_every_handle() {
    let app = start_set_up().await;
    let cookie = app.unlocked().await;
    let handle = app.web.handles().handle(HandleKind::Entry, "entry-id-1");
    assert!(app
        .web
        .handles()
        .resolve(HandleKind::Entry, &handle)
        .is_ok());

    let reply = app.send(app.post("/lock", &cookie)).await;
    assert_eq!(
        (reply.status, reply.header("location")),
        (303, Some("/unlock"))
    );
    assert!(!app.web.app().is_unlocked());
    assert!(app
        .web
        .handles()
        .resolve(HandleKind::Entry, &handle)
        .is_err());
    let home = app.send(Request::get("/").header("Cookie", &cookie)).await;
    assert_eq!(home.header("location"), Some("/unlock"));
    app.stop().await;
}

#[tokio::test]
async fn quick_exit_locks_and_shows_nothing_of_mycase() {
    let app = start_set_up().await;
    let cookie = app.unlocked().await;
    // Without the session (another user): the neutral page, and no lock.
    let stranger = app.send(Request::get("/exit")).await;
    assert_eq!(stranger.status, 200);
    assert!(app.web.app().is_unlocked());

    let reply = app
        .send(Request::get("/exit").header("Cookie", &cookie))
        .await;
    assert_eq!(reply.status, 200);
    assert!(!app.web.app().is_unlocked(), "quick exit must lock");
    for page in [&reply.body, &stranger.body] {
        assert!(page.contains("<title>Notes</title>"));
        for word in ["MyCase", "mycase", "journal", "Unlock", "app.js", "Safety"] {
            assert!(!page.contains(word), "the neutral page says {word:?}");
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn a_draft_survives_a_lock_sealed_and_leads_back_to_its_page() {
    let app = start_set_up().await;
    let cookie = app.unlocked().await;
    let marker = format!("ZQX-draft-{}", mycase_tests::leaks::marker(16));
    let marker = marker.as_str();
    let saved = app
        .send(app.post("/draft", &cookie).form(&[
            ("_draft", "entry"),
            ("_page", "/entries/new"),
            ("title", marker),
            ("category", "threats"),
            ("category", "isolation"),
        ]))
        .await;
    assert_eq!(saved.status, 204, "{}", saved.body);

    app.send(app.post("/lock", &cookie)).await;
    // Locked: the draft cannot be read, and no file in the home holds it in clear.
    let locked = app
        .send(
            Request::get("/draft")
                .header("Cookie", &cookie)
                .header("Accept", "application/json"),
        )
        .await;
    assert_eq!(locked.header("location"), Some("/unlock"));
    let files = mycase_tests::leaks::files_under(&app.home);
    assert!(
        files.iter().any(|f| f.ends_with("draft")),
        "the draft is kept: {files:?}"
    );
    for file in files {
        let bytes = std::fs::read(&file).unwrap();
        assert!(
            !mycase_tests::leaks::contains(&bytes, marker.as_bytes()),
            "{file:?} holds the draft in clear"
        );
    }

    let reply = app
        .send(app.post("/unlock", &cookie).form(&[("passphrase", PASS)]))
        .await;
    assert_eq!(
        reply.header("location"),
        Some("/entries/new"),
        "unlock leads back to the form"
    );
    let got = app
        .send(
            Request::get("/draft")
                .header("Cookie", &cookie)
                .header("Accept", "application/json"),
        )
        .await;
    assert_eq!(got.status, 200);
    let body: serde_json::Value = serde_json::from_str(&got.body).unwrap();
    assert_eq!(body["draft"]["form"], "entry");
    assert_eq!(
        body["draft"]["fields"],
        serde_json::json!([
            ["title", marker],
            ["category", "threats"],
            ["category", "isolation"]
        ])
    );

    let discarded = app.send(app.post("/draft/discard", &cookie)).await;
    assert_eq!(discarded.status, 204);
    let gone = app
        .send(
            Request::get("/draft")
                .header("Cookie", &cookie)
                .header("Accept", "application/json"),
        )
        .await;
    assert_eq!(gone.body, r#"{"draft":null}"#);
    app.stop().await;
}

#[tokio::test]
async fn the_safety_page_has_the_statements_words_and_no_session_is_needed() {
    let app = start_set_up().await;
    let reply = app.send(Request::get("/safety")).await;
    assert_eq!(reply.status, 200);
    for line in mycase_core::safety::statement() {
        assert!(reply.body.contains(line), "{line}");
    }
    // Every page links to it.
    let cookie = app.sign_in().await;
    let unlock = app
        .send(Request::get("/unlock").header("Cookie", &cookie))
        .await;
    assert!(unlock.body.contains("href=\"/safety\""));
    assert!(unlock.body.contains("data-quick-exit"));
    app.stop().await;
}

#[tokio::test]
async fn live_events_tell_open_pages_about_changes_and_a_lock() {
    let app = start_set_up().await;
    let cookie = app.unlocked().await;
    let mut events =
        Stream::open(app.port, &Request::get("/events").header("Cookie", &cookie)).await;
    let head = events.until("\r\n\r\n").await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: text/event-stream"),
        "{head}"
    );

    // It starts with where syncing stands now.
    let first = events.until("event: sync").await;
    assert!(first.contains("data: {\"state\":"), "{first}");

    // A change to the journal tells open lists to refresh, with no content.
    let marker = format!("ZQX-event-{}", mycase_tests::leaks::marker(12));
    app.web
        .app()
        .add_entry(mycase_core::app::EntryInput {
            title: marker.clone(),
            text: marker.clone(),
            when: "2026-03-14 21:30".into(),
            categories: vec!["Threats".into()],
            ..mycase_core::app::EntryInput::default()
        })
        .await
        .unwrap();
    let seen = events.until("event: changed").await;
    assert!(!seen.contains(&marker), "an event carried content");

    app.send(app.post("/lock", &cookie)).await;
    let seen = events.until("event: locked").await;
    assert!(!seen.contains(&marker), "an event carried content");
    app.stop().await;
}
