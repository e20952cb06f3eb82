#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! A share holds exactly the selection, every device lists it, and the server
//! never holds its key or its content: not in any file (while the share is
//! live), not in any log line (at TRACE). After revocation the link says so and
//! the ciphertext is gone.

use std::time::Duration;

use mycase_core::share::{link, open_bundle, Selection};
use mycase_core::{fetch_bundle, FetchError, ShareRequest};
use mycase_proto::v1::{EntryFields, StringList};
use mycase_tests::{contains, files_under, marker, pair_device, CaptureWriter, TestServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_share_holds_the_selection_and_the_server_never_sees_its_key() {
    // Global, so the server's tasks log into it too (one test in this file).
    let capture = CaptureWriter::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(capture.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let (chosen, tagged, other, in_file) = (marker(24), marker(24), marker(24), marker(24));
    let mut server = TestServer::start().await;
    let (mut a, ta) = mycase_tests::new_account_device(&server).await;
    let entry = |text: &str, tag: Option<&str>| EntryFields {
        title: Some("entry".into()),
        text: Some(text.to_string()),
        tags: tag.map(|t| StringList {
            values: vec![t.into()],
        }),
        ..Default::default()
    };
    let first = a
        .add_entry(entry(&format!("chosen {chosen}"), None))
        .unwrap();
    a.add_entry(entry(&format!("tagged {tagged}"), Some("bruise")))
        .unwrap();
    a.add_entry(entry(&format!("other {other}"), Some("unrelated")))
        .unwrap();
    a.sync(&ta).await.unwrap();
    let files = tempfile::tempdir().unwrap();
    let evidence = files.path().join("note.txt");
    std::fs::write(&evidence, format!("evidence {in_file}").repeat(100)).unwrap();
    a.attach_file(&ta, first, &evidence, |_, _| {})
        .await
        .unwrap();

    let share = a
        .create_share(
            &ta,
            ShareRequest {
                selection: Selection {
                    entries: vec![first],
                    tags: vec!["Bruise".into()],
                    ..Selection::default()
                },
                expires_in: Duration::from_secs(7 * 86_400),
                max_views: 0,
                password: None,
                include_attachments: true,
                strip_location: true,
            },
        )
        .await
        .unwrap();
    assert_eq!((share.entries, share.attachments), (2, 1));
    a.sync(&ta).await.unwrap();

    // Another device lists the share (with its link) after syncing.
    let (b, _tb) = pair_device(&server, &mut a, &ta, "phone").await;
    let listed = b.journal().shares();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].share_id, share.share_id);
    assert_eq!(listed[0].entry_ids.len(), 2);
    assert!(listed[0].revoked_at_ms.is_none());

    // Opened as an advocate would: exactly the selection.
    let parsed = link::parse(&share.link).unwrap();
    let advocate = server.transport().await;
    let bundle = fetch_bundle(&advocate, &parsed).await.unwrap();
    for secret in [&chosen, &tagged, &other, &in_file] {
        assert!(
            !contains(&bundle, secret.as_bytes()),
            "the bundle is sealed"
        );
    }
    let opened = open_bundle(&parsed.share_id, &parsed.key, None, &bundle).unwrap();
    let manifest = serde_json::to_string(&opened.manifest).unwrap();
    assert!(manifest.contains(&chosen) && manifest.contains(&tagged));
    assert!(
        !manifest.contains(&other),
        "an entry outside the selection leaked"
    );
    assert_eq!(opened.files.len(), 1);
    assert!(contains(&opened.files[0], in_file.as_bytes()));

    // While the share is live, scan everything the server holds, then its logs.
    server.stop().await;
    let key = *parsed.key.as_bytes();
    let key_b64 = share.link.split_once('#').unwrap().1.to_string();
    let needles: Vec<(&str, Vec<u8>)> = vec![
        ("link key", key.to_vec()),
        ("link key base64url", key_b64.clone().into_bytes()),
        ("link key hex", hex::encode(key).into_bytes()),
        ("chosen entry", chosen.clone().into_bytes()),
        ("tagged entry", tagged.clone().into_bytes()),
        ("other entry", other.clone().into_bytes()),
        ("attachment", in_file.clone().into_bytes()),
    ];
    let server_files = files_under(server.data_dir());
    let share_file = server
        .data_dir()
        .join("shares")
        .join(hex::encode(share.share_id));
    assert!(server_files.contains(&share_file), "the scan saw the share");
    for f in &server_files {
        let bytes = std::fs::read(f).unwrap();
        for (what, needle) in &needles {
            assert!(!contains(&bytes, needle), "{what} found in {}", f.display());
        }
    }
    let logs = capture.0.lock().unwrap().clone();
    assert!(
        contains(&logs, b"mycase-server listening"),
        "server logs were captured"
    );
    // No per-share line at all: sizes and times would link the upload to each
    // opening ("share created bytes=986" / "share opened bytes=986").
    assert!(!contains(&logs, b"share created") && !contains(&logs, b"share opened"));
    // (The HTTP/2 library's own trace lines count frame bytes; the server's
    // lines carry no size at all.)
    let text = String::from_utf8_lossy(&logs);
    let sized: Vec<_> = text
        .lines()
        .filter(|l| l.contains("mycase_server") && l.contains("bytes"))
        .collect();
    assert!(sized.is_empty(), "{sized:?}");
    for (what, needle) in &needles {
        assert!(!contains(&logs, needle), "{what} found in the logs");
    }
    // Nor the share id: logs carry no identifiers.
    assert!(!contains(&logs, hex::encode(share.share_id).as_bytes()));

    // Revoked: the ciphertext is gone and the link says the share has ended.
    server.start_again().await;
    let ta = server.transport().await;
    a.revoke_share(&ta, share.share_id).await.unwrap();
    assert!(!share_file.exists());
    let advocate = server.transport().await;
    match fetch_bundle(&advocate, &parsed).await {
        Err(e @ FetchError::Ended(_)) => {
            assert!(e.to_string().contains("has withdrawn it"), "{e}");
        }
        other => panic!("expected an ended share, got {:?}", other.map(|b| b.len())),
    }
    assert!(a.journal().shares()[0].revoked_at_ms.is_some());
}
