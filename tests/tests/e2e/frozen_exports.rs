#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Exports written by an earlier MyCase (`tests/fixtures/export-v2-2026-12`, format
//! `mycase-export-v2`) still verify, page and JSON, files included; and a change to
//! any of them is still caught, with the entry or file named. A reader may hold such
//! a file for years: a new renderer or format must never turn it into a failure.

use std::path::{Path, PathBuf};

use mycase_core::app::{verify_export_file, VerifiedFileStatus, VerifiedKind, VerifyResult};

fn fixture() -> PathBuf {
    mycase_tests::vectors::fixtures_dir().join("export-v2-2026-12")
}

fn server_key() -> String {
    std::fs::read_to_string(fixture().join("server-key.txt"))
        .unwrap()
        .trim()
        .to_owned()
}

fn verify(path: &Path) -> VerifyResult {
    verify_export_file(path, &server_key()).unwrap()
}

fn entries(r: &VerifyResult) -> Vec<(Option<String>, bool)> {
    r.items
        .iter()
        .filter(|i| i.kind == VerifiedKind::Entry)
        .map(|i| (i.title.clone(), i.ok))
        .collect()
}

/// A copy of the fixture to alter.
fn copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    mycase_tests::vectors::copy_dir(&fixture(), dir.path());
    dir
}

#[test]
fn the_frozen_v2_exports_still_verify_files_included() {
    let page = verify(&fixture().join("chronology.html"));
    assert!(page.ok, "{:?}", page.problems);
    assert_eq!(page.format, "mycase-export-v2");
    assert_eq!(
        entries(&page),
        // In the order they happened: "March 2026" comes before the 14th.
        [
            (Some("Messages".to_owned()), true),
            (Some("Kitchen".to_owned()), true)
        ]
    );
    assert_eq!(page.files.len(), 1);
    assert_eq!(page.files[0].status, VerifiedFileStatus::Matches);

    let json = verify(&fixture().join("chronology.json"));
    assert!(json.ok, "{:?}", json.problems);
    assert_eq!(entries(&json).len(), 2);

    let with_deleted = verify(&fixture().join("with-deleted.html"));
    assert!(with_deleted.ok, "{:?}", with_deleted.problems);
    assert_eq!(entries(&with_deleted).len(), 3);
}

#[test]
fn a_change_to_a_frozen_export_or_its_file_is_caught_and_named() {
    let dir = copy();
    // A byte added to the photo beside the page.
    let attachments = dir.path().join("chronology.html.attachments");
    let folder = std::fs::read_dir(&attachments)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let photo = folder.join("wall.jpg");
    let mut bytes = std::fs::read(&photo).unwrap();
    bytes.push(b'x');
    std::fs::write(&photo, &bytes).unwrap();
    let report = verify(&dir.path().join("chronology.html"));
    assert!(!report.ok);
    assert_eq!(report.files[0].status, VerifiedFileStatus::Differs);
    assert!(report.files[0].path.ends_with("wall.jpg"));
    // The photo gone: named as not there. The entries' proof still stands (an
    // export may be made without its files), so this alone fails nothing.
    std::fs::remove_file(&photo).unwrap();
    let report = verify(&dir.path().join("chronology.html"));
    assert_eq!(report.files[0].status, VerifiedFileStatus::Missing);
    assert!(report.files[0].path.ends_with("wall.jpg"));

    // A word of the text changed in the JSON: that entry fails, the other stands.
    let json_path = dir.path().join("chronology.json");
    let text = std::fs::read_to_string(&json_path).unwrap();
    assert!(text.contains("then left."));
    std::fs::write(&json_path, text.replace("then left.", "then came back.")).unwrap();
    let report = verify(&json_path);
    assert!(!report.ok);
    assert_eq!(
        entries(&report),
        [
            (Some("Messages".to_owned()), true),
            (Some("Kitchen".to_owned()), false)
        ]
    );

    // The page's visible text changed: the page is not what its records render.
    let page_path = dir.path().join("with-deleted.html");
    let page = std::fs::read_to_string(&page_path).unwrap();
    let altered = page.replacen("Fourteen messages overnight.", "Two messages overnight.", 1);
    assert_ne!(page, altered);
    std::fs::write(&page_path, altered).unwrap();
    assert!(!verify(&page_path).ok);
}
