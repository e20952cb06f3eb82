#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Exports end to end: two devices write entries, amendments and an attachment
//! through a real server; the JSON export holds every field of every entry and
//! amendment; `verify` accepts the untouched export (JSON and HTML) and rejects
//! any altered entry text, time, amendment, attachment hash, receipt or record,
//! naming the entry and what changed; the HTML opens and prints in Chromium.

use std::time::Duration;

use mycase_core::evidence::verify::{verify_document, verify_export_text, VerifyReport};
use mycase_core::export::html;
use mycase_core::export::model::{ExportDocument, ExportFilter};
use mycase_core::journal::occurred;
use mycase_core::query::Filter;
use mycase_core::store::memory::MemoryStore;
use mycase_core::Device;
use mycase_proto::v1::{EntryFields, StringList};
use mycase_tests::chromium::Chromium;
use mycase_tests::{fields, new_account_device, pair_device, text, TestServer};
use serde_json::Value;

struct World {
    server: TestServer,
    a: Device<MemoryStore>,
    first: [u8; 16],
    second: [u8; 16],
}

/// A writes an entry with every kind of field and an attachment; B amends it
/// and writes its own; both sync until each holds everything with receipts.
async fn world() -> World {
    let server = TestServer::start().await;
    let (mut a, ta) = new_account_device(&server).await;
    let (mut b, tb) = pair_device(&server, &mut a, &ta, "phone").await;
    let first = a
        .add_entry(EntryFields {
            title: Some("Kitchen".into()),
            text: Some("He threw the plate at the wall.".into()),
            occurred_at: Some(occurred::parse("2026-03-14 21:30").unwrap()),
            categories: Some(StringList {
                values: vec!["physical".into(), "threats".into()],
            }),
            tags: Some(StringList {
                values: vec!["night".into()],
            }),
            severity: Some(4),
            location: Some("home".into()),
            injuries: Some("bruised arm".into()),
            police_references: Some(StringList {
                values: vec!["CAD 1234".into()],
            }),
            actions_taken: Some(StringList {
                values: vec!["GP".into()],
            }),
            impact: Some("could not sleep".into()),
            ..Default::default()
        })
        .unwrap();
    a.amend_entry(
        first,
        text("He threw the blue plate at the wall, near my head."),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("wall.jpg");
    std::fs::write(&photo, b"\xff\xd8\xff photo of the wall").unwrap();
    a.attach_file(&ta, first, &photo, |_, _| {}).await.unwrap();
    a.sync(&ta).await.unwrap();
    b.sync(&tb).await.unwrap();
    b.amend_entry(
        first,
        EntryFields {
            occurred_at: Some(occurred::parse("2026-03-14 21:45").unwrap()),
            ..Default::default()
        },
    )
    .unwrap();
    let second = b
        .add_entry(EntryFields {
            occurred_at: Some(occurred::parse("2026-03-20").unwrap()),
            ..fields("Messages", "Forty messages in one evening.")
        })
        .unwrap();
    b.sync(&tb).await.unwrap();
    a.sync(&ta).await.unwrap();
    World {
        server,
        a,
        first,
        second,
    }
}

fn export(w: &World) -> ExportDocument {
    w.a.export_document(&Filter::default(), ExportFilter::default())
        .unwrap()
}

fn key(w: &World) -> [u8; 32] {
    w.server.server_public_key()
}

/// The failing entries and their problems.
fn failures(r: &VerifyReport) -> Vec<(String, Vec<String>)> {
    r.entries
        .iter()
        .filter(|e| !e.ok())
        .map(|e| (e.entry_id.clone(), e.problems.clone()))
        .collect()
}

/// Alters the JSON export with `change`, verifies, and expects exactly the entry
/// `entry` to fail with a problem mentioning `what`.
fn rejects(
    doc: &ExportDocument,
    key: &[u8; 32],
    entry: &[u8; 16],
    what: &str,
    change: impl Fn(&mut Value),
) {
    let mut v = serde_json::to_value(doc).unwrap();
    change(&mut v);
    let report = verify_export_text(&v.to_string(), key).unwrap();
    assert!(!report.ok(), "{what}: an altered export verified");
    let failed = failures(&report);
    assert_eq!(failed.len(), 1, "{what}: {failed:?}");
    assert_eq!(failed[0].0, hex::encode(entry), "{what}: names the entry");
    assert!(
        failed[0].1.iter().any(|p| p.contains(what)),
        "{what}: problems were {:?}",
        failed[0].1
    );
}

fn entry_index(doc: &ExportDocument, id: &[u8; 16]) -> usize {
    doc.entries
        .iter()
        .position(|e| e.id == hex::encode(id))
        .unwrap()
}

#[tokio::test]
async fn json_export_is_complete_and_verifies_and_any_alteration_is_named() {
    let w = world().await;
    let doc = export(&w);
    let key = key(&w);
    assert_eq!(doc.entries.len(), 2);
    // In the order they happened.
    assert_eq!(doc.entries[0].id, hex::encode(w.first));
    assert_eq!(doc.entries[1].id, hex::encode(w.second));

    // Round trip: every field of every entry and amendment is in the JSON.
    let text = serde_json::to_string_pretty(&doc).unwrap();
    let back: ExportDocument = serde_json::from_str(&text).unwrap();
    assert_eq!(back, doc);
    for view in [w.first, w.second].map(|id| w.a.journal().entry(&id).unwrap()) {
        let e = &doc.entries[entry_index(&doc, &view.id)];
        assert_eq!(e.title, view.title);
        assert_eq!(e.text, view.text);
        assert_eq!(
            e.occurred_at.as_ref().map(|o| o.start.clone()),
            view.occurred_at.as_ref().map(|o| o.start.clone())
        );
        assert_eq!(e.categories, view.categories);
        assert_eq!(e.tags, view.tags);
        assert_eq!(e.severity, view.severity);
        assert_eq!(e.location, view.location);
        assert_eq!(e.people, view.people);
        assert_eq!(e.injuries, view.injuries);
        assert_eq!(e.police_references, view.police_references);
        assert_eq!(e.actions_taken, view.actions_taken);
        assert_eq!(e.impact, view.impact);
        assert_eq!(e.recorded_at_ms, view.recorded_at_ms);
        assert_eq!(e.deleted, view.deleted);
        assert_eq!(e.history.len(), view.history.len());
        for (r, v) in e.history.iter().zip(&view.history) {
            assert_eq!(r.recorded_at_ms, v.recorded_at_ms);
            assert_eq!(r.provenance.device, hex::encode(v.op.device));
            assert_eq!(r.provenance.idx, v.op.idx);
            assert!(
                r.provenance.received_at_ms.is_some(),
                "every op has a receipt"
            );
            for f in mycase_core::journal::Field::ALL {
                assert_eq!(
                    r.fields.contains_key(f.as_str()),
                    f.value_in(&v.fields).is_some(),
                    "field {} of a revision",
                    f.as_str()
                );
            }
        }
        assert_eq!(e.attachments.len(), view.attachments.len());
        for (a, v) in e.attachments.iter().zip(&view.attachments) {
            assert_eq!(a.sha256, hex::encode(&v.sha256));
            assert_eq!(a.name, v.name);
            assert_eq!(a.size, v.size);
        }
    }
    let first = &doc.entries[0];
    assert!(
        text.contains("He threw the plate at the wall."),
        "the original text"
    );
    assert!(text.contains("near my head"), "the amendment");
    assert_eq!(first.history.len(), 3);
    assert_eq!(first.history[2].kind, "amended");
    assert_eq!(first.attachments.len(), 1);
    assert_eq!(doc.devices.len(), 2);
    // The manifest: one record per operation, each with a receipt; no journal key.
    assert_eq!(doc.manifest.operations.len(), 3 + 1 + 1);
    assert!(doc.manifest.operations.iter().all(|o| o.receipt.is_some()));

    // Debug output (log lines, panic messages) shows no content and no subkey.
    let debug = format!("{doc:?}");
    assert!(!debug.contains("He threw") && !debug.contains("Kitchen"));
    assert!(!debug.contains(&doc.manifest.operations[0].subkey));
    let report = verify_document(&doc, &key);
    assert!(report.ok(), "{:?}", failures(&report));
    assert!(report
        .entries
        .iter()
        .all(|e| e.unchanged && e.signed && e.received));
    assert!(!report.entries[0].received_at.is_empty());

    // Under another server's key nothing is "received", everything else holds.
    let other = verify_document(&doc, &[7; 32]);
    assert!(other
        .entries
        .iter()
        .all(|e| !e.received && e.unchanged && e.signed));

    let (f, s) = (w.first, w.second);
    let i = entry_index(&doc, &f);
    let j = entry_index(&doc, &s);
    rejects(&doc, &key, &s, "entry text", |v| {
        v["entries"][j]["text"] = "Two messages.".into();
    });
    rejects(&doc, &key, &f, "occurred time", |v| {
        v["entries"][i]["occurred_at"]["start"] = "2026-03-15T21:45".into();
    });
    rejects(&doc, &key, &f, "amendment", |v| {
        v["entries"][i]["history"][1]["fields"]["text"] = "He dropped a plate.".into();
    });
    rejects(&doc, &key, &f, "amendment time", |v| {
        v["entries"][i]["history"][1]["recorded_at_ms"] = Value::from(1_700_000_000_000i64);
    });
    rejects(&doc, &key, &f, "original text", |v| {
        v["entries"][i]["history"][0]["fields"]["text"] = "Nothing happened.".into();
    });
    rejects(&doc, &key, &f, "attachment SHA-256", |v| {
        v["entries"][i]["attachments"][0]["sha256"] = hex::encode([0u8; 32]).into();
    });
    rejects(&doc, &key, &f, "receipt time", |v| {
        v["entries"][i]["history"][0]["provenance"]["received_at_ms"] = Value::from(1u64);
    });
    let op_of = |v: &Value, entry: &[u8; 16]| {
        v["manifest"]["operations"]
            .as_array()
            .unwrap()
            .iter()
            .position(|o| o["entry_id"] == hex::encode(entry))
            .unwrap()
    };
    rejects(&doc, &key, &s, "server receipt does not verify", |v| {
        let k = op_of(v, &s);
        let sig = v["manifest"]["operations"][k]["receipt"]["signature"]
            .as_str()
            .unwrap()
            .to_string();
        let flipped = format!(
            "{}{}",
            if sig.starts_with('0') { "1" } else { "0" },
            &sig[1..]
        );
        v["manifest"]["operations"][k]["receipt"]["signature"] = flipped.into();
    });
    rejects(&doc, &key, &s, "server receipt does not verify", |v| {
        let k = op_of(v, &s);
        let t = v["manifest"]["operations"][k]["receipt"]["server_time_ms"]
            .as_u64()
            .unwrap();
        v["manifest"]["operations"][k]["receipt"]["server_time_ms"] = Value::from(t - 60_000);
    });
    rejects(&doc, &key, &s, "does not open", |v| {
        let k = op_of(v, &s);
        let ct = v["manifest"]["operations"][k]["record"]["ciphertext"]
            .as_str()
            .unwrap()
            .to_string();
        let mut bytes = data_encoding::BASE64.decode(ct.as_bytes()).unwrap();
        bytes[3] ^= 1;
        v["manifest"]["operations"][k]["record"]["ciphertext"] =
            data_encoding::BASE64.encode(&bytes).into();
    });
    rejects(&doc, &key, &s, "signature", |v| {
        let k = op_of(v, &s);
        v["manifest"]["operations"][k]["device_public_key"] = hex::encode([9u8; 32]).into();
    });
}

#[tokio::test]
async fn html_export_verifies_opens_in_chromium_and_prints() {
    let w = world().await;
    let doc = export(&w);
    let key = key(&w);
    let today = chrono::NaiveDate::from_ymd_opt(2026, 6, 30).unwrap();
    let patterns = mycase_core::patterns::compute(w.a.journal(), &Filter::default(), today);
    let section = mycase_core::patterns::svg::html_section(&patterns);
    assert!(section.contains("<svg"));
    let page = html::render(&doc, Some(&section));
    assert!(page.contains("Content-Security-Policy"));
    assert!(!page.contains("<script>"), "no executable script");
    for fetch in ["src=", "href=\"http", "url(", "@import", "<link", "<iframe"] {
        assert!(!page.contains(fetch), "no external requests ({fetch})");
    }
    let report = verify_export_text(&page, &key).unwrap();
    assert!(report.ok(), "{:?} {:?}", failures(&report), report.problems);

    // The visible text altered, the embedded document left alone: caught.
    let forged = page.replacen("Forty messages in one evening.", "Two messages.", 1);
    assert_ne!(forged, page);
    let report = verify_export_text(&forged, &key).unwrap();
    let failed = failures(&report);
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].0, hex::encode(w.second));
    assert!(failed[0].1.iter().any(|p| p.contains("visible text")));
    // Both altered consistently: the records still say otherwise.
    let both = page.replace("Forty messages in one evening.", "Two messages.");
    let failed = failures(&verify_export_text(&both, &key).unwrap());
    assert_eq!(failed.len(), 1);
    assert!(failed[0].1.iter().any(|p| p.contains("entry text")));
    // A visible time altered.
    let first = &doc.entries[entry_index(&doc, &w.first)];
    let shown = &first.occurred_at.as_ref().unwrap().display;
    let moved = page.replacen(shown.as_str(), "14 March 2026 at 23:59", 1);
    assert!(!verify_export_text(&moved, &key).unwrap().ok());

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("chronology.html");
    std::fs::write(&file, &page).unwrap();
    let Some(chromium) = Chromium::for_test("export_html") else {
        return;
    };
    let url = format!("file://{}", file.display());
    let rendered = chromium
        .render(
            &url,
            "document.readyState === 'complete'",
            Duration::from_secs(60),
        )
        .await
        .unwrap();
    for needle in [
        "Kitchen",
        "He threw the blue plate at the wall, near my head.",
        "Forty messages in one evening.",
        "Patterns",
        "<svg",
        &first.attachments[0].sha256,
        &first.history[0].provenance.record_hash,
    ] {
        assert!(rendered.contains(needle), "the page shows {needle:?}");
    }
    let pdf = chromium
        .print_to_pdf(
            &url,
            "document.readyState === 'complete'",
            Duration::from_secs(60),
        )
        .await
        .unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    assert!(pdf.len() > 2000);
}
