//! The entries, timeline and people pages over raw HTTP: each renders, each form's
//! bad input is a 422 with an error summary linked to its field and changes
//! nothing, and no address or title carries content or an id.

use mycase_core::app::{EntryInput, TimelineQuery};
use mycase_web_app::handles::HandleKind;

use crate::harness::{start_set_up, Running};
use crate::raw_http::{Reply, Request};

/// A word that must never reach an address or a title.
const SECRET: &str = "Zanzibar";

async fn get(app: &Running, cookie: &str, path: &str) -> Reply {
    app.send(Request::get(path).header("Cookie", cookie)).await
}

async fn post(app: &Running, cookie: &str, path: &str, fields: &[(&str, &str)]) -> Reply {
    app.send(app.post(path, cookie).form(fields)).await
}

fn title_of(page: &str) -> &str {
    let start = page.find("<title>").map(|i| i + 7).unwrap_or(0);
    let end = page[start..]
        .find("</title>")
        .map(|i| start + i)
        .unwrap_or(start);
    &page[start..end]
}

/// A 422 whose error summary links to `field`, which is on the page.
fn assert_refused(reply: &Reply, field: &str) {
    assert_eq!(reply.status, 422, "{}", reply.body);
    assert!(reply.body.contains("There is a problem"), "{}", reply.body);
    assert!(
        reply.body.contains(&format!("href=\"#{field}\"")),
        "the summary links to {field}: {}",
        reply.body
    );
    assert!(
        reply.body.contains(&format!("id=\"{field}\"")),
        "the page has the input {field}"
    );
    assert!(title_of(&reply.body).starts_with("Error: "));
}

/// The path a 303 leads to (never a query, never content).
fn location(reply: &Reply) -> String {
    assert_eq!(reply.status, 303, "{}", reply.body);
    let to = reply.header("location").unwrap().to_owned();
    assert!(!to.contains('?') && !to.contains(SECRET), "{to}");
    to
}

fn every_field(when_day: &str) -> Vec<(&str, &str)> {
    vec![
        ("title", "Zanzibar kitchen"),
        ("text", "He shouted about Zanzibar.\r\nI left."),
        ("when_kind", "exact"),
        ("when_day", when_day),
        ("when_month", "3"),
        ("when_year", "2026"),
        ("when_time", "9:30pm"),
        ("categories", "threats"),
        ("categories", "damage-to-property"),
        ("tags", "night, cup"),
        ("severity", "4"),
        ("location", "Home"),
        ("new_person_name", "Sam Zanzibar"),
        ("new_person_role", "witness"),
        ("injuries", "Cut on hand"),
        ("police_references", "CAD 1234\r\nCAD 5678"),
        ("actions_taken", "Called 101"),
        ("impact", "Could not sleep"),
    ]
}

#[tokio::test]
async fn recording_every_field_then_reading_and_amending_it() {
    let app = start_set_up().await;
    let cookie = app.unlocked().await;
    for path in ["/timeline", "/entries/new", "/people", "/trash"] {
        let page = get(&app, &cookie, path).await;
        assert_eq!(page.status, 200, "{path}: {}", page.body);
        assert!(title_of(&page.body).ends_with("– Notes"), "{path}");
    }
    let form = get(&app, &cookie, "/entries/new").await;
    assert!(form.body.contains("data-draft=\"entry\""));
    for id in [
        "when_day",
        "when_month",
        "when_year",
        "when_time",
        "when_kind",
        "severity",
    ] {
        assert!(form.body.contains(&format!("id=\"{id}\"")), "{id}");
    }

    let saved = post(&app, &cookie, "/entries/new", &every_field("14")).await;
    let entry_page = location(&saved);
    assert!(entry_page.starts_with("/entries/"));
    let entries = app.web.app().entries().await.unwrap();
    assert_eq!(entries.len(), 1);
    assert!(!entry_page.contains(&entries[0].id), "no id in the address");

    let page = get(&app, &cookie, &entry_page).await;
    assert_eq!(page.status, 200);
    assert!(!title_of(&page.body).contains(SECRET));
    for shown in [
        "Zanzibar kitchen",
        "Sat 14 March 2026, 21:30",
        "Threats, Damage to property",
        "Sam Zanzibar (witness)",
        "4 of 5",
        "CAD 5678",
        "Called 101",
        "Could not sleep",
        "Cut on hand",
        "on laptop",
        "No files are attached",
    ] {
        assert!(page.body.contains(shown), "the entry page shows {shown:?}");
    }

    // The amend form comes filled in; sent back untouched it changes nothing.
    let amend_path = format!("{entry_page}/amend");
    let amend = get(&app, &cookie, &amend_path).await;
    assert_eq!(amend.status, 200);
    assert!(amend.body.contains("value=\"Zanzibar kitchen\""));
    assert!(amend.body.contains("value=\"9:30pm\"") || amend.body.contains("value=\"21:30\""));
    let person = app.web.app().people().await.unwrap()[0].id.clone();
    let mut same: Vec<(&str, &str)> = every_field("14")
        .into_iter()
        .filter(|(k, _)| !k.starts_with("new_person"))
        .collect();
    same.push(("people", &person));
    let unchanged = post(&app, &cookie, &amend_path, &same).await;
    assert_refused(&unchanged, "entry-form");
    assert!(unchanged.body.contains("Nothing was changed"));

    let mut changed = same.clone();
    changed.retain(|(k, _)| *k != "title");
    changed.push(("title", "Kitchen, amended"));
    let done = post(&app, &cookie, &amend_path, &changed).await;
    assert_eq!(location(&done), entry_page);
    let page = get(&app, &cookie, &entry_page).await;
    assert!(page.body.contains("Kitchen, amended"));
    assert!(page.body.contains("Amended"));
    assert!(
        page.body.contains("Zanzibar kitchen"),
        "the original stays in the history"
    );
    app.stop().await;
}

#[tokio::test]
async fn bad_entries_get_their_field_named_and_change_nothing() {
    let app = start_set_up().await;
    let cookie = app.unlocked().await;
    let with = |changes: &[(&'static str, &'static str)]| {
        let mut fields = every_field("14");
        for (k, v) in changes {
            fields.retain(|(key, _)| key != k);
            fields.push((k, v));
        }
        fields
    };
    for (fields, field) in [
        (with(&[("when_day", "31"), ("when_month", "4")]), "when_day"),
        (with(&[("when_time", "25:00")]), "when_time"),
        (with(&[("when_year", "26")]), "when_year"),
        (
            with(&[("when_kind", "words"), ("when", "whenever")]),
            "when",
        ),
        (with(&[("severity", "9")]), "severity"),
        (with(&[("severity", "lots")]), "severity"),
        (with(&[("categories", "sad")]), "categories"),
        (
            with(&[("people", "00112233445566778899aabbccddeeff")]),
            "people",
        ),
        (with(&[("new_person_role", "landlord")]), "new_person_role"),
        (
            with(&[("new_person_name", ""), ("new_person_role", "witness")]),
            "new_person_name",
        ),
        (with(&[("text", ""), ("title", "")]), "text"),
    ] {
        let reply = post(&app, &cookie, "/entries/new", &fields).await;
        assert_refused(&reply, field);
        // What was typed is still in the form.
        assert!(reply.body.contains("Cut on hand") || field == "text");
    }
    // Several mistakes are all in the summary, in the form's order.
    let several = post(
        &app,
        &cookie,
        "/entries/new",
        &with(&[
            ("text", ""),
            ("title", ""),
            ("when_day", "32"),
            ("severity", "7"),
        ]),
    )
    .await;
    assert_refused(&several, "text");
    let at = |field: &str| several.body.find(&format!("href=\"#{field}\"")).unwrap();
    assert!(at("text") < at("when_day") && at("when_day") < at("severity"));
    assert!(app.web.app().entries().await.unwrap().is_empty());
    assert!(app.web.app().people().await.unwrap().is_empty());

    // A date in the future is questioned, then kept once confirmed.
    let future = with(&[("when_year", "2999")]);
    let asked = post(&app, &cookie, "/entries/new", &future).await;
    assert_refused(&asked, "confirm_future");
    assert!(app.web.app().entries().await.unwrap().is_empty());
    let mut confirmed = future.clone();
    confirmed.push(("future_questioned", "yes"));
    confirmed.push(("confirm_future", "yes"));
    location(&post(&app, &cookie, "/entries/new", &confirmed).await);
    assert_eq!(app.web.app().entries().await.unwrap().len(), 1);
    app.stop().await;
}

async fn one_entry(app: &Running, title: &str, when: &str) -> String {
    app.web
        .app()
        .add_entry(EntryInput {
            title: title.into(),
            text: "text".into(),
            when: when.into(),
            tags: vec!["night".into()],
            ..EntryInput::default()
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn delete_asks_first_then_the_trash_restores() {
    let app = start_set_up().await;
    let cookie = app.unlocked().await;
    let id = one_entry(&app, "Zanzibar", "2026-03-01").await;
    let handle = app.web.handles().handle(HandleKind::Entry, &id);
    let confirm = get(&app, &cookie, &format!("/entries/{handle}/delete")).await;
    assert_eq!(confirm.status, 200);
    assert!(confirm.body.contains("Move this entry to the trash?"));

    let unticked = post(&app, &cookie, &format!("/entries/{handle}/delete"), &[]).await;
    assert_refused(&unticked, "confirm");
    assert_eq!(app.web.app().entries().await.unwrap().len(), 1);

    let deleted = post(
        &app,
        &cookie,
        &format!("/entries/{handle}/delete"),
        &[("confirm", "yes")],
    )
    .await;
    assert_eq!(location(&deleted), "/trash");
    assert!(app.web.app().entries().await.unwrap().is_empty());
    let trash = get(&app, &cookie, "/trash").await;
    assert!(trash.body.contains("Zanzibar") && trash.body.contains("Kept until"));
    let shown = get(&app, &cookie, &format!("/entries/{handle}")).await;
    assert!(shown.body.contains("In the trash"));

    let restored = post(&app, &cookie, &format!("/entries/{handle}/restore"), &[]).await;
    assert_eq!(location(&restored), format!("/entries/{handle}"));
    assert_eq!(app.web.app().entries().await.unwrap().len(), 1);
    // Restoring what is not in the trash is refused and changes nothing.
    let again = post(&app, &cookie, &format!("/entries/{handle}/restore"), &[]).await;
    assert_eq!(again.status, 422);
    assert_eq!(app.web.app().trash().await.unwrap().len(), 0);

    // A conflict form sent for a field with no conflict is refused on the page.
    let resolve = post(
        &app,
        &cookie,
        &format!("/entries/{handle}/resolve"),
        &[("field", "title"), ("choice", "nonsense")],
    )
    .await;
    assert_eq!(resolve.status, 422);
    assert!(resolve.body.contains("settled already"));

    // After a lock, the old address opens nothing.
    app.send(app.post("/lock", &cookie)).await;
    app.unlock(&cookie).await;
    let stale = get(&app, &cookie, &format!("/entries/{handle}")).await;
    assert_eq!(stale.status, 410);
    app.stop().await;
}

#[tokio::test]
async fn the_timeline_filter_is_kept_in_the_session_not_the_address() {
    let app = start_set_up().await;
    let cookie = app.unlocked().await;
    one_entry(&app, "Zanzibar door", "2026-01-10").await;
    one_entry(&app, "Kitchen", "2026-03-02").await;
    let all = get(&app, &cookie, "/timeline").await;
    assert!(all.body.contains("January 2026") && all.body.contains("March 2026"));
    assert!(all.body.contains("2 entries."));

    let filtered = post(&app, &cookie, "/timeline", &[("words", "zanzibar")]).await;
    assert_eq!(location(&filtered), "/timeline");
    let page = get(&app, &cookie, "/timeline").await;
    assert!(page.body.contains("Zanzibar door") && !page.body.contains(">Kitchen<"));
    assert!(page.body.contains("1 matching entry."));
    let live = get(&app, &cookie, "/timeline/live").await;
    assert_eq!(live.status, 200);
    assert!(live.body.contains("Zanzibar door") && !live.body.contains(">Kitchen<"));

    // A bad filter is refused on its field and the kept one stays.
    let bad = post(
        &app,
        &cookie,
        "/timeline",
        &[("from", "March 2026"), ("to", "January 2026")],
    )
    .await;
    assert_refused(&bad, "to");
    let bad = post(&app, &cookie, "/timeline", &[("from", "soonish")]).await;
    assert_refused(&bad, "from");
    let page = get(&app, &cookie, "/timeline").await;
    assert!(page.body.contains("1 matching entry."));

    let by_date = post(&app, &cookie, "/timeline", &[("from", "February 2026")]).await;
    location(&by_date);
    assert!(get(&app, &cookie, "/timeline")
        .await
        .body
        .contains(">Kitchen<"));

    // A new entry from elsewhere is in the live list without a reload.
    app.web
        .app()
        .add_entry(EntryInput {
            title: "From the phone".into(),
            text: "x".into(),
            when: "2026-03-05".into(),
            ..EntryInput::default()
        })
        .await
        .unwrap();
    assert!(get(&app, &cookie, "/timeline/live")
        .await
        .body
        .contains("From the phone"));

    let cleared = post(&app, &cookie, "/timeline/clear", &[]).await;
    location(&cleared);
    assert!(get(&app, &cookie, "/timeline")
        .await
        .body
        .contains("3 entries."));
    // The filter is forgotten at a lock.
    location(&post(&app, &cookie, "/timeline", &[("words", "kitchen")]).await);
    app.send(app.post("/lock", &cookie)).await;
    app.unlock(&cookie).await;
    assert!(get(&app, &cookie, "/timeline")
        .await
        .body
        .contains("3 entries."));
    let _ = TimelineQuery::default();
    app.stop().await;
}

#[tokio::test]
async fn people_are_added_found_and_changed() {
    let app = start_set_up().await;
    let cookie = app.unlocked().await;
    assert_refused(
        &post(&app, &cookie, "/people", &[("name", " "), ("role", "")]).await,
        "name",
    );
    assert_refused(
        &post(
            &app,
            &cookie,
            "/people",
            &[("name", "Dave"), ("role", "landlord")],
        )
        .await,
        "role",
    );
    assert!(app.web.app().people().await.unwrap().is_empty());
    for (name, role) in [("Dave Smith", "causing-harm"), ("Davina", "")] {
        let added = post(
            &app,
            &cookie,
            "/people",
            &[("name", name), ("role", role), ("notes", "")],
        )
        .await;
        assert_eq!(location(&added), "/people");
    }
    let list = get(&app, &cookie, "/people").await;
    assert!(list.body.contains("Dave Smith") && list.body.contains("person causing harm"));

    let found = post(&app, &cookie, "/people/find", &[("words", "smith")]).await;
    assert!(found.body.contains("Found:"));
    let several = post(&app, &cookie, "/people/find", &[("words", "dav")]).await;
    assert!(several.body.contains("More than one person matches"));
    let typo = post(&app, &cookie, "/people/find", &[("words", "Dvae Smith")]).await;
    assert!(typo.body.contains("Did you mean"));
    assert_refused(
        &post(&app, &cookie, "/people/find", &[("words", "")]).await,
        "find",
    );

    let dave = app
        .web
        .app()
        .people()
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.name == "Dave Smith")
        .unwrap();
    let handle = app.web.handles().handle(HandleKind::Person, &dave.id);
    let page = get(&app, &cookie, &format!("/people/{handle}")).await;
    assert_eq!(page.status, 200);
    assert!(!title_of(&page.body).contains("Dave"));
    let refused = post(
        &app,
        &cookie,
        &format!("/people/{handle}"),
        &[("name", ""), ("role", "causing-harm"), ("notes", "")],
    )
    .await;
    assert_refused(&refused, "name");
    let changed = post(
        &app,
        &cookie,
        &format!("/people/{handle}"),
        &[
            ("name", "Dave Smith"),
            ("role", "causing-harm"),
            ("notes", "from school"),
        ],
    )
    .await;
    assert_eq!(location(&changed), "/people");
    assert_eq!(
        app.web
            .app()
            .person(&dave.id)
            .await
            .unwrap()
            .notes
            .as_deref(),
        Some("from school")
    );
    app.stop().await;
}

#[tokio::test]
async fn a_month_or_a_range_of_days_is_recorded_from_the_date_boxes() {
    use mycase_core::app::WhenKind;

    let app = start_set_up().await;
    let cookie = app.unlocked().await;
    for (title, fields, kind, start, end) in [
        (
            "In March",
            vec![
                ("when_kind", "month"),
                ("when_month", "3"),
                ("when_year", "2026"),
            ],
            WhenKind::Month,
            "2026-03",
            None,
        ),
        (
            "That week",
            vec![
                ("when_kind", "range"),
                ("when_day", "20"),
                ("when_month", "4"),
                ("when_year", "2026"),
                ("when_end_day", "24"),
                ("when_end_month", "4"),
                ("when_end_year", "2026"),
            ],
            WhenKind::Range,
            "2026-04-20",
            Some("2026-04-24"),
        ),
    ] {
        let mut form = vec![("title", title), ("text", "What happened")];
        form.extend(fields);
        let saved = post(&app, &cookie, "/entries/new", &form).await;
        let page = get(&app, &cookie, &location(&saved)).await;
        let entries = app.web.app().entries().await.unwrap();
        let id = &entries
            .iter()
            .find(|e| e.title.as_deref() == Some(title))
            .unwrap()
            .id;
        let when = app.web.app().entry(id).await.unwrap().when.unwrap();
        assert_eq!(
            (when.kind, when.start.as_str(), when.end.as_deref()),
            (kind, start, end),
            "{title}"
        );
        // The page reads it back with its precision.
        assert!(
            page.body.contains(&when.display),
            "{title}: {}",
            when.display
        );
    }
    // An end before the start is the end's error, and nothing is saved.
    let before = app.web.app().entries().await.unwrap().len();
    let refused = post(
        &app,
        &cookie,
        "/entries/new",
        &[
            ("title", "Backwards"),
            ("text", "What happened"),
            ("when_kind", "range"),
            ("when_day", "24"),
            ("when_month", "4"),
            ("when_year", "2026"),
            ("when_end_day", "20"),
            ("when_end_month", "4"),
            ("when_end_year", "2026"),
        ],
    )
    .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert_eq!(app.web.app().entries().await.unwrap().len(), before);
}
