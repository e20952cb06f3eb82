#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Pairing as an abuser sees it (issue 10, attack 11): whoever types the pairing
//! code first gets the request in, and is still not added, because the survivor
//! must type the matching code shown on the device in their hand.

use crate::common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{ok_json, pair_cli, run, server_args, start_server, MYCASE};
use mycase_core::pairing::{PairingCode, PairingError};
use mycase_core::request_grant;
use mycase_core::transport::grpc::GrpcTransport;
use mycase_core::{DeviceSetup, PairingFlowError};

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

/// The abuser, who saw the pairing code over the survivor's shoulder, runs a
/// client of their own and submits a join before the survivor's phone does.
fn abuser_joins_first(
    server: &mycase_server::RunningServer,
    code: &str,
) -> (
    tokio::task::JoinHandle<Result<(), PairingFlowError>>,
    tokio::sync::oneshot::Receiver<String>,
) {
    let [url, ca] = server_args(server);
    let code = PairingCode::parse(code).unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(async move {
        let pem = std::fs::read_to_string(&ca).unwrap();
        let transport = GrpcTransport::connect(&url, Some(&pem)).await.unwrap();
        let setup = DeviceSetup {
            server_url: url,
            ca_cert_pem: Some(pem),
            device_name: "phone".into(),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        request_grant(&transport, &code, &setup, deadline, move |m| {
            let _ = tx.send(m.as_digits());
        })
        .await
        .map(|_| ())
    });
    (task, rx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_device_that_joins_first_with_a_seen_code_is_not_added() {
    let data = tempfile::tempdir().unwrap();
    let server = start_server(data.path(), |_| {}).await;
    let homes = tempfile::tempdir().unwrap();
    let (laptop, phone) = (homes.path().join("laptop"), homes.path().join("phone"));
    init(&server, &laptop).await;
    let before = ok_json(&laptop, &["devices", "--json"]).await;
    assert_eq!(before.as_array().unwrap().len(), 1);

    let mut pair = MYCASE.spawn(&laptop, &["pair", "--json"]);
    let code = pair.next_json().await["code"].as_str().unwrap().to_string();
    let (abuser, abuser_digits) = abuser_joins_first(&server, &code);
    // The laptop receives the abuser's request (calling itself "phone", as the
    // survivor expects), and waits for the survivor.
    let request = pair.next_json().await;
    assert_eq!(request["join_request"]["name"], "phone");
    let abuser_digits = abuser_digits.await.unwrap();

    // The survivor's phone is too late: it says so and sets nothing up.
    let server_pair = server_args(&server);
    let out = run(&phone, &common::join_args(&server_pair, &code, "phone")).await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("someone else already used it"), "{stderr}");
    assert!(!mycase_core::is_initialised(&phone));

    // The survivor's phone shows no matching code, so whatever the survivor types
    // (here, a guess) is not what the abuser's screen shows.
    let wrong: String = abuser_digits
        .chars()
        .map(|c| {
            if c == '9' {
                '0'
            } else {
                char::from(c as u8 + 1)
            }
        })
        .collect();
    pair.type_line(&wrong);
    let out = pair.finish().await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("does not match"), "{stderr}");

    // The abuser is told no and holds no grant (no keys, no account id).
    match abuser.await.unwrap() {
        Err(PairingFlowError::Pairing(PairingError::Refused)) => {}
        other => panic!("the abuser must be refused, got {other:?}"),
    }
    // Neither the journal nor the server has a new device.
    let after = ok_json(&laptop, &["devices", "--json"]).await;
    assert_eq!(
        after, before,
        "the device list (journal and server) is unchanged"
    );

    // With the code no longer in anyone else's sight, the survivor pairs the phone.
    let (joined, _) = pair_cli(&server, &laptop, &phone, "phone").await;
    let devices = ok_json(&laptop, &["devices", "--json"]).await;
    assert_eq!(devices.as_array().unwrap().len(), 2);
    assert!(devices
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["device_id"] == joined["device_id"] && d["trusted"] == true));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refusing_with_enter_adds_nothing_and_tells_the_new_device() {
    let data = tempfile::tempdir().unwrap();
    let server = start_server(data.path(), |_| {}).await;
    let homes = tempfile::tempdir().unwrap();
    let (laptop, phone) = (homes.path().join("laptop"), homes.path().join("phone"));
    init(&server, &laptop).await;
    let before = ok_json(&laptop, &["devices", "--json"]).await;

    let mut pair = MYCASE.spawn(&laptop, &["pair", "--json"]);
    let code = pair.next_json().await["code"].as_str().unwrap().to_string();
    let server_pair = server_args(&server);
    let mut join = MYCASE.spawn(&phone, &common::join_args(&server_pair, &code, "phone"));
    assert_eq!(
        join.next_json().await["matching_code"]
            .as_str()
            .unwrap()
            .len(),
        6
    );
    pair.next_json().await;
    pair.type_line("");
    let out = pair.finish().await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("refused"));
    let out = join.finish().await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("did not confirm this one"), "{stderr}");
    assert!(!mycase_core::is_initialised(&phone));
    assert_eq!(ok_json(&laptop, &["devices", "--json"]).await, before);
}
