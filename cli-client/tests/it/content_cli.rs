#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Content kept out of the shell history (issue 10, item 12): every content flag
//! takes `-` and reads the value instead; content given as a flag is pointed out
//! once per command.

use crate::common;

use std::io::Write;
use std::path::Path;
use std::process::{Output, Stdio};

use common::{mycase, ok_json, output, server_args, start_server};

const NOTE: &str = "is now in your shell's history";

/// `mycase ARGS` with `input` on standard input.
async fn with_input(home: &Path, args: &[&str], input: &str) -> Output {
    let mut cmd = mycase(Some(home), args);
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let input = input.to_string();
    tokio::task::spawn_blocking(move || {
        let mut child = cmd.spawn().unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap()
}

fn succeeded(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn content_can_be_typed_instead_of_given_as_flags() {
    let data = tempfile::tempdir().unwrap();
    let server = start_server(data.path(), |_| {}).await;
    let homes = tempfile::tempdir().unwrap();
    let home = homes.path().join("laptop");
    let [url, ca] = server_args(&server);
    ok_json(
        &home,
        &["init", "--server", &url, "--ca-cert", &ca, "--json"],
    )
    .await;

    let out = with_input(
        &home,
        &[
            "people",
            "add",
            "--name",
            "-",
            "--role",
            "causing-harm",
            "--notes",
            "-",
            "--json",
        ],
        "Jordan\nex-partner\n",
    )
    .await;
    assert!(!succeeded(&out).contains(NOTE));

    // Asked in a fixed order: title, when, categories, location, people, injuries,
    // police refs, actions, impact, tags, severity; the text takes the rest.
    let out = with_input(
        &home,
        &[
            "add",
            "--title",
            "-",
            "--when",
            "-",
            "--category",
            "-",
            "--severity",
            "-",
            "--location",
            "-",
            "--person",
            "-",
            "--injuries",
            "-",
            "--police-ref",
            "-",
            "--action",
            "-",
            "--impact",
            "-",
            "--tag",
            "-",
            "--text",
            "-",
            "--json",
        ],
        "Door\n14/03/2026 9.30pm\ncoercive\ndamage\n\nKitchen\nJord\n\nBruised arm\nCAD 123\nREF 9\n\n\
         GP\n\nI can't sleep\nnight\n\n4\nHe broke the door.\nThen he left.\n",
    )
    .await;
    let stderr = succeeded(&out);
    assert!(!stderr.contains(NOTE), "nothing came as a flag: {stderr}");
    assert!(
        stderr.contains("Recorded as: Sat 14 March 2026, 21:30"),
        "{stderr}"
    );
    let id: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let shown = ok_json(&home, &["show", id["id"].as_str().unwrap(), "--json"]).await;
    assert_eq!(shown["title"], "Door");
    assert_eq!(shown["occurred_at"], "2026-03-14 21:30");
    assert_eq!(
        shown["categories"],
        serde_json::json!(["coercive-or-controlling", "damage-to-property"])
    );
    assert_eq!(shown["severity"], 4);
    assert_eq!(shown["location"], "Kitchen");
    assert_eq!(shown["people"][0]["name"], "Jordan");
    assert_eq!(shown["injuries"], "Bruised arm");
    assert_eq!(
        shown["police_references"],
        serde_json::json!(["CAD 123", "REF 9"])
    );
    assert_eq!(shown["actions_taken"], serde_json::json!(["GP"]));
    assert_eq!(shown["impact"], "I can't sleep");
    assert_eq!(shown["tags"], serde_json::json!(["night"]));
    assert_eq!(shown["text"], "He broke the door.\nThen he left.");

    // Search words, typed.
    let out = with_input(&home, &["search", "--json"], "door\n").await;
    assert!(!succeeded(&out).contains(NOTE));
    let found: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(found.as_array().unwrap().len(), 1);

    // An amendment typed, too.
    let out = with_input(
        &home,
        &[
            "amend",
            &id["id"].as_str().unwrap()[..8],
            "--impact",
            "-",
            "--json",
        ],
        "Worse now\n",
    )
    .await;
    assert!(!succeeded(&out).contains(NOTE));

    // Content on the command line works, and is pointed out once per command.
    for args in [
        vec![
            "add",
            "--title",
            "Flagged",
            "--location",
            "Street",
            "--text",
            "x",
        ],
        vec!["search", "door"],
        vec!["people", "add", "--name", "Sam", "--role", "witness"],
        vec![
            "amend",
            &id["id"].as_str().unwrap()[..8],
            "--injuries",
            "none",
        ],
    ] {
        let out = with_input(&home, &args, "").await;
        let stderr = succeeded(&out);
        assert_eq!(stderr.matches(NOTE).count(), 1, "{args:?}: {stderr}");
    }
    let out = output(mycase(
        Some(&home),
        &["add", "--title", "T", "--location", "L", "--text", "x"],
    ))
    .await;
    let stderr = succeeded(&out);
    assert!(stderr.contains("--title, --location, --text"), "{stderr}");
}
