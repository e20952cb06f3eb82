#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! What the device's home lets slip to someone who has the disk but not the
//! passphrase (issue 10, items 9 and 13): file modes, leftover drafts, and what
//! file sizes say about activity.

use crate::common;

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draft_left_by_a_crash_is_shredded_at_the_next_start() {
    let data = tempfile::tempdir().unwrap();
    let server = start_server(data.path(), |_| {}).await;
    let homes = tempfile::tempdir().unwrap();
    let home = homes.path().join("laptop");
    init(&server, &home).await;
    // What `mycase add` and vim leave when the terminal is killed mid-sentence.
    let id = "00112233445566778899aabbccddeeff";
    let draft = home.join(format!(".draft-{id}.txt"));
    std::fs::write(&draft, "He took my phone and read everything.").unwrap();
    std::fs::write(home.join(format!(".draft-{id}.lock")), "").unwrap();
    std::fs::write(home.join(format!("..draft-{id}.txt.swp")), "swap").unwrap();
    // A second name for the draft's bytes: what the sweep leaves in them.
    let witness = homes.path().join("witness");
    std::fs::hard_link(&draft, &witness).unwrap();

    let out = run(&home, &["list"]).await;
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Erased 1 unfinished draft"), "{stderr}");
    let names: Vec<String> = std::fs::read_dir(&home)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.contains(".draft-")), "{names:?}");
    let left = std::fs::read(&witness).unwrap();
    assert!(
        !left.is_empty() && left.iter().all(|&b| b == 0),
        "the words were overwritten"
    );
    // Said once: the next command has nothing to sweep.
    let out = run(&home, &["list"]).await;
    assert!(!String::from_utf8_lossy(&out.stderr).contains("draft"));
}

/// `mycase add` at a terminal (a pseudo-terminal from `script`), with `$EDITOR`
/// set to `editor`; returns what the editor recorded of its arguments.
async fn add_in_editor(home: &Path, dir: &Path, editor_name: &str) -> String {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let editor = bin.join(editor_name);
    let seen = dir.join(format!("{editor_name}.args"));
    std::fs::write(
        &editor,
        format!(
            "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > '{}'\n\
             for last; do :; done\nprintf 'Written in the editor.\\n' >> \"$last\"\n",
            seen.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&editor, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let line = format!(
        "'{}' --home '{}' add --title t",
        env!("CARGO_BIN_EXE_mycase"),
        home.display()
    );
    let mut add = std::process::Command::new("script");
    add.args(["-qec", &line, "/dev/null"])
        .env("MYCASE_PASSPHRASE", common::PASS)
        .env("EDITOR", &editor)
        .env_remove("MYCASE_HOME")
        .stdin(std::process::Stdio::null());
    let out = output(add).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    std::fs::read_to_string(&seen).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editors_are_started_without_swap_backup_or_history_files() {
    let data = tempfile::tempdir().unwrap();
    let server = start_server(data.path(), |_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("laptop");
    init(&server, &home).await;
    let vim = add_in_editor(&home, dir.path(), "vim").await;
    let vim: Vec<&str> = vim.lines().collect();
    assert_eq!(&vim[..3], ["-n", "-i", "NONE"], "{vim:?}");
    assert!(
        vim.iter().any(|a| a.contains("nobackup nowritebackup")),
        "{vim:?}"
    );
    assert!(vim.iter().any(|a| a.contains("noundofile")), "{vim:?}");
    let nano = add_in_editor(&home, dir.path(), "nano").await;
    assert_eq!(nano.lines().next(), Some("--ignorercfiles"), "{nano}");
    let emacs = add_in_editor(&home, dir.path(), "emacs").await;
    assert!(emacs.contains("make-backup-files nil"), "{emacs}");
    // Whatever the editor, the draft was inside the home, and is gone.
    let draft = vim.last().unwrap();
    assert!(Path::new(draft).starts_with(&home), "{draft}");
    assert!(!Path::new(draft).exists());
    let list = ok_json(&home, &["list", "--json"]).await;
    assert_eq!(list.as_array().unwrap().len(), 3);
    assert_eq!(list[0]["text"], "Written in the editor.");
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripts_read_the_passphrase_from_an_owner_only_file() {
    use std::os::unix::fs::PermissionsExt;
    let data = tempfile::tempdir().unwrap();
    let server = start_server(data.path(), |_| {}).await;
    let homes = tempfile::tempdir().unwrap();
    let home = homes.path().join("laptop");
    init(&server, &home).await;
    let file = homes.path().join("pass");
    std::fs::write(&file, format!("{}\n", common::PASS)).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let list = |extra_env: Option<&Path>| {
        let mut cmd = mycase(Some(&home), &["list", "--json"]);
        cmd.env_remove("MYCASE_PASSPHRASE");
        match extra_env {
            Some(p) => cmd.env("MYCASE_PASSPHRASE_FILE", p),
            None => cmd.arg("--passphrase-file").arg(&file),
        };
        cmd
    };
    assert!(output(list(None)).await.status.success());
    assert!(output(list(Some(&file))).await.status.success());
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = output(list(None)).await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("chmod 600"));
}

/// A minimal JPEG whose EXIF data has a GPS directory with a latitude reference.
fn jpeg_with_gps() -> Vec<u8> {
    let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
    for v in [
        &1u16.to_be_bytes()[..],
        &0x8825u16.to_be_bytes(),
        &4u16.to_be_bytes(),
    ] {
        tiff.extend_from_slice(v);
    }
    for v in [1u32, 26, 0] {
        tiff.extend_from_slice(&v.to_be_bytes());
    }
    for v in [1u16, 1, 2] {
        tiff.extend_from_slice(&v.to_be_bytes());
    }
    tiff.extend_from_slice(&2u32.to_be_bytes());
    tiff.extend_from_slice(b"N\0\0\0\0\0\0\0");
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&[0xFF, 0xDA, 0, 2, 1, 2, 3, 0xFF, 0xD9]);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attaching_a_photo_that_records_its_place_says_so() {
    let data = tempfile::tempdir().unwrap();
    let server = start_server(data.path(), |_| {}).await;
    let homes = tempfile::tempdir().unwrap();
    let home = homes.path().join("laptop");
    init(&server, &home).await;
    let added = ok_json(&home, &["add", "--title", "t", "--text", "x", "--json"]).await;
    let id = added["id"].as_str().unwrap().to_string();
    let located = homes.path().join("bruise.jpg");
    std::fs::write(&located, jpeg_with_gps()).unwrap();
    let plain = homes.path().join("plain.jpg");
    std::fs::write(&plain, [0xFF, 0xD8, 0xFF, 0xD9]).unwrap();

    let out = run(&home, &["attach", &id, located.to_str().unwrap(), "--json"]).await;
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("records where it was taken"), "{stderr}");
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(shown["location_metadata"], true);

    let out = run(&home, &["attach", &id, plain.to_str().unwrap(), "--json"]).await;
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stderr).contains("where it was taken"));
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(shown["location_metadata"], false);
}
