//! The application API's evidence slice against a real server: attaching files
//! (from a path and from bytes) and getting them back checked, a server that
//! swaps or withholds chunks refused with nothing written, the patterns, the
//! exports and checking an export file.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use mycase_core::app::{
    self, App, AppError, AppOptions, AttachmentDisplay, AttachmentFiles, EntryFilter, EntryInput,
    ExportChoices, ExportFormat, NewJournal, VerifiedFileKind, VerifiedFileStatus, VerifiedKind,
};
use mycase_core::crypto::passphrase::KdfParams;
use mycase_tests::leaks::files_under;
use mycase_tests::server::TestServer;
use zeroize::Zeroizing;

const PASS: &str = "correct horse battery staple";
const MIB: usize = 1024 * 1024;

fn photo_with_location() -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/photo-with-location.jpg"),
    )
    .unwrap()
}

/// A journal with its first device, unlocked, in a fresh folder.
async fn new_app(server: &TestServer, dir: &Path) -> App {
    let app = App::open_with(
        dir.join("home"),
        AppOptions {
            kdf_params: KdfParams::MINIMUM,
        },
    )
    .unwrap();
    app.create_journal(NewJournal {
        server_url: server.url().to_owned(),
        ca_cert_pem: Some(server.ca_pem().to_owned()),
        device_name: "laptop".into(),
        passphrase: Zeroizing::new(PASS.to_owned()),
        invite: None,
    })
    .await
    .unwrap();
    app
}

fn entry(title: &str, when: &str, category: &str) -> EntryInput {
    EntryInput {
        title: title.into(),
        text: format!("what happened: {title}"),
        when: when.into(),
        categories: vec![category.into()],
        ..EntryInput::default()
    }
}

/// Bytes that differ in every chunk, so a swap of two chunks is a change.
fn varied(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i / 7 + i / MIB) as u8).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attach_from_a_path_and_from_bytes_and_get_them_back() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let app = new_app(&server, dir.path()).await;
    let id = app
        .add_entry(entry("Kitchen", "2026-03-14", "threats"))
        .await
        .unwrap();

    // From a path: a photo that records where it was taken is said to.
    let photo = dir.path().join("door.jpg");
    std::fs::write(&photo, photo_with_location()).unwrap();
    let mut seen = Vec::new();
    let from_path = app
        .attach_file(&id, &photo, |done, total| seen.push((done, total)))
        .await
        .unwrap();
    assert!(from_path.location_metadata);
    let size = photo_with_location().len() as u64;
    assert_eq!(from_path.size, size);
    assert_eq!(seen.last(), Some(&(size, size)), "progress reaches the end");

    // From bytes (an upload): only the name's last part is kept.
    let recording = varied(2 * MIB + 5);
    let mut last = (0, 0);
    let from_bytes = app
        .attach_bytes(&id, "../../Users/me/call.m4a", &recording, |d, t| {
            last = (d, t)
        })
        .await
        .unwrap();
    assert!(!from_bytes.location_metadata);
    assert_eq!(from_bytes.chunks, 3);
    assert_eq!(last, (recording.len() as u64, recording.len() as u64));

    let listed = app.attachments(&id).await.unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].name, "door.jpg");
    assert_eq!(listed[0].display, AttachmentDisplay::Image);
    assert_eq!(listed[1].name, "call.m4a");
    assert_eq!(listed[1].display, AttachmentDisplay::Audio);
    assert!(!format!("{:?}", listed[1]).contains("call.m4a"));

    let got = app
        .attachment_bytes(&id, &from_bytes.attachment_id)
        .await
        .unwrap();
    assert!(got.bytes.as_slice() == recording.as_slice());
    assert_eq!(got.info.media_type, "audio/mp4");

    let out = tempfile::tempdir().unwrap();
    let written = app
        .save_attachment(&id, &from_path.attachment_id, out.path(), |_, _| {})
        .await
        .unwrap();
    assert_eq!(written, out.path().join("door.jpg"));
    assert_eq!(std::fs::read(&written).unwrap(), photo_with_location());
    // An existing file is never replaced.
    let again = app
        .save_attachment(&id, &from_path.attachment_id, out.path(), |_, _| {})
        .await
        .unwrap_err();
    assert!(matches!(again, AppError::InvalidInput { .. }), "{again}");
    assert_eq!(std::fs::read(&written).unwrap(), photo_with_location());

    // The entry and its two attachments go out with the next sync.
    let sent = app.sync_now().await.unwrap();
    assert_eq!(sent.sent, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_attachment_requests_are_refused_and_change_nothing() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let app = new_app(&server, dir.path()).await;
    let id = app
        .add_entry(entry("Hall", "2026-03-15", "threats"))
        .await
        .unwrap();
    let pending = app.status().sync.pending_upload;

    let unknown = "00".repeat(16);
    let err = app
        .attach_bytes(&unknown, "a.jpg", b"bytes", |_, _| {})
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::NotFound { .. }), "{err}");
    let err = app
        .attach_bytes("not hex", "a.jpg", b"bytes", |_, _| {})
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::NotFound { .. }), "{err}");
    let err = app
        .attach_bytes(&id, "a.jpg", b"", |_, _| {})
        .await
        .unwrap_err();
    assert!(
        matches!(&err, AppError::InvalidInput { field: Some(f), .. } if f == "file"),
        "{err}"
    );
    let err = app
        .attach_file(&id, &dir.path().join("nowhere.jpg"), |_, _| {})
        .await
        .unwrap_err();
    assert!(
        matches!(&err, AppError::InvalidInput { field: Some(f), .. } if f == "file"),
        "{err}"
    );
    let err = app
        .attachment_bytes(&id, &"ab".repeat(16))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, AppError::NotFound { what } if what == "That attachment"),
        "{err}"
    );
    assert!(app.attachments(&id).await.unwrap().is_empty());
    assert_eq!(app.status().sync.pending_upload, pending);

    app.lock().await;
    let err = app
        .attach_bytes(&id, "a.jpg", b"bytes", |_, _| {})
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Locked), "{err}");
}

/// Every stored chunk file of the server, with its bytes.
fn chunk_files(server: &TestServer) -> Vec<(PathBuf, Vec<u8>)> {
    files_under(&server.data_dir().join("chunks"))
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_swaps_or_withholds_chunks_is_refused_and_nothing_is_written() {
    let mut server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let app = new_app(&server, dir.path()).await;
    let id = app
        .add_entry(entry("Letter", "2026-03-16", "threats"))
        .await
        .unwrap();
    let letter = varied(3 * MIB + 100);
    let att = app
        .attach_bytes(&id, "letter.pdf", &letter, |_, _| {})
        .await
        .unwrap()
        .attachment_id;
    let out = tempfile::tempdir().unwrap();

    // Swap two full chunks.
    server.stop().await;
    let originals = chunk_files(&server);
    let full: Vec<_> = originals
        .iter()
        .filter(|(_, b)| b.len() == MIB + 16)
        .collect();
    assert!(full.len() >= 2);
    std::fs::write(&full[0].0, &full[1].1).unwrap();
    std::fs::write(&full[1].0, &full[0].1).unwrap();
    server.start_again().await;
    let err = app.attachment_bytes(&id, &att).await.unwrap_err();
    assert!(matches!(err, AppError::ServerRefused(_)), "swap: {err}");
    let err = app
        .save_attachment(&id, &att, out.path(), |_, _| {})
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::ServerRefused(_)), "swap: {err}");
    assert!(files_under(out.path()).is_empty(), "nothing written");

    // Put them back and withhold the last one.
    server.stop().await;
    for (path, bytes) in &originals {
        std::fs::write(path, bytes).unwrap();
    }
    let (short, _) = originals.iter().find(|(_, b)| b.len() < MIB + 16).unwrap();
    std::fs::remove_file(short).unwrap();
    server.start_again().await;
    let err = app
        .save_attachment(&id, &att, out.path(), |_, _| {})
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::ServerRefused(_)), "withheld: {err}");
    assert!(files_under(out.path()).is_empty(), "nothing written");
    // The journal still lists it: nothing the server did removed it.
    assert_eq!(app.attachments(&id).await.unwrap().len(), 1);
}

#[tokio::test]
async fn patterns_give_the_figures_and_charts_and_refuse_a_bad_filter() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let app = new_app(&server, dir.path()).await;
    app.add_entry(entry("One", "2026-01-10", "threats"))
        .await
        .unwrap();
    app.add_entry(entry("Two", "2026-03-14 21:30", "threats"))
        .await
        .unwrap();
    app.add_entry(entry("Three", "2026-03-20", "economic-or-financial"))
        .await
        .unwrap();

    let all = app
        .patterns(&EntryFilter::default(), "2026-03-31")
        .await
        .unwrap();
    let f = &all.figures;
    assert_eq!(f.entries, 3);
    assert_eq!(f.as_of, "2026-03-31");
    assert_eq!(f.first_day.as_deref(), Some("2026-01-10"));
    let months: Vec<(&str, usize)> = f
        .per_month
        .iter()
        .map(|m| (m.start.as_str(), m.entries))
        .collect();
    assert_eq!(months, [("2026-01", 1), ("2026-02", 0), ("2026-03", 2)]);
    assert_eq!(f.by_category[0].id, "threats");
    assert_eq!(f.by_category[0].entries, 2);
    // 14 March 2026 was a Saturday, at 21:00.
    assert_eq!(f.heatmap[5][21], 1);
    assert!(all.charts.per_month.starts_with("<svg"));
    assert!(all.charts.heatmap.contains("role=\"img\""));

    let threats = EntryFilter {
        categories: vec!["Threats".into()],
        from: "2026-03-01".into(),
        ..Default::default()
    };
    let some = app.patterns(&threats, "2026-03-31").await.unwrap();
    assert_eq!(some.figures.entries, 1);

    let none = EntryFilter {
        from: "2027-01-01".into(),
        ..Default::default()
    };
    let empty = app.patterns(&none, "").await.unwrap();
    assert_eq!(empty.figures.entries, 0);
    assert!(empty.charts.per_month.is_empty());

    for (filter, as_of, field) in [
        (
            EntryFilter {
                from: "14/03/2026x".into(),
                ..Default::default()
            },
            "",
            "from",
        ),
        (
            EntryFilter {
                from: "2026-03-10".into(),
                to: "2026-03-01".into(),
                ..Default::default()
            },
            "",
            "to",
        ),
        (
            EntryFilter {
                categories: vec!["no such".into()],
                ..Default::default()
            },
            "",
            "categories",
        ),
        (
            EntryFilter {
                people: vec!["Nobody".into()],
                ..Default::default()
            },
            "",
            "people",
        ),
        (EntryFilter::default(), "31 March", "as_of"),
    ] {
        let err = app.patterns(&filter, as_of).await.unwrap_err();
        assert!(
            matches!(&err, AppError::InvalidInput { field: Some(f), .. } if f == field),
            "{field}: {err}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_download_and_verify_entry_by_entry_while_locked() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let app = new_app(&server, dir.path()).await;
    let first = app
        .add_entry(entry("Kitchen", "2026-03-14", "threats"))
        .await
        .unwrap();
    app.add_entry(entry("Car park", "2026-03-20", "economic-or-financial"))
        .await
        .unwrap();
    app.sync_now().await.unwrap();
    let key = server.server_key_hex();

    let mut downloads = Vec::new();
    for format in [
        ExportFormat::Html,
        ExportFormat::Json,
        ExportFormat::Markdown,
    ] {
        let doc = app
            .export(&ExportChoices {
                format,
                filter: EntryFilter::default(),
                include_deleted: false,
                case_reference: None,
                name: None,
                withhold: Vec::new(),
            })
            .await
            .unwrap();
        assert_eq!(doc.entries, 2);
        assert_eq!(doc.records, doc.with_receipts, "every record has a receipt");
        assert!(doc.file_name.starts_with("export-"));
        assert!(doc.file_name.ends_with(format.extension()));
        assert!(!doc.file_name.contains("Kitchen"));
        downloads.push((format, doc));
    }
    let threats = app
        .export(&ExportChoices {
            format: ExportFormat::Json,
            filter: EntryFilter {
                categories: vec!["threats".into()],
                ..Default::default()
            },
            include_deleted: false,
            case_reference: None,
            name: None,
            withhold: Vec::new(),
        })
        .await
        .unwrap();
    assert_eq!(threats.entries, 1);

    // Checking needs no unlocked journal.
    app.lock().await;
    for (format, doc) in &downloads[..2] {
        let report = app::verify_export(&doc.bytes, &key).unwrap();
        assert!(report.ok, "{format:?}: {:?}", report.problems);
        let entries: Vec<_> = report
            .items
            .iter()
            .filter(|i| i.kind == VerifiedKind::Entry)
            .collect();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].id, first);
        assert_eq!(entries[0].title.as_deref(), Some("Kitchen"));
        assert!(entries.iter().all(|e| e.signed && e.received));
        assert!(report.verdict[0].starts_with("All 2 entries verified"));
        assert!(!report.not_proven.is_empty());
    }

    // One entry's text changed in the file: that entry fails, the other stands.
    let json = std::str::from_utf8(&downloads[1].1.bytes).unwrap();
    let forged = json.replacen("what happened: Kitchen", "what happened: nothing", 1);
    assert_ne!(forged, json);
    let report = app::verify_export(forged.as_bytes(), &key).unwrap();
    assert!(!report.ok);
    let failed: Vec<_> = report.items.iter().filter(|i| !i.ok).collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].id, first);
    assert!(!failed[0].unchanged);
    assert!(report.verdict[0].starts_with("Verification FAILED: 1 of 2 entries"));

    // Another server's key: no receipt verifies.
    let other = "11".repeat(32);
    let report = app::verify_export(&downloads[1].1.bytes, &other).unwrap();
    assert!(!report.ok);
    assert!(report.items.iter().all(|i| !i.received));

    for (file, key, field) in [
        (&b"{ not json"[..], key.as_str(), "file"),
        (&b"<html>hello</html>"[..], key.as_str(), "file"),
        (&[0xff, 0xfe][..], key.as_str(), "file"),
        (&downloads[1].1.bytes[..], "abc", "server_key"),
    ] {
        let err = app::verify_export(file, key).unwrap_err();
        assert!(
            matches!(&err, AppError::InvalidInput { field: Some(f), .. } if f == field),
            "{field}: {err}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_to_a_path_writes_copies_without_location_that_verify_names() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let app = new_app(&server, dir.path()).await;
    let id = app
        .add_entry(entry("Door", "2026-03-14", "threats"))
        .await
        .unwrap();
    let att = app
        .attach_bytes(&id, "door.jpg", &photo_with_location(), |_, _| {})
        .await
        .unwrap()
        .attachment_id;
    app.sync_now().await.unwrap();

    let out = dir.path().join("out.json");
    let choices = ExportChoices {
        format: ExportFormat::Json,
        filter: EntryFilter::default(),
        include_deleted: false,
        case_reference: None,
        name: None,
        withhold: Vec::new(),
    };
    let summary = app
        .export_to_path(&choices, AttachmentFiles::WithoutLocation, &out)
        .await
        .unwrap();
    assert_eq!(summary.entries, 1);
    assert_eq!(summary.attachments_written, 1);
    assert_eq!(summary.location_copies, 1);
    let copy = out
        .with_file_name("out.json.attachments")
        .join(&att)
        .join("door.no-location.jpg");
    assert!(copy.is_file());
    assert!(!mycase_core::photo_metadata::has_location(
        &std::fs::read(&copy).unwrap()
    ));

    let report = app::verify_export_file(&out, &server.server_key_hex()).unwrap();
    assert!(report.ok, "{:?}", report.problems);
    assert_eq!(report.files.len(), 1);
    assert_eq!(report.files[0].kind, VerifiedFileKind::CopyWithoutLocation);
    assert_eq!(report.files[0].status, VerifiedFileStatus::Matches);

    // The copy changed on disk: reported as differing.
    std::fs::write(&copy, b"changed").unwrap();
    let report = app::verify_export_file(&out, &server.server_key_hex()).unwrap();
    assert_eq!(report.files[0].status, VerifiedFileStatus::Differs);

    // Originals, to another file: the recorded bytes.
    let out2 = dir.path().join("second.html");
    let choices = ExportChoices {
        format: ExportFormat::Html,
        ..choices
    };
    let summary = app
        .export_to_path(&choices, AttachmentFiles::Originals, &out2)
        .await
        .unwrap();
    assert_eq!(summary.location_copies, 0);
    let original = out2
        .with_file_name("second.html.attachments")
        .join(&att)
        .join("door.jpg");
    assert_eq!(std::fs::read(original).unwrap(), photo_with_location());
    assert!(
        app::verify_export_file(&out2, &server.server_key_hex())
            .unwrap()
            .ok
    );
}

#[tokio::test]
async fn deleted_entries_are_left_out_of_an_export_unless_asked_for_and_both_verify() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let app = new_app(&server, dir.path()).await;
    let kept = app
        .add_entry(entry("Kept", "2026-03-14", "threats"))
        .await
        .unwrap();
    let gone = app
        .add_entry(entry("Typed by mistake", "2026-03-15", "threats"))
        .await
        .unwrap();
    app.delete_entry(&gone).await.unwrap();
    app.sync_now().await.unwrap();

    let export = |include_deleted| {
        let app = app.clone();
        async move {
            let doc = app
                .export(&ExportChoices {
                    format: ExportFormat::Json,
                    filter: EntryFilter::default(),
                    include_deleted,
                    case_reference: None,
                    name: None,
                    withhold: Vec::new(),
                })
                .await
                .unwrap();
            let json: serde_json::Value = serde_json::from_slice(&doc.bytes).unwrap();
            (doc, json)
        }
    };
    // By default: only what stands, and the document does not claim otherwise.
    let (doc, json) = export(false).await;
    assert_eq!(doc.entries, 1);
    let ids: Vec<&str> = json["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [kept.as_str()]);
    assert!(json["filter"].get("include_deleted").is_none());
    assert!(!String::from_utf8_lossy(&doc.bytes).contains("Typed by mistake"));
    let report = app::verify_export(&doc.bytes, &server.server_key_hex()).unwrap();
    assert!(report.ok, "{:?}", report.problems);

    // Asked for: the deleted one is in, marked, and says so; it verifies too.
    let (doc, json) = export(true).await;
    assert_eq!(doc.entries, 2);
    assert_eq!(json["filter"]["include_deleted"], true);
    let deleted: Vec<bool> = json["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["deleted"].as_bool().unwrap())
        .collect();
    assert_eq!(deleted, [false, true]);
    let report = app::verify_export(&doc.bytes, &server.server_key_hex()).unwrap();
    assert!(report.ok, "{:?}", report.problems);
}
