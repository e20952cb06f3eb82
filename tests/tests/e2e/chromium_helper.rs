//! The browser helper waits for a page's asynchronous work before reading it,
//! which is what the share viewer and export tests depend on.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use mycase_tests::chromium::{Chromium, LOADED};

const PAGE: &str = r#"<!doctype html>
<html><head><meta charset="utf-8"><title>t</title></head>
<body><p id="out">pending</p>
<script>
(async () => {
  // Slow on purpose: a dump at the load event would still say "pending".
  const material = await crypto.subtle.importKey(
    'raw', new TextEncoder().encode('pw'), 'PBKDF2', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits(
    { name: 'PBKDF2', salt: new Uint8Array(16), iterations: 300000, hash: 'SHA-256' },
    material, 256);
  document.getElementById('out').textContent = 'derived ' + bits.byteLength + ' bytes';
  document.documentElement.dataset.state = 'ready';
})();
</script></body></html>"#;

#[tokio::test]
async fn render_waits_for_async_scripts_and_prints() {
    let Some(chromium) = Chromium::for_test("render_waits_for_async_scripts_and_prints") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("page.html");
    std::fs::write(&page, PAGE).unwrap();
    let url = format!("file://{}", page.display());

    let html = chromium
        .render(
            &url,
            "document.documentElement.dataset.state === 'ready'",
            Duration::from_secs(60),
        )
        .await
        .unwrap();
    assert!(html.contains("derived 32 bytes"), "{html}");

    let pdf = chromium
        .print_to_pdf(&url, LOADED, Duration::from_secs(60))
        .await
        .unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
}

#[tokio::test]
async fn render_reports_a_condition_that_never_holds() {
    let Some(chromium) = Chromium::for_test("render_reports_a_condition_that_never_holds") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("page.html");
    std::fs::write(&page, "<!doctype html><p>static</p>").unwrap();
    let url = format!("file://{}", page.display());
    let err = chromium
        .render(&url, "window.neverSet === true", Duration::from_secs(3))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not true after"), "{err:#}");
}
