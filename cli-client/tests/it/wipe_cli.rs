#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `mycase wipe` loses nothing by surprise and says what it cannot erase (issue
//! 10, item 12).

use crate::common;

use std::io::Write;
use std::path::Path;
use std::process::{Output, Stdio};

use common::{mycase, ok, ok_json, pair_cli, run, server_args, start_server};

async fn wipe_answering(home: &Path, answer: &str) -> Output {
    let mut cmd = mycase(Some(home), &["wipe"]);
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let answer = answer.to_string();
    tokio::task::spawn_blocking(move || {
        let mut child = cmd.spawn().unwrap();
        let mut stdin = child.stdin.take().unwrap();
        writeln!(stdin, "{answer}").unwrap();
        drop(stdin);
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn wipe_sends_what_is_left_or_says_what_would_be_lost() {
    let data = tempfile::tempdir().unwrap();
    let server = start_server(data.path(), |_| {}).await;
    let homes = tempfile::tempdir().unwrap();
    let (laptop, phone) = (homes.path().join("laptop"), homes.path().join("phone"));
    let [url, ca] = server_args(&server);
    ok_json(
        &laptop,
        &["init", "--server", &url, "--ca-cert", &ca, "--json"],
    )
    .await;
    pair_cli(&server, &laptop, &phone, "phone").await;

    // Written on the phone, never synced: the wipe sends it before erasing.
    ok(&phone, &["add", "--title", "Last words", "--text", "x"]).await;
    let out = wipe_answering(&phone, "wipe").await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Sent 1 change"), "{stderr}");
    assert!(
        stderr.contains("shell's history") && stderr.contains("original files"),
        "{stderr}"
    );
    assert!(!phone.exists());
    ok(&laptop, &["sync"]).await;
    let list = ok_json(&laptop, &["list", "--json"]).await;
    assert_eq!(list[0]["title"], "Last words", "nothing was lost");

    // With the server out of reach, it says how much would be lost, and a "no"
    // leaves everything as it was.
    ok(&laptop, &["add", "--title", "Offline one", "--text", "x"]).await;
    ok(&laptop, &["add", "--title", "Offline two", "--text", "x"]).await;
    server.shutdown().await.unwrap();
    let out = wipe_answering(&laptop, "no").await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("2 changes made on this device"), "{stderr}");
    assert!(stderr.contains("Wiping loses them"), "{stderr}");
    assert!(stderr.contains("nothing was erased"), "{stderr}");
    let list = ok_json(&laptop, &["list", "--json"]).await;
    assert_eq!(list.as_array().unwrap().len(), 3, "all still here");

    // --yes: at once, no questions, and the JSON lists what is left to the survivor.
    let out = run(&laptop, &["wipe", "--yes", "--json"]).await;
    assert!(out.status.success());
    let wiped: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(wiped["wiped"], true);
    assert_eq!(wiped["not_erased"].as_array().unwrap().len(), 3);
    assert!(!laptop.exists());
}
