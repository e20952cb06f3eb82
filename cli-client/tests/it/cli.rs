#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The `mycase` binary against a real server started in-process.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::common;

use common::PASS;
/// Appears only in the entry's text: it must never reach a file on disk in the clear.
const MARKER: &str = "ZQX-marker-7f3a91-kitchen-incident";
const READ_TIMEOUT: Duration = Duration::from_secs(120);

struct Server {
    running: mycase_server::RunningServer,
    data: tempfile::TempDir,
}

async fn start_server() -> Server {
    let data = tempfile::tempdir().unwrap();
    let running = start_at(data.path(), "127.0.0.1:0".parse().unwrap()).await;
    Server { running, data }
}

async fn start_at(data: &Path, listen: std::net::SocketAddr) -> mycase_server::RunningServer {
    mycase_server::start({
        let mut c = mycase_server::ServerConfig::new(data);
        c.listen = listen;
        c
    })
    .await
    .unwrap()
}

/// Reads rounds from a `sync --watch --json` until one pulled something.
async fn until_pulled(mut reader: BufReader<ChildStdout>) -> BufReader<ChildStdout> {
    loop {
        let (line, rest) = next_line(reader).await;
        reader = rest;
        let round: Value = serde_json::from_str(&line).unwrap();
        if round["pulled"].as_u64().unwrap() >= 1 {
            return reader;
        }
    }
}

fn command(home: &Path, pass: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mycase"));
    cmd.arg("--home")
        .arg(home)
        .args(args)
        .env("MYCASE_PASSPHRASE", pass)
        .env_remove("MYCASE_HOME")
        .stdin(Stdio::null());
    cmd
}

/// Runs `mycase` to completion off the async workers (the server runs on them).
async fn run_with(home: &Path, pass: &str, args: &[&str]) -> Output {
    let mut cmd = command(home, pass, args);
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

async fn run(home: &Path, args: &[&str]) -> Output {
    run_with(home, PASS, args).await
}

/// Runs `mycase` and expects success; returns stdout.
async fn ok(home: &Path, args: &[&str]) -> String {
    let out = run(home, args).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "mycase {args:?} failed: {stderr}");
    assert!(!stderr.contains(MARKER), "content on stderr of {args:?}");
    String::from_utf8(out.stdout).unwrap()
}

async fn ok_json(home: &Path, args: &[&str]) -> Value {
    serde_json::from_str(&ok(home, args).await).unwrap()
}

/// Reads the next stdout line of a spawned `mycase`, with a timeout.
async fn next_line(reader: BufReader<ChildStdout>) -> (String, BufReader<ChildStdout>) {
    let task = tokio::task::spawn_blocking(move || {
        let mut reader = reader;
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        (line, reader)
    });
    let (line, reader) = tokio::time::timeout(READ_TIMEOUT, task)
        .await
        .expect("timed out")
        .unwrap();
    assert!(!line.is_empty(), "the process ended without printing");
    (line, reader)
}

fn spawn(home: &Path, args: &[&str]) -> (Child, BufReader<ChildStdout>) {
    let mut child = command(home, PASS, args)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    (child, BufReader::new(stdout))
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn assert_not_on_disk(dir: &Path, needle: &str) {
    let mut files = Vec::new();
    files_under(dir, &mut files);
    assert!(!files.is_empty(), "nothing under {}", dir.display());
    for f in files {
        assert!(
            !f.to_string_lossy().contains(needle),
            "content in a file name: {}",
            f.display()
        );
        let bytes = std::fs::read(&f).unwrap();
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
            "content in the clear in {}",
            f.display()
        );
    }
}

async fn init(server: &Server, home: &Path, name: &str) -> Value {
    let ca = server.running.ca_cert_path().to_str().unwrap().to_string();
    let url = server.running.url();
    ok_json(
        home,
        &[
            "init",
            "--server",
            &url,
            "--ca-cert",
            &ca,
            "--device-name",
            name,
            "--json",
        ],
    )
    .await
}

fn entries(v: &Value) -> &Vec<Value> {
    v.as_array().expect("a JSON array")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn init_add_pair_join_conflict_watch() {
    let server = start_server().await;
    let homes = tempfile::tempdir().unwrap();
    let a = homes.path().join("laptop");
    let b = homes.path().join("phone");

    // init: account, device, recovery kit shown once.
    let created = init(&server, &a, "laptop").await;
    assert_eq!(created["account_created"], true);
    assert_eq!(created["device_id"].as_str().unwrap().len(), 32);
    assert!(created["recovery_kit"].as_str().unwrap().len() > 40);

    // add (offline-capable) then list --json with every required field.
    let text = format!("He shouted and broke the door. {MARKER}");
    let added = ok_json(
        &a,
        &[
            "add",
            "--title",
            "Door",
            "--text",
            &text,
            "--occurred",
            "2026-03-14 21:30",
            "--category",
            "damage-to-property",
            "--category",
            "Threats",
            "--json",
        ],
    )
    .await;
    let id = added["id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 32);
    let list = ok_json(&a, &["list", "--json"]).await;
    let [e] = entries(&list).as_slice() else {
        panic!("one entry expected")
    };
    assert_eq!(e["id"], id.as_str());
    assert_eq!(e["title"], "Door");
    assert_eq!(e["text"], text.as_str());
    assert_eq!(e["occurred_at"], "2026-03-14 21:30");
    assert!(e["recorded_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        e["categories"],
        serde_json::json!(["damage-to-property", "threats"])
    );
    assert_eq!(e["deleted"], false);
    assert_eq!(e["amended"], false);
    assert_eq!(e["conflicts"], serde_json::json!([]));
    // The human table shows the title but not the text.
    let table = ok(&a, &["list"]).await;
    assert!(table.contains("Door") && !table.contains(MARKER));
    let synced = ok_json(&a, &["sync", "--json"]).await;
    assert!(synced["pushed"].as_u64().unwrap() >= 1);

    // pair on A (the code is printed only after the slot is open), join on B, and
    // the matching code B shows typed on A.
    let (joined, paired) = common::pair_cli(&server.running, &a, &b, "phone").await;
    assert_eq!(joined["entries"], 1);
    assert_eq!(paired["paired"]["name"], "phone");

    let list_b = ok_json(&b, &["list", "--json"]).await;
    assert_eq!(entries(&list_b)[0]["text"], text.as_str());

    // devices: both trusted, on the server.
    let devices = ok_json(&a, &["devices", "--json"]).await;
    let devices = entries(&devices);
    assert_eq!(devices.len(), 2);
    assert!(devices
        .iter()
        .all(|d| d["trusted"] == true && d["on_server"] == true && d["revoked"] == false));
    assert_eq!(
        devices.iter().filter(|d| d["this_device"] == true).count(),
        1
    );

    // Concurrent amendments: both values survive, one shown, the other a conflict.
    let prefix = &id[..8];
    ok(&a, &["amend", prefix, "--text", "version from the laptop"]).await;
    ok(&b, &["amend", prefix, "--text", "version from the phone"]).await;
    for _ in 0..2 {
        ok(&a, &["sync"]).await;
        ok(&b, &["sync"]).await;
    }
    let show_a = ok_json(&a, &["show", prefix, "--json"]).await;
    let show_b = ok_json(&b, &["show", &id, "--json"]).await;
    assert_eq!(show_a["text"], show_b["text"]);
    assert_eq!(show_a["amended"], true);
    let shown = show_a["text"].as_str().unwrap();
    let other = if shown == "version from the laptop" {
        "version from the phone"
    } else {
        "version from the laptop"
    };
    for show in [&show_a, &show_b] {
        let conflicts = show["conflicts"].as_array().unwrap();
        assert_eq!(conflicts.len(), 1, "{show}");
        assert_eq!(conflicts[0]["field"], "text");
        assert_eq!(conflicts[0]["shown"], shown);
        assert_eq!(conflicts[0]["others"], serde_json::json!([other]));
    }
    assert!(ok(&a, &["list"]).await.contains('⚠'));

    // Resolving on one device (choosing value 2, the one not shown) is an
    // amendment: after a sync both devices show it and the conflict is gone.
    for home in [&a, &b] {
        let listed = ok_json(home, &["conflicts", "--json"]).await;
        assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    }
    ok(&b, &["resolve", prefix, "text", "--choose", "2"]).await;
    ok(&b, &["sync"]).await;
    ok(&a, &["sync"]).await;
    for home in [&a, &b] {
        let show = ok_json(home, &["show", prefix, "--json"]).await;
        assert_eq!(show["text"], other, "{show}");
        assert_eq!(show["conflicts"], serde_json::json!([]));
        let listed = ok_json(home, &["conflicts", "--json"]).await;
        assert_eq!(listed, serde_json::json!([]));
        let history = ok_json(home, &["show", prefix, "--history", "--json"]).await;
        let text = history.to_string();
        assert!(
            text.contains("version from the laptop") && text.contains("version from the phone")
        );
    }

    // sync --watch on B sees A's new entry as soon as A syncs.
    let (mut watcher, reader) = spawn(&b, &["sync", "--watch", "--json"]);
    let (first, reader) = next_line(reader).await;
    let first: Value = serde_json::from_str(&first).unwrap();
    assert!(first["pulled"].is_u64() && first["pushed"].is_u64());
    ok(
        &a,
        &["add", "--title", "Call", "--text", "He called 14 times."],
    )
    .await;
    ok(&a, &["sync"]).await;
    let reader = until_pulled(reader).await;

    // The watcher survives a server restart: it reconnects and keeps applying.
    let mut server = server;
    let addr = server.running.addr();
    server.running.shutdown().await.unwrap();
    server.running = start_at(server.data.path(), addr).await;
    ok(
        &a,
        &["add", "--title", "Text", "--text", "He sent a threat."],
    )
    .await;
    ok(&a, &["sync"]).await;
    let _reader = until_pulled(reader).await;
    // SIGTERM ends it cleanly.
    let status = Command::new("kill")
        .arg("-TERM")
        .arg(watcher.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
    let exit = tokio::time::timeout(
        READ_TIMEOUT,
        tokio::task::spawn_blocking(move || watcher.wait().unwrap()),
    )
    .await
    .expect("watch did not stop on SIGTERM")
    .unwrap();
    assert!(exit.success(), "watch exited with {exit}");
    assert_eq!(entries(&ok_json(&b, &["list", "--json"]).await).len(), 3);

    // Nothing readable at rest: not on either device, not on the server.
    server.running.shutdown().await.unwrap();
    assert_not_on_disk(&a, MARKER);
    assert_not_on_disk(&b, MARKER);
    assert_not_on_disk(server.data.path(), MARKER);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn wrong_passphrase_and_refusals() {
    let server = start_server().await;
    let homes = tempfile::tempdir().unwrap();
    let a = homes.path().join("laptop");
    init(&server, &a, "laptop").await;

    let out = run_with(&a, "not the passphrase", &["list"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("wrong passphrase"));
    assert!(out.stdout.is_empty());

    // init twice is refused and leaves the device intact.
    let url = server.running.url();
    let again = run(&a, &["init", "--server", &url]).await;
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already set up"));
    assert!(entries(&ok_json(&a, &["list", "--json"]).await).is_empty());

    // A bad date is refused without echoing it; an init that cannot reach the server
    // (here: its certificate is not trusted) leaves no home behind.
    let out = run(
        &a,
        &["add", "--text", "x", "--occurred", "31/04/2026-secret"],
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("secret"));
    let c = homes.path().join("no-ca");
    let out = run(&c, &["init", "--server", &url]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(!c.exists(), "a failed init left files behind");

    server.running.shutdown().await.unwrap();
}
