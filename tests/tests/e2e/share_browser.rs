#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The share viewer in headless Chromium against a real server: the frozen
//! vector bundles (uploaded verbatim) decrypt with the page's own WebCrypto
//! script, a share made by a device shows its entries and attachments, and every
//! failure (wrong key, incomplete link, wrong password, altered bundle, revoked,
//! view limit, unknown) ends in a clear message, never a half-rendered page.

use std::path::PathBuf;
use std::time::Duration;

use mycase_core::share::{AccessToken, Selection, ShareKey};
use mycase_core::ShareRequest;
use mycase_tests::chromium::Chromium;
use mycase_tests::{fields, new_account_device, TestServer};

const DONE: &str =
    "document.documentElement.dataset.state === 'ready' || document.documentElement.dataset.state === 'error'";
/// DONE, noting on the page what is left in the address bar once it is.
const DONE_AND_ADDRESS: &str = "(() => { const d = document.documentElement.dataset; \
    d.addressHash = location.hash; \
    return d.state === 'ready' || d.state === 'error'; })()";
const TIMEOUT: Duration = Duration::from_secs(60);

fn vectors() -> PathBuf {
    mycase_tests::vectors::client_core_dir()
}

fn vector_param(name: &str) -> String {
    mycase_tests::vectors::param(&vectors().join("share-v1.txt"), name)
}

/// Uploads `bundle` verbatim as share `share_id_hex` from a new account, for
/// the link key `key` (base64url: the server is given its access token's hash).
async fn upload_verbatim(
    server: &TestServer,
    share_id_hex: &str,
    key: &str,
    bundle: Vec<u8>,
    max_views: u32,
) {
    upload_for(server, share_id_hex, key, bundle, max_views, 3600).await;
}

async fn upload_for(
    server: &TestServer,
    share_id_hex: &str,
    key: &str,
    bundle: Vec<u8>,
    max_views: u32,
    ttl: u64,
) {
    let (device, t) = new_account_device(server).await;
    device.authenticate(&t).await.unwrap();
    let id: [u8; 16] = hex::decode(share_id_hex).unwrap().try_into().unwrap();
    let key: [u8; 32] = data_encoding::BASE64URL_NOPAD
        .decode(key.as_bytes())
        .unwrap()
        .try_into()
        .unwrap();
    let token_hash = AccessToken::of(&ShareKey::from_bytes(key)).hash();
    t.create_share(id, ttl, max_views, bundle, token_hash)
        .await
        .unwrap();
}

fn state(html: &str) -> &'static str {
    if html.contains(r#"data-state="ready""#) {
        "ready"
    } else if html.contains(r#"data-state="error""#) {
        "error"
    } else {
        "other"
    }
}

fn assert_error(html: &str, code: &str, words: &str) {
    assert_eq!(state(html), "error", "{html}");
    assert!(html.contains(&format!(r#"data-error="{code}""#)), "{html}");
    assert!(html.contains(words), "expected {words:?} in {html}");
    // Nothing of a record is on the page.
    assert!(!html.contains("class=\"entry\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frozen_vectors_decrypt_in_the_browser() {
    let Some(chromium) = Chromium::for_test("frozen_vectors_decrypt_in_the_browser") else {
        return;
    };
    let share_id = vector_param("share_id");
    let key = vector_param("key");

    let server = TestServer::start().await;
    let bundle = std::fs::read(vectors().join("share-v1.bin")).unwrap();
    upload_verbatim(&server, &share_id, &key, bundle.clone(), 0).await;
    let url = format!("{}/s/{share_id}#{key}", server.url());
    // The page's WebCrypto derives the same access token as client-core (the
    // server refuses the fetch otherwise), then drops the key from the address
    // bar, and says what it cannot promise.
    let html = chromium
        .render(&url, DONE_AND_ADDRESS, TIMEOUT)
        .await
        .unwrap();
    assert_eq!(state(&html), "ready", "{html}");
    assert!(html.contains(r#"data-address-hash="""#), "{html}");
    assert!(!html.contains(&key), "the key is not left on the page");
    assert!(html.contains("could send a script that leaks the key"));
    assert!(html.contains("mycase share open"));
    assert!(!html.contains("cannot read it"), "no false promise");
    let one = html.find("VECTOR-MARKER-ONE").expect("entry one shown");
    let two = html.find("VECTOR-MARKER-TWO").expect("entry two shown");
    assert!(one < two, "in the order they happened");
    for shown in [
        "Coercive or controlling behaviour",
        "J (ex-partner)",
        "door.txt",
        "Police references",
        "CAD 1234",
        "Amended 2026-03-14",
        "3 of 5",
    ] {
        assert!(html.contains(shown), "{shown} missing from {html}");
    }

    // The same bytes with the key cut short, or another key.
    let cut = format!("{}/s/{share_id}#{}", server.url(), &key[..20]);
    let html = chromium.render(&cut, DONE, TIMEOUT).await.unwrap();
    assert_error(&html, "link-incomplete", "This link is incomplete");
    let mut other = key.clone().into_bytes();
    other[0] = if other[0] == b'A' { b'B' } else { b'A' };
    let wrong = format!(
        "{}/s/{share_id}#{}",
        server.url(),
        String::from_utf8(other).unwrap()
    );
    let html = chromium.render(&wrong, DONE, TIMEOUT).await.unwrap();
    assert_error(&html, "wrong-key", "does not open this share");

    // An altered bundle (one byte of the body) under the same id on another server.
    let altered_server = TestServer::start().await;
    let mut altered = bundle;
    let last = altered.len() - 20;
    altered[last] ^= 1;
    upload_verbatim(&altered_server, &share_id, &key, altered, 0).await;
    let url = format!("{}/s/{share_id}#{key}", altered_server.url());
    let html = chromium.render(&url, DONE, TIMEOUT).await.unwrap();
    assert_error(&html, "altered", "This share has been altered");

    // Expired: the server's clock moves past the share's one-second life.
    let expired_server = TestServer::start().await;
    let bundle = std::fs::read(vectors().join("share-v1.bin")).unwrap();
    upload_for(&expired_server, &share_id, &key, bundle, 0, 1).await;
    expired_server.clock().advance(Duration::from_secs(2));
    let url = format!("{}/s/{share_id}#{key}", expired_server.url());
    let html = chromium.render(&url, DONE, TIMEOUT).await.unwrap();
    assert_error(&html, "expired", "it has expired");

    // The password vector: a wrong password is refused, the right one opens it.
    let password_server = TestServer::start().await;
    let bundle = std::fs::read(vectors().join("share-v1-password.bin")).unwrap();
    upload_verbatim(&password_server, &share_id, &key, bundle, 0).await;
    let password = vector_param("password");
    let typing = format!(
        "(() => {{ const d = document.documentElement.dataset; \
           const f = document.getElementById('password-form'); const i = document.getElementById('password'); \
           if (d.state === 'password' && !window.__step) {{ window.__step = 1; i.value = 'wrong password'; f.requestSubmit(); }} \
           else if (d.state === 'password' && window.__step === 1 && d.passwordAttempts === '1') {{ window.__step = 2; i.value = {password:?}; f.requestSubmit(); }} \
           return {DONE}; }})()"
    );
    let url = format!("{}/s/{share_id}#{key}", password_server.url());
    let html = chromium.render(&url, &typing, TIMEOUT).await.unwrap();
    assert_eq!(state(&html), "ready", "{html}");
    assert!(
        html.contains(r#"data-password-attempts="1""#),
        "the wrong password was refused first"
    );
    assert!(html.contains("VECTOR-MARKER-TWO"));
}

/// A 1x1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
    0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_share_opens_in_the_browser_until_it_ends() {
    let Some(chromium) = Chromium::for_test("a_device_share_opens_in_the_browser_until_it_ends")
    else {
        return;
    };
    let server = TestServer::start().await;
    let (mut a, t) = new_account_device(&server).await;
    let shared = a
        .add_entry(fields(
            "Shared in browser",
            "BROWSER-SHARED-MARKER kicked the door",
        ))
        .unwrap();
    a.add_entry(fields("Not shared", "BROWSER-PRIVATE-MARKER"))
        .unwrap();
    a.sync(&t).await.unwrap();
    let files = tempfile::tempdir().unwrap();
    let photo = files.path().join("door.png");
    std::fs::write(&photo, PNG).unwrap();
    a.attach_file(&t, shared, &photo, |_, _| {}).await.unwrap();

    let request = |max_views| ShareRequest {
        selection: Selection {
            entries: vec![shared],
            ..Selection::default()
        },
        expires_in: Duration::from_secs(3600),
        max_views,
        password: None,
        include_attachments: true,
        strip_location: true,
    };
    let share = a.create_share(&t, request(0)).await.unwrap();
    let html = chromium.render(&share.link, DONE, TIMEOUT).await.unwrap();
    assert_eq!(state(&html), "ready", "{html}");
    assert!(html.contains("BROWSER-SHARED-MARKER"));
    assert!(!html.contains("BROWSER-PRIVATE-MARKER"));
    assert!(html.contains("door.png"));
    assert!(
        html.contains(r#"<img src="blob:"#),
        "the photo is shown: {html}"
    );
    assert!(html.contains(r#"download="door.png""#), "and downloadable");

    // Printing makes a PDF of the page.
    let pdf = chromium
        .print_to_pdf(&share.link, DONE, TIMEOUT)
        .await
        .unwrap();
    assert!(pdf.len() > 1000);

    a.revoke_share(&t, share.share_id).await.unwrap();
    let html = chromium.render(&share.link, DONE, TIMEOUT).await.unwrap();
    assert_error(&html, "revoked", "has withdrawn it");

    let once = a.create_share(&t, request(1)).await.unwrap();
    let html = chromium.render(&once.link, DONE, TIMEOUT).await.unwrap();
    assert_eq!(state(&html), "ready");
    let html = chromium.render(&once.link, DONE, TIMEOUT).await.unwrap();
    assert_error(&html, "view-limit", "opened as many times as allowed");

    let unknown = format!("{}/s/{}#{}", server.url(), "ab".repeat(16), "A".repeat(43));
    let html = chromium.render(&unknown, DONE, TIMEOUT).await.unwrap();
    assert_error(&html, "unknown", "does not exist or has ended");
}

/// Attack (item 13): a share whose file names and media types were chosen to
/// mislead or to run in the page. The name is shown without bidirectional or
/// control characters ("Statement\u{202E}fdp.exe" must not read "Statementexe.pdf"),
/// only a fixed list of media types is shown inline, and the PDF frame is
/// sandboxed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn misleading_file_names_and_types_are_defused() {
    use mycase_core::share::contents::{Manifest, SharedAttachment, SharedEntry, CONTENTS_FORMAT};
    use sha2::{Digest, Sha256};
    let Some(chromium) = Chromium::for_test("misleading_file_names_and_types_are_defused") else {
        return;
    };
    let files: [(&str, &str, &[u8]); 4] = [
        (
            "Statement\u{202E}fdp.exe",
            "application/pdf",
            b"%PDF-1.4 not really",
        ),
        (
            "page.html",
            "text/html",
            b"<script>document.title='ran'</script>",
        ),
        (
            "drawing.svg",
            "image/svg+xml",
            b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        ),
        ("photo\u{0007}\u{2066}.png", "image/png", PNG),
    ];
    let manifest = Manifest {
        format: CONTENTS_FORMAT,
        created_at_ms: 1_773_600_000_000,
        description: "1 entry".into(),
        entries: vec![SharedEntry {
            id: "0102030405060708090a0b0c0d0e0f10".into(),
            title: Some("Files".into()),
            text: "FILES-MARKER".into(),
            occurred: None,
            categories: vec![],
            tags: vec![],
            severity: None,
            location: None,
            people: vec![],
            injuries: None,
            police_references: vec![],
            actions_taken: vec![],
            impact: None,
            recorded_at_ms: 1_773_500_000_000,
            history: vec![],
            attachments: files
                .iter()
                .map(|(name, media_type, bytes)| SharedAttachment {
                    name: (*name).into(),
                    media_type: (*media_type).into(),
                    size: bytes.len() as u64,
                    sha256: hex::encode(Sha256::digest(bytes)),
                    location_removed: None,
                })
                .collect(),
        }],
    };
    let bytes: Vec<&[u8]> = files.iter().map(|(_, _, b)| *b).collect();
    let sealed = mycase_core::share::seal_new(&manifest, &bytes, None).unwrap();
    let server = TestServer::start().await;
    let key = data_encoding::BASE64URL_NOPAD.encode(sealed.key.as_bytes());
    let id = hex::encode(sealed.share_id);
    upload_verbatim(&server, &id, &key, sealed.bundle, 0).await;
    let url = format!("{}/s/{id}#{key}", server.url());
    let html = chromium.render(&url, DONE, TIMEOUT).await.unwrap();
    assert_eq!(state(&html), "ready", "{html}");
    assert!(html.contains("FILES-MARKER"));
    for hidden in ['\u{202E}', '\u{2066}', '\u{0007}'] {
        assert!(!html.contains(hidden), "{hidden:?} shown in {html}");
    }
    assert!(html.contains("Statementfdp.exe"), "{html}");
    assert!(html.contains(r#"download="Statementfdp.exe""#), "{html}");
    // The PDF is framed in a sandbox; HTML and SVG are downloads only.
    assert!(html.contains(r#"sandbox="""#), "{html}");
    assert_eq!(html.matches("<iframe").count(), 1, "{html}");
    assert_eq!(html.matches("<img").count(), 1, "only the PNG: {html}");
    assert!(html.contains(r#"download="page.html""#));
    assert!(html.contains(r#"download="drawing.svg""#));
    assert!(!html.contains("<title>ran</title>"));
}

/// Item 12: a share that carries a photo as a copy without its location data
/// (the frozen vector) shows, in the browser, that it is a copy, with the
/// copy's and the recorded original's SHA-256; the copy is a picture the
/// browser decodes, and its download name is not the original's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_without_location_is_named_as_such_in_the_browser() {
    let Some(chromium) =
        Chromium::for_test("a_copy_without_location_is_named_as_such_in_the_browser")
    else {
        return;
    };
    let params: std::collections::BTreeMap<String, String> =
        std::fs::read_to_string(vectors().join("share-v1-location-removed.txt"))
            .unwrap()
            .lines()
            .filter_map(|l| l.split_once(" = "))
            .map(|(k, v)| (k.to_string(), v.trim().to_string()))
            .collect();
    let server = TestServer::start().await;
    let bundle = std::fs::read(vectors().join("share-v1-location-removed.bin")).unwrap();
    upload_verbatim(&server, &params["share_id"], &params["key"], bundle, 0).await;
    let url = format!(
        "{}/s/{}#{}",
        server.url(),
        params["share_id"],
        params["key"]
    );
    // Ready, and the photo decoded (its natural width noted on the page).
    let decoded = "(() => { const d = document.documentElement.dataset; \
        if (d.state === 'error') { return true; } \
        const i = document.querySelector('.attachments img'); \
        if (d.state !== 'ready' || !i || !i.complete) { return false; } \
        d.photoWidth = String(i.naturalWidth); return true; })()";
    let html = chromium.render(&url, decoded, TIMEOUT).await.unwrap();
    assert_eq!(state(&html), "ready", "{html}");
    assert!(html.contains("VECTOR-MARKER-PHOTO"));
    assert!(
        html.contains(r#"data-photo-width="8""#),
        "the copy is a picture: {html}"
    );
    let original = std::fs::read(vectors().join("../fixtures/photo-with-location.jpg")).unwrap();
    let original_sha = {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(&original))
    };
    for shown in [
        "This is a copy without location data (removed: EXIF GPS, XMP location, IPTC location)",
        "It is not the recorded original",
        params["copy_sha256"].as_str(),
        original_sha.as_str(),
        r#"download="arm.no-location.jpg""#,
    ] {
        assert!(html.contains(shown), "{shown} missing from {html}");
    }
    assert!(!html.contains(r#"download="arm.jpg""#), "{html}");
}
