#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The server is blind: content written from two devices never appears in any
//! file under its data directory nor in any log line (at TRACE), and neither do
//! the session tokens or the recovery kit's secrets.

use mycase_core::store::memory::MemoryStore;
use mycase_core::Device;
use mycase_proto::v1::EntryFields;
use mycase_tests::{
    contains, files_under, marker, pair_over, CaptureWriter, HostileTransport, TestServer,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_files_and_logs_hold_no_content_or_secrets() {
    // Global, so the server's tasks and blocking threads log into it too (this
    // file holds this one test, so nothing else installs a subscriber).
    let capture = CaptureWriter::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(capture.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let title_marker = marker(24);
    let text_marker = marker(24);
    let phone_marker = marker(24);
    let device_name_marker = marker(24);

    let mut server = TestServer::start().await;
    let ta = HostileTransport::new(server.transport().await);
    let (mut a, kit) =
        Device::create_in(MemoryStore::new(), server.setup(&device_name_marker)).unwrap();
    a.register(&ta, &kit, None).await.unwrap();
    let e = a
        .add_entry(EntryFields {
            title: Some(format!("title {title_marker}")),
            text: Some(format!("he said {text_marker} again")),
            categories: Some(mycase_proto::v1::StringList {
                values: vec![title_marker.clone()],
            }),
            ..Default::default()
        })
        .unwrap();
    a.sync(&ta).await.unwrap();

    let tb = HostileTransport::new(server.transport().await);
    let (ra, rb) = pair_over(&server, &mut a, &ta, &tb, &device_name_marker).await;
    ra.unwrap();
    let mut b = rb.unwrap();
    b.amend_entry(
        e,
        EntryFields {
            text: Some(format!("amended on phone {phone_marker}")),
            ..Default::default()
        },
    )
    .unwrap();
    b.add_entry(EntryFields {
        text: Some(phone_marker.repeat(40)),
        ..Default::default()
    })
    .unwrap();
    b.sync(&tb).await.unwrap();
    a.sync(&ta).await.unwrap();
    assert!(
        a.journal()
            .entries()
            .iter()
            .any(|v| v.text.contains(&phone_marker)),
        "the content went through"
    );
    // A restart makes sled rewrite its files from the log.
    server.restart().await;
    a.sync(&ta).await.unwrap();

    let tokens: Vec<Vec<u8>> = [ta.session_token(), tb.session_token()]
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(tokens.len(), 2);
    server.stop().await;

    let mut needles: Vec<(String, Vec<u8>)> = vec![
        ("title".into(), title_marker.clone().into_bytes()),
        ("text".into(), text_marker.clone().into_bytes()),
        ("amendment".into(), phone_marker.clone().into_bytes()),
        (
            "device name".into(),
            device_name_marker.clone().into_bytes(),
        ),
        ("recovery kit".into(), kit.to_display().as_bytes().to_vec()),
        ("recovery wrap key".into(), kit.wrap_key().to_vec()),
        (
            "recovery wrap key hex".into(),
            hex::encode(*kit.wrap_key()).into_bytes(),
        ),
    ];
    for (i, t) in tokens.iter().enumerate() {
        needles.push((format!("session token {i}"), t.clone()));
        needles.push((
            format!("session token {i} hex"),
            hex::encode(t).into_bytes(),
        ));
    }

    let files = files_under(server.data_dir());
    assert!(!files.is_empty(), "the scan saw the server's files");
    let mut scanned = 0usize;
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        scanned += bytes.len();
        for (what, needle) in &needles {
            assert!(
                !contains(&bytes, needle),
                "{what} found in server file {}",
                f.display()
            );
        }
    }
    assert!(scanned > 0);

    let logs = capture.0.lock().unwrap().clone();
    assert!(!logs.is_empty(), "the log capture works");
    assert!(
        contains(&logs, b"mycase_server"),
        "server log lines were captured"
    );
    for (what, needle) in &needles {
        assert!(!contains(&logs, needle), "{what} found in the logs");
    }
}
