//! The `mycase-server` binary's operator commands: config precedence
//! (file < environment < flag), init-config, invite create, stats and backup
//! against a running server (over its admin socket) and a stopped one, restore.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use mycase_tests::server::grpc as common;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::{random, register_request};
use ed25519_dalek::SigningKey;
use mycase_proto::v1::account_client::AccountClient;
use rand::rngs::OsRng;
use serde_json::Value;

fn server_cmd(envs: &[(&str, &str)], args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mycase-server"));
    cmd.args(args).stdin(Stdio::null());
    for var in [
        "MYCASE_CONFIG",
        "MYCASE_DATA_DIR",
        "MYCASE_LISTEN",
        "MYCASE_TLS_CERT",
        "MYCASE_TLS_KEY",
        "MYCASE_REGISTRATION",
        "MYCASE_CACHE_CAPACITY_BYTES",
    ] {
        cmd.env_remove(var);
    }
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd
}

/// Runs the binary off the async workers (a test server may run on them).
async fn run(envs: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = server_cmd(envs, args);
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

fn ok(out: &Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

async fn json(envs: &[(&str, &str)], args: &[&str]) -> Value {
    let out = run(envs, args).await;
    serde_json::from_str(&ok(&out, &format!("{args:?}"))).unwrap()
}

#[tokio::test]
async fn config_precedence_file_then_env_then_flag() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = dir.path().join("server.toml");
    std::fs::write(
        &file,
        format!(
            "listen = \"127.0.0.1:1111\"\ndata_dir = \"{}\"\nregistration = \"invite\"\n\
             cache_capacity_bytes = 1000000\n[quotas]\ndevices_per_account = 4\n\
             [retention]\nerase_inactive_after_days = 400\n",
            data.display()
        ),
    )
    .unwrap();
    let f = file.to_str().unwrap();

    let from_file = json(&[], &["show-config", "--config", f]).await;
    assert_eq!(from_file["listen"], "127.0.0.1:1111");
    assert_eq!(from_file["data_dir"], data.to_str().unwrap());
    assert_eq!(from_file["registration"], "invite");
    assert_eq!(from_file["cache_capacity_bytes"], 1_000_000);
    assert_eq!(from_file["quotas"]["devices_per_account"], 4);
    assert_eq!(from_file["retention"]["erase_inactive_after_days"], 400);
    // Untouched keys keep their defaults.
    assert_eq!(from_file["rate_limits"]["auth_per_address"], 120);

    let env = [
        ("MYCASE_CONFIG", f),
        ("MYCASE_LISTEN", "127.0.0.1:2222"),
        ("MYCASE_REGISTRATION", "open"),
    ];
    let from_env = json(&env, &["show-config"]).await;
    assert_eq!(from_env["listen"], "127.0.0.1:2222");
    assert_eq!(from_env["registration"], "open");
    assert_eq!(from_env["cache_capacity_bytes"], 1_000_000);

    let from_flag = json(&env, &["show-config", "--listen", "127.0.0.1:3333"]).await;
    assert_eq!(from_flag["listen"], "127.0.0.1:3333");
    assert_eq!(from_flag["registration"], "open");

    // The default file is the one in the data directory.
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(
        data.join("mycase-server.toml"),
        "listen = \"127.0.0.1:4444\"\n",
    )
    .unwrap();
    let d = data.to_str().unwrap();
    let found = json(&[("MYCASE_DATA_DIR", d)], &["show-config"]).await;
    assert_eq!(found["listen"], "127.0.0.1:4444");

    // A bad file is refused with the reason.
    std::fs::write(&file, "listen = \"127.0.0.1:1111\"\nquota = 5\n").unwrap();
    let bad = run(&[], &["show-config", "--config", f]).await;
    assert!(!bad.status.success());
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("not valid") && stderr.contains("quota"),
        "{stderr}"
    );
}

#[tokio::test]
async fn init_config_writes_a_file_the_server_reads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mycase-server.toml");
    let p = path.to_str().unwrap();
    ok(&run(&[], &["init-config", "--out", p]).await, "init-config");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("# ") && text.contains("[quotas]"));
    let shown = json(&[], &["show-config", "--config", p]).await;
    assert_eq!(shown["registration"], "open");
    assert_eq!(shown["retention"]["erase_inactive_after_days"], 0);
    // It never replaces an existing file.
    let again = run(&[], &["init-config", "--out", p]).await;
    assert!(!again.status.success());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
}

async fn register_with(
    server: &mycase_server::RunningServer,
    code: &str,
) -> Result<(), tonic::Status> {
    let key = SigningKey::generate(&mut OsRng);
    let mut req = register_request(&random::<16>(), &random::<16>(), &key);
    req.invite_code = code.to_string();
    AccountClient::new(common::channel(server).await)
        .register(req)
        .await
        .map(|_| ())
}

fn tree_bytes(dir: &Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            stack.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
        } else {
            total += std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
        }
    }
    total
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn invites_stats_backup_restore_through_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap().to_string();
    let data_env = [("MYCASE_DATA_DIR", d.as_str())];

    // Offline: codes made before the server ever ran.
    let offline = json(&data_env, &["invite", "create", "--count", "2", "--json"]).await;
    assert_eq!(offline["codes"].as_array().unwrap().len(), 2);

    let mut c = common::config(&dir);
    c.registration = mycase_server::operator::config::RegistrationMode::Invite;
    let server = mycase_server::start(c).await.unwrap();

    // Running: through the admin socket (sled is locked by the server).
    let online = json(
        &data_env,
        &[
            "invite",
            "create",
            "--count",
            "3",
            "--expires",
            "2h",
            "--json",
        ],
    )
    .await;
    let codes: Vec<String> = online["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    assert_eq!(codes.len(), 3);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let expires = online["expires_at_unix"].as_u64().unwrap();
    assert!(expires > now + 7000 && expires <= now + 7200 + 5);
    register_with(&server, &codes[0]).await.unwrap();
    register_with(&server, offline["codes"][0].as_str().unwrap())
        .await
        .unwrap();

    // Two accounts: too few to show.
    let stats = json(&data_env, &["stats", "--json"]).await;
    assert_eq!(stats["accounts"], "<5");
    assert_eq!(stats["active_accounts_30d"], "<5");
    assert_eq!(stats["devices"], "<5");
    assert_eq!(stats["shares_created"], "<5");
    assert_eq!(stats["stored_bytes"], 0);
    let human = ok(&run(&data_env, &["stats"]).await, "stats");
    assert!(human.contains("accounts: fewer than 5"), "{human}");
    assert!(!human.contains(": 2"), "{human}");
    // Five: shown.
    for code in [&codes[1], &codes[2], offline["codes"][1].as_str().unwrap()] {
        register_with(&server, code).await.unwrap();
    }
    let stats = json(&data_env, &["stats", "--json"]).await;
    assert_eq!(stats["accounts"], 5);
    assert_eq!(stats["devices"], 5);

    let backups = tempfile::tempdir().unwrap();
    let backup = backups.path().join("mycase.backup");
    let b = backup.to_str().unwrap();
    ok(&run(&data_env, &["backup", "--out", b]).await, "backup");
    assert!(tree_bytes(&backup) > 0);
    let human = ok(&run(&data_env, &["stats"]).await, "stats");
    assert!(human.contains("accounts: 5"), "{human}");
    assert!(human.contains("rounded to the nearest 5"), "{human}");

    // Restore refuses while the server runs.
    let busy = run(&data_env, &["restore", b]).await;
    assert!(!busy.status.success());
    server.shutdown().await.unwrap();

    // Offline stats, then a restore of the backup into a new directory.
    assert_eq!(json(&data_env, &["stats", "--json"]).await["accounts"], 5);
    let fresh = tempfile::tempdir().unwrap();
    let f = fresh.path().to_str().unwrap();
    ok(
        &run(&[("MYCASE_DATA_DIR", f)], &["restore", b]).await,
        "restore",
    );
    let restored = json(&[("MYCASE_DATA_DIR", f)], &["stats", "--json"]).await;
    assert_eq!(restored["accounts"], 5);
    assert_eq!(restored["devices"], 5);
}
