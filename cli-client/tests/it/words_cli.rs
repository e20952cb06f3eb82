#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The words people type (issue 12): dates as written in the UK, read back before
//! they are saved, a date in the future questioned; times shown in UK local time
//! with the zone named; people, categories found by any unique part of a name with
//! "did you mean"; search with several words. Refusals change nothing.

use crate::common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::{ok, ok_json, run, server_args, start_server, PASS};
use serde_json::Value;

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A run that must succeed; its standard error.
async fn ok_err(home: &Path, args: &[&str]) -> String {
    let out = run(home, args).await;
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    stderr(&out)
}

/// A run that must fail with a clear message; the message.
async fn refused(home: &Path, args: &[&str]) -> String {
    let out = run(home, args).await;
    assert_eq!(out.status.code(), Some(1), "{args:?} was not refused");
    assert!(out.stdout.is_empty());
    stderr(&out)
}

async fn entries(home: &Path) -> Vec<Value> {
    ok_json(home, &["list", "--json"])
        .await
        .as_array()
        .unwrap()
        .clone()
}

async fn new_journal(home: &Path, server: &mycase_server::RunningServer) {
    let [url, ca] = server_args(server);
    ok_json(
        home,
        &["init", "--server", &url, "--ca-cert", &ca, "--json"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dates_are_read_back_and_the_future_is_questioned() {
    let data = tempfile::tempdir().unwrap();
    let server = start_server(data.path(), |_| {}).await;
    let homes = tempfile::tempdir().unwrap();
    let home = homes.path().join("laptop");
    new_journal(&home, &server).await;

    let add = |when: &'static str| {
        let home = home.clone();
        async move {
            let out = run(&home, &["add", "--text", "x", "--when", when, "--json"]).await;
            assert!(out.status.success(), "{when}: {}", stderr(&out));
            let id: Value = serde_json::from_slice(&out.stdout).unwrap();
            let shown = ok_json(&home, &["show", id["id"].as_str().unwrap(), "--json"]).await;
            (stderr(&out), shown)
        }
    };
    let (said, shown) = add("14/03/2026 9.30pm").await;
    assert!(
        said.contains("Recorded as: Sat 14 March 2026, 21:30\n"),
        "{said}"
    );
    assert_eq!(shown["occurred_at"], "2026-03-14 21:30");
    assert_eq!(shown["occurred_at_words"], "Sat 14 March 2026, 21:30");

    let (said, shown) = add("about March 2026").await;
    assert!(
        said.contains("Recorded as: March 2026, approximate\n"),
        "{said}"
    );
    assert_eq!(shown["occurred_at"], "2026-03..2026-03");

    let (said, shown) = add("about 3 weeks ago").await;
    assert!(
        said.contains("Recorded as: between ") && said.contains(" (about 3 weeks ago)\n"),
        "{said}"
    );
    assert!(shown["occurred_at"].as_str().unwrap().contains(".."));

    let (said, shown) = add("03/04/2026").await;
    assert!(
        said.contains("Recorded as: Fri 3 April 2026\n"),
        "day first: {said}"
    );
    assert_eq!(shown["occurred_at"], "2026-04-03");

    // The old flag and the stored forms still work.
    let out = run(
        &home,
        &["add", "--text", "x", "--occurred", "2026-02-01..2026-02-14"],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("Recorded as: between 1 and 14 February 2026"));
    let before = entries(&home).await;
    assert_eq!(before.len(), 5);

    // Impossible dates are refused with the reason; nothing is saved.
    let said = refused(&home, &["add", "--text", "x", "--when", "31/04/2026"]).await;
    assert!(
        said.contains("--when: no such date: April has 30 days"),
        "{said}"
    );
    let said = refused(
        &home,
        &["add", "--text", "x", "--when", "Fri 14 March 2026"],
    )
    .await;
    assert!(
        said.contains("that date is a Saturday, not a Friday"),
        "{said}"
    );
    let said = refused(
        &home,
        &["add", "--text", "x", "--when", "when he came home"],
    )
    .await;
    assert!(said.contains("not a date MyCase understands"), "{said}");
    assert!(
        !said.contains("came home"),
        "what was typed is not repeated: {said}"
    );

    // The future, without a terminal to ask at: refused unless --yes.
    let said = refused(&home, &["add", "--text", "x", "--when", "1 January 2099"]).await;
    assert!(
        said.contains("Recorded as: Thu 1 January 2099")
            && said.contains("that is in the future; nothing was saved")
            && said.contains("--yes"),
        "{said}"
    );
    assert_eq!(entries(&home).await, before, "nothing was saved");
    let said = ok_err(
        &home,
        &["add", "--text", "x", "--when", "1 January 2099", "--yes"],
    )
    .await;
    assert!(said.contains("Recorded as: Thu 1 January 2099"), "{said}");

    // Amend takes the same words.
    let id = before[0]["id"].as_str().unwrap().to_string();
    let said = ok_err(&home, &["amend", &id[..8], "--when", "1-14 March 2026"]).await;
    assert!(
        said.contains("Recorded as: between 1 and 14 March 2026"),
        "{said}"
    );
    let shown = ok_json(&home, &["show", &id[..8], "--json"]).await;
    assert_eq!(shown["occurred_at"], "2026-03-01..2026-03-14");

    // Shown in words; recorded times in UK local time with the zone named.
    let (text, _) = (ok(&home, &["show", &id[..8]]).await, ());
    assert!(
        text.contains("occurred:    between 1 and 14 March 2026"),
        "{text}"
    );
    let recorded = text.lines().find(|l| l.starts_with("recorded:")).unwrap();
    assert!(
        (recorded.ends_with(" GMT") || recorded.ends_with(" BST")) && !text.contains("UTC"),
        "{recorded}"
    );
    let timeline = ok(&home, &["timeline"]).await;
    assert!(
        timeline.contains("March 2026 (") && timeline.contains("Sat 14 March 2026, 21:30"),
        "{timeline}"
    );
    assert!(!timeline.contains("UTC"), "{timeline}");
    let json = ok_json(&home, &["list", "--json"]).await;
    let uk = json[0]["recorded_at_uk"].as_str().unwrap();
    assert!(uk.ends_with(" GMT") || uk.ends_with(" BST"), "{uk}");
    assert!(
        json[0]["recorded_at"].as_str().unwrap().ends_with('Z'),
        "the RFC 3339 field is kept"
    );

    // Filters take the same words: a month counts to its last day.
    let march = ok_json(
        &home,
        &[
            "timeline",
            "--from",
            "1 March 2026",
            "--to",
            "March 2026",
            "--json",
        ],
    )
    .await;
    let months: Vec<&str> = march
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["month"].as_str().unwrap())
        .collect();
    assert_eq!(months, ["2026-03"]);
    let entries_in_march = march[0]["entries"].as_array().unwrap().len();
    assert_eq!(entries_in_march, 3, "{march}");
    server.shutdown().await.unwrap();
}

/// `mycase` at a pseudo-terminal (`script`, util-linux), `input` typed into it.
async fn at_a_terminal(home: &Path, args: &str, input: &'static str) -> String {
    let line = format!(
        "'{}' --home '{}' {args}",
        env!("CARGO_BIN_EXE_mycase"),
        home.display()
    );
    let mut cmd = Command::new("script");
    cmd.args(["-qec", &line, "/dev/null"])
        .env("MYCASE_PASSPHRASE", PASS)
        .env_remove("MYCASE_HOME")
        .env_remove("EDITOR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    tokio::task::spawn_blocking(move || {
        let mut child = cmd.spawn().unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_future_date_is_asked_about_at_a_terminal() {
    let data = tempfile::tempdir().unwrap();
    let server = start_server(data.path(), |_| {}).await;
    let homes = tempfile::tempdir().unwrap();
    let home = homes.path().join("laptop");
    new_journal(&home, &server).await;

    let shown = at_a_terminal(&home, "add --text x --when '1 January 2099'", "no\n").await;
    assert!(
        shown.contains("That is in the future — is that right?")
            && shown.contains("not confirmed; nothing was saved"),
        "{shown}"
    );
    assert!(entries(&home).await.is_empty());
    let shown = at_a_terminal(&home, "add --text x --when '1 January 2099'", "yes\n").await;
    assert!(shown.contains("Saved entry"), "{shown}");
    let saved = entries(&home).await;
    assert_eq!(saved.len(), 1);
    assert_eq!(saved[0]["occurred_at"], "2099-01-01");
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_are_found_by_any_unique_part_and_search_takes_several_words() {
    let data = tempfile::tempdir().unwrap();
    let server = start_server(data.path(), |_| {}).await;
    let homes = tempfile::tempdir().unwrap();
    let home = homes.path().join("laptop");
    new_journal(&home, &server).await;
    for name in ["Dave Smith", "Jordan", "Zoë"] {
        ok_json(
            &home,
            &[
                "people", "add", "--name", name, "--role", "witness", "--json",
            ],
        )
        .await;
    }

    let added = ok_json(
        &home,
        &[
            "add",
            "--title",
            "Kitchen",
            "--text",
            "He broke the kitchen door",
            "--person",
            "dave",
            "--category",
            "coercive",
            "--json",
        ],
    )
    .await;
    let shown = ok_json(&home, &["show", added["id"].as_str().unwrap(), "--json"]).await;
    assert_eq!(shown["people"][0]["name"], "Dave Smith");
    assert_eq!(shown["categories"][0], "coercive-or-controlling");
    ok_json(
        &home,
        &[
            "add",
            "--text",
            "Shouting at the door",
            "--person",
            "ZOE",
            "--json",
        ],
    )
    .await;

    // Not unique, or not there: refused with the candidates or "did you mean",
    // and nothing is saved.
    ok_json(
        &home,
        &[
            "people",
            "add",
            "--name",
            "Dave Jones",
            "--role",
            "witness",
            "--json",
        ],
    )
    .await;
    let before = entries(&home).await;
    let said = refused(&home, &["add", "--text", "x", "--person", "dave"]).await;
    assert!(
        said.contains("--person: 2 people match that: \"Dave ")
            && said.contains("\"Dave Smith\"")
            && said.contains("\"Dave Jones\"")
            && said.contains("; give more of the name"),
        "{said}"
    );
    let said = refused(&home, &["add", "--text", "x", "--person", "Jordon"]).await;
    assert!(said.contains("did you mean \"Jordan\"?"), "{said}");
    let said = refused(&home, &["add", "--text", "x", "--category", "threts"]).await;
    assert!(
        said.contains("--category: no category has that name; did you mean \"Threats\"?"),
        "{said}"
    );
    let said = refused(&home, &["add", "--text", "x", "--category", "sad"]).await;
    assert!(
        said.contains("no category has that name; choose from \"Physical\", \"Sexual\", ")
            && said.contains(" or \"Other\""),
        "{said}"
    );
    assert_eq!(entries(&home).await, before);

    // Filters find people by part of a name too.
    let by_person = ok_json(&home, &["timeline", "--person", "smith", "--json"]).await;
    assert_eq!(by_person[0]["entries"].as_array().unwrap().len(), 1);
    assert_eq!(by_person[0]["entries"][0]["title"], "Kitchen");
    let said = refused(&home, &["timeline", "--person", "Jordon"]).await;
    assert!(said.contains("did you mean \"Jordan\"?"), "{said}");

    // Search: every word, anywhere (text, category names, people), any case or accent.
    let found = |args: &'static [&'static str]| {
        let home = home.clone();
        async move {
            let mut all = vec!["search"];
            all.extend_from_slice(args);
            all.push("--json");
            ok_json(&home, &all).await.as_array().unwrap().len()
        }
    };
    assert_eq!(found(&["door"]).await, 2);
    assert_eq!(found(&["door", "kitchen"]).await, 1);
    assert_eq!(found(&["KITCHEN door"]).await, 1);
    assert_eq!(found(&["coercive", "door"]).await, 1);
    assert_eq!(found(&["zoe", "shouting"]).await, 1);
    assert_eq!(found(&["door", "absent"]).await, 0);
    server.shutdown().await.unwrap();
}
