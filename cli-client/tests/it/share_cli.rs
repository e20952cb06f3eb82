#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `mycase share create|open|list|revoke` against a real server started
//! in-process: a link made from a selection opens in a terminal with no device
//! home, holds only the selection, and says clearly when it has ended.

use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::common;

async fn run(home: &Path, args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut cmd = common::mycase(Some(home), args);
    cmd.envs(envs.iter().copied());
    common::output(cmd).await
}

async fn ok(home: &Path, args: &[&str], envs: &[(&str, &str)]) -> String {
    common::stdout_of(run(home, args, envs).await, args)
}

async fn json(home: &Path, args: &[&str]) -> Value {
    serde_json::from_str(&ok(home, args, &[]).await).unwrap()
}

async fn fails(home: &Path, args: &[&str], envs: &[(&str, &str)]) -> String {
    let out = run(home, args, envs).await;
    assert!(!out.status.success(), "mycase {args:?} should have failed");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_open_list_revoke() {
    let data = tempfile::tempdir().unwrap();
    let server = common::start_server(data.path(), |_| {}).await;
    let homes = tempfile::tempdir().unwrap();
    let home = homes.path().join("laptop");
    // The advocate has no MyCase home at all.
    let advocate = homes.path().join("advocate-has-no-home");
    let ca = server.ca_cert_path().to_str().unwrap().to_string();
    let url = server.url();
    json(
        &home,
        &["init", "--server", &url, "--ca-cert", &ca, "--json"],
    )
    .await;

    let shared = json(
        &home,
        &[
            "add",
            "--title",
            "Shared one",
            "--text",
            "SHARED-MARKER-CLI broke the door",
            "--occurred",
            "2026-03-02",
            "--category",
            "threats",
            "--json",
        ],
    )
    .await;
    json(
        &home,
        &[
            "add",
            "--title",
            "Private",
            "--text",
            "PRIVATE-MARKER-CLI",
            "--occurred",
            "2026-03-03",
            "--json",
        ],
    )
    .await;
    let shared_id = shared["id"].as_str().unwrap().to_string();
    json(
        &home,
        &[
            "amend",
            &shared_id,
            "--impact",
            "AMENDED-MARKER-CLI",
            "--json",
        ],
    )
    .await;

    let created = json(
        &home,
        &[
            "share",
            "create",
            "--entry",
            &shared_id[..8],
            "--expires",
            "36h",
            "--max-views",
            "10",
            "--json",
        ],
    )
    .await;
    let link = created["link"].as_str().unwrap().to_string();
    assert!(link.starts_with(&format!("{url}/s/")), "{link}");
    assert_eq!(created["entries"], 1);
    assert_eq!(created["max_views"], 10);

    // Opened from a terminal without any device, trusting the server's certificate.
    let text = ok(&advocate, &["share", "open", &link, "--ca-cert", &ca], &[]).await;
    assert!(text.contains("SHARED-MARKER-CLI"), "{text}");
    assert!(text.contains("AMENDED-MARKER-CLI"));
    assert!(text.contains("Threats"), "categories are readable");
    assert!(text.contains("amended"), "the history is shown");
    assert!(!text.contains("PRIVATE-MARKER-CLI"));
    assert!(!advocate.exists(), "opening a share creates no MyCase home");

    let out_dir = homes.path().join("opened");
    let written = ok(
        &advocate,
        &[
            "share",
            "open",
            &link,
            "--ca-cert",
            &ca,
            "--out",
            out_dir.to_str().unwrap(),
            "--json",
        ],
        &[],
    )
    .await;
    let written: Value = serde_json::from_str(&written).unwrap();
    assert_eq!(written["entries"], 1);
    let manifest = std::fs::read_to_string(out_dir.join("share.json")).unwrap();
    assert!(manifest.contains("SHARED-MARKER-CLI") && !manifest.contains("PRIVATE-MARKER-CLI"));
    // Decrypted evidence is the survivor's alone, even under a permissive umask.
    common::assert_owner_only(&out_dir);

    let listed = json(&home, &["share", "list", "--json"]).await;
    let row = &listed["shares"][0];
    assert_eq!(row["share_id"], created["share_id"]);
    assert_eq!(row["views"], 2);
    assert_eq!(row["opened_at"].as_array().unwrap().len(), 2);
    assert_eq!(row["state"], "active");
    assert!(row["contains"].as_str().unwrap().contains("1 entry"));

    // A cut-off link and a wrong key say so, in the same words as the browser.
    let cut = &link[..link.len() - 5];
    let err = fails(&advocate, &["share", "open", cut, "--ca-cert", &ca], &[]).await;
    assert!(err.contains("the link is incomplete"), "{err}");
    let (base, key) = link.split_once('#').unwrap();
    let other_key = if key.starts_with('A') {
        key.replacen('A', "B", 1)
    } else {
        format!("A{}", &key[1..])
    };
    let err = fails(
        &advocate,
        &[
            "share",
            "open",
            &format!("{base}#{other_key}"),
            "--ca-cert",
            &ca,
        ],
        &[],
    )
    .await;
    assert!(err.contains("key does not open this share"), "{err}");

    let share_id = created["share_id"].as_str().unwrap();
    json(&home, &["share", "revoke", &share_id[..6], "--json"]).await;
    let err = fails(&advocate, &["share", "open", &link, "--ca-cert", &ca], &[]).await;
    assert!(err.contains("has withdrawn it"), "{err}");
    let listed = json(&home, &["share", "list", "--json"]).await;
    assert_eq!(listed["shares"][0]["state"], "revoked");

    // A password share: the right password opens it, a wrong one says so.
    let created = ok(
        &home,
        &[
            "share",
            "create",
            "--category",
            "threats",
            "--password",
            "--json",
        ],
        &[("MYCASE_SHARE_PASSWORD", "open sesame please")],
    )
    .await;
    let link = serde_json::from_str::<Value>(&created).unwrap()["link"]
        .as_str()
        .unwrap()
        .to_string();
    let err = fails(
        &advocate,
        &["share", "open", &link, "--ca-cert", &ca],
        &[("MYCASE_SHARE_PASSWORD", "wrong")],
    )
    .await;
    assert!(err.contains("password is not right"), "{err}");
    let text = ok(
        &advocate,
        &["share", "open", &link, "--ca-cert", &ca],
        &[("MYCASE_SHARE_PASSWORD", "open sesame please")],
    )
    .await;
    assert!(text.contains("SHARED-MARKER-CLI"));

    // Longer than 31 days is refused before anything is made.
    let err = fails(
        &home,
        &["share", "create", "--entry", &shared_id, "--expires", "32d"],
        &[],
    )
    .await;
    assert!(err.contains("at most 31 days"), "{err}");
    server.shutdown().await.unwrap();
}
