#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! What a survivor sees when the server's quotas refuse something: a clear
//! message naming the limit, and nothing lost on the device.

use crate::common;

use common::{ok_json as ok, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn quota_refusals_are_explained_and_nothing_is_lost() {
    let data = tempfile::tempdir().unwrap();
    let server = common::start_server(data.path(), |c| {
        c.quotas.storage_bytes_per_account = 20_000;
        c.quotas.max_upload_bytes = 100_000;
    })
    .await;
    let url = server.url();
    let ca = server.ca_cert_path().to_str().unwrap().to_string();
    let homes = tempfile::tempdir().unwrap();
    let home = homes.path().join("laptop");
    ok(
        &home,
        &["init", "--server", &url, "--ca-cert", &ca, "--json"],
    )
    .await;
    let id = ok(&home, &["add", "--text", "first entry", "--json"]).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    ok(&home, &["sync", "--json"]).await;

    // An attachment over the upload limit.
    let file = homes.path().join("video.mp4");
    std::fs::write(&file, vec![7u8; 300_000]).unwrap();
    let out = run(&home, &["attach", &id, file.to_str().unwrap()]).await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("attachment too large for this server"),
        "{stderr}"
    );

    // Entries beyond the storage quota stay on the device, and sync says why.
    let long = "x".repeat(30_000);
    ok(&home, &["add", "--text", &long, "--json"]).await;
    let out = run(&home, &["sync"]).await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("storage quota reached"), "{stderr}");
    let listed = ok(&home, &["list", "--json"]).await;
    assert_eq!(listed.as_array().map(Vec::len), Some(2), "{listed}");
    server.shutdown().await.unwrap();
}
