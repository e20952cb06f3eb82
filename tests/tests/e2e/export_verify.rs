#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Exports end to end: two devices write entries, amendments, a deletion and
//! restore, people and an attachment through a real server; the JSON export
//! holds every field of every entry and amendment; `verify` accepts the
//! untouched export (JSON and HTML) and rejects any altered entry text, time,
//! amendment, attachment, person, device, category, receipt or record, any
//! left-out amendment or deletion, and any HTML page that shows other than what
//! the records say (hidden with CSS, an added paragraph, a changed date),
//! naming the entry and what changed; the HTML opens and prints in Chromium.

use std::time::Duration;

use mycase_core::evidence::verify::{
    verify_document, verify_export_bytes, verify_export_text, VerifyInputError, VerifyReport,
};
use mycase_core::export::chronology::{self, Photos};
use mycase_core::export::model::{ExportDocument, ExportFilter};
use mycase_core::export::pdf::{embed, print, PdfError};
use mycase_core::journal::occurred;
use mycase_core::journal::ops;
use mycase_core::query::Filter;
use mycase_core::store::memory::MemoryStore;
use mycase_core::Device;
use mycase_proto::v1::{EntryFields, PersonFields, StringList};
use mycase_tests::chromium::Chromium;
use mycase_tests::{fields, new_account_device, pair_device, text, TestServer};
use serde_json::Value;

struct World {
    server: TestServer,
    a: Device<MemoryStore>,
    first: [u8; 16],
    second: [u8; 16],
    third: [u8; 16],
    /// The person causing harm, named by the first entry (renamed once).
    sam: [u8; 16],
    /// A person no exported entry names.
    alex: [u8; 16],
}

/// A keeps two people, writes an entry with every kind of field naming one of
/// them and an attachment, and an entry it deletes and restores; B amends the
/// first and writes its own; both sync until each holds everything with receipts.
async fn world() -> World {
    let server = TestServer::start().await;
    let (mut a, ta) = new_account_device(&server).await;
    let (mut b, tb) = pair_device(&server, &mut a, &ta, "phone").await;
    let (sam, alex) = ([0x5a; 16], [0xa1; 16]);
    a.commit(vec![
        ops::add_person(
            sam,
            PersonFields {
                name: Some("Sam".into()),
                role: Some("causing-harm".into()),
                ..Default::default()
            },
        ),
        ops::add_person(
            alex,
            PersonFields {
                name: Some("Alex".into()),
                role: Some("witness".into()),
                ..Default::default()
            },
        ),
    ])
    .unwrap();
    a.commit(vec![ops::amend_person(
        sam,
        PersonFields {
            name: Some("Sam Taylor".into()),
            ..Default::default()
        },
    )])
    .unwrap();
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
            people: Some(StringList {
                values: vec![hex::encode(sam)],
            }),
            withholdable: Vec::new(),
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
    let third = a
        .add_entry(EntryFields {
            occurred_at: Some(occurred::parse("2026-03-10").unwrap()),
            ..fields("Car", "He took the car keys.")
        })
        .unwrap();
    a.delete_entry(third).unwrap();
    a.restore_entry(third).unwrap();
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
        third,
        sam,
        alex,
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
        .map(|e| (e.entry_id.clone(), e.checks.problems.clone()))
        .collect()
}

/// Every problem the report names, for any entry, person, device or the document.
fn all_problems(r: &VerifyReport) -> Vec<String> {
    r.entries
        .iter()
        .flat_map(|e| e.checks.problems.clone())
        .chain(r.people.iter().flat_map(|p| p.checks.problems.clone()))
        .chain(r.devices.iter().flat_map(|d| d.checks.problems.clone()))
        .chain(r.problems.clone())
        .collect()
}

/// Alters the JSON export with `change` and expects it refused with a problem
/// (anywhere in the report) mentioning `what`.
fn refused(
    doc: &ExportDocument,
    key: &[u8; 32],
    what: &str,
    change: impl Fn(&mut Value),
) -> VerifyReport {
    let mut v = serde_json::to_value(doc).unwrap();
    change(&mut v);
    let report = verify_export_text(&v.to_string(), key).unwrap();
    assert!(!report.ok(), "{what}: an altered export verified");
    let problems = all_problems(&report);
    assert!(
        problems.iter().any(|p| p.contains(what)),
        "{what}: problems were {problems:?}"
    );
    report
}

/// Removes the history item `k` of entry `i` and the manifest operation that
/// carries it: a consistent forgery that leaves an operation out.
fn drop_operation(v: &mut Value, i: usize, k: usize) {
    let hash = v["entries"][i]["history"][k]["provenance"]["record_hash"].clone();
    v["entries"][i]["history"].as_array_mut().unwrap().remove(k);
    v["manifest"]["operations"]
        .as_array_mut()
        .unwrap()
        .retain(|o| o["record_hash"] != hash);
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
    assert_eq!(doc.entries.len(), 3);
    // In the order they happened.
    assert_eq!(doc.entries[0].id, hex::encode(w.third));
    assert_eq!(doc.entries[1].id, hex::encode(w.first));
    assert_eq!(doc.entries[2].id, hex::encode(w.second));

    // Round trip: every field of every entry and amendment is in the JSON.
    let text = serde_json::to_string_pretty(&doc).unwrap();
    let back: ExportDocument = serde_json::from_str(&text).unwrap();
    assert_eq!(back, doc);
    for view in [w.first, w.second, w.third].map(|id| w.a.journal().entry(&id).unwrap()) {
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
    let first = &doc.entries[entry_index(&doc, &w.first)];
    assert!(
        text.contains("He threw the plate at the wall."),
        "the original text"
    );
    assert!(text.contains("near my head"), "the amendment");
    assert_eq!(first.history.len(), 3);
    assert_eq!(first.history[2].kind, "amended");
    assert_eq!(first.attachments.len(), 1);
    assert_eq!(doc.devices.len(), 2);
    // Only the person the entries name, with the records of the name's change.
    assert_eq!(doc.people.len(), 1);
    assert_eq!(doc.people[0].id, hex::encode(w.sam));
    assert_eq!(doc.people[0].name.as_deref(), Some("Sam Taylor"));
    assert!(!text.contains(&hex::encode(w.alex)) && !text.contains("Alex"));
    assert_eq!(doc.manifest.person_operations.len(), 2);
    assert_eq!(doc.manifest.device_additions.len(), 2);
    // The manifest: one record per operation, each with a receipt; no journal key.
    assert_eq!(doc.manifest.operations.len(), (3 + 1) + 1 + 3);
    assert!(doc
        .manifest
        .operations
        .iter()
        .all(|o| o.proof.receipt.is_some()));

    // Debug output (log lines, panic messages) shows no content and no subkey.
    let debug = format!("{doc:?}");
    assert!(!debug.contains("He threw") && !debug.contains("Kitchen"));
    assert!(!debug.contains(&doc.manifest.operations[0].proof.subkey));
    let report = verify_document(&doc, &key);
    assert!(report.ok(), "{:?}", failures(&report));
    assert!(report
        .entries
        .iter()
        .all(|e| e.checks.unchanged && e.checks.signed && e.checks.received && e.checks.complete));
    assert!(!report.entries[0].checks.received_at.is_empty());
    assert_eq!(report.people.len(), 1);
    assert_eq!(report.devices.len(), 2);
    assert!(report.people.iter().all(|p| p.checks.ok()));
    assert!(report.devices.iter().all(|d| d.checks.ok()));
    // Every record is today's format: no weaker guarantee to report.
    assert!(report.entries.iter().all(|e| e.checks.limits.is_empty()));
    assert!(report
        .not_proven
        .iter()
        .any(|p| p.contains("latest operation")));

    // Under another server's key nothing is "received", everything else holds.
    let other = verify_document(&doc, &[7; 32]);
    assert!(other
        .entries
        .iter()
        .all(|e| !e.checks.received && e.checks.unchanged && e.checks.signed));

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
        bytes[40] ^= 1; // past the 32-byte key commitment
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
    let month = mycase_core::patterns::svg::per_month_chart(&patterns);
    assert!(month.contains("<svg"));
    let mut doc = doc;
    doc.patterns_as_of = Some(today.to_string());
    let page = chronology::render_page(&doc, w.a.journal(), &Photos::new());
    assert!(page.contains("<h2>Patterns</h2>"), "the patterns section");
    assert_eq!(
        page.matches("<svg").count(),
        3,
        "entries per month, severity over time, day and hour"
    );
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
    // Both altered consistently, the proof's disclosure of the words too: the
    // record's commitment still says otherwise.
    let both = page.replace("Forty messages in one evening.", "Two messages.");
    let failed = failures(&verify_export_text(&both, &key).unwrap());
    assert_eq!(failed.len(), 1);
    assert!(failed[0]
        .1
        .iter()
        .any(|p| p.contains("the text shown is not what the record commits to")));
    // A visible time altered.
    let first = &doc.entries[entry_index(&doc, &w.first)];
    assert_eq!(
        first.occurred_at.as_ref().unwrap().start,
        "2026-03-14T21:45"
    );
    let moved = page.replacen(
        r#"<span class="when">Sat 14 March 2026, 21:45 GMT</span>"#,
        r#"<span class="when">Sat 14 March 2026, 23:59 GMT</span>"#,
        1,
    );
    assert!(!verify_export_text(&moved, &key).unwrap().ok());

    // A reader must see what the records say: genuine entries hidden with
    // CSS, a made-up paragraph, a changed visible date are each refused.
    let second = hex::encode(w.second);
    let hidden = page.replacen(
        "</style>",
        &format!("#entry-{second}{{display:none}}</style>"),
        1,
    );
    let made_up = page.replacen(
        "<main>",
        "<main><p>He apologised and nothing else happened.</p>",
        1,
    );
    let shown_elsewhere = page.replacen(
        r#"<div class="text">Forty messages in one evening."#,
        r#"<div class="text" style="display:none">Forty messages in one evening."#,
        1,
    ) + "<p style=\"position:absolute;top:40rem\">Two messages.</p>";
    for (forgery, what) in [
        (&hidden, "an entry hidden with CSS"),
        (&made_up, "an inserted paragraph"),
        (
            &shown_elsewhere,
            "an entry hidden inline and text shown over it",
        ),
        (&moved, "a changed visible date"),
    ] {
        assert_ne!(forgery, &page, "{what}: the forgery changes the page");
        let report = verify_export_text(forgery, &key).unwrap();
        assert!(!report.ok(), "{what}: verified");
        assert!(
            report
                .problems
                .iter()
                .any(|p| p.contains("not the one MyCase renders from its verified records")),
            "{what}: {:?}",
            report.problems
        );
    }
    // The changed date also names its entry.
    let failed = failures(&verify_export_text(&moved, &key).unwrap());
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].0, hex::encode(w.first));
    // Renaming the person causing harm on the page only, or in the page and
    // its embedded document alike.
    assert!(page.contains("<dd>Sam Taylor (person causing harm)"));
    let renamed_page = page.replacen(
        "<dd>Sam Taylor (person causing harm)",
        "<dd>Someone Else (person causing harm)",
        1,
    );
    assert_ne!(renamed_page, page);
    assert!(!verify_export_text(&renamed_page, &key).unwrap().ok());
    let renamed_both = page.replace("Sam Taylor", "Someone Else");
    let report = verify_export_text(&renamed_both, &key).unwrap();
    assert!(!report.ok());
    assert!(report.people[0]
        .checks
        .problems
        .iter()
        .any(|p| p.contains("person's name differs")));
    // An HTML file claiming the older export format is refused as unprovable.
    let older = page.replacen(
        r#""format":"mycase-export-v4""#,
        r#""format":"mycase-export-v1""#,
        1,
    );
    assert_ne!(older, page);
    let report = verify_export_text(&older, &key).unwrap();
    assert!(report
        .problems
        .iter()
        .any(|p| p.contains("older MyCase cannot be proven")));
    // Claiming v2 (whose page is laid out otherwise) proves nothing either.
    let downgraded = page.replacen(
        r#""format":"mycase-export-v4""#,
        r#""format":"mycase-export-v2""#,
        1,
    );
    assert_ne!(downgraded, page);
    let report = verify_export_text(&downgraded, &key).unwrap();
    assert!(!report.ok());
    assert!(report
        .problems
        .iter()
        .any(|p| p.contains("not the one MyCase renders")));
    // Claiming v3, whose records hold their words in the open, is refused too.
    let v3 = page.replacen(
        r#""format":"mycase-export-v4""#,
        r#""format":"mycase-export-v3""#,
        1,
    );
    let report = verify_export_text(&v3, &key).unwrap();
    assert!(!report.ok());
    assert!(report
        .problems
        .iter()
        .any(|p| p.contains("shows texts as only mycase-export-v4 does")));

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

#[tokio::test]
async fn people_devices_categories_and_attachment_metadata_are_covered() {
    let w = world().await;
    let doc = export(&w);
    let key = key(&w);
    assert!(verify_document(&doc, &key).ok());
    let i = entry_index(&doc, &w.first);
    let laptop = doc
        .devices
        .iter()
        .position(|d| d.device_id == hex::encode(w.a.device_id()))
        .unwrap();
    let phone = 1 - laptop;

    // Renaming the person causing harm, or changing their role.
    refused(&doc, &key, "person's name differs", |v| {
        v["people"][0]["name"] = "Someone Else".into();
    });
    refused(&doc, &key, "person's role differs", |v| {
        v["people"][0]["role"] = "witness".into();
    });
    // The person's records taken away: the name is then proven by nothing.
    refused(&doc, &key, "no record for this person", |v| {
        v["manifest"]["person_operations"] = Value::Array(vec![]);
    });
    // A person the entries name left off the list is no forgery (the page shows
    // the id), but records of unlisted people are.
    refused(&doc, &key, "people who are not on its people list", |v| {
        v["people"] = Value::Array(vec![]);
    });
    // A device renamed, or given another key.
    refused(&doc, &key, "device's name differs", |v| {
        v["devices"][phone]["name"] = "his laptop".into();
    });
    refused(&doc, &key, "device's sign_public_key differs", |v| {
        v["devices"][phone]["sign_public_key"] = hex::encode([9u8; 32]).into();
    });
    refused(&doc, &key, "device's added_by differs", |v| {
        v["devices"][phone]["added_by"] = v["devices"][phone]["device_id"].clone();
    });
    // A device that wrote an entry left off the list, with its record.
    refused(&doc, &key, "which the export does not list", |v| {
        let id = v["devices"][phone]["device_id"].clone();
        v["devices"].as_array_mut().unwrap().remove(phone);
        v["manifest"]["device_additions"]
            .as_array_mut()
            .unwrap()
            .retain(|d| d["device_id"] != id);
    });
    // A category renamed.
    refused(&doc, &key, "categories list differs", |v| {
        v["categories"][0]["name"] = "an accident".into();
    });
    // Attachment metadata: name, media type, size.
    for (field, value) in [
        ("name", Value::from("holiday.jpg")),
        ("media_type", Value::from("text/plain")),
        ("size", Value::from(1u64)),
    ] {
        rejects(&doc, &key, &w.first, "attachment", |v| {
            v["entries"][i]["attachments"][0][field] = value.clone();
        });
    }
    // The day range and the order of entries.
    refused(&doc, &key, "first or last day", |v| {
        v["first_day"] = "2026-01-01".into();
    });
    refused(&doc, &key, "not in the order they happened", |v| {
        v["entries"].as_array_mut().unwrap().swap(0, 2);
    });
    // Relabelled as the older export format, which proves less: refused.
    refused(
        &doc,
        &key,
        "holds records only a newer MyCase writes",
        |v| {
            v["format"] = "mycase-export-v1".into();
        },
    );
    let _ = laptop;
}

#[tokio::test]
async fn an_omitted_amendment_or_deletion_is_detected() {
    let w = world().await;
    let doc = export(&w);
    let key = key(&w);
    let i = entry_index(&doc, &w.first);
    let k = entry_index(&doc, &w.third);
    assert_eq!(doc.entries[i].history[1].kind, "amended");
    assert_eq!(doc.entries[k].history[1].kind, "deleted");

    // The first amendment left out, the entry made consistent with the rest: the
    // fold agrees, but the attachment added after it names it.
    let report = refused(&doc, &key, "left out", |v| {
        drop_operation(v, i, 1);
        v["entries"][i]["text"] = "He threw the plate at the wall.".into();
    });
    let first = &report.entries[1];
    assert_eq!(first.entry_id, hex::encode(w.first));
    assert!(first.checks.unchanged && first.checks.signed && first.checks.received);
    assert!(!first.checks.complete);
    assert!(report.entries[0].ok() && report.entries[2].ok());

    // The deletion left out (the entry was restored, so it looks the same): the
    // restore names it.
    let report = refused(&doc, &key, "left out", |v| drop_operation(v, k, 1));
    let third = &report.entries[0];
    assert_eq!(third.entry_id, hex::encode(w.third));
    assert!(third.checks.unchanged && !third.checks.complete);
    // And a person's earlier record left out while a later one names it.
    refused(&doc, &key, "left out", |v| {
        v["manifest"]["person_operations"]
            .as_array_mut()
            .unwrap()
            .remove(0);
    });
}

#[tokio::test]
async fn a_filtered_export_names_only_who_its_entries_involve_and_a_stripped_receipt_is_named() {
    let w = world().await;
    let key = key(&w);
    // Only B's entry: it names nobody; B wrote it and A added B.
    let only_second = Filter {
        from: chrono::NaiveDate::from_ymd_opt(2026, 3, 18),
        ..Default::default()
    };
    let doc =
        w.a.export_document(&only_second, ExportFilter::default())
            .unwrap();
    assert_eq!(doc.entries.len(), 1);
    assert_eq!(doc.entries[0].id, hex::encode(w.second));
    assert!(doc.people.is_empty(), "no person the entry does not name");
    assert_eq!(
        doc.devices.len(),
        2,
        "the phone that wrote it and the laptop that added it"
    );
    let phone = doc
        .devices
        .iter()
        .find(|d| d.device_id != hex::encode(w.a.device_id()))
        .unwrap();
    assert_eq!(phone.added_by, hex::encode(w.a.device_id()));
    assert!(verify_document(&doc, &key).ok());

    // Only A's deleted-and-restored entry: only the laptop.
    let only_third = Filter {
        to: chrono::NaiveDate::from_ymd_opt(2026, 3, 11),
        ..Default::default()
    };
    let doc =
        w.a.export_document(&only_third, ExportFilter::default())
            .unwrap();
    assert_eq!(doc.entries.len(), 1);
    assert!(doc.people.is_empty());
    assert_eq!(doc.devices.len(), 1);
    assert_eq!(doc.devices[0].added_by, doc.devices[0].device_id);
    let report = verify_document(&doc, &key);
    assert!(report.ok());
    assert!(report.devices[0].checks.limits[0].contains("added itself"));

    // A receipt stripped, with the time it showed: the entry is reported as
    // not received, naming the record.
    let doc = export(&w);
    let j = entry_index(&doc, &w.second);
    let report = refused(&doc, &key, "no server receipt", |v| {
        let hash = v["entries"][j]["history"][0]["provenance"]["record_hash"].clone();
        for op in v["manifest"]["operations"].as_array_mut().unwrap() {
            if op["record_hash"] == hash {
                op["receipt"] = Value::Null;
            }
        }
        v["entries"][j]["history"][0]["provenance"]["received_at"] = Value::Null;
        v["entries"][j]["history"][0]["provenance"]["received_at_ms"] = Value::Null;
    });
    let second = &report.entries[j];
    assert!(!second.checks.received && second.checks.unchanged && second.checks.signed);
    let idx = doc.entries[j].history[0].provenance.idx;
    assert!(second
        .checks
        .problems
        .iter()
        .any(|p| p.contains(&format!(":{idx}: no server receipt"))));
}

/// Verifies a PDF's bytes (no files beside it).
fn verify_pdf(pdf: &[u8], key: &[u8; 32]) -> VerifyReport {
    verify_export_bytes(pdf, key, |_| None).unwrap().0
}

#[tokio::test]
async fn a_pdf_export_verifies_and_pages_that_show_other_than_its_page_are_named() {
    let Some(chromium) = mycase_core::export::pdf::print::find_chromium() else {
        assert!(
            std::env::var_os("MYCASE_REQUIRE_CHROMIUM").is_none(),
            "MYCASE_REQUIRE_CHROMIUM is set but no chromium was found"
        );
        eprintln!("SKIPPED a_pdf_export_verifies: chromium not found");
        return;
    };
    let w = world().await;
    let key = key(&w);
    let mut doc = export(&w);
    doc.patterns_as_of = Some("2026-06-30".into());
    doc.presentation.case_reference = Some("NMO/2026/0412".into());
    let page = chronology::render_page(&doc, w.a.journal(), &Photos::new());
    let printed = print::print_html(&page, &chromium).await.unwrap();
    let pdf = embed::attach_page(&printed, &page).unwrap();
    assert_eq!(embed::embedded_page(&pdf).unwrap(), page);
    let report = verify_pdf(&pdf, &key);
    assert!(report.ok(), "{:?} {:?}", failures(&report), report.problems);
    assert!(report
        .not_proven
        .iter()
        .any(|p| p.contains("photos as printed")));

    // Pages printed from a forged page, with the genuine page inside: the
    // pages lie about one entry, and that entry is named.
    let forged_page = page.replacen("Forty messages in one evening.", "Two messages.", 1);
    assert_ne!(forged_page, page);
    let lying = embed::attach_page(
        &print::print_html(&forged_page, &chromium).await.unwrap(),
        &page,
    )
    .unwrap();
    let report = verify_pdf(&lying, &key);
    assert!(!report.ok());
    assert!(report
        .problems
        .iter()
        .any(|p| p.contains("printed pages do not show exactly the page inside it")));
    let failed = failures(&report);
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].0, hex::encode(w.second));

    // A page taken out of the printout.
    let mut shorter = lopdf::Document::load_mem(&pdf).unwrap();
    let pages = shorter.get_pages().len() as u32;
    assert!(pages > 2, "{pages} pages");
    shorter.delete_pages(&[2]);
    let mut cut = Vec::new();
    shorter.save_to(&mut cut).unwrap();
    let report = verify_pdf(&cut, &key);
    assert!(!report.ok());
    assert!(report
        .problems
        .iter()
        .any(|p| p.contains("printed pages do not show")));

    // The page inside altered (and printed as altered): refused as an HTML
    // page that is not what the records say would be.
    let both = embed::attach_page(
        &print::print_html(&forged_page, &chromium).await.unwrap(),
        &forged_page,
    )
    .unwrap();
    let report = verify_pdf(&both, &key);
    assert!(!report.ok());
    assert!(report
        .problems
        .iter()
        .any(|p| p.contains("not the one MyCase renders")));

    // A PDF with no page inside is no MyCase export.
    assert!(matches!(
        verify_export_bytes(&printed, &key, |_| None),
        Err(VerifyInputError::Pdf(PdfError::NoPage))
    ));
    assert!(matches!(
        verify_export_bytes(b"%PDF-1.7 not really", &key, |_| None),
        Err(VerifyInputError::Pdf(PdfError::Unreadable(_)))
    ));
}
