#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The journal as a survivor keeps it, through a real server: an entry with every
//! field and a multi-megabyte attachment made on one device arrives identical on
//! another; the device's home holds none of it in the clear; after a wipe, the
//! recovery kit brings everything back, the attachment included, byte for byte.

use mycase_core::crypto::passphrase::KdfParams;
use mycase_core::ids::new_id;
use mycase_core::is_initialised;
use mycase_core::journal::{occurred, ops};
use mycase_core::keys::RecoveryKit;
use mycase_core::wipe;
use mycase_core::Device;
use mycase_proto::v1::{EntryFields, PersonFields, StringList};
use mycase_tests::{contains, files_under, marker, pair_device, TestServer};

fn list(values: &[&str]) -> Option<StringList> {
    Some(StringList {
        values: values.iter().map(|v| v.to_string()).collect(),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_field_and_an_attachment_survive_sync_wipe_and_recovery() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let home_a = dir.path().join("laptop");
    let ta = server.transport().await;
    let (mut a, kit) = Device::create(
        &home_a,
        b"laptop passphrase",
        KdfParams::MINIMUM,
        server.setup("laptop"),
    )
    .unwrap();
    a.register(&ta, &kit, None).await.unwrap();

    // An entry with every field, naming a person from the people list.
    let secret = marker(24);
    let person = new_id();
    a.commit(vec![ops::add_person(
        person,
        PersonFields {
            name: Some(format!("alias {secret}")),
            role: Some("causing-harm".into()),
            notes: None,
        },
    )])
    .unwrap();
    let entry = a
        .add_entry(EntryFields {
            title: Some(format!("title {secret}")),
            text: Some(format!("text {secret}")),
            occurred_at: Some(occurred::parse("2026-03-14 21:30").unwrap()),
            categories: list(&["threats", "damage-to-property"]),
            tags: list(&[&format!("tag-{secret}")]),
            severity: Some(4),
            location: Some(format!("location {secret}")),
            people: list(&[&hex::encode(person)]),
            injuries: Some(format!("injuries {secret}")),
            police_references: list(&["CAD 1234/14MAR26"]),
            actions_taken: list(&["reported to police", "GP"]),
            impact: Some(format!("impact {secret}")),
            withholdable: Vec::new(),
        })
        .unwrap();

    // A multi-megabyte attachment whose bytes carry the marker too.
    let mut evidence: Vec<u8> = Vec::with_capacity(5 * 1024 * 1024 + 17);
    while evidence.len() < 5 * 1024 * 1024 + 17 {
        evidence.extend_from_slice(format!("photo bytes {secret} ").as_bytes());
    }
    let file_name = format!("evidence-{secret}.jpg");
    let source = dir.path().join(&file_name);
    std::fs::write(&source, &evidence).unwrap();
    a.attach_file(&ta, entry, &source, |_, _| {}).await.unwrap();
    std::fs::remove_file(&source).unwrap();
    a.sync(&ta).await.unwrap();

    // Another device gets the identical entry and the identical bytes.
    let (b, tb) = pair_device(&server, &mut a, &ta, "phone").await;
    let on_a = a.journal().entry(&entry).unwrap();
    let on_b = b.journal().entry(&entry).unwrap();
    assert_eq!(on_a, on_b);
    assert_eq!(on_b.severity, Some(4));
    assert_eq!(on_b.attachments.len(), 1);
    let out_b = dir.path().join("from-phone.jpg");
    b.get_attachment(&tb, entry, &file_name, &out_b, |_, _| {})
        .await
        .unwrap();
    assert_eq!(std::fs::read(&out_b).unwrap(), evidence);

    // The laptop's home holds nothing readable: not the entry, the person, the
    // file's name, nor its bytes.
    let files = files_under(&home_a);
    assert!(!files.is_empty());
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        assert!(
            !contains(&bytes, secret.as_bytes()),
            "plaintext in {}",
            f.display()
        );
        assert!(!f.to_string_lossy().contains(&secret));
    }
    let journal_before = a.journal().entries();
    drop(a);

    // Wipe the laptop: it looks as if MyCase had never been set up there.
    wipe(&home_a).unwrap();
    assert!(!home_a.exists());
    assert!(!is_initialised(&home_a));

    // The recovery kit, typed back in on a new device, brings everything back.
    let typed = RecoveryKit::parse(&kit.to_display()).unwrap();
    let home_c = dir.path().join("new laptop");
    let tc = server.transport().await;
    let (c, _) = Device::recover(
        &home_c,
        b"new passphrase",
        KdfParams::MINIMUM,
        &tc,
        &typed,
        server.setup("new laptop"),
    )
    .await
    .unwrap();
    assert_eq!(c.journal().entries(), journal_before);
    assert_eq!(c.journal().people().len(), 1);
    let out_c = dir.path().join("recovered.jpg");
    c.get_attachment(&tc, entry, &file_name, &out_c, |_, _| {})
        .await
        .unwrap();
    assert_eq!(std::fs::read(&out_c).unwrap(), evidence);
}
