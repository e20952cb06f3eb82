#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `mycase recovery-kit renew` and `mycase passphrase` as a survivor runs them: the
//! old kit stops working, and a passphrase change moves the device to new keys.

use crate::common;

use std::process::Command;

use common::{mycase, ok_json, output, run, server_args, start_server};

fn with_env(mut cmd: Command, key: &str, value: &str) -> Command {
    cmd.env(key, value);
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn renewing_the_kit_retires_the_old_one_and_a_passphrase_change_moves_keys() {
    let data = tempfile::tempdir().unwrap();
    let server = start_server(data.path(), |_| {}).await;
    let [url, ca] = server_args(&server);
    let homes = tempfile::tempdir().unwrap();
    let laptop = homes.path().join("laptop");
    let init = ok_json(
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
    let old_kit = init["recovery_kit"].as_str().unwrap().to_string();

    // A wrong kit renews nothing.
    let wrong = output(with_env(
        mycase(Some(&laptop), &["recovery-kit", "renew", "--json"]),
        "MYCASE_RECOVERY_KIT",
        "AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAA",
    ))
    .await;
    assert!(!wrong.status.success());

    let renewed = output(with_env(
        mycase(Some(&laptop), &["recovery-kit", "renew", "--json"]),
        "MYCASE_RECOVERY_KIT",
        &old_kit,
    ))
    .await;
    assert!(
        renewed.status.success(),
        "{}",
        String::from_utf8_lossy(&renewed.stderr)
    );
    let renewed: serde_json::Value = serde_json::from_slice(&renewed.stdout).unwrap();
    assert_eq!(renewed["journal_updated"], true);
    let new_kit = renewed["recovery_kit"].as_str().unwrap().to_string();
    assert_ne!(new_kit, old_kit);

    // The old kit cannot set up a device any more; the new one can.
    let recover = |home: std::path::PathBuf, kit: String| {
        let (url, ca) = (url.clone(), ca.clone());
        async move {
            output(with_env(
                mycase(
                    Some(&home),
                    &["recover", "--server", &url, "--ca-cert", &ca, "--json"],
                ),
                "MYCASE_RECOVERY_KIT",
                &kit,
            ))
            .await
        }
    };
    let refused = recover(homes.path().join("old"), old_kit).await;
    assert!(!refused.status.success());
    assert!(!homes.path().join("old").join("keys").exists());
    let back = recover(homes.path().join("new"), new_kit).await;
    assert!(
        back.status.success(),
        "{}",
        String::from_utf8_lossy(&back.stderr)
    );

    // A passphrase change moves the laptop to a new device id.
    let before = ok_json(&laptop, &["devices", "--json"]).await;
    let me_before = before
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["this_device"] == true)
        .unwrap()["device_id"]
        .clone();
    let changed = output(with_env(
        mycase(Some(&laptop), &["passphrase", "--json"]),
        "MYCASE_NEW_PASSPHRASE",
        "another long passphrase",
    ))
    .await;
    assert!(
        changed.status.success(),
        "{}",
        String::from_utf8_lossy(&changed.stderr)
    );
    let changed: serde_json::Value = serde_json::from_slice(&changed.stdout).unwrap();
    assert_eq!(changed["keys_replaced"], true);
    assert_ne!(changed["device_id"], me_before);
    let after = output(with_env(
        mycase(Some(&laptop), &["devices", "--json"]),
        "MYCASE_PASSPHRASE",
        "another long passphrase",
    ))
    .await;
    assert!(after.status.success());
    let after: serde_json::Value = serde_json::from_slice(&after.stdout).unwrap();
    let old_row = after
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["device_id"] == me_before)
        .unwrap();
    assert_eq!(old_row["revoked"], true);
    // The old passphrase no longer opens the home.
    assert!(!run(&laptop, &["list"]).await.status.success());
    server.shutdown().await.unwrap();
}
