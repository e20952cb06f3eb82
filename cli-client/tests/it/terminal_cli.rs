#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! What reaches the survivor's terminal (issue 10, item 14): another device writes
//! entries, a person, a device name and a file name carrying a clear-screen
//! sequence, an OSC 52 clipboard write and a right-to-left override; every command
//! that shows them prints them neutralised, and the JSON keeps the exact values.

use crate::common;

use common::{ok_json, pair_cli, run, server_args, start_server};

const CLEAR: &str = "\u{1b}[2J\u{1b}[H";
const CLIPBOARD: &str = "\u{1b}]52;c;ZXZpbA==\u{7}";
const C1_CSI: &str = "\u{9b}2J";
const RLO: &str = "\u{202E}";

fn hostile(word: &str) -> String {
    format!("{word}{CLEAR}{CLIPBOARD}{C1_CSI}{RLO}fdp.exe")
}

/// Fails if `bytes` could drive a terminal: ESC, BEL, a C1 control (UTF-8
/// `C2 80..9F`) or a bidi override/isolate.
fn assert_terminal_safe(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    for c in text.chars() {
        let bad = (c.is_control() && c != '\n' && c != '\t')
            || ('\u{202A}'..='\u{202E}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c);
        assert!(!bad, "{what} printed {c:?}: {text:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn text_from_another_device_cannot_drive_the_terminal() {
    let data = tempfile::tempdir().unwrap();
    let server = start_server(data.path(), |_| {}).await;
    let homes = tempfile::tempdir().unwrap();
    let (laptop, phone) = (homes.path().join("laptop"), homes.path().join("phone"));
    let [url, ca] = server_args(&server);
    ok_json(
        &laptop,
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
    let device_name = hostile("phone");
    pair_cli(&server, &laptop, &phone, &device_name).await;

    // The other device (an abuser's, say) writes it all.
    let person = hostile("Jordan");
    ok_json(
        &phone,
        &[
            "people", "add", "--name", &person, "--role", "other", "--json",
        ],
    )
    .await;
    let title = hostile("Door");
    let text = format!("line one\n{}", hostile("line two"));
    let added = ok_json(
        &phone,
        &[
            "add",
            "--title",
            &title,
            "--text",
            &text,
            "--person",
            &person,
            "--location",
            &hostile("Home"),
            "--json",
        ],
    )
    .await;
    let id = added["id"].as_str().unwrap().to_string();
    let file = homes.path().join(hostile("Statement"));
    std::fs::write(&file, b"%PDF-1.4 not really").unwrap();
    let attach = run(&phone, &["attach", &id, file.to_str().unwrap()]).await;
    assert!(
        attach.status.success(),
        "{}",
        String::from_utf8_lossy(&attach.stderr)
    );
    assert!(run(&phone, &["sync"]).await.status.success());

    assert!(run(&laptop, &["sync"]).await.status.success());
    for args in [
        vec!["list"],
        vec!["timeline"],
        vec!["show", &id],
        vec!["show", &id, "--history"],
        vec!["search", "Door"],
        vec!["people", "list"],
        vec!["devices"],
        vec!["list", "--json"],
        vec!["show", &id, "--json"],
        vec!["people", "list", "--json"],
        vec!["devices", "--json"],
    ] {
        let out = run(&laptop, &args).await;
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_terminal_safe(&format!("{args:?} (stdout)"), &out.stdout);
        assert_terminal_safe(&format!("{args:?} (stderr)"), &out.stderr);
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Door")
                || String::from_utf8_lossy(&out.stdout).contains("Jordan")
                || String::from_utf8_lossy(&out.stdout).contains("phone"),
            "{args:?} showed nothing to check"
        );
    }
    // The JSON still carries the exact values (escaped), so nothing is altered.
    let shown = ok_json(&laptop, &["show", &id, "--json"]).await;
    assert_eq!(shown["title"], title.as_str());
    assert_eq!(shown["text"], text.as_str());
    assert_eq!(shown["people"][0]["name"], person.as_str());
    assert_eq!(
        shown["attachments"][0]["name"],
        file.file_name().unwrap().to_str().unwrap()
    );
    let devices = ok_json(&laptop, &["devices", "--json"]).await;
    assert!(devices
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["name"] == device_name.as_str()));

    // An error that quotes something from outside (here a path) is cleaned too.
    let out = run(&laptop, &["attach", &id, &hostile("/nonexistent/x")]).await;
    assert!(!out.status.success());
    assert_terminal_safe("an error", &out.stderr);
    assert!(String::from_utf8_lossy(&out.stderr).contains("nonexistent"));
}
