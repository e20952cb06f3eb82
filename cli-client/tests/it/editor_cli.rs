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

/// `mycase add` at a pseudo-terminal with `editor` as $EDITOR and `typed` on the
/// terminal; what the terminal showed.
async fn add_in_editor(home: &Path, editor: &Path, typed: &'static str) -> String {
    let line = format!(
        "'{}' --home '{}' add --title 'Gate'",
        env!("CARGO_BIN_EXE_mycase"),
        home.display()
    );
    let mut add = Command::new("script");
    add.args(["-qec", &line, "/dev/null"])
        .env("MYCASE_PASSPHRASE", PASS)
        .env("EDITOR", editor)
        .env_remove("MYCASE_HOME")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut child = add.spawn().unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(typed.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_editor_takes_when_it_happened_on_a_first_line() {
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
    // An "editor" that replaces the draft with FIRST, then the text; it keeps
    // the template's hint so the test sees it was offered.
    let editor_writing = |name: &str, first: &str| {
        let path = dir.path().join(name);
        let hint = dir.path().join(format!("{name}.hint"));
        std::fs::write(
            &path,
            format!(
                "#!/bin/sh\ngrep -c 'When:' \"$1\" > '{}'\nprintf '{first}\\nHe waited outside the school.\\n' > \"$1\"\n",
                hint.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .unwrap();
        (path, hint)
    };
    let entries = |home: &Path| {
        let mut list = mycase(home);
        list.args(["list", "--json"]);
        async move {
            let all: Value = serde_json::from_str(&run(list).await).unwrap();
            all.as_array().unwrap().clone()
        }
    };

    let (editor, hint) = editor_writing("dated.sh", "When: 14/03/2026 9.30pm");
    let shown = add_in_editor(&home, &editor, "").await;
    assert!(
        std::fs::read_to_string(&hint).unwrap().trim() != "0",
        "the hint is offered"
    );
    assert!(
        shown.contains("Recorded as: Sat 14 March 2026, 21:30"),
        "{shown}"
    );
    let saved = entries(&home).await;
    assert_eq!(saved[0]["occurred_at"], "2026-03-14 21:30");
    assert_eq!(saved[0]["text"], "He waited outside the school.");

    // A date that is not understood does not cost the text: it is asked for
    // again, and an empty answer saves the entry without a date.
    let (editor, _) = editor_writing("impossible.sh", "When: 31/04/2026");
    let shown = add_in_editor(&home, &editor, "\n").await;
    assert!(shown.contains("April has 30 days"), "{shown}");
    assert!(shown.contains("Saved without a date"), "{shown}");
    let saved = entries(&home).await;
    assert_eq!(saved.len(), 2);
    let undated = saved.iter().find(|e| e["occurred_at"].is_null()).unwrap();
    assert_eq!(undated["text"], "He waited outside the school.");

    // Asked again, the second answer counts.
    let (editor, _) = editor_writing("retyped.sh", "When: 31/04/2026");
    let shown = add_in_editor(&home, &editor, "30/04/2026\n").await;
    assert!(shown.contains("Recorded as: Thu 30 April 2026"), "{shown}");
    let saved = entries(&home).await;
    assert!(saved.iter().any(|e| e["occurred_at"] == "2026-04-30"));
    server.shutdown().await.unwrap();
}
