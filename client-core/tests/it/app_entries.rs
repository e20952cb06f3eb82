//! The application API's entries, people and timeline against a real server:
//! every field recorded and read back, amendments of only what changed, the trash,
//! conflicts settled from two devices, finding people, filters and search; bad
//! input refused with its field named and nothing written.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use mycase_core::app::{
    App, AppError, AppOptions, DateParts, EntryInput, HistoryKind, NewJournal, PersonInput,
    PersonMatch, RecoverJournal, TimelineQuery, WhenInput, WhenKind, CONFIRM_FUTURE_FIELD,
    MAX_ENTRY_BYTES,
};
use mycase_core::crypto::passphrase::KdfParams;
use mycase_tests::server::TestServer;
use zeroize::Zeroizing;

const PASS: &str = "correct horse battery staple";

fn options() -> AppOptions {
    AppOptions {
        kdf_params: KdfParams::MINIMUM,
    }
}

async fn journal(server: &TestServer, dir: &tempfile::TempDir, name: &str) -> (App, String) {
    let app = App::open_with(dir.path().join(name), options()).unwrap();
    let created = app
        .create_journal(NewJournal {
            server_url: server.url().to_owned(),
            ca_cert_pem: Some(server.ca_pem().to_owned()),
            device_name: name.to_owned(),
            passphrase: Zeroizing::new(PASS.to_owned()),
            invite: None,
        })
        .await
        .unwrap();
    (app, created.recovery_kit.to_string())
}

async fn second_device(server: &TestServer, dir: &tempfile::TempDir, kit: &str) -> App {
    let phone = App::open_with(dir.path().join("phone"), options()).unwrap();
    phone
        .recover_journal(RecoverJournal {
            server_url: server.url().to_owned(),
            ca_cert_pem: Some(server.ca_pem().to_owned()),
            device_name: "phone".into(),
            recovery_kit: Zeroizing::new(kit.to_owned()),
            passphrase: Zeroizing::new(PASS.to_owned()),
        })
        .await
        .unwrap();
    phone
}

fn day(day: &str, month: &str, year: &str, time: &str) -> DateParts {
    DateParts {
        day: day.into(),
        month: month.into(),
        year: year.into(),
        time: time.into(),
    }
}

fn on(kind: WhenKind, start: DateParts) -> WhenInput {
    WhenInput {
        kind,
        start,
        ..WhenInput::default()
    }
}

fn simple(title: &str, text: &str, when: &str) -> EntryInput {
    EntryInput {
        title: title.into(),
        text: text.into(),
        when: when.into(),
        ..EntryInput::default()
    }
}

/// The field a refusal names.
fn refused_field<T: std::fmt::Debug>(r: Result<T, AppError>) -> Option<String> {
    match r {
        Err(AppError::InvalidInput { field, .. }) => field,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn an_entry_with_every_field_reads_back_in_full() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (app, _) = journal(&server, &dir, "laptop").await;
    let jordan = app
        .add_person("Jordan Smith", "person causing harm", "ex-partner")
        .await
        .unwrap();
    let id = app
        .add_entry(EntryInput {
            title: "Kitchen".into(),
            text: "He shouted and threw a cup.\r\nI left.\r\n".into(),
            when: on(WhenKind::Exact, day("14", "March", "2026", "9:30pm")),
            confirm_future: true,
            categories: vec!["threats".into(), "Damage to property".into()],
            tags: vec!["night".into(), " ".into(), "Night".into(), "cup".into()],
            severity: Some(4),
            location: " Home ".into(),
            people: vec![jordan.clone()],
            new_people: vec![PersonInput {
                name: "Sam (neighbour)".into(),
                role: "witness".into(),
                notes: String::new(),
            }],
            injuries: "Cut on hand".into(),
            police_references: vec!["CAD 1234".into()],
            actions_taken: vec!["Called 101".into(), "Told my IDVA".into()],
            impact: "Could not sleep".into(),
        })
        .await
        .unwrap();

    let e = app.entry(&id).await.unwrap();
    assert_eq!(e.title.as_deref(), Some("Kitchen"));
    // Line ends as a browser sends them are stored as one; trailing space dropped.
    assert_eq!(e.text, "He shouted and threw a cup.\nI left.");
    let when = e.when.clone().unwrap();
    assert_eq!(when.kind, WhenKind::Exact);
    assert_eq!(when.start, "2026-03-14T21:30");
    assert_eq!(when.display, "Sat 14 March 2026, 21:30");
    let categories: Vec<&str> = e.categories.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(categories, ["Threats", "Damage to property"]);
    assert_eq!(e.tags, ["night", "cup"]);
    assert_eq!(e.severity, Some(4));
    assert_eq!(e.location.as_deref(), Some("Home"));
    let people: Vec<(&str, Option<&str>)> = e
        .people
        .iter()
        .map(|p| (p.name.as_str(), p.role.as_deref()))
        .collect();
    assert_eq!(
        people,
        [
            ("Jordan Smith", Some("person causing harm")),
            ("Sam (neighbour)", Some("witness"))
        ]
    );
    assert_eq!(e.injuries.as_deref(), Some("Cut on hand"));
    assert_eq!(e.police_references, ["CAD 1234"]);
    assert_eq!(e.actions_taken, ["Called 101", "Told my IDVA"]);
    assert_eq!(e.impact.as_deref(), Some("Could not sleep"));
    assert_eq!(e.recorded_by.name.as_deref(), Some("laptop"));
    assert!(e.attachments.is_empty() && e.conflicts.is_empty() && !e.deleted);
    assert_eq!(e.history.len(), 1);
    assert_eq!(e.history[0].kind, HistoryKind::Created);
    assert_eq!(e.history[0].device.name.as_deref(), Some("laptop"));
    assert_eq!(e.history[0].changes.len(), 12, "every field was set");

    // The new person is on the people list, named by this one entry.
    let everyone = app.people().await.unwrap();
    let sam = everyone
        .iter()
        .find(|p| p.name == "Sam (neighbour)")
        .unwrap();
    assert_eq!(sam.entries, 1);
    assert_eq!(sam.role.as_ref().unwrap().slug, "witness");

    // The summary in the timeline.
    let months = app.timeline(TimelineQuery::default()).await.unwrap();
    assert_eq!(months.len(), 1);
    assert_eq!(months[0].label, "March 2026");
    let s = &months[0].entries[0];
    assert_eq!(s.id, id);
    assert_eq!(s.when.as_deref(), Some("Sat 14 March 2026, 21:30"));
    assert_eq!(s.people, ["Jordan Smith", "Sam (neighbour)"]);
    assert!(s.excerpt.starts_with("He shouted"));
    // Nothing of it in Debug output.
    for shown in [format!("{e:?}"), format!("{s:?}"), format!("{months:?}")] {
        for word in ["Kitchen", "shouted", "Jordan", "Home", "CAD"] {
            assert!(!shown.contains(word), "{shown}");
        }
    }
}

#[tokio::test]
async fn bad_entries_are_refused_naming_the_field_and_nothing_is_written() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (app, _) = journal(&server, &dir, "laptop").await;
    let good = simple("Kitchen", "x", "2026-03-01");
    let cases: Vec<(EntryInput, &str)> = vec![
        (EntryInput::default(), "text"),
        (
            EntryInput {
                severity: Some(6),
                ..good.clone()
            },
            "severity",
        ),
        (
            EntryInput {
                severity: Some(0),
                ..good.clone()
            },
            "severity",
        ),
        (
            EntryInput {
                categories: vec!["sad".into()],
                ..good.clone()
            },
            "categories",
        ),
        (
            EntryInput {
                people: vec!["00112233445566778899aabbccddeeff".into()],
                ..good.clone()
            },
            "people",
        ),
        (
            EntryInput {
                people: vec!["not hex".into()],
                ..good.clone()
            },
            "people",
        ),
        (
            EntryInput {
                new_people: vec![PersonInput {
                    name: " ".into(),
                    ..PersonInput::default()
                }],
                ..good.clone()
            },
            "new_person_name",
        ),
        (
            EntryInput {
                new_people: vec![PersonInput {
                    name: "Sam".into(),
                    role: "landlord".into(),
                    notes: String::new(),
                }],
                ..good.clone()
            },
            "new_person_role",
        ),
        (
            EntryInput {
                when: on(WhenKind::Day, day("31", "4", "2026", "")),
                ..good.clone()
            },
            "when_day",
        ),
        (
            EntryInput {
                when: on(WhenKind::Exact, day("1", "4", "2026", "")),
                ..good.clone()
            },
            "when_time",
        ),
        (
            EntryInput {
                when: "the other day maybe".into(),
                ..good.clone()
            },
            "when",
        ),
        (
            EntryInput {
                when: on(WhenKind::Day, day("1", "1", "2999", "")),
                ..good.clone()
            },
            CONFIRM_FUTURE_FIELD,
        ),
        (
            EntryInput {
                text: "x".repeat(MAX_ENTRY_BYTES + 1),
                ..good.clone()
            },
            "text",
        ),
    ];
    for (input, field) in cases {
        assert_eq!(
            refused_field(app.add_entry(input).await).as_deref(),
            Some(field)
        );
    }
    // Every problem at once, in the form's order, for the error summary.
    let several = EntryInput {
        text: String::new(),
        title: String::new(),
        when: on(WhenKind::Day, day("31", "4", "2026", "")),
        categories: vec!["sad".into()],
        severity: Some(9),
        ..good.clone()
    };
    let fields: Vec<Option<String>> = app
        .entry_problems(&several)
        .await
        .unwrap()
        .into_iter()
        .map(|e| match e {
            AppError::InvalidInput { field, .. } => field,
            other => panic!("{other:?}"),
        })
        .collect();
    let fields: Vec<Option<&str>> = fields.iter().map(|f| f.as_deref()).collect();
    assert_eq!(
        fields,
        [
            Some("text"),
            Some("when_day"),
            Some("categories"),
            Some("severity")
        ]
    );
    assert!(app.entry_problems(&good).await.unwrap().is_empty());
    assert!(app.entries().await.unwrap().is_empty());
    assert!(
        app.people().await.unwrap().is_empty(),
        "a refused entry adds nobody"
    );
    assert_eq!(app.status().sync.pending_upload, 0, "nothing was written");

    // Confirmed, the future date is kept.
    let id = app
        .add_entry(EntryInput {
            when: on(WhenKind::Day, day("1", "1", "2999", "")),
            confirm_future: true,
            ..good
        })
        .await
        .unwrap();
    assert_eq!(
        app.entry(&id).await.unwrap().when.unwrap().start,
        "2999-01-01"
    );
}

#[tokio::test]
async fn an_amendment_holds_only_what_changed_and_the_original_stays() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (app, _) = journal(&server, &dir, "laptop").await;
    let id = app
        .add_entry(EntryInput {
            location: "Home".into(),
            tags: vec!["night".into()],
            severity: Some(2),
            when: WhenInput {
                kind: WhenKind::Range,
                start: day("", "2", "2026", ""),
                end: day("14", "3", "2026", "08:05"),
                words: String::new(),
            },
            ..simple("Kitchen", "He shouted.\nI left.", "")
        })
        .await
        .unwrap();
    let entry = app.entry(&id).await.unwrap();

    // The form sent back as it was given changes nothing (a browser's line ends too).
    let mut unchanged = entry.to_input();
    unchanged.text = unchanged.text.replace('\n', "\r\n");
    assert_eq!(
        refused_field(app.amend_entry(&id, unchanged).await),
        None,
        "nothing to change is refused"
    );
    assert_eq!(app.entry(&id).await.unwrap().history.len(), 1);

    let mut form = entry.to_input();
    form.title = "In the kitchen".into();
    form.location = String::new();
    form.severity = None;
    app.amend_entry(&id, form).await.unwrap();
    let amended = app.entry(&id).await.unwrap();
    assert!(amended.amended);
    assert_eq!(amended.title.as_deref(), Some("In the kitchen"));
    assert_eq!(amended.location, None);
    assert_eq!(amended.severity, None);
    assert_eq!(amended.tags, ["night"]);
    assert_eq!(amended.when, entry.when);
    assert_eq!(amended.history.len(), 2);
    let changes: Vec<(&str, &str)> = amended.history[1]
        .changes
        .iter()
        .map(|c| (c.field.as_str(), c.value.as_str()))
        .collect();
    assert_eq!(
        changes,
        [
            ("title", "In the kitchen"),
            ("severity", "(cleared)"),
            ("location", "(cleared)")
        ]
    );
    // The original is still in the history, word for word.
    let original: Vec<(&str, &str)> = amended.history[0]
        .changes
        .iter()
        .map(|c| (c.field.as_str(), c.value.as_str()))
        .collect();
    assert!(original.contains(&("title", "Kitchen")));
    assert!(original.contains(&("location", "Home")));

    // Bad input in an amendment is refused and changes nothing.
    let mut bad = amended.to_input();
    bad.severity = Some(9);
    assert_eq!(
        refused_field(app.amend_entry(&id, bad).await).as_deref(),
        Some("severity")
    );
    let mut future = amended.to_input();
    future.when = on(WhenKind::Month, day("", "1", "2999", ""));
    assert_eq!(
        refused_field(app.amend_entry(&id, future).await).as_deref(),
        Some(CONFIRM_FUTURE_FIELD)
    );
    assert_eq!(app.entry(&id).await.unwrap().history.len(), 2);
    assert!(matches!(
        app.amend_entry("00112233445566778899aabbccddeeff", amended.to_input())
            .await,
        Err(AppError::NotFound { .. })
    ));
}

#[tokio::test]
async fn delete_to_the_trash_and_restore() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (app, _) = journal(&server, &dir, "laptop").await;
    let id = app
        .add_entry(simple("One", "x", "2026-03-01"))
        .await
        .unwrap();
    let other = app
        .add_entry(simple("Two", "y", "2026-03-02"))
        .await
        .unwrap();
    app.delete_entry(&id).await.unwrap();
    let live: Vec<String> = app
        .entries()
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(live, [other.as_str()]);
    let trash = app.trash().await.unwrap();
    assert_eq!(trash.len(), 1);
    assert_eq!(trash[0].entry.id, id);
    assert_eq!(
        trash[0].kept_until_ms - trash[0].deleted_at_ms,
        30 * 24 * 60 * 60 * 1000
    );
    // In the trash it can still be read, and not amended or deleted again.
    let e = app.entry(&id).await.unwrap();
    assert!(e.deleted);
    assert_eq!(e.history.last().unwrap().kind, HistoryKind::Deleted);
    assert_eq!(
        refused_field(app.amend_entry(&id, e.to_input()).await).as_deref(),
        Some("id")
    );
    assert_eq!(
        refused_field(app.delete_entry(&id).await).as_deref(),
        Some("id")
    );
    assert_eq!(
        refused_field(app.restore_entry(&other).await).as_deref(),
        Some("id")
    );
    for bad in ["", "zz", "0011", "00112233445566778899aabbccddeeff"] {
        assert!(matches!(
            app.delete_entry(bad).await,
            Err(AppError::NotFound { .. })
        ));
        assert!(matches!(
            app.entry(bad).await,
            Err(AppError::NotFound { .. })
        ));
    }
    app.restore_entry(&id).await.unwrap();
    assert!(app.trash().await.unwrap().is_empty());
    assert_eq!(app.entries().await.unwrap().len(), 2);
    assert_eq!(
        app.entry(&id).await.unwrap().history.last().unwrap().kind,
        HistoryKind::Restored
    );
}

#[tokio::test]
async fn a_conflict_from_two_devices_is_shown_and_settled() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (laptop, kit) = journal(&server, &dir, "laptop").await;
    let phone = second_device(&server, &dir, &kit).await;
    let id = laptop
        .add_entry(simple("Kitchen", "x", "2026-03-01"))
        .await
        .unwrap();
    laptop.sync_now().await.unwrap();
    phone.sync_now().await.unwrap();

    // Both change the title without seeing the other's change.
    let mut on_laptop = laptop.entry(&id).await.unwrap().to_input();
    on_laptop.title = "Title from the laptop".into();
    laptop.amend_entry(&id, on_laptop).await.unwrap();
    let mut on_phone = phone.entry(&id).await.unwrap().to_input();
    on_phone.title = "Title from the phone".into();
    phone.amend_entry(&id, on_phone).await.unwrap();
    laptop.sync_now().await.unwrap();
    phone.sync_now().await.unwrap();
    laptop.sync_now().await.unwrap();

    let seen = laptop.entry(&id).await.unwrap();
    assert_eq!(seen, phone.entry(&id).await.unwrap(), "both devices agree");
    assert_eq!(seen.conflicts.len(), 1);
    let conflict = &seen.conflicts[0];
    assert_eq!(conflict.field, "title");
    assert_eq!(conflict.versions.len(), 2);
    assert!(conflict.versions[0].shown && !conflict.versions[1].shown);
    let mut devices: Vec<&str> = conflict
        .versions
        .iter()
        .map(|v| v.device.name.as_deref().unwrap())
        .collect();
    devices.sort();
    assert_eq!(devices, ["laptop", "phone"]);
    assert!(laptop.timeline(TimelineQuery::default()).await.unwrap()[0].entries[0].has_conflicts);

    // A choice that is not one of the versions, or a field not in conflict, is refused.
    for (field, choice) in [
        ("title", "nonsense"),
        ("text", conflict.versions[0].choice.as_str()),
    ] {
        assert_eq!(
            refused_field(laptop.resolve_conflict(&id, field, choice).await).as_deref(),
            Some("choice")
        );
    }
    assert_eq!(
        refused_field(laptop.resolve_conflict(&id, "colour", "x").await).as_deref(),
        Some("field")
    );
    assert_eq!(laptop.entry(&id).await.unwrap().history.len(), 3);

    // Keeping the version not shown settles it on every device.
    let kept = conflict.versions[1].clone();
    laptop
        .resolve_conflict(&id, "title", &kept.choice)
        .await
        .unwrap();
    let settled = laptop.entry(&id).await.unwrap();
    assert!(settled.conflicts.is_empty());
    assert_eq!(settled.title.as_deref(), Some(kept.value.as_str()));
    assert_eq!(
        settled.history.len(),
        4,
        "every version stays in the history"
    );
    // Settling it again is refused: it is settled.
    assert_eq!(
        refused_field(laptop.resolve_conflict(&id, "title", &kept.choice).await).as_deref(),
        Some("choice")
    );
    laptop.sync_now().await.unwrap();
    phone.sync_now().await.unwrap();
    let on_phone = phone.entry(&id).await.unwrap();
    assert!(on_phone.conflicts.is_empty());
    assert_eq!(on_phone.title, settled.title);
}

#[tokio::test]
async fn people_are_added_amended_and_found_by_part_of_a_name() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (app, _) = journal(&server, &dir, "laptop").await;
    let dave = app
        .add_person("Dave Smith", "causing-harm", "")
        .await
        .unwrap();
    let davina = app.add_person("Davina", "", "my sister").await.unwrap();
    app.add_person("Zoë Patel", "professional", "")
        .await
        .unwrap();

    for (bad, field) in [
        ("", "person_name"),
        ("x".repeat(201).as_str(), "person_name"),
    ] {
        assert_eq!(
            refused_field(app.add_person(bad, "", "").await).as_deref(),
            Some(field)
        );
    }
    assert_eq!(
        refused_field(app.add_person("Sam", "landlord", "").await).as_deref(),
        Some("person_role")
    );
    assert_eq!(app.people().await.unwrap().len(), 3);

    let one = |m: PersonMatch| match m {
        PersonMatch::One(p) => p.name,
        other => panic!("{other:?}"),
    };
    assert_eq!(one(app.find_person("smith").await.unwrap()), "Dave Smith");
    assert_eq!(one(app.find_person("zoe").await.unwrap()), "Zoë Patel");
    assert_eq!(one(app.find_person("DAVINA").await.unwrap()), "Davina");
    match app.find_person("dav").await.unwrap() {
        PersonMatch::Several(found) => {
            let ids: Vec<&str> = found.iter().map(|p| p.id.as_str()).collect();
            assert_eq!(ids.len(), 2);
            assert!(ids.contains(&dave.as_str()) && ids.contains(&davina.as_str()));
        }
        other => panic!("{other:?}"),
    }
    match app.find_person("Dvae Smith").await.unwrap() {
        PersonMatch::NoneFound { did_you_mean } => assert_eq!(did_you_mean[0].id, dave),
        other => panic!("{other:?}"),
    }

    // Only what differs is changed; nothing different is refused.
    assert_eq!(
        refused_field(
            app.amend_person(&dave, "Dave Smith", "causing-harm", "")
                .await
        ),
        None
    );
    app.amend_person(&dave, "Dave Smith", "causing-harm", "from school")
        .await
        .unwrap();
    let p = app.person(&dave).await.unwrap();
    assert_eq!(p.notes.as_deref(), Some("from school"));
    assert_eq!(p.role.unwrap().name, "person causing harm");
    app.amend_person(&davina, "Davina", "", "").await.unwrap();
    assert_eq!(app.person(&davina).await.unwrap().notes, None);
    assert_eq!(
        refused_field(app.amend_person(&dave, " ", "", "").await).as_deref(),
        Some("person_name")
    );
    assert!(matches!(
        app.amend_person("00112233445566778899aabbccddeeff", "X", "", "")
            .await,
        Err(AppError::NotFound { .. })
    ));
    assert_eq!(app.person(&dave).await.unwrap().name, "Dave Smith");
}

#[tokio::test]
async fn the_timeline_filters_and_searches() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (app, _) = journal(&server, &dir, "laptop").await;
    let jordan = app.add_person("Jordan", "causing-harm", "").await.unwrap();
    let add =
        |title: &str, when: &str, category: &str, tag: &str, people: Vec<String>| EntryInput {
            categories: vec![category.into()],
            tags: vec![tag.into()],
            people,
            ..simple(title, "the words of it", when)
        };
    let a = app
        .add_entry(add("Pushed", "2026-01-10", "physical", "night", vec![]))
        .await
        .unwrap();
    let b = app
        .add_entry(add(
            "Texts at the door",
            "2026-03-02",
            "threats",
            "Phone",
            vec![jordan.clone()],
        ))
        .await
        .unwrap();
    let c = app
        .add_entry(add("Followed", "2026-03-20", "stalking", "night", vec![]))
        .await
        .unwrap();
    let ids = |months: Vec<mycase_core::app::MonthGroup>| -> Vec<String> {
        months
            .into_iter()
            .flat_map(|m| m.entries)
            .map(|e| e.id)
            .collect()
    };
    let q = |f: fn(&mut TimelineQuery)| {
        let mut q = TimelineQuery::default();
        f(&mut q);
        q
    };
    let all = app.timeline(TimelineQuery::default()).await.unwrap();
    let labels: Vec<&str> = all.iter().map(|m| m.label.as_str()).collect();
    assert_eq!(labels, ["January 2026", "March 2026"]);
    assert_eq!(ids(all), [a.clone(), b.clone(), c.clone()]);
    assert_eq!(
        ids(app
            .timeline(q(|q| q.from = "February 2026".into()))
            .await
            .unwrap()),
        [b.clone(), c.clone()]
    );
    assert_eq!(
        ids(app
            .timeline(q(|q| q.to = "02/03/2026".into()))
            .await
            .unwrap()),
        [a.clone(), b.clone()]
    );
    assert_eq!(
        ids(app
            .timeline(q(|q| q.categories = vec!["Stalking or harassment".into()]))
            .await
            .unwrap()),
        [c.as_str()]
    );
    assert_eq!(
        ids(app
            .timeline(q(|q| q.tags = vec!["NIGHT".into()]))
            .await
            .unwrap()),
        [a.clone(), c.clone()]
    );
    let by_person = TimelineQuery {
        people: vec![jordan.clone()],
        ..TimelineQuery::default()
    };
    assert_eq!(ids(app.timeline(by_person).await.unwrap()), [b.as_str()]);
    // Several words, from different fields: a title word and the person's name.
    assert_eq!(
        ids(app
            .timeline(q(|q| q.words = "door JORDAN".into()))
            .await
            .unwrap()),
        [b.as_str()]
    );
    let search: Vec<String> = app
        .search("words night")
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(search, [a.clone(), c.clone()]);
    assert!(app.search("  ").await.unwrap().is_empty());
    assert_eq!(app.tags().await.unwrap(), ["night", "Phone"]);

    // A filter that cannot be read is refused, naming its field.
    for (query, field) in [
        (q(|q| q.from = "soonish".into()), "from"),
        (
            q(|q| {
                q.from = "2026-03".into();
                q.to = "2026-01".into()
            }),
            "to",
        ),
        (q(|q| q.categories = vec!["sad".into()]), "categories"),
        (
            q(|q| q.people = vec!["00112233445566778899aabbccddeeff".into()]),
            "people",
        ),
    ] {
        assert_eq!(
            refused_field(app.timeline(query).await).as_deref(),
            Some(field)
        );
    }
    // Deleted entries leave the timeline and the search.
    app.delete_entry(&b).await.unwrap();
    assert!(app.search("door").await.unwrap().is_empty());
    assert_eq!(
        ids(app.timeline(TimelineQuery::default()).await.unwrap()),
        [a, c]
    );
}

#[tokio::test]
async fn everything_needs_the_journal_unlocked() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (app, _) = journal(&server, &dir, "laptop").await;
    let id = app.add_entry(simple("One", "x", "")).await.unwrap();
    app.lock().await;
    assert!(matches!(app.entry(&id).await, Err(AppError::Locked)));
    assert!(matches!(
        app.timeline(TimelineQuery::default()).await,
        Err(AppError::Locked)
    ));
    assert!(matches!(app.search("x").await, Err(AppError::Locked)));
    assert!(matches!(app.people().await, Err(AppError::Locked)));
    assert!(matches!(app.trash().await, Err(AppError::Locked)));
    assert!(matches!(app.delete_entry(&id).await, Err(AppError::Locked)));
    assert!(matches!(
        app.add_person("A", "", "").await,
        Err(AppError::Locked)
    ));
    app.unlock(PASS).await.unwrap();
    assert_eq!(app.entries().await.unwrap().len(), 1);
}
