#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `mycase add` with no text, at a terminal, opens `$EDITOR` on a private draft in
//! the device home and records what was written; the draft does not survive.
//! A real pseudo-terminal comes from `script` (util-linux, Essential on Debian).
//! Then the entry gets evidence through `mycase attach` / `mycase attachment get`.

use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

const PASS: &str = "correct horse battery staple";

fn mycase(home: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mycase"));
    cmd.arg("--home")
        .arg(home)
        .env("MYCASE_PASSPHRASE", PASS)
        .env_remove("MYCASE_HOME")
        .env_remove("EDITOR")
        .stdin(Stdio::null());
    cmd
}

async fn run(mut cmd: Command) -> String {
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_without_text_opens_the_editor_on_a_private_draft() {
    let data = tempfile::tempdir().unwrap();
    let server = mycase_server::start({
        let mut c = mycase_server::ServerConfig::new(data.path());
        c.listen = "127.0.0.1:0".parse().unwrap();
        c
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("laptop");
    let mut init = mycase(&home);
    init.args(["init", "--server", &server.url(), "--ca-cert"])
        .arg(server.ca_cert_path())
        .arg("--json");
    run(init).await;

    // The "editor" appends a line and records the draft's location and mode.
    let seen = dir.path().join("seen");
    let editor = dir.path().join("editor.sh");
    std::fs::write(
        &editor,
        format!(
            "#!/bin/sh\nstat -c '%a %n' \"$1\" > '{}'\nprintf 'He waited outside the school.\\n' >> \"$1\"\n",
            seen.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&editor, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();

    let line = format!(
        "'{}' --home '{}' add --title 'At the school gate'",
        env!("CARGO_BIN_EXE_mycase"),
        home.display()
    );
    let mut add = Command::new("script");
    add.args(["-qec", &line, "/dev/null"])
        .env("MYCASE_PASSPHRASE", PASS)
        .env("EDITOR", &editor)
        .env_remove("MYCASE_HOME")
        .stdin(Stdio::null());
    run(add).await;

    let seen = std::fs::read_to_string(&seen).expect("the editor ran");
    let (mode, draft) = seen.trim().split_once(' ').unwrap();
    assert_eq!(mode, "600", "the draft is private");
    assert!(
        Path::new(draft).starts_with(&home),
        "the draft is in the device home: {draft}"
    );
    assert!(!Path::new(draft).exists(), "the draft is gone");

    let mut list = mycase(&home);
    list.args(["list", "--json"]);
    let entries: Value = serde_json::from_str(&run(list).await).unwrap();
    let entries = entries.as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["title"], "At the school gate");
    assert_eq!(entries[0]["text"], "He waited outside the school.");

    // Evidence through the CLI: attach a file, get it back byte for byte.
    let id = entries[0]["id"].as_str().unwrap().to_string();
    let photo = dir.path().join("gate.jpg");
    let bytes: Vec<u8> = (0..(2 * 1024 * 1024 + 321) as u32)
        .map(|i| (i * 7 + i / 4099) as u8)
        .collect();
    std::fs::write(&photo, &bytes).unwrap();
    let mut attach = mycase(&home);
    attach.args(["attach", &id[..8]]).arg(&photo).arg("--json");
    run(attach).await;
    let mut show = mycase(&home);
    show.args(["show", &id[..8], "--json"]);
    let shown: Value = serde_json::from_str(&run(show).await).unwrap();
    assert_eq!(shown["attachments"][0]["name"], "gate.jpg", "{shown}");
    let out = dir.path().join("back.jpg");
    let mut get = mycase(&home);
    get.args(["attachment", "get", &id[..8], "gate.jpg", "--out"])
        .arg(&out);
    run(get).await;
    assert!(std::fs::read(&out).unwrap() == bytes);
    server.shutdown().await.unwrap();
}
