#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Two devices through a real server: pairing, offline concurrent amendments that
//! merge into identical journals without losing either value, and a server restart
//! between one device's push and the other's pull.

use mycase_core::journal::{Field, FieldValue, RevisionKind};
use mycase_core::store::LocalStore;
use mycase_tests::{fields, new_account_device, pair_device, text, TestServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pair_merge_conflict_and_restart() {
    let mut server = TestServer::start().await;
    let (mut a, ta) = new_account_device(&server).await;
    let e1 = a
        .add_entry(fields("shouting", "he shouted at me in the kitchen"))
        .unwrap();
    let e2 = a.add_entry(fields("phone", "he took my phone")).unwrap();
    let e3 = a
        .add_entry(fields("message", "threatening message at 23:10"))
        .unwrap();
    a.sync(&ta).await.unwrap();

    // B joins and sees everything A wrote.
    let (mut b, tb) = pair_device(&server, &mut a, &ta, "phone").await;
    let seen: Vec<_> = b.journal().entries().iter().map(|e| e.id).collect();
    for id in [e1, e2, e3] {
        assert!(seen.contains(&id), "B sees A's entries after joining");
    }
    a.sync(&ta).await.unwrap();
    assert_eq!(a.journal().entries(), b.journal().entries());
    assert_eq!(
        a.journal().devices().len(),
        2,
        "the roster lists both devices"
    );

    // Both amend e1's text while offline (no sync in between).
    a.amend_entry(e1, text("version written on the laptop"))
        .unwrap();
    b.amend_entry(e1, text("version written on the phone"))
        .unwrap();
    // B also writes a new entry while offline.
    let e4 = b
        .add_entry(fields("follow", "he followed me to work"))
        .unwrap();

    // A pushes; the server restarts before B pulls.
    let report = a.sync(&ta).await.unwrap();
    assert!(report.pushed >= 1);
    assert_eq!(a.pending_upload(), 0);
    server.restart().await;

    // Everything acknowledged survived, and sync continues on the same transports.
    let rb = b.sync(&tb).await.unwrap();
    assert!(rb.pushed >= 2, "B uploads its amendment and entry: {rb:?}");
    assert!(rb.pulled >= 1, "B receives A's amendment: {rb:?}");
    let ra = a.sync(&ta).await.unwrap();
    assert!(ra.pulled >= 2, "A receives B's records: {ra:?}");
    // One more round on B is a no-op and changes nothing.
    let rb2 = b.sync(&tb).await.unwrap();
    assert_eq!((rb2.pushed, rb2.pulled), (0, 0));

    assert_eq!(
        a.journal().entries(),
        b.journal().entries(),
        "both journals identical"
    );
    assert_eq!(a.journal().len(), b.journal().len());
    assert_eq!(a.store().vector(), b.store().vector());
    assert!(a.journal().entry(&e4).is_some(), "A sees B's offline entry");

    let view = a.journal().entry(&e1).unwrap();
    let laptop = FieldValue::Text("version written on the laptop".into());
    let phone = FieldValue::Text("version written on the phone".into());
    let conflict = view
        .conflict(Field::Text)
        .expect("the concurrent amendments are flagged");
    assert!(
        view.text == "version written on the laptop" || view.text == "version written on the phone"
    );
    assert_eq!(conflict.shown, FieldValue::Text(view.text.clone()));
    assert_eq!(conflict.others.len(), 1);
    let other = &conflict.others[0].value;
    assert!(
        (conflict.shown == laptop && *other == phone)
            || (conflict.shown == phone && *other == laptop),
        "one value shown, the other in conflicts"
    );
    // Nothing lost: the original and both amendments are in the history.
    let texts: Vec<&str> = view
        .history
        .iter()
        .filter_map(|r| r.fields.text.as_deref())
        .collect();
    assert!(texts.contains(&"he shouted at me in the kitchen"));
    assert!(texts.contains(&"version written on the laptop"));
    assert!(texts.contains(&"version written on the phone"));
    assert_eq!(
        view.history
            .iter()
            .filter(|r| r.kind == RevisionKind::Amended)
            .count(),
        2
    );
    assert_eq!(
        view.title.as_deref(),
        Some("shouting"),
        "untouched fields are not in conflict"
    );

    // Resolving on one device clears the conflict on both.
    a.amend_entry(e1, text("resolved text")).unwrap();
    a.sync(&ta).await.unwrap();
    b.sync(&tb).await.unwrap();
    for d in [a.journal(), b.journal()] {
        let v = d.entry(&e1).unwrap();
        assert_eq!(v.text, "resolved text");
        assert!(v.conflicts.is_empty());
        assert_eq!(v.history.len(), 4);
    }
    assert_eq!(a.journal().entries(), b.journal().entries());

    // A third device joining after the restart gets exactly the same journal.
    let (c, _tc) = pair_device(&server, &mut a, &ta, "tablet").await;
    a.sync(&ta).await.unwrap();
    assert_eq!(c.journal().entries(), a.journal().entries());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_backed_device_survives_reopen_and_server_restart() {
    use mycase_core::crypto::passphrase::KdfParams;
    use mycase_core::Device;

    let mut server = TestServer::start().await;
    let home = tempfile::tempdir().unwrap();
    let t = server.transport().await;
    let (mut a, kit) = Device::create(
        home.path(),
        b"pass phrase",
        KdfParams::MINIMUM,
        server.setup("laptop"),
    )
    .unwrap();
    a.register(&t, &kit, None).await.unwrap();
    let e = a
        .add_entry(fields("t", "written before the restart"))
        .unwrap();
    a.sync(&t).await.unwrap();
    let before = a.journal().entries();
    drop(a);

    server.restart().await;
    let mut a = Device::open(home.path(), b"pass phrase").unwrap();
    assert_eq!(
        a.journal().entries(),
        before,
        "reopened from disk unchanged"
    );
    assert_eq!(a.pending_upload(), 0);
    let r = a.sync(&t).await.unwrap();
    assert_eq!(
        (r.pushed, r.pulled),
        (0, 0),
        "the server still holds everything acknowledged"
    );
    a.amend_entry(e, text("after")).unwrap();
    assert_eq!(a.sync(&t).await.unwrap().pushed, 1);

    // A paired device gets both.
    let (b, _tb) = pair_device(&server, &mut a, &t, "phone").await;
    assert_eq!(b.journal().entry(&e).unwrap().history.len(), 2);
    server.stop().await;
}
