//! Record receipts: signed by the server's long-term key, served with the key,
//! the original one returned on a re-send, and carried by pulled records.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mycase_tests::server::grpc as common;

use common::*;
use ed25519_dalek::{Signature, VerifyingKey};
use mycase_proto::v1::server_info_client::ServerInfoClient;
use mycase_proto::v1::{GetServerKeyRequest, Receipt, Record};
use mycase_proto::wire;

async fn served_key(t: &RawServer) -> VerifyingKey {
    let mut client = ServerInfoClient::new(channel(&t.server).await);
    // Unauthenticated: no token on the request.
    let key = client
        .get_server_key(GetServerKeyRequest {})
        .await
        .unwrap()
        .into_inner()
        .public_key;
    assert_eq!(key.as_slice(), t.server.server_public_key().as_slice());
    VerifyingKey::from_bytes(key.as_slice().try_into().unwrap()).unwrap()
}

fn check(key: &VerifyingKey, account_id: &[u8], r: &Record, receipt: &Receipt) -> bool {
    let message = wire::receipt_message(
        account_id,
        &r.device_id,
        r.idx,
        &hash_of(account_id, r),
        receipt.server_time_ms,
    );
    let Ok(sig) = Signature::from_slice(&receipt.signature) else {
        return false;
    };
    key.verify_strict(&message, &sig).is_ok()
}

#[tokio::test]
async fn appended_records_get_receipts_under_the_served_key() {
    let t = start().await;
    let key = served_key(&t).await;
    let mut a = Device::register(&t.server).await;
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let recs = a.records(0, genesis(), 3);
    let resp = a.append(recs.clone()).await.unwrap();
    assert_eq!(resp.receipts.len(), 3);
    for (r, receipt) in recs.iter().zip(&resp.receipts) {
        assert!(receipt.server_time_ms >= before);
        assert!(check(&key, &a.account_id, r, receipt));
        // Bound to the record: not valid for another idx, time or account.
        let mut moved = r.clone();
        moved.idx += 1;
        assert!(!check(&key, &a.account_id, &moved, receipt));
        let mut later = receipt.clone();
        later.server_time_ms += 1;
        assert!(!check(&key, &a.account_id, r, &later));
        assert!(!check(&key, &[0; 16], r, receipt));
    }

    // A re-send (the answer was lost) returns the original receipts, not new ones.
    let again = a.append(recs.clone()).await.unwrap();
    assert_eq!(again.receipts, resp.receipts);
    // Partly new: the old ones as they were, the new one fresh and valid.
    let more = a.records(3, hash_of(&a.account_id, &recs[2]), 1);
    let mixed = a
        .append([recs[2..].to_vec(), more.clone()].concat())
        .await
        .unwrap();
    assert_eq!(mixed.receipts[0], resp.receipts[2]);
    assert!(check(&key, &a.account_id, &more[0], &mixed.receipts[1]));

    // Pulled records carry their receipts, one per record in the same order,
    // for every device's log.
    let mut b = a.add_device(&t.server).await;
    let rb = b.records(0, genesis(), 2);
    let b_receipts = b.append(rb.clone()).await.unwrap().receipts;
    let pages = b.pull_pages(Vec::new(), 2).await;
    let mut pulled = Vec::new();
    for p in &pages {
        assert_eq!(p.receipts.len(), p.records.len());
        pulled.extend(p.records.iter().cloned().zip(p.receipts.iter().cloned()));
    }
    assert_eq!(pulled.len(), 6);
    for (r, receipt) in &pulled {
        assert!(check(&key, &a.account_id, r, receipt));
        if r.device_id == b.device_id {
            assert_eq!(receipt, &b_receipts[(r.idx - 1) as usize]);
        } else if r.idx <= 3 {
            assert_eq!(receipt, &resp.receipts[(r.idx - 1) as usize]);
        }
    }
    t.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_key_and_receipts_survive_a_restart() {
    let t = start().await;
    let key = served_key(&t).await;
    let mut a = Device::register(&t.server).await;
    let recs = a.records(0, genesis(), 2);
    let first = a.append(recs.clone()).await.unwrap().receipts;
    let RawServer { server, dir } = t;
    let addr = server.addr();
    server.shutdown().await.unwrap();
    let mut c = config(&dir);
    c.listen = addr;
    let server = mycase_server::start(c).await.unwrap();
    let t = RawServer { server, dir };
    assert_eq!(served_key(&t).await, key);
    let mut a2 = Device {
        account: mycase_proto::v1::account_client::AccountClient::new(channel(&t.server).await),
        sync: mycase_proto::v1::sync_client::SyncClient::new(channel(&t.server).await),
        ..a
    };
    a2.login().await.unwrap();
    assert_eq!(a2.append(recs).await.unwrap().receipts, first);
    let key_file = std::fs::read(t.dir.path().join("server-key")).unwrap();
    assert_eq!(key_file.len(), 32);
    t.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn public_key_subcommand_prints_the_key_the_server_serves() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let print = || {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_mycase-server"))
            .args(["public-key", "--data-dir"])
            .arg(&data)
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    let printed = print();
    assert_eq!(printed.len(), 64);
    assert_eq!(print(), printed, "generated once, then the same key");
    let mut c = mycase_server::ServerConfig::new(&data);
    c.listen = "127.0.0.1:0".parse().unwrap();
    let server = mycase_server::start(c).await.unwrap();
    assert_eq!(hex::encode(server.server_public_key()), printed);
    server.shutdown().await.unwrap();
}
