#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `mycase devices`, the new-device notice and `mycase devices revoke` against a
//! real server started in-process.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use crate::common;

const PASS: &str = "correct horse battery staple";
const NOTICE: &str = "a new device was added on";

async fn start_server(data: &Path) -> mycase_server::RunningServer {
    mycase_server::start({
        let mut c = mycase_server::ServerConfig::new(data);
        c.listen = "127.0.0.1:0".parse().unwrap();
        c
    })
    .await
    .unwrap()
}

fn command(home: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mycase"));
    cmd.arg("--home")
        .arg(home)
        .args(args)
        .env("MYCASE_PASSPHRASE", PASS)
        .env_remove("MYCASE_HOME")
        .stdin(Stdio::null());
    cmd
}

async fn run(home: &Path, args: &[&str]) -> Output {
    let mut cmd = command(home, args);
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

/// Runs `mycase`, expects success; returns (stdout, stderr).
async fn ok(home: &Path, args: &[&str]) -> (String, String) {
    let out = run(home, args).await;
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "mycase {args:?} failed: {stderr}");
    (String::from_utf8(out.stdout).unwrap(), stderr)
}

async fn ok_json(home: &Path, args: &[&str]) -> Value {
    serde_json::from_str(&ok(home, args).await.0).unwrap()
}

/// `pair` on `existing`, `join` on `new` (the matching code typed as a survivor
/// does); returns the new device's id.
async fn pair(
    server: &mycase_server::RunningServer,
    existing: &Path,
    new: &Path,
    name: &str,
) -> String {
    let (joined, _) = common::pair_cli(server, existing, new, name).await;
    joined["device_id"].as_str().unwrap().to_string()
}

fn find<'a>(devices: &'a Value, id: &str) -> &'a Value {
    devices
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["device_id"] == id)
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn devices_notice_and_revoke() {
    let data = tempfile::tempdir().unwrap();
    let server = start_server(data.path()).await;
    let homes = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        homes.path().join("laptop"),
        homes.path().join("phone"),
        homes.path().join("tablet"),
    );
    let ca = server.ca_cert_path().to_str().unwrap().to_string();
    let created = ok_json(
        &a,
        &[
            "init",
            "--server",
            &server.url(),
            "--ca-cert",
            &ca,
            "--device-name",
            "laptop",
            "--json",
        ],
    )
    .await;
    let a_id = created["device_id"].as_str().unwrap().to_string();
    ok(&a, &["add", "--title", "t", "--text", "x"]).await;
    ok(&a, &["sync"]).await;

    // A adds B itself: no notice on A. B adds C: A hears of it once, on its next use.
    let _b_id = pair(&server, &a, &b, "phone").await;
    let (_, stderr) = ok(&a, &["list"]).await;
    assert!(!stderr.contains(NOTICE), "{stderr}");
    let c_id = pair(&server, &b, &c, "tablet").await;
    let (_, stderr) = ok(&a, &["sync"]).await;
    assert!(
        stderr.contains(NOTICE) && stderr.contains("tablet"),
        "{stderr}"
    );
    let (_, stderr) = ok(&a, &["list"]).await;
    assert!(!stderr.contains(NOTICE), "the notice shows once: {stderr}");
    let (_, stderr) = ok(&b, &["list"]).await;
    assert!(!stderr.contains(NOTICE), "B added C itself: {stderr}");
    let (_, stderr) = ok(&c, &["list"]).await;
    assert!(
        !stderr.contains(NOTICE),
        "a new device is not told about older ones: {stderr}"
    );

    // devices: names, added, last seen.
    let devices = ok_json(&a, &["devices", "--json"]).await;
    assert_eq!(devices.as_array().unwrap().len(), 3);
    let me = find(&devices, &a_id);
    assert_eq!(me["this_device"], true);
    assert!(me["last_seen"].is_string(), "{me}");
    assert!(me["added_at"].is_string());
    // The server keeps last-seen to the hour; it is never shown before the device was added.
    for d in devices.as_array().unwrap() {
        let at = |field: &str| {
            chrono::DateTime::parse_from_rfc3339(d[field].as_str().unwrap())
                .unwrap()
                .timestamp()
        };
        assert!(at("last_seen") >= at("added_at"), "{d}");
    }
    assert_eq!(find(&devices, &c_id)["name"], "tablet");
    assert_eq!(find(&devices, &c_id)["revoked"], false);
    let (table, _) = ok(&a, &["devices"]).await;
    assert!(
        table.contains("last seen") && table.contains("tablet"),
        "{table}"
    );

    // A device cannot revoke itself.
    let out = run(&a, &["devices", "revoke", &a_id[..8], "--yes"]).await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("wipe"));

    // A device is found by a part of its name too; a near miss is refused with
    // "did you mean", and nothing is revoked.
    let out = run(&a, &["devices", "revoke", "tablte", "--yes"]).await;
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("did you mean \"tablet\"?"), "{stderr}");
    let devices = ok_json(&a, &["devices", "--json"]).await;
    assert_eq!(find(&devices, &c_id)["revoked"], false);
    // A revokes C, named by a part of its name.
    let revoked = ok_json(&a, &["devices", "revoke", "TABL", "--yes", "--json"]).await;
    assert_eq!(revoked["revoked"], true);
    assert_eq!(revoked["device_id"], c_id.as_str());
    let devices = ok_json(&a, &["devices", "--json"]).await;
    let c_row = find(&devices, &c_id);
    assert_eq!(c_row["revoked"], true);
    assert!(c_row["revoked_at"].is_string());
    assert_eq!(c_row["revoked_by"], a_id.as_str());
    let (table, _) = ok(&a, &["devices"]).await;
    assert!(table.contains("revoked"), "{table}");

    // C's next sync is refused as revoked, and it erases itself.
    assert!(c.exists());
    let out = run(&c, &["sync"]).await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("signed out"), "{stderr}");
    assert!(stderr.contains("removed from this device"), "{stderr}");
    // Neutral for whoever holds C: not who acted, nor that other devices exist.
    assert!(
        !stderr.contains("other device") && !stderr.contains("your"),
        "{stderr}"
    );
    assert!(!c.exists(), "the revoked device's data is gone");

    // A and B carry on.
    ok(&b, &["add", "--title", "after", "--text", "y"]).await;
    ok(&b, &["sync"]).await;
    ok(&a, &["sync"]).await;
    let list = ok_json(&a, &["list", "--json"]).await;
    assert_eq!(list.as_array().unwrap().len(), 2);
}

/// Runs `mycase` on a revoked device, expects it to fail and erase the device
/// with the neutral words `mycase sync` uses.
async fn erased_by(home: &Path, args: &[&str]) {
    assert!(home.exists());
    let out = run(home, args).await;
    assert!(!out.status.success(), "mycase {args:?} should have failed");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("signed out"), "{args:?}: {stderr}");
    assert!(
        stderr.contains("removed from this device"),
        "{args:?}: {stderr}"
    );
    assert_eq!(
        stderr.matches("signed out").count(),
        1,
        "the refusal is said once: {stderr}"
    );
    assert!(
        !stderr.contains("other device") && !stderr.contains("your"),
        "{stderr}"
    );
    assert!(
        !home.exists(),
        "mycase {args:?} left the revoked device's data"
    );
}

/// Not only `mycase sync`: any command that meets the checked revocation at the
/// server (here `share create` and `attach`) erases the revoked device.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_revoked_device_is_erased_by_share_create_and_attach() {
    let data = tempfile::tempdir().unwrap();
    let server = start_server(data.path()).await;
    let homes = tempfile::tempdir().unwrap();
    let (a, c, d) = (
        homes.path().join("laptop"),
        homes.path().join("tablet"),
        homes.path().join("old-phone"),
    );
    let ca = server.ca_cert_path().to_str().unwrap().to_string();
    ok(&a, &["init", "--server", &server.url(), "--ca-cert", &ca]).await;
    let c_id = pair(&server, &a, &c, "tablet").await;
    let d_id = pair(&server, &a, &d, "old-phone").await;
    let mut entries = Vec::new();
    for home in [&c, &d] {
        let added = ok_json(home, &["add", "--title", "t", "--text", "x", "--json"]).await;
        entries.push(added["id"].as_str().unwrap().to_string());
        ok(home, &["sync"]).await;
    }
    for id in [&c_id, &d_id] {
        ok(&a, &["devices", "revoke", &id[..8], "--yes"]).await;
    }

    erased_by(
        &c,
        &["share", "create", "--entry", &entries[0], "--expires", "1d"],
    )
    .await;
    let photo = homes.path().join("photo.bin");
    std::fs::write(&photo, b"not really a photo").unwrap();
    erased_by(&d, &["attach", &entries[1], photo.to_str().unwrap()]).await;

    // The device that revoked them carries on.
    ok(&a, &["sync"]).await;
    let list = ok_json(&a, &["list", "--json"]).await;
    assert_eq!(list.as_array().unwrap().len(), 2);
}
