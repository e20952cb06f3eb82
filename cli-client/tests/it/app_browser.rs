//! The browser suite of the survivor's app (`tests/browser/`, Playwright in
//! Debian's headless Chromium): started here so `cargo test` runs it against a
//! real server with the `mycase` binary just built. Each journey, attack and
//! accessibility check is a Playwright test in `tests/browser/specs/`.
//!
//! Installs the pinned suite with `npm ci` when it is not there yet; without npm
//! or Chromium the suite says it was skipped, unless `MYCASE_REQUIRE_CHROMIUM` is
//! set (CI), when that is a failure.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::Stdio;

use mycase_tests::chromium::Chromium;
use mycase_tests::server::TestServer;

fn browser_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/browser")
}

/// `npm ci` of the pinned suite (Playwright and axe-core from the npm registry;
/// no browser download): a fresh clone runs the suite with `cargo test` alone.
async fn install_suite(dir: &std::path::Path) -> bool {
    let status = tokio::process::Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(dir)
        .stdin(Stdio::null())
        .status()
        .await;
    matches!(status, Ok(s) if s.success())
        && dir.join("node_modules/@playwright/test/cli.js").exists()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_browser_suite_passes() {
    let Some(chromium) = Chromium::for_test("app_browser") else {
        return;
    };
    let dir = browser_dir();
    let runner = dir.join("node_modules/@playwright/test/cli.js");
    if !runner.exists() && !install_suite(&dir).await {
        if std::env::var_os("MYCASE_REQUIRE_CHROMIUM").is_some() {
            panic!("the browser suite could not be installed: run `npm ci --prefix tests/browser`");
        }
        // Our own words, no untrusted text: the CLI's printing rule is for its output.
        #[allow(clippy::disallowed_macros)]
        {
            eprintln!("SKIPPED app_browser: npm is missing; install Node.js and npm, then `npm ci --prefix tests/browser`");
        }
        return;
    }
    // Every app and CLI of the suite comes from 127.0.0.1: the per-address limits
    // (meant for one household or one NAT) would count the whole suite as one.
    let server = TestServer::start_with(|config| {
        let r = &mut config.rate_limits;
        r.auth_per_address = 0;
        r.pairings_per_address = 0;
        r.shares_per_address = 0;
        r.share_fetches_per_address = 0;
        r.appends_per_address = 0;
        r.uploads_per_address = 0;
        config.connections.max_per_address = 0;
    })
    .await;
    let work = tempfile::tempdir().unwrap();
    let ca = work.path().join("ca.pem");
    std::fs::write(&ca, server.ca_pem()).unwrap();
    let screenshots = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/app-screenshots");
    std::fs::create_dir_all(&screenshots).unwrap();
    let mut cmd = tokio::process::Command::new("node");
    cmd.arg(&runner)
        .arg("test")
        .current_dir(&dir)
        .env("MYCASE_BIN", env!("CARGO_BIN_EXE_mycase"))
        .env("MYCASE_SERVER_URL", server.url())
        .env("MYCASE_CA_CERT", &ca)
        .env("MYCASE_WORK", work.path())
        .env("MYCASE_SCREENSHOTS", &screenshots)
        .env("MYCASE_BROWSER_OUT", work.path().join("results"))
        .env("MYCASE_CHROMIUM", chromium.path())
        .env_remove("MYCASE_HOME")
        .env_remove("MYCASE_PASSPHRASE")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    if let Some(only) = std::env::var_os("MYCASE_BROWSER_GREP") {
        cmd.arg("--grep").arg(only);
    }
    let status = cmd.status().await.expect("node runs");
    assert!(
        status.success(),
        "the browser suite failed (its output is above; screenshots in {})",
        screenshots.display()
    );
}
