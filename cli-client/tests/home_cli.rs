#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! What the device's home lets slip to someone who has the disk but not the
//! passphrase (issue 10, items 9 and 13): file modes, leftover drafts, and what
//! file sizes say about activity.

mod common;

use std::path::Path;

use common::{mycase, ok, ok_json, output, run, server_args, start_server};

async fn init(server: &mycase_server::RunningServer, home: &Path) {
    let [url, ca] = server_args(server);
    ok_json(
        home,
        &[
            "init",
            "--server",
            &url,
            "--ca-cert",
            &ca,
            "--device-name",
            "laptop",
            "--json",
        ],
    )
    .await;
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_file_in_the_home_is_owner_only() {
    let data = tempfile::tempdir().unwrap();
    let server = start_server(data.path(), |_| {}).await;
    let homes = tempfile::tempdir().unwrap();
    let home = homes.path().join("laptop");
    init(&server, &home).await;
    let added = ok_json(&home, &["add", "--title", "t", "--text", "x", "--json"]).await;
    let id = added["id"].as_str().unwrap().to_string();
    ok(&home, &["people", "add", "--name", "J", "--role", "other"]).await;
    let file = homes.path().join("photo.jpg");
    std::fs::write(&file, b"not really a photo").unwrap();
    ok(&home, &["attach", &id, file.to_str().unwrap()]).await;
    ok(&home, &["sync"]).await;
    // A wrong passphrase leaves the attempts file (a count and a time).
    let mut wrong = mycase(Some(&home), &["list"]);
    wrong.env("MYCASE_PASSPHRASE", "not the passphrase");
    assert!(!output(wrong).await.status.success());
    assert!(home.join("attempts").exists());
    common::assert_owner_only(&home);
    // The right one clears it, and nothing is left loose either.
    assert!(run(&home, &["list"]).await.status.success());
    common::assert_owner_only(&home);
}
