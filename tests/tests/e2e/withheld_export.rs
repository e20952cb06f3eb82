#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Withholding a field or a passage from one export, end to end: the survivor
//! typed a refuge address by mistake and corrected it; the export withholds
//! the address from every version and the location field whole, carries none of
//! their words, marks each place, and `verify` still proves everything else.
//! Each way of undoing or faking a withholding is tried and caught: words put
//! back or invented under a marker, a marker removed or added, a shown word
//! changed in the proof, a text left out of the proof, the page altered.

use mycase_core::evidence::verify::{verify_document, verify_export_text, VerifyReport};
use mycase_core::evidence::withheld::{WithholdError, Withholding, WITHHELD_MARK};
use mycase_core::export::chronology::{self, Photos};
use mycase_core::export::model::{ExportDocument, ExportFilter};
use mycase_core::journal::{occurred, Field};
use mycase_core::query::Filter;
use mycase_core::store::memory::MemoryStore;
use mycase_core::{Device, ExportError};
use mycase_proto::v1::EntryFields;
use mycase_tests::{fields, new_account_device, pair_device, text, TestServer};
use serde_json::Value;

const ADDRESS: &str = "12 Elm Road";

struct World {
    server: TestServer,
    a: Device<MemoryStore>,
    b: Device<MemoryStore>,
    refuge: [u8; 16],
    other: [u8; 16],
}

/// A writes an entry naming the refuge's address in its text and location,
/// corrects the text, and another entry; the phone B amends the first; both
/// hold everything with receipts.
async fn world() -> World {
    let server = TestServer::start().await;
    let (mut a, ta) = new_account_device(&server).await;
    let (mut b, tb) = pair_device(&server, &mut a, &ta, "phone").await;
    let refuge = a
        .add_entry(EntryFields {
            occurred_at: Some(occurred::parse("2026-03-14 21:30").unwrap()),
            location: Some(ADDRESS.into()),
            injuries: Some("bruised arm".into()),
            ..fields(
                "At the refuge",
                "He came to the refuge at 12 Elm Road, Leeds and shouted at the door.",
            )
        })
        .unwrap();
    a.amend_entry(
        refuge,
        text("He came to the refuge and shouted at the door."),
    )
    .unwrap();
    let other = a
        .add_entry(EntryFields {
            occurred_at: Some(occurred::parse("2026-03-20").unwrap()),
            ..fields("Messages", "Forty messages in one evening.")
        })
        .unwrap();
    a.sync(&ta).await.unwrap();
    b.sync(&tb).await.unwrap();
    b.amend_entry(
        refuge,
        EntryFields {
            severity: Some(4),
            ..Default::default()
        },
    )
    .unwrap();
    b.sync(&tb).await.unwrap();
    a.sync(&ta).await.unwrap();
    World {
        server,
        a,
        b,
        refuge,
        other,
    }
}

fn withholdings(w: &World) -> Vec<Withholding> {
    vec![
        Withholding {
            entry: w.refuge,
            field: Field::Text,
            passage: Some(ADDRESS.into()),
        },
        Withholding {
            entry: w.refuge,
            field: Field::Location,
            passage: None,
        },
    ]
}

fn export(w: &World, withhold: &[Withholding]) -> ExportDocument {
    w.a.export_document_withholding(&Filter::default(), ExportFilter::default(), withhold)
        .unwrap()
}

fn index(doc: &ExportDocument, id: &[u8; 16]) -> usize {
    doc.entries
        .iter()
        .position(|e| e.id == hex::encode(id))
        .unwrap()
}

fn all_problems(r: &VerifyReport) -> Vec<String> {
    r.entries
        .iter()
        .flat_map(|e| e.checks.problems.clone())
        .chain(r.problems.clone())
        .collect()
}

/// Alters the JSON with `change`; expects it refused, and the entry `named`
/// (hex) failed by name when one is given.
fn refused(
    doc: &ExportDocument,
    key: &[u8; 32],
    what: &str,
    named: Option<&str>,
    change: impl Fn(&mut Value),
) {
    let mut v = serde_json::to_value(doc).unwrap();
    change(&mut v);
    let report = verify_export_text(&v.to_string(), key).unwrap();
    assert!(!report.ok(), "{what}: an altered export verified");
    assert!(
        !all_problems(&report).is_empty(),
        "{what}: refused with no problem named"
    );
    if let Some(id) = named {
        let failed: Vec<&str> = report
            .entries
            .iter()
            .filter(|e| !e.ok())
            .map(|e| e.entry_id.as_str())
            .collect();
        assert_eq!(failed, [id], "{what}: {:?}", all_problems(&report));
    }
}

/// The manifest operation of entry `entry` whose proof shows `field` in part.
fn part_proof(v: &Value, entry: &str, field: &str) -> usize {
    v["manifest"]["operations"]
        .as_array()
        .unwrap()
        .iter()
        .position(|m| {
            m["entry_id"] == entry
                && m["texts"].as_array().is_some_and(|t| {
                    t.iter()
                        .any(|d| d["field"] == field && d["shown"] == "part")
                })
        })
        .expect("a proof showing the field in part")
}

#[tokio::test]
async fn a_withheld_passage_and_field_leave_no_word_in_the_export_and_the_rest_verifies() {
    let w = world().await;
    let key = w.server.server_public_key();
    let mut doc = export(&w, &withholdings(&w));
    doc.patterns_as_of = Some("2026-06-30".into());

    // No word of the address anywhere in the document, proof included. (Not
    // merely "Elm": three letters turn up by chance in the records' base64.)
    let json = serde_json::to_string(&doc).unwrap();
    let page = chronology::render_page(&doc, w.a.journal(), &Photos::new());
    for (what, text) in [("JSON", &json), ("page", &page)] {
        for word in ["Elm Road", " Elm", "\"Elm", ">Elm"] {
            assert!(
                !text.contains(word),
                "the address is in the {what} ({word})"
            );
        }
    }

    // Each place reads the marker; the rest reads as written.
    let e = &doc.entries[index(&doc, &w.refuge)];
    assert_eq!(e.text, "He came to the refuge and shouted at the door.");
    assert_eq!(e.location.as_deref(), Some(WITHHELD_MARK));
    assert_eq!(e.injuries.as_deref(), Some("bruised arm"));
    assert_eq!(e.severity, Some(4));
    let created = &e.history[0].fields;
    assert_eq!(
        created["text"],
        "He came to the refuge at [withheld] Leeds and shouted at the door."
    );
    assert_eq!(created["location"], WITHHELD_MARK);
    let withheld: Vec<(&str, bool)> = e
        .withheld
        .iter()
        .map(|w| (w.field.as_str(), w.part))
        .collect();
    assert_eq!(withheld, [("text", true), ("location", false)]);
    assert!(doc.entries[index(&doc, &w.other)].withheld.is_empty());

    // The page says so, in the entry and in the summary.
    assert!(page.contains(
        "Withheld from this copy by the survivor: part of an earlier version of what happened \
         (Appendix A) and where it happened."
    ));
    assert!(page.contains("The survivor withheld words from 1 entry in this copy"));

    // Verify proves it, JSON and page, and says what was withheld.
    let report = verify_document(&doc, &key);
    assert!(report.ok(), "{:?}", all_problems(&report));
    let limits = &report.entries[index(&doc, &w.refuge)].checks.limits;
    assert!(
        limits
            .iter()
            .any(|l| l.contains("withheld part of the text, the location")),
        "{limits:?}"
    );
    let report = verify_export_text(&page, &key).unwrap();
    assert!(report.ok(), "{:?}", all_problems(&report));

    // Withholding is of the export alone: both devices still read every word.
    for d in [&w.a, &w.b] {
        let view = d.journal().entry(&w.refuge).unwrap();
        assert_eq!(view.location.as_deref(), Some(ADDRESS));
        assert!(view.history[0]
            .fields
            .text
            .as_deref()
            .unwrap()
            .contains(ADDRESS));
    }
    // An export without withholdings shows it all, and verifies.
    let full = export(&w, &[]);
    assert!(full.entries.iter().all(|e| e.withheld.is_empty()));
    assert_eq!(
        full.entries[index(&full, &w.refuge)].location.as_deref(),
        Some(ADDRESS)
    );
    assert!(verify_document(&full, &key).ok());
}

#[tokio::test]
async fn undoing_or_faking_a_withholding_is_caught() {
    let w = world().await;
    let key = w.server.server_public_key();
    let doc = export(&w, &withholdings(&w));
    let i = index(&doc, &w.refuge);
    let id = hex::encode(w.refuge);

    // Words invented under the marker, in the entry and in its history.
    refused(&doc, &key, "a false location", Some(&id), |v| {
        v["entries"][i]["location"] = "99 Oak Road".into();
    });
    refused(
        &doc,
        &key,
        "a false address in the history",
        Some(&id),
        |v| {
            v["entries"][i]["history"][0]["fields"]["text"] =
                "He came to the refuge at 99 Oak Road, Leeds and shouted at the door.".into();
        },
    );
    // The summary of what was withheld dropped, or a withholding claimed where none was.
    refused(&doc, &key, "the withheld list dropped", Some(&id), |v| {
        v["entries"][i]["withheld"] = Value::Array(vec![]);
    });
    let other = index(&doc, &w.other);
    let other_id = hex::encode(w.other);
    refused(&doc, &key, "a withholding claimed", Some(&other_id), |v| {
        v["entries"][other]["withheld"] = serde_json::json!([{"field": "text", "part": true}]);
        v["entries"][other]["text"] = "Forty messages [withheld].".into();
    });
    // A shown word of the proof changed, or a withheld piece's digest swapped.
    let k = part_proof(&serde_json::to_value(&doc).unwrap(), &id, "text");
    let piece = |v: &mut Value| -> Vec<Value> {
        let texts = v["manifest"]["operations"][k]["texts"].as_array().unwrap();
        let d = texts.iter().find(|d| d["field"] == "text").unwrap();
        d["pieces"].as_array().unwrap().clone()
    };
    let set_pieces = |v: &mut Value, pieces: Vec<Value>| {
        let texts = v["manifest"]["operations"][k]["texts"]
            .as_array_mut()
            .unwrap();
        let d = texts.iter_mut().find(|d| d["field"] == "text").unwrap();
        d["pieces"] = Value::Array(pieces);
    };
    refused(
        &doc,
        &key,
        "a shown word changed in the proof",
        Some(&id),
        |v| {
            let mut p = piece(v);
            p[0]["shown"]["text"] = "She".into();
            set_pieces(v, p);
        },
    );
    refused(&doc, &key, "a withheld digest swapped", Some(&id), |v| {
        let mut p = piece(v);
        let at = p.iter().position(|x| x.get("withheld").is_some()).unwrap();
        p[at]["withheld"] = hex::encode([7u8; 32]).into();
        set_pieces(v, p);
    });
    refused(
        &doc,
        &key,
        "a shown word withheld by someone else",
        Some(&id),
        |v| {
            let mut p = piece(v);
            p[0] = serde_json::json!({"withheld": hex::encode([0u8; 32])});
            set_pieces(v, p);
        },
    );
    // A text left out of the proof, or the location's withholding replaced by
    // other words under a seed of the forger's choosing.
    refused(&doc, &key, "a text left out of the proof", Some(&id), |v| {
        let texts = v["manifest"]["operations"][k]["texts"]
            .as_array_mut()
            .unwrap();
        texts.retain(|d| d["field"] != "location");
    });
    refused(
        &doc,
        &key,
        "the location shown as other words",
        Some(&id),
        |v| {
            let texts = v["manifest"]["operations"][k]["texts"]
                .as_array_mut()
                .unwrap();
            let d = texts.iter_mut().find(|d| d["field"] == "location").unwrap();
            *d = serde_json::json!({
                "shown": "whole", "field": "location",
                "seed": hex::encode([1u8; 32]), "text": "99 Oak Road"
            });
            v["entries"][i]["location"] = "99 Oak Road".into();
        },
    );
    // Sold as an older format that has no withholding.
    refused(&doc, &key, "labelled v3", None, |v| {
        v["format"] = "mycase-export-v3".into();
    });

    // The page: the marker replaced by words, or the sentence removed.
    let page = chronology::render_page(&doc, w.a.journal(), &Photos::new());
    let revealed = page.replacen(
        "<dt>Where</dt><dd>[withheld]</dd>",
        "<dt>Where</dt><dd>12 Elm Road</dd>",
        1,
    );
    assert_ne!(revealed, page);
    let report = verify_export_text(&revealed, &key).unwrap();
    assert!(!report.ok());
    assert!(!report.entries[i].ok(), "the entry is named");
    let unsaid = page.replacen("Withheld from this copy by the survivor", "Noted", 1);
    assert_ne!(unsaid, page);
    let report = verify_export_text(&unsaid, &key).unwrap();
    assert!(!report.ok());
    assert!(!report.entries[i].ok(), "the entry is named");
}

#[tokio::test]
async fn what_cannot_be_withheld_is_refused_with_a_reason_and_nothing_is_exported() {
    let w = world().await;
    let journal = w.a.journal();
    let short = &hex::encode(w.refuge)[..8];

    // A passage that is nowhere in the entry.
    let err =
        w.a.export_document_withholding(
            &Filter::default(),
            ExportFilter::default(),
            &[Withholding {
                entry: w.refuge,
                field: Field::Text,
                passage: Some("Oak Road".into()),
            }],
        )
        .unwrap_err();
    assert!(matches!(
        err,
        ExportError::Withhold(WithholdError::PassageNotFound { .. })
    ));
    assert!(err.to_string().contains(short), "{err}");
    // A field the entry never had.
    let err =
        w.a.export_document_withholding(
            &Filter::default(),
            ExportFilter::default(),
            &[Withholding {
                entry: w.other,
                field: Field::Impact,
                passage: None,
            }],
        )
        .unwrap_err();
    assert!(matches!(
        err,
        ExportError::Withhold(WithholdError::NothingThere { .. })
    ));
    // An entry the selection leaves out.
    let only_other = Filter {
        from: chrono::NaiveDate::from_ymd_opt(2026, 3, 19),
        ..Filter::default()
    };
    let err =
        w.a.export_document_withholding(&only_other, ExportFilter::default(), &withholdings(&w))
            .unwrap_err();
    assert!(matches!(
        err,
        ExportError::Withhold(WithholdError::NotExported { .. })
    ));

    // As typed: ENTRY:FIELD[:WORDS], the entry by a prefix of its id.
    let parsed = Withholding::parse(&format!("{short}:text:{ADDRESS}"), journal).unwrap();
    assert_eq!(parsed, withholdings(&w)[0]);
    let parsed = Withholding::parse(&format!("{short}:where"), journal).unwrap();
    assert_eq!(parsed, withholdings(&w)[1]);
    for bad in [
        format!("{short}:severity"),
        format!("{short}:nonsense"),
        format!("{short}:text:   "),
        "ffffffff:text".to_string(),
        "no-colon".to_string(),
    ] {
        assert!(Withholding::parse(&bad, journal).is_err(), "{bad}");
    }
}
