#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `mycase init --invite` and `mycase account delete` against a real server
//! that requires invites.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

const PASS: &str = "correct horse battery staple";

async fn run_env(home: &Path, envs: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mycase"));
    cmd.arg("--home")
        .arg(home)
        .args(args)
        .env_remove("MYCASE_HOME")
        .env_remove("MYCASE_PASSPHRASE")
        .env_remove("MYCASE_INVITE")
        .env_remove("MYCASE_RECOVERY_KIT")
        .stdin(Stdio::null());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

fn json_of(out: &Output, what: &str) -> Value {
    assert!(
        out.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn invite_then_delete_account_wipes_every_device() {
    let data = tempfile::tempdir().unwrap();
    let server = mycase_server::start({
        let mut c = mycase_server::ServerConfig::new(data.path());
        c.listen = "127.0.0.1:0".parse().unwrap();
        c.registration = mycase_server::operator::config::RegistrationMode::Invite;
        c
    })
    .await
    .unwrap();
    let url = server.url();
    let ca = server.ca_cert_path().to_str().unwrap().to_string();
    let mut admin = mycase_server::operator::admin::connect(&data.path().join("admin.sock"))
        .await
        .unwrap();
    let code = admin
        .create_invites(mycase_proto::v1::CreateInvitesRequest {
            count: 1,
            valid_for_seconds: 600,
        })
        .await
        .unwrap()
        .into_inner()
        .codes
        .remove(0);

    let homes = tempfile::tempdir().unwrap();
    let (laptop, phone) = (homes.path().join("laptop"), homes.path().join("phone"));
    let pass = [("MYCASE_PASSPHRASE", PASS)];

    // Without a code: a clear refusal, nothing set up.
    let refused = run_env(
        &laptop,
        &pass,
        &["init", "--server", &url, "--ca-cert", &ca],
    )
    .await;
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("invitation only"), "{stderr}");
    assert!(!laptop.exists());

    // With the code (from the environment): set up.
    let init = json_of(
        &run_env(
            &laptop,
            &[("MYCASE_PASSPHRASE", PASS), ("MYCASE_INVITE", &code)],
            &["init", "--server", &url, "--ca-cert", &ca, "--json"],
        )
        .await,
        "init",
    );
    let kit = init["recovery_kit"].as_str().unwrap().to_string();
    json_of(
        &run_env(&laptop, &pass, &["add", "--text", "an entry", "--json"]).await,
        "add",
    );
    json_of(&run_env(&laptop, &pass, &["sync", "--json"]).await, "sync");
    // A second device of the same account, through the recovery kit.
    json_of(
        &run_env(
            &phone,
            &[("MYCASE_PASSPHRASE", PASS), ("MYCASE_RECOVERY_KIT", &kit)],
            &["recover", "--server", &url, "--ca-cert", &ca, "--json"],
        )
        .await,
        "recover",
    );

    // Without --yes it asks (stdin is empty here): nothing is deleted.
    let unconfirmed = run_env(&laptop, &pass, &["account", "delete"]).await;
    assert!(!unconfirmed.status.success());
    assert!(laptop.exists());
    // A wrong passphrase: nothing is deleted.
    let wrong = run_env(
        &laptop,
        &[("MYCASE_PASSPHRASE", "not it")],
        &["account", "delete", "--yes"],
    )
    .await;
    assert!(!wrong.status.success());
    assert!(laptop.exists());
    json_of(&run_env(&phone, &pass, &["sync", "--json"]).await, "sync");

    let deleted = json_of(
        &run_env(&laptop, &pass, &["account", "delete", "--yes", "--json"]).await,
        "account delete",
    );
    assert_eq!(deleted["account_deleted"], true);
    assert_eq!(deleted["device_wiped"], true);
    assert!(!laptop.exists());

    // The phone's next sync is told, and it wipes itself.
    let told = run_env(&phone, &pass, &["sync"]).await;
    assert!(!told.status.success());
    let stderr = String::from_utf8_lossy(&told.stderr);
    assert!(
        stderr.contains("deleted from the server by one of its devices"),
        "{stderr}"
    );
    assert!(
        stderr.contains("MyCase has been removed from this device"),
        "{stderr}"
    );
    assert!(!mycase_core::key_file_path(&phone).exists());
    let mut left = Vec::new();
    let mut stack = vec![phone.clone()];
    while let Some(p) = stack.pop() {
        if let Ok(rd) = std::fs::read_dir(&p) {
            stack.extend(rd.flatten().map(|e| e.path()));
        } else if p.exists() {
            left.push(p);
        }
    }
    assert!(left.is_empty(), "left on the phone: {left:?}");

    server.shutdown().await.unwrap();
    let stats = {
        let s =
            mycase_server::SledStore::open(&data.path().join("db"), &data.path().join("chunks"))
                .unwrap();
        let st = mycase_server::operator::admin::stats(&s).unwrap();
        mycase_server::store::OperatorStore::close(&s).unwrap();
        st
    };
    assert_eq!(
        (stats.accounts, stats.devices, stats.stored_bytes),
        (0, 0, 0)
    );
}
