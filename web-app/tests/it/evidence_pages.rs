//! The evidence, patterns, export and verify pages over raw HTTP: each renders,
//! an upload attaches and its file is served under a neutral name (shown only
//! when it is a kind that cannot run script), an export downloads and checks
//! out on the verify page, and each form's bad input is a 422 with an error
//! summary that changes nothing.

use mycase_core::app::{EntryInput, ExportChoices, ExportFormat};
use mycase_web_app::handles::HandleKind;

use crate::harness::{start_set_up, Running};
use crate::raw_http::Request;

fn photo() -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../client-core/tests/fixtures/photo-with-location.jpg"),
    )
    .unwrap()
}

async fn with_entry(app: &Running) -> (String, String) {
    let cookie = app.unlocked().await;
    let id = app
        .web
        .app()
        .add_entry(EntryInput {
            title: "Kitchen".into(),
            text: "He shouted".into(),
            when: "2026-03-14".into(),
            categories: vec!["threats".into()],
            ..EntryInput::default()
        })
        .await
        .unwrap();
    let handle = app.web.handles().handle(HandleKind::Entry, &id);
    (cookie, handle)
}

fn upload(app: &Running, cookie: &str, entry: &str, name: &str, bytes: Vec<u8>) -> Request {
    app.post(&format!("/entries/{entry}/attachments"), cookie)
        .header("Content-Type", "application/octet-stream")
        .header("X-MyCase-File-Name", name)
        .body(bytes)
}

/// The `/attachments/{handle}` addresses a page links to, in order, once each.
fn attachment_links(html: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for part in html.split("/attachments/").skip(1) {
        let handle: String = part
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        if !out.contains(&handle) {
            out.push(handle);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evidence_is_attached_shown_inline_and_downloaded_under_a_neutral_name() {
    let app = start_set_up().await;
    let (cookie, entry) = with_entry(&app).await;
    let page = app
        .send(Request::get(&format!("/entries/{entry}/evidence")).header("Cookie", &cookie))
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("No files are attached"));
    assert!(page.body.contains("data-upload"));

    let reply = app
        .send(upload(&app, &cookie, &entry, "bruise%20photo.jpg", photo()))
        .await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    let script =
        b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>".to_vec();
    let reply = app
        .send(upload(&app, &cookie, &entry, "drawing.svg", script))
        .await;
    assert_eq!(reply.status, 303, "{}", reply.body);

    let page = app
        .send(Request::get(&format!("/entries/{entry}/evidence")).header("Cookie", &cookie))
        .await;
    assert!(page.body.contains("bruise photo.jpg"));
    assert!(page.body.contains("<img class=\"evidence__image\""));
    let links = attachment_links(&page.body);
    assert_eq!(links.len(), 2, "{links:?}");

    let shown = app
        .send(Request::get(&format!("/attachments/{}", links[0])).header("Cookie", &cookie))
        .await;
    assert_eq!(shown.status, 200);
    assert_eq!(shown.header("content-type"), Some("image/jpeg"));
    assert_eq!(
        shown.header("content-disposition"),
        Some("inline; filename=\"evidence.jpg\"")
    );
    assert_eq!(shown.header("x-content-type-options"), Some("nosniff"));
    let download = app
        .send(
            Request::get(&format!("/attachments/{}/download", links[0])).header("Cookie", &cookie),
        )
        .await;
    assert_eq!(
        download.header("content-disposition"),
        Some("attachment; filename=\"evidence.jpg\"")
    );

    // An SVG could run script in the app's origin: never served to be shown.
    let svg = app
        .send(Request::get(&format!("/attachments/{}", links[1])).header("Cookie", &cookie))
        .await;
    assert_eq!(svg.header("content-type"), Some("application/octet-stream"));
    assert!(svg
        .header("content-disposition")
        .unwrap()
        .starts_with("attachment"));

    // A PDF is shown inline in the entry page and opens in the browser's viewer
    // (an embedded object the page's `object-src 'none'` would blank),
    // scriptless, and framed by the app's own pages only.
    let pdf = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n".to_vec();
    let reply = app
        .send(upload(&app, &cookie, &entry, "letter.pdf", pdf))
        .await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    let page = app
        .send(Request::get(&format!("/entries/{entry}/evidence")).header("Cookie", &cookie))
        .await;
    let links = attachment_links(&page.body);
    assert!(
        page.body.contains(&format!(
            "<iframe class=\"evidence__pdf\" src=\"/attachments/{}\" title=\"Attached PDF: letter.pdf\"",
            links[2]
        )),
        "{}",
        page.body
    );
    let shown = app
        .send(Request::get(&format!("/attachments/{}", links[2])).header("Cookie", &cookie))
        .await;
    assert_eq!(shown.header("content-type"), Some("application/pdf"));
    let csp = shown.header("content-security-policy").unwrap();
    assert!(
        csp.contains("object-src 'self'") && csp.contains("frame-ancestors 'self'"),
        "{csp}"
    );
    assert!(!csp.contains("script-src 'self'"), "{csp}");
    assert_eq!(shown.header("x-frame-options"), Some("SAMEORIGIN"));
    // Every other response still refuses any frame.
    assert_eq!(page.header("x-frame-options"), Some("DENY"));

    // A recording and a video play in the page, each served as what it is.
    for (name, tag, label, kind) in [
        (
            "voice.m4a",
            "<audio class=\"evidence__media\"",
            "Attached recording: voice.m4a",
            "audio/",
        ),
        (
            "door.mp4",
            "<video class=\"evidence__media\"",
            "Attached video: door.mp4",
            "video/",
        ),
    ] {
        let reply = app
            .send(upload(
                &app,
                &cookie,
                &entry,
                name,
                b"\0\0\0\x18ftypmp42 media".to_vec(),
            ))
            .await;
        assert_eq!(reply.status, 303, "{name}: {}", reply.body);
        let page = app
            .send(Request::get(&format!("/entries/{entry}/evidence")).header("Cookie", &cookie))
            .await;
        assert!(page.body.contains(tag), "{name}: {}", page.body);
        assert!(
            page.body.contains(&format!("aria-label=\"{label}\"")),
            "{name}"
        );
        let link = attachment_links(&page.body).pop().unwrap();
        let served = app
            .send(Request::get(&format!("/attachments/{link}")).header("Cookie", &cookie))
            .await;
        assert!(
            served.header("content-type").unwrap().starts_with(kind),
            "{name}"
        );
        assert!(served
            .header("content-disposition")
            .unwrap()
            .starts_with("inline"));
    }

    // Handles die with the lock.
    app.web.lock().await;
    app.unlock(&cookie).await;
    let stale = app
        .send(Request::get(&format!("/attachments/{}", links[0])).header("Cookie", &cookie))
        .await;
    assert_eq!(stale.status, 410);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_upload_is_a_422_with_an_error_summary_and_attaches_nothing() {
    let app = start_set_up().await;
    let (cookie, entry) = with_entry(&app).await;
    let empty = app
        .send(upload(&app, &cookie, &entry, "a.jpg", Vec::new()))
        .await;
    assert_eq!(empty.status, 422);
    assert!(empty.body.contains("There is a problem"));
    assert!(empty.body.contains("href=\"#file\""));
    assert!(empty.body.contains("Choose a file to attach"));
    // A stale entry handle.
    let stale = app
        .send(upload(
            &app,
            &cookie,
            "nosuchhandle",
            "a.jpg",
            b"x".to_vec(),
        ))
        .await;
    assert_eq!(stale.status, 410);
    // No custom header: refused by the guard before anything is read.
    let forged = Request::post(&format!("/entries/{entry}/attachments"))
        .header("Cookie", &cookie)
        .header("Origin", &format!("http://127.0.0.1:{}", app.port))
        .body(b"x".to_vec());
    assert_eq!(app.send(forged).await.status, 403);
    let id = app
        .web
        .handles()
        .resolve(HandleKind::Entry, &entry)
        .unwrap();
    assert!(app.web.app().attachments(&id).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patterns_and_export_pages_render_filter_and_refuse_bad_input() {
    let app = start_set_up().await;
    let (cookie, handle) = with_entry(&app).await;

    let page = app
        .send(Request::get("/patterns").header("Cookie", &cookie))
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<svg"));
    assert!(page
        .body
        .contains("<caption>Entries per category</caption>"));
    assert!(page.body.contains("Patterns – Notes"));

    let filtered = app
        .send(
            app.post("/patterns", &cookie)
                .form(&[("category", "physical"), ("category", "sexual")]),
        )
        .await;
    assert_eq!(filtered.status, 200);
    assert!(filtered.body.contains("No entries match"));
    let bad = app
        .send(app.post("/patterns", &cookie).form(&[("from", "14th")]))
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("href=\"#from\""));
    assert!(bad.body.contains("Error: Patterns – Notes"));

    let form = app
        .send(Request::get("/export").header("Cookie", &cookie))
        .await;
    assert_eq!(form.status, 200);
    let no_format = app
        .send(app.post("/export", &cookie).form(&[("from", "")]))
        .await;
    assert_eq!(no_format.status, 422);
    assert!(no_format.body.contains("href=\"#format\""));
    let bad_category = app
        .send(
            app.post("/export", &cookie)
                .form(&[("format", "json"), ("category", "nonsense")]),
        )
        .await;
    assert_eq!(bad_category.status, 422);
    assert!(bad_category.body.contains("href=\"#category\""));

    let download = app
        .send(app.post("/export", &cookie).form(&[("format", "json")]))
        .await;
    assert_eq!(download.status, 200);
    assert_eq!(download.header("content-type"), Some("application/json"));
    let disposition = download.header("content-disposition").unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"export-")
            && disposition.ends_with(".json\""),
        "{disposition}"
    );
    assert!(!disposition.contains("Kitchen"));
    assert!(download.body.contains("\"title\": \"Kitchen\""));
    let markdown = app
        .send(app.post("/export", &cookie).form(&[("format", "md")]))
        .await;
    assert_eq!(markdown.status, 200);
    assert!(markdown
        .header("content-type")
        .unwrap()
        .starts_with("text/markdown"));
    assert!(markdown.body.starts_with("# Chronology of incidents"));
    assert!(markdown.body.contains("Kitchen"));

    // Words left out of this copy: the entry's page gives its number, the
    // copy reads [withheld] there, and a line that is not understood or words
    // that are not in the entry are the field's error, with nothing downloaded.
    let months = app.web.app().timeline(Default::default()).await.unwrap();
    let kitchen_id = months[0].entries[0].id.clone();
    let shown = app
        .send(Request::get(&format!("/entries/{handle}")).header("Cookie", &cookie))
        .await;
    assert!(shown
        .body
        .contains(&format!("<code>{}</code>", &kitchen_id[..8])));
    let withheld = app
        .send(app.post("/export", &cookie).form(&[
            ("format", "json"),
            ("withhold", &format!("{}:text:shouted", &kitchen_id[..8])),
        ]))
        .await;
    assert_eq!(withheld.status, 200);
    assert!(
        withheld.body.contains("\"text\": \"He [withheld]\""),
        "{}",
        withheld.body
    );
    assert!(!withheld.body.contains("shouted"));
    for (line, says) in [
        ("not a withholding".to_string(), "Write each line as"),
        (
            format!("{}:text:whispered", &kitchen_id[..8]),
            "does not appear",
        ),
        (
            format!("{}:severity", &kitchen_id[..8]),
            "cannot be withheld",
        ),
    ] {
        let refused = app
            .send(
                app.post("/export", &cookie)
                    .form(&[("format", "json"), ("withhold", &line)]),
            )
            .await;
        assert_eq!(refused.status, 422, "{line}");
        assert!(refused.body.contains(says), "{line}: {}", refused.body);
        assert!(refused.body.contains("id=\"withhold-error\""), "{line}");
    }

    // A deleted entry: left out unless the box is ticked, then in and marked.
    let gone = app
        .web
        .app()
        .add_entry(EntryInput {
            title: "Typed by mistake".into(),
            text: "Not an incident".into(),
            when: "2026-03-15".into(),
            ..EntryInput::default()
        })
        .await
        .unwrap();
    app.web.app().delete_entry(&gone).await.unwrap();
    let standing = app
        .send(app.post("/export", &cookie).form(&[("format", "json")]))
        .await;
    assert_eq!(standing.status, 200);
    assert!(!standing.body.contains("Typed by mistake"));
    let with_deleted = app
        .send(
            app.post("/export", &cookie)
                .form(&[("format", "json"), ("include_deleted", "yes")]),
        )
        .await;
    assert_eq!(with_deleted.status, 200);
    assert!(with_deleted
        .body
        .contains("\"title\": \"Typed by mistake\""));
    assert!(with_deleted.body.contains("\"include_deleted\": true"));

    // The header's case reference and name: on the page, trimmed, not in the journal.
    let headed = app
        .send(app.post("/export", &cookie).form(&[
            ("format", "html"),
            ("case_reference", "  NMO/2026/7  "),
            ("name_on_document", "Sam Taylor"),
        ]))
        .await;
    assert_eq!(headed.status, 200);
    assert!(headed.body.contains("<p>Case reference: NMO/2026/7</p>"));
    assert!(headed.body.contains("<p>Name: Sam Taylor</p>"));
    let plain = app
        .send(
            app.post("/export", &cookie)
                .form(&[("format", "html"), ("case_reference", " ")]),
        )
        .await;
    assert!(!plain.body.contains("Case reference:"), "blank is none");

    // A PDF, when this machine has a browser to print it; it carries its page.
    if mycase_tests::chromium::Chromium::for_test("web_export_pdf").is_some() {
        let pdf = app
            .send(app.post("/export", &cookie).form(&[("format", "pdf")]))
            .await;
        assert_eq!(pdf.status, 200);
        assert_eq!(pdf.header("content-type"), Some("application/pdf"));
        assert!(pdf.body.starts_with("%PDF-"));
        assert!(pdf
            .header("content-disposition")
            .unwrap()
            .ends_with(".pdf\""));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_verify_page_checks_an_export_entry_by_entry_even_while_locked() {
    let app = start_set_up().await;
    let (cookie, _) = with_entry(&app).await;
    app.web.app().sync_now().await.unwrap();
    let export = app
        .web
        .app()
        .export(&ExportChoices {
            format: ExportFormat::Html,
            filter: Default::default(),
            include_deleted: false,
            case_reference: None,
            name: None,
            withhold: Vec::new(),
        })
        .await
        .unwrap();
    let key = app.server_key_hex();
    app.web.app().lock().await;

    let page = app
        .send(Request::get("/verify").header("Cookie", &cookie))
        .await;
    assert_eq!(page.status, 200, "works while locked");
    let check = |bytes: Vec<u8>, key: &str| {
        app.post("/verify", &cookie)
            .header("Content-Type", "application/octet-stream")
            .header("X-MyCase-Fields", &format!("server_key={key}"))
            .body(bytes)
    };
    let report = app.send(check(export.bytes.to_vec(), &key)).await;
    assert_eq!(report.status, 200, "{}", report.body);
    assert!(report.body.contains("The export checked out"));
    assert!(report.body.contains("All 1 entry verified."));
    assert!(report.body.contains("Kitchen"));
    assert!(report.body.contains("Not proven by this or any export"));

    let forged = std::str::from_utf8(&export.bytes)
        .unwrap()
        .replace("He shouted", "He spoke");
    let report = app.send(check(forged.into_bytes(), &key)).await;
    assert_eq!(report.status, 200);
    assert!(report.body.contains("The export did not check out"));
    assert!(report.body.contains("Verification FAILED"));

    for (bytes, key, field) in [
        (export.bytes.to_vec(), "", "server_key"),
        (export.bytes.to_vec(), "abc", "server_key"),
        (Vec::new(), key.as_str(), "file"),
        (b"hello".to_vec(), key.as_str(), "file"),
    ] {
        let reply = app.send(check(bytes, key)).await;
        assert_eq!(reply.status, 422, "{field}");
        assert!(
            reply.body.contains(&format!("href=\"#{field}\"")),
            "{field}: {}",
            reply.body
        );
    }
    assert!(!app.web.app().is_unlocked(), "checking unlocked nothing");
}
