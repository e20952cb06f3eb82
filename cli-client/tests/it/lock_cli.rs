#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Lock, wipe, recover with the `mycase` binary against a real server.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Instant;

use serde_json::Value;

const PASS: &str = "correct horse battery staple";
const MARKER: &str = "ZQX-lock-marker-5e1c";

async fn start_server() -> (mycase_server::RunningServer, tempfile::TempDir) {
    let data = tempfile::tempdir().unwrap();
    let running = mycase_server::start({
        let mut c = mycase_server::ServerConfig::new(data.path());
        c.listen = "127.0.0.1:0".parse().unwrap();
        c
    })
    .await
    .unwrap();
    (running, data)
}

async fn run_env(home: &Path, envs: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mycase"));
    cmd.arg("--home")
        .arg(home)
        .args(args)
        .env_remove("MYCASE_HOME")
        .env_remove("MYCASE_PASSPHRASE")
        .env_remove("MYCASE_NEW_PASSPHRASE")
        .env_remove("MYCASE_RECOVERY_KIT")
        .stdin(Stdio::null());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

async fn ok_env(home: &Path, envs: &[(&str, &str)], args: &[&str]) -> Value {
    let out = run_env(home, envs, args).await;
    assert!(
        out.status.success(),
        "mycase {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

async fn ok(home: &Path, pass: &str, args: &[&str]) -> Value {
    ok_env(home, &[("MYCASE_PASSPHRASE", pass)], args).await
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                files_under(&p, out);
            } else {
                out.push(p);
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn wipe_then_recover_and_change_passphrase() {
    let (server, _data) = start_server().await;
    let ca = server.ca_cert_path().to_str().unwrap().to_string();
    let url = server.url();
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("mycase");

    let init = ok(
        &home,
        PASS,
        &["init", "--server", &url, "--ca-cert", &ca, "--json"],
    )
    .await;
    let kit = init["recovery_kit"].as_str().unwrap().to_string();
    ok(
        &home,
        PASS,
        &["add", "--title", "Door", "--text", MARKER, "--json"],
    )
    .await;
    ok(&home, PASS, &["sync", "--json"]).await;
    let before = ok(&home, PASS, &["list", "--json"]).await;
    assert_eq!(before.as_array().unwrap().len(), 1);

    // Wipe: no passphrase needed, nothing left, not even the directory.
    let start = Instant::now();
    ok_env(&home, &[], &["wipe", "--yes", "--json"]).await;
    assert!(start.elapsed().as_secs_f64() < 2.0);
    assert!(!home.exists(), "the home is gone");
    let mut left = Vec::new();
    files_under(dir.path(), &mut left);
    assert!(left.is_empty(), "nothing left: {left:?}");
    // Without confirmation, nothing happens (and there is nothing to wipe anyway).
    let refused = run_env(&home, &[], &["wipe"]).await;
    assert!(!refused.status.success());

    // A wrong kit is refused and sets nothing up.
    let wrong = run_env(
        &home,
        &[
            ("MYCASE_PASSPHRASE", "new pass"),
            ("MYCASE_RECOVERY_KIT", "AAAA-BBBB"),
        ],
        &["recover", "--server", &url, "--ca-cert", &ca],
    )
    .await;
    assert!(!wrong.status.success());
    assert!(!home.exists());

    // Recover with the kit: the journal is back, under a new passphrase.
    let rec = ok_env(
        &home,
        &[
            ("MYCASE_PASSPHRASE", "new pass"),
            ("MYCASE_RECOVERY_KIT", &kit),
        ],
        &["recover", "--server", &url, "--ca-cert", &ca, "--json"],
    )
    .await;
    assert_eq!(rec["entries"], 1);
    let after = ok(&home, "new pass", &["list", "--json"]).await;
    assert_eq!(after, before);

    // Change the passphrase; the old one then fails.
    ok_env(
        &home,
        &[
            ("MYCASE_PASSPHRASE", "new pass"),
            ("MYCASE_NEW_PASSPHRASE", "newer pass"),
        ],
        &["passphrase", "--json"],
    )
    .await;
    let old = run_env(&home, &[("MYCASE_PASSPHRASE", "new pass")], &["list"]).await;
    assert!(!old.status.success());
    assert!(String::from_utf8_lossy(&old.stderr).contains("wrong passphrase"));
    ok(&home, "newer pass", &["list", "--json"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn wrong_passphrases_are_rate_limited() {
    let (server, _data) = start_server().await;
    let ca = server.ca_cert_path().to_str().unwrap().to_string();
    let url = server.url();
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("mycase");
    ok(
        &home,
        PASS,
        &["init", "--server", &url, "--ca-cert", &ca, "--json"],
    )
    .await;
    for _ in 0..3 {
        let out = run_env(&home, &[("MYCASE_PASSPHRASE", "wrong")], &["list"]).await;
        assert!(!out.status.success());
    }
    // The next attempt is refused before trying, with the wait shown.
    let out = run_env(&home, &[("MYCASE_PASSPHRASE", PASS)], &["list"]).await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("wait 1 s"), "{stderr}");
    // After the wait, the right passphrase works and resets the count.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    ok(&home, PASS, &["list", "--json"]).await;
    assert!(!home.join("attempts").exists());
}
