#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Exports of format `mycase-export-v4` as MyCase wrote them in December 2026
//! (`tests/fixtures/export-v4-2026-12`, made by its `make.py`): a refuge address
//! withheld from an entry's first version and its location withheld whole. They
//! still verify, carry no word of what was withheld, read to a browser exactly
//! as written out by hand in `expected-entry.txt`, and any word put back under
//! a mark is caught with the entry named.

use std::path::PathBuf;
use std::time::Duration;

use mycase_core::app::{verify_export_file, VerifiedKind, VerifyResult};
use mycase_core::evidence::verify::verify_export_text;
use mycase_tests::chromium::Chromium;
use serde_json::Value;

fn fixture() -> PathBuf {
    mycase_tests::vectors::fixtures_dir().join("export-v4-2026-12")
}

fn server_key() -> String {
    std::fs::read_to_string(fixture().join("server-key.txt"))
        .unwrap()
        .trim()
        .to_owned()
}

fn id(name: &str) -> String {
    mycase_tests::vectors::param(&fixture().join("ids.txt"), name)
}

fn verify(file: &str) -> VerifyResult {
    verify_export_file(&fixture().join(file), &server_key()).unwrap()
}

#[test]
fn the_frozen_v4_exports_verify_and_hold_no_withheld_word() {
    for file in ["withheld.html", "withheld.json", "whole.json"] {
        let r = verify(file);
        assert!(r.ok, "{file}: {:?}", r.problems);
        let entries = r
            .items
            .iter()
            .filter(|i| i.kind == VerifiedKind::Entry)
            .count();
        assert_eq!(entries, 2, "{file}");
    }
    for file in ["withheld.html", "withheld.json"] {
        let text = std::fs::read_to_string(fixture().join(file)).unwrap();
        for word in ["Elm Road", " Elm", "\"Elm", ">Elm"] {
            assert!(!text.contains(word), "{file} holds {word:?}");
        }
    }
    let whole = std::fs::read_to_string(fixture().join("whole.json")).unwrap();
    assert!(whole.contains("12 Elm Road, Leeds"));
    let doc: Value = serde_json::from_str(&whole).unwrap();
    assert_eq!(doc["format"], "mycase-export-v4");
    assert!(doc["manifest"]["operations"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["record"]["format_version"] == 3));
}

#[tokio::test]
async fn a_reader_of_the_frozen_page_sees_the_marks_as_written_out_by_hand() {
    let Some(chromium) = Chromium::for_test("frozen_withheld_page") else {
        return;
    };
    let url = format!("file://{}", fixture().join("withheld.html").display());
    let text = chromium
        .inner_text(
            &url,
            mycase_tests::chromium::LOADED,
            Duration::from_secs(60),
        )
        .await
        .unwrap();
    let seen: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let expected = std::fs::read_to_string(fixture().join("expected-entry.txt")).unwrap();
    let mut from = 0;
    for block in expected.split("---\n") {
        let lines: Vec<&str> = block.lines().collect();
        let at = seen[from..]
            .windows(lines.len())
            .position(|w| w == lines.as_slice())
            .unwrap_or_else(|| {
                panic!("the page does not read, in order:\n{block}\nit reads:\n{text}")
            });
        from += at + lines.len();
    }
}

#[test]
fn a_word_put_back_under_a_mark_of_the_frozen_export_is_caught_and_the_entry_named() {
    let key: [u8; 32] = hex::decode(server_key()).unwrap().try_into().unwrap();
    let refuge = id("refuge");
    let page = std::fs::read_to_string(fixture().join("withheld.html")).unwrap();
    let json = std::fs::read_to_string(fixture().join("withheld.json")).unwrap();
    let failed = |text: &str| -> Vec<String> {
        let r = verify_export_text(text, &key).unwrap();
        assert!(!r.ok());
        r.entries
            .iter()
            .filter(|e| !e.ok())
            .map(|e| e.entry_id.clone())
            .collect()
    };
    let revealed = page.replacen(
        "<dt>Where</dt><dd>[withheld]</dd>",
        "<dt>Where</dt><dd>12 Elm Road, Leeds</dd>",
        1,
    );
    assert_ne!(revealed, page);
    assert_eq!(failed(&revealed), std::slice::from_ref(&refuge));
    let invented = json.replacen("at [withheld] Leeds", "at 99 Oak Road, Leeds", 1);
    assert_ne!(invented, json);
    assert_eq!(failed(&invented), std::slice::from_ref(&refuge));
    let mut unmarked: Value = serde_json::from_str(&json).unwrap();
    let entries = unmarked["entries"].as_array_mut().unwrap();
    let e = entries.iter_mut().find(|e| e["id"] == refuge).unwrap();
    e.as_object_mut().unwrap().remove("withheld");
    assert_eq!(failed(&unmarked.to_string()), [refuge]);
}
