#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The plain-language chronology (format `mycase-export-v3`) as MyCase wrote it
//! in December 2026 (`tests/fixtures/export-v3-2026-12`, made by its `make.py`
//! from a journal of two devices): every file still verifies, files beside it
//! included; the text a reader sees, in the browser and in the PDF, is exactly
//! the chronology written out by hand in `expected-chronology.txt`; and a
//! changed photo, file, word of the page or of the PDF is caught and named.
//!
//! Verifying renders the page again and requires it byte for byte, so these
//! also pin today's renderer to the hand-written text.

use std::path::{Path, PathBuf};
use std::time::Duration;

use mycase_core::app::{verify_export_file, VerifiedFileStatus, VerifiedKind, VerifyResult};
use mycase_core::evidence::verify::verify_export_bytes;
use mycase_tests::chromium::Chromium;

fn fixture() -> PathBuf {
    mycase_tests::vectors::fixtures_dir().join("export-v3-2026-12")
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

fn entries(r: &VerifyResult) -> Vec<(String, bool)> {
    r.items
        .iter()
        .filter(|i| i.kind == VerifiedKind::Entry)
        .map(|i| (i.title.clone().unwrap_or_default(), i.ok))
        .collect()
}

const TITLES: [&str; 4] = [
    "Messages all evening",
    "He threw a plate",
    "Took my bank card and £40 cash",
    "Followed me to work",
];

/// The hand-written chronology, one line per block of text; a table's cells
/// are separated by " | ".
fn expected_lines(attachments_folder: &str) -> Vec<String> {
    std::fs::read_to_string(fixture().join("expected-chronology.txt"))
        .unwrap()
        .replace("chronology.html.attachments", attachments_folder)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// A browser's `innerText` as lines: trimmed, empty ones dropped, cells " | ".
fn reader_lines(inner_text: &str) -> Vec<String> {
    inner_text
        .lines()
        .map(|l| l.split('\t').map(str::trim).collect::<Vec<_>>().join(" | "))
        .filter(|l| !l.is_empty())
        .collect()
}

fn assert_same_lines(seen: &[String], expected: &[String], what: &str) {
    for (i, (s, e)) in seen.iter().zip(expected).enumerate() {
        assert_eq!(s, e, "{what}: line {} differs", i + 1);
    }
    assert_eq!(seen.len(), expected.len(), "{what}: number of lines");
}

#[test]
fn the_frozen_v3_exports_verify_files_included() {
    for (file, titles) in [
        ("chronology.html", &TITLES[..]),
        ("chronology.pdf", &TITLES[..]),
        ("chronology.json", &TITLES[..]),
    ] {
        let report = verify(&fixture().join(file));
        assert!(report.ok, "{file}: {:?}", report.problems);
        assert_eq!(report.format, "mycase-export-v3", "{file}");
        let seen: Vec<String> = entries(&report).into_iter().map(|(t, _)| t).collect();
        assert_eq!(seen, titles, "{file}: entries in the order they happened");
        assert!(entries(&report).iter().all(|(_, ok)| *ok));
        let when: Vec<Option<String>> = report
            .items
            .iter()
            .filter(|i| i.kind == VerifiedKind::Entry)
            .map(|i| i.when.clone())
            .collect();
        assert_eq!(when[0].as_deref(), Some("March 2026"), "{file}");
    }
    let page = verify(&fixture().join("chronology.html"));
    assert_eq!(page.files.len(), 2);
    assert!(page
        .files
        .iter()
        .all(|f| f.status == VerifiedFileStatus::Matches));
    let with_deleted = verify(&fixture().join("with-deleted.html"));
    assert!(with_deleted.ok, "{:?}", with_deleted.problems);
    assert_eq!(entries(&with_deleted).len(), 5);
}

#[tokio::test]
async fn a_reader_of_the_page_sees_exactly_the_hand_written_chronology() {
    let Some(chromium) = Chromium::for_test("frozen_chronology_page") else {
        return;
    };
    let url = format!("file://{}", fixture().join("chronology.html").display());
    let text = chromium
        .inner_text(
            &url,
            mycase_tests::chromium::LOADED,
            Duration::from_secs(60),
        )
        .await
        .unwrap();
    assert_same_lines(
        &reader_lines(&text),
        &expected_lines("chronology.html.attachments"),
        "chronology.html",
    );
}

/// `pdftotext`'s text of `pdf`, one string per page.
fn pdf_pages(pdf: &Path) -> Option<Vec<String>> {
    let out = std::process::Command::new("pdftotext")
        .arg("-raw")
        .arg("-enc")
        .arg("UTF-8")
        .arg(pdf)
        .arg("-")
        .output();
    match out {
        Ok(out) if out.status.success() => Some(
            String::from_utf8(out.stdout)
                .unwrap()
                .split('\u{c}')
                .filter(|p| !p.trim().is_empty())
                .map(str::to_owned)
                .collect(),
        ),
        _ if std::env::var_os("MYCASE_REQUIRE_CHROMIUM").is_some() => {
            panic!("MYCASE_REQUIRE_CHROMIUM is set but pdftotext (poppler-utils) is missing")
        }
        _ => {
            eprintln!("SKIPPED frozen_chronology_pdf: pdftotext not found (poppler-utils)");
            None
        }
    }
}

#[test]
fn a_reader_of_the_pdf_sees_the_same_chronology_on_numbered_pages() {
    // Read by poppler, not by MyCase's own reader: another program's view of it
    // (in the order the printer wrote it, `-raw`: its layout guess reads table
    // columns down the page).
    let Some(pages) = pdf_pages(&fixture().join("chronology.pdf")) else {
        return;
    };
    let header =
        "Chronology, March 2026 to 24 April 2026 · Sam Taylor · Case reference NMO/2026/0412";
    let count = pages.len();
    assert!(count >= 8, "{count} pages");
    let mut body = Vec::new();
    for (i, page) in pages.iter().enumerate() {
        let lines: Vec<&str> = page
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        let number = format!("Page {} of {count}", i + 1);
        for framing in [header, "MyCase chronology", number.as_str()] {
            assert!(lines.contains(&framing), "page {}: no {framing:?}", i + 1);
        }
        body.extend(
            lines
                .into_iter()
                .filter(|l| *l != header && *l != "MyCase chronology" && *l != number),
        );
    }
    // Line breaks are the printer's, so the letters are compared; the
    // summary starts on the first page, the chronology on the second, and the
    // closing page is the last.
    let letters = |s: &str| -> String {
        s.chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .replace('\u{FB01}', "fi")
            .replace('\u{FB02}', "fl")
    };
    let expected = expected_lines("chronology.pdf.attachments")
        .join("\n")
        .replace(" | ", " ");
    assert_eq!(letters(&body.join("\n")), letters(&expected));
    assert!(pages[0].contains("Summary"));
    assert!(pages[1].contains("Chronology"));
    assert!(pages[count - 1].contains("How to check this document"));
}

/// A copy of the fixture to alter.
fn copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    mycase_tests::vectors::copy_dir(&fixture(), dir.path());
    dir
}

fn failing_entries(r: &VerifyResult) -> Vec<String> {
    entries(r)
        .into_iter()
        .filter(|(_, ok)| !ok)
        .map(|(t, _)| t)
        .collect()
}

#[test]
fn a_changed_photo_file_or_word_of_the_chronology_is_caught_and_named() {
    let dir = copy();
    let page_path = dir.path().join("chronology.html");
    let page = std::fs::read_to_string(&page_path).unwrap();

    // The photo shown in the page swapped for another image: its entry fails.
    let start = page.find("src=\"data:image/png;base64,").unwrap() + 27;
    let end = start + page[start..].find('"').unwrap();
    let mut other = data_encoding::BASE64
        .decode(&page.as_bytes()[start..end])
        .unwrap();
    other.push(0);
    let swapped = format!(
        "{}{}{}",
        &page[..start],
        data_encoding::BASE64.encode(&other),
        &page[end..]
    );
    std::fs::write(&page_path, &swapped).unwrap();
    let report = verify(&page_path);
    assert!(!report.ok);
    assert_eq!(failing_entries(&report), ["He threw a plate"]);
    let problems: Vec<&String> = report.items.iter().flat_map(|i| &i.problems).collect();
    assert!(
        problems
            .iter()
            .any(|p| p.contains("photo bruise.png shown in the page is not the file")),
        "{problems:?}"
    );
    // The photo taken out of the page.
    let without = format!("{}{}", &page[..start], &page[end..]);
    std::fs::write(&page_path, &without).unwrap();
    assert_eq!(failing_entries(&verify(&page_path)), ["He threw a plate"]);
    std::fs::write(&page_path, &page).unwrap();

    // A file beside the page changed: named by its path.
    let folder = dir.path().join("chronology.html.attachments");
    let file = std::fs::read_dir(&folder)
        .unwrap()
        .map(|d| d.unwrap().path())
        .find_map(|d| {
            let f = d.join("messages.txt");
            f.exists().then_some(f)
        })
        .unwrap();
    std::fs::write(&file, "21:02 nothing happened\n").unwrap();
    let report = verify(&page_path);
    assert!(!report.ok);
    let differs: Vec<&str> = report
        .files
        .iter()
        .filter(|f| f.status == VerifiedFileStatus::Differs)
        .map(|f| f.path.as_str())
        .collect();
    assert_eq!(differs.len(), 1);
    assert!(differs[0].ends_with("messages.txt"));

    // A word of what happened changed in the page: that entry is named.
    let altered = page.replacen("next to my head", "near the door", 1);
    assert_ne!(altered, page);
    std::fs::write(&page_path, &altered).unwrap();
    let report = verify(&page_path);
    assert!(!report.ok);
    assert_eq!(failing_entries(&report), ["He threw a plate"]);

    // The settled clash told as a changing story: refused.
    let story = page.replacen(
        "Before this, it had been edited on",
        "It was later changed on",
        1,
    );
    assert_ne!(story, page);
    std::fs::write(&page_path, &story).unwrap();
    assert_eq!(
        failing_entries(&verify(&page_path)),
        ["Took my bank card and £40 cash"]
    );

    // The case reference is the survivor's word, but the page must still be
    // the one MyCase renders from the document that carries it.
    let reference = page.replacen(
        "Case reference: NMO/2026/0412",
        "Case reference: NMO/2026/9999",
        1,
    );
    std::fs::write(&page_path, &reference).unwrap();
    assert!(!verify(&page_path).ok);
}

#[test]
fn a_damaged_pdf_gets_an_answer_never_a_crash() {
    let pdf = std::fs::read(fixture().join("chronology.pdf")).unwrap();
    let key: [u8; 32] = hex::decode(server_key()).unwrap().try_into().unwrap();
    // A fixed walk over truncations, flipped bytes and inserted junk.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = |below: usize| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as usize % below
    };
    for round in 0..48 {
        let mut bad = pdf.clone();
        let truncated = round % 3 == 0;
        match round % 3 {
            0 => bad.truncate(pdf.len() * (round / 3 + 1) / 17),
            1 => {
                for _ in 0..8 {
                    let at = next(bad.len());
                    bad[at] ^= 0x5a;
                }
            }
            _ => {
                let at = next(bad.len());
                bad.splice(
                    at..at,
                    b"<< /Kids [ 1 0 R ] >> endobj 9 9 obj".iter().copied(),
                );
            }
        }
        let outcome = verify_export_bytes(&bad, &key, |_| None);
        if truncated {
            // Most of the file gone: never "verified".
            assert!(
                outcome.as_ref().map(|(r, _)| !r.ok()).unwrap_or(true),
                "round {round}: a truncated PDF verified"
            );
        }
        if let Err(e) = outcome {
            assert!(!e.to_string().is_empty());
        }
    }
}
