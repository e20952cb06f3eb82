//! The charity's side over a real TLS server: invite-only registration, quotas
//! and rate limits, account erasure, the admin socket (invites, stats, backup),
//! restore with erasure tombstones.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use mycase_tests::server::grpc as common;

use std::path::Path;

use common::{assert_code, channel, genesis, hash_of, random, register_request, with_token};
use common::{start_with, Device, RawServer};
use ed25519_dalek::SigningKey;
use mycase_proto::v1::account_client::AccountClient;
use mycase_proto::v1::blobs_client::BlobsClient;
use mycase_proto::v1::{
    AuthenticateRequest, ChallengeRequest, CreateInvitesRequest, DeleteAccountRequest,
    PutChunkRequest, StatsRequest,
};
use mycase_proto::MAX_MESSAGE_BYTES;
use mycase_server::operator::config::RegistrationMode;
use mycase_server::operator::{admin, backup};
use mycase_server::store::{AccountStore, OperatorStore, SledStore};
use mycase_server::{RunningServer, ServerConfig};
use rand::rngs::OsRng;
use tonic::Code;

async fn account_client(server: &RunningServer) -> AccountClient<tonic::transport::Channel> {
    AccountClient::new(channel(server).await)
}

async fn blobs(server: &RunningServer) -> BlobsClient<tonic::transport::Channel> {
    BlobsClient::new(channel(server).await)
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(usize::MAX)
}

async fn put_chunks(
    device: &Device,
    server: &RunningServer,
    chunks: Vec<([u8; 32], Vec<u8>)>,
) -> Result<u64, tonic::Status> {
    let stream = tokio_stream::iter(chunks.into_iter().map(|(a, sealed)| PutChunkRequest {
        address: a.to_vec(),
        sealed,
    }));
    blobs(server)
        .await
        .put_chunks(with_token(stream, &device.token))
        .await
        .map(|r| r.into_inner().stored)
}

/// Registers with `invite_code`; returns the ids on success.
async fn register_with_code(
    server: &RunningServer,
    invite_code: &str,
) -> Result<[u8; 16], tonic::Status> {
    let account_id: [u8; 16] = random();
    let key = SigningKey::generate(&mut OsRng);
    let mut req = register_request(&account_id, &random::<16>(), &key);
    req.invite_code = invite_code.to_string();
    account_client(server).await.register(req).await?;
    Ok(account_id)
}

fn stats_of(dir: &Path) -> mycase_proto::v1::StatsResponse {
    let s = SledStore::open(&dir.join("db"), &dir.join("chunks")).unwrap();
    let stats = admin::stats(&s).unwrap();
    s.close().unwrap();
    stats
}

#[tokio::test]
async fn invite_only_registration() {
    let dir = tempfile::tempdir().unwrap();
    // An invite that expired before the server started, written offline.
    {
        let s = SledStore::open(&dir.path().join("db"), &dir.path().join("chunks")).unwrap();
        s.add_invite(
            &mycase_server::access::invites::hash("EXPI-REDC-ODEX-XXXX"),
            1,
        )
        .unwrap();
        s.close().unwrap();
    }
    let mut c = common::config(&dir);
    c.registration = RegistrationMode::Invite;
    let server = mycase_server::start(c).await.unwrap();

    let mut admin_client = admin::connect(&dir.path().join(admin::SOCKET_NAME))
        .await
        .unwrap();
    let made = admin_client
        .create_invites(CreateInvitesRequest {
            count: 2,
            valid_for_seconds: 3600,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(made.codes.len(), 2);

    let no_code = assert_code(
        register_with_code(&server, "").await,
        Code::PermissionDenied,
    );
    assert!(no_code.message().contains("invitation only"), "{no_code:?}");
    let wrong = assert_code(
        register_with_code(&server, "AAAA-BBBB-CCCC-DDDD").await,
        Code::PermissionDenied,
    );
    assert!(wrong.message().contains("invite code"), "{wrong:?}");
    assert_code(
        register_with_code(&server, "EXPI-REDC-ODEX-XXXX").await,
        Code::PermissionDenied,
    );

    // A code works once, typed sloppily too.
    let sloppy = made.codes[0].to_lowercase().replace('-', " ");
    register_with_code(&server, &sloppy).await.unwrap();
    assert_code(
        register_with_code(&server, &made.codes[0]).await,
        Code::PermissionDenied,
    );
    register_with_code(&server, &made.codes[1]).await.unwrap();
    server.shutdown().await.unwrap();

    // Exactly the two invited accounts exist: the refusals stored nothing.
    assert_eq!(stats_of(dir.path()).accounts, 2);
}

#[tokio::test]
async fn open_registration_ignores_codes() {
    let t = start_with(|_| {}).await;
    register_with_code(&t.server, "").await.unwrap();
    register_with_code(&t.server, "ANY-THING").await.unwrap();
    t.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn storage_quota_refuses_and_keeps_what_was_stored() {
    let t = start_with(|c| {
        c.quotas.storage_bytes_per_account = 2_000;
    })
    .await;
    let mut d = Device::register(&t.server).await;
    let recs = common::make_records(&d.account_id, &d.device_id, &d.key, 0, genesis(), 3, 300);
    let last = hash_of(&d.account_id, recs.last().unwrap());
    d.append(recs).await.unwrap();
    // Over the quota: refused with a message naming the limit.
    let big = common::make_records(&d.account_id, &d.device_id, &d.key, 3, last, 2, 700);
    let status = assert_code(d.append(big).await, Code::ResourceExhausted);
    assert!(status.message().contains("storage quota"), "{status:?}");
    assert_eq!(d.vector().await, vec![(d.device_id.to_vec(), 3)]);
    // Chunks count against the same quota.
    let refused = assert_code(
        put_chunks(&d, &t.server, vec![([7; 32], vec![1; 1_500])]).await,
        Code::ResourceExhausted,
    );
    assert!(refused.message().contains("storage quota"));
    let mut b = blobs(&t.server).await;
    let have = b
        .have_chunks(with_token(
            mycase_proto::v1::HaveChunksRequest {
                addresses: vec![vec![7; 32]],
            },
            &d.token,
        ))
        .await
        .unwrap()
        .into_inner()
        .present;
    assert_eq!(have, vec![false]);
    // What fits still goes in.
    put_chunks(&d, &t.server, vec![([8; 32], vec![1; 100])])
        .await
        .unwrap();
    assert_eq!(d.pull_all().await.len(), 3);
    t.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn record_and_upload_size_limits() {
    let t = start_with(|c| {
        c.quotas.max_record_bytes = 500;
        c.quotas.max_upload_bytes = 1_000;
    })
    .await;
    let mut d = Device::register(&t.server).await;
    let big = common::make_records(&d.account_id, &d.device_id, &d.key, 0, genesis(), 1, 501);
    let status = assert_code(d.append(big).await, Code::ResourceExhausted);
    assert!(status.message().contains("record too large"), "{status:?}");
    assert!(d.vector().await.is_empty());
    let ok = common::make_records(&d.account_id, &d.device_id, &d.key, 0, genesis(), 1, 500);
    d.append(ok).await.unwrap();

    let status = assert_code(
        put_chunks(
            &d,
            &t.server,
            vec![([1; 32], vec![0; 600]), ([2; 32], vec![0; 600])],
        )
        .await,
        Code::ResourceExhausted,
    );
    assert!(
        status.message().contains("attachment too large"),
        "{status:?}"
    );
    t.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn devices_per_account_limit() {
    let t = start_with(|c| c.quotas.devices_per_account = 2).await;
    let mut first = Device::register(&t.server).await;
    let _second = first.add_device(&t.server).await;
    let req = first.authed(mycase_proto::v1::AddDeviceRequest {
        device_id: random::<16>().to_vec(),
        sign_public_key: SigningKey::generate(&mut OsRng)
            .verifying_key()
            .to_bytes()
            .to_vec(),
        dh_public_key: random::<32>().to_vec(),
    });
    let status = assert_code(first.account.add_device(req).await, Code::ResourceExhausted);
    assert!(status.message().contains("device limit"), "{status:?}");
    let listed = first
        .account
        .list_devices(first.authed(mycase_proto::v1::ListDevicesRequest {}))
        .await
        .unwrap()
        .into_inner()
        .devices;
    assert_eq!(listed.len(), 2);
    t.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn rate_limits_per_address_and_account() {
    let t = start_with(|c| {
        c.rate_limits.auth_per_address = 4;
        c.rate_limits.appends_per_account = 2;
        c.rate_limits.uploads_per_account = 2;
    })
    .await;
    // register + challenge + authenticate = 3 of the 4 auth calls.
    let mut d = Device::register(&t.server).await;
    let mut client = account_client(&t.server).await;
    client
        .challenge(ChallengeRequest {
            device_id: d.device_id.to_vec(),
        })
        .await
        .unwrap();
    let status = assert_code(
        client
            .challenge(ChallengeRequest {
                device_id: d.device_id.to_vec(),
            })
            .await,
        Code::ResourceExhausted,
    );
    assert!(status.message().contains("rate limit"), "{status:?}");

    let r1 = d.records(0, genesis(), 1);
    let h1 = hash_of(&d.account_id, &r1[0]);
    d.append(r1).await.unwrap();
    let r2 = d.records(1, h1, 1);
    let h2 = hash_of(&d.account_id, &r2[0]);
    d.append(r2).await.unwrap();
    let status = assert_code(d.append(d.records(2, h2, 1)).await, Code::ResourceExhausted);
    assert!(status.message().contains("appends"), "{status:?}");
    assert_eq!(d.vector().await, vec![(d.device_id.to_vec(), 2)]);

    let status = assert_code(
        put_chunks(
            &d,
            &t.server,
            vec![
                ([1; 32], vec![0; 20]),
                ([2; 32], vec![0; 20]),
                ([3; 32], vec![0; 20]),
            ],
        )
        .await,
        Code::ResourceExhausted,
    );
    assert!(status.message().contains("uploads"), "{status:?}");
    t.server.shutdown().await.unwrap();
}

/// Every occurrence of `needle` in any file under `dir`, by path.
fn files_containing(dir: &Path, needle: &[u8]) -> Vec<String> {
    let mut hits = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            for e in std::fs::read_dir(&p).unwrap() {
                stack.push(e.unwrap().path());
            }
        } else if let Ok(bytes) = std::fs::read(&p) {
            if bytes.windows(needle.len()).any(|w| w == needle) {
                hits.push(p.display().to_string());
            }
        }
        if p.file_name().is_some_and(|n| {
            n.to_string_lossy()
                .contains(&hex::encode(needle).to_string())
        }) {
            hits.push(format!("name: {}", p.display()));
        }
    }
    hits
}

#[tokio::test]
async fn delete_account_leaves_no_trace_and_tells_other_devices() {
    let RawServer { server, dir } = start_with(|_| {}).await;
    let mut keep = Device::register(&server).await;
    let recs = keep.records(0, genesis(), 2);
    keep.append(recs).await.unwrap();

    let mut gone = Device::register(&server).await;
    let mut other = gone.add_device(&server).await;
    let recs = gone.records(0, genesis(), 3);
    gone.append(recs).await.unwrap();
    put_chunks(&gone, &server, vec![([5; 32], vec![9; 64])])
        .await
        .unwrap();
    let device_keys = [
        gone.key.verifying_key().to_bytes(),
        other.key.verifying_key().to_bytes(),
    ];

    // Not without the deleting device's signed statement, nor with one by
    // another key or about another account: nothing is erased.
    let bare = gone.authed(DeleteAccountRequest::default());
    assert_code(
        gone.account.delete_account(bare).await,
        Code::InvalidArgument,
    );
    let forged = common::sign_statement(
        &other.key,
        mycase_proto::v1::device_statement::Kind::AccountDeleted,
        &gone.account_id,
        &[],
        &gone.device_id,
    );
    let req = gone.authed(DeleteAccountRequest {
        statement: Some(forged),
    });
    assert_code(
        gone.account.delete_account(req).await,
        Code::InvalidArgument,
    );
    let elsewhere = common::sign_statement(
        &gone.key,
        mycase_proto::v1::device_statement::Kind::AccountDeleted,
        &keep.account_id,
        &[],
        &gone.device_id,
    );
    let req = gone.authed(DeleteAccountRequest {
        statement: Some(elsewhere),
    });
    assert_code(
        gone.account.delete_account(req).await,
        Code::InvalidArgument,
    );
    assert_eq!(gone.vector().await.len(), 1, "nothing was erased");

    let req = gone.delete_request();
    gone.account.delete_account(req).await.unwrap();

    // The other device's session is gone, and logging in again says why.
    assert_code(
        other
            .sync
            .get_vector(other.authed(mycase_proto::v1::GetVectorRequest {}))
            .await,
        Code::Unauthenticated,
    );
    let status = assert_code(other.login().await, Code::NotFound);
    assert_eq!(status.message(), "this account was deleted");
    // With the deleting device's statement, which the other device checks itself.
    let statement = common::verified_statement(&status, &gone.key);
    assert_eq!(
        (statement.account_id, statement.author_device_id),
        (gone.account_id.to_vec(), gone.device_id.to_vec())
    );

    // The untouched account still works.
    assert_eq!(keep.pull_all().await.len(), 2);

    // Nothing of the account remains in the server's files, running or stopped
    // (the tombstones' statement is sealed under the erased ids themselves).
    server.shutdown().await.unwrap();
    for needle in [
        &gone.account_id[..],
        &gone.device_id[..],
        &other.device_id[..],
        &device_keys[0][..],
        &device_keys[1][..],
    ] {
        let hits = files_containing(dir.path(), needle);
        assert!(hits.is_empty(), "found in {hits:?}");
        let hex_hits = files_containing(dir.path(), hex::encode(needle).as_bytes());
        assert!(hex_hits.is_empty(), "hex found in {hex_hits:?}");
    }
    assert!(!dir
        .path()
        .join("chunks")
        .join(hex::encode(gone.account_id))
        .exists());
    // The kept account's data is still there.
    assert!(!files_containing(dir.path(), &keep.account_id).is_empty());
    let stats = stats_of(dir.path());
    assert_eq!((stats.accounts, stats.devices), (1, 1));
}

#[tokio::test]
async fn stats_count_without_identifying() {
    let RawServer { server, dir } = start_with(|_| {}).await;
    let mut a = Device::register(&server).await;
    let _a2 = a.add_device(&server).await;
    let mut b = Device::register(&server).await;
    let recs = b.records(0, genesis(), 2);
    let bytes: u64 = recs
        .iter()
        .map(|r| prost::Message::encoded_len(r) as u64)
        .sum();
    b.append(recs).await.unwrap();
    put_chunks(&b, &server, vec![([1; 32], vec![0; 100])])
        .await
        .unwrap();
    let mut client = admin::connect(&dir.path().join(admin::SOCKET_NAME))
        .await
        .unwrap();
    let s = client.stats(StatsRequest {}).await.unwrap().into_inner();
    assert_eq!(s.accounts, 2);
    assert_eq!(s.active_accounts_30d, 2);
    assert_eq!(s.devices, 3);
    assert_eq!(s.stored_bytes, bytes + 100);
    server.shutdown().await.unwrap();
}

#[cfg(unix)]
#[tokio::test]
async fn admin_socket_is_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let RawServer { server, dir } = start_with(|_| {}).await;
    let mode = std::fs::metadata(dir.path().join(admin::SOCKET_NAME))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let dir_mode = std::fs::metadata(dir.path()).unwrap().permissions().mode();
    assert_eq!(dir_mode & 0o077, 0);
    server.shutdown().await.unwrap();
    assert!(!dir.path().join(admin::SOCKET_NAME).exists());
}

async fn backup_via_socket(dir: &Path, out: &Path) {
    let mut client = admin::connect(&dir.join(admin::SOCKET_NAME)).await.unwrap();
    let mut stream = client
        .backup(mycase_proto::v1::BackupRequest {})
        .await
        .unwrap()
        .into_inner();
    let mut bytes = Vec::new();
    while let Some(piece) = stream.message().await.unwrap() {
        bytes.extend_from_slice(&piece.data);
    }
    std::fs::write(out, bytes).unwrap();
    backup::verify(out).unwrap();
}

async fn restart(dir: &tempfile::TempDir) -> RunningServer {
    let c: ServerConfig = common::config(dir);
    mycase_server::start(c).await.unwrap()
}

#[tokio::test]
async fn backup_while_running_then_restore_with_tombstones() {
    let RawServer { server, dir } = start_with(|_| {}).await;
    let mut a = Device::register(&server).await;
    let recs = a.records(0, genesis(), 4);
    a.append(recs).await.unwrap();
    put_chunks(&a, &server, vec![([3; 32], vec![7; 256])])
        .await
        .unwrap();
    let mut b = Device::register(&server).await;
    let recs = b.records(0, genesis(), 2);
    b.append(recs).await.unwrap();
    let a_records = a.pull_all().await;

    let backups = tempfile::tempdir().unwrap();
    let file = backups.path().join("mycase.backup");
    backup_via_socket(dir.path(), &file).await;

    // After the backup: b is erased, a writes more.
    b.account.delete_account(b.delete_request()).await.unwrap();
    server.shutdown().await.unwrap();

    // A damaged file is refused and changes nothing.
    let damaged = backups.path().join("damaged.backup");
    let mut bytes = std::fs::read(&file).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&damaged, &bytes).unwrap();
    assert!(backup::restore(&damaged, dir.path(), 8 << 20).is_err());

    // Restore the older backup into the same (stopped) data directory.
    let erased = backup::restore(&file, dir.path(), 8 << 20).unwrap();
    assert_eq!(erased, 1, "the tombstone erased b again");
    let server = restart(&dir).await;
    a.account = account_client(&server).await;
    a.sync = mycase_proto::v1::sync_client::SyncClient::new(channel(&server).await)
        .max_decoding_message_size(MAX_MESSAGE_BYTES);
    // Sessions are not in backups: log in again, then everything is there.
    a.login().await.unwrap();
    assert_eq!(a.pull_all().await, a_records);
    let mut chunks = blobs(&server).await;
    let got = chunks
        .have_chunks(with_token(
            mycase_proto::v1::HaveChunksRequest {
                addresses: vec![vec![3; 32]],
            },
            &a.token,
        ))
        .await
        .unwrap()
        .into_inner()
        .present;
    assert_eq!(got, vec![true]);
    // b stays erased, and is told so.
    b.account = account_client(&server).await;
    let status = assert_code(b.login().await, Code::NotFound);
    assert_eq!(status.message(), "this account was deleted");
    common::verified_statement(&status, &b.key);
    server.shutdown().await.unwrap();
    assert!(files_containing(dir.path(), &b.account_id).is_empty());

    // Restoring into an empty directory works too (a new machine).
    let fresh = tempfile::tempdir().unwrap();
    backup::restore(&file, fresh.path(), 8 << 20).unwrap();
    let stats = stats_of(fresh.path());
    assert_eq!(
        stats.accounts, 2,
        "without newer tombstones, the backup is as taken"
    );
}

#[tokio::test]
async fn erased_device_cannot_authenticate_with_a_fresh_challenge() {
    let RawServer { server, dir: _dir } = start_with(|_| {}).await;
    let mut d = Device::register(&server).await;
    d.account.delete_account(d.delete_request()).await.unwrap();
    let mut client = account_client(&server).await;
    let challenge = client
        .challenge(ChallengeRequest {
            device_id: d.device_id.to_vec(),
        })
        .await
        .unwrap()
        .into_inner()
        .challenge;
    use ed25519_dalek::Signer;
    let sig = d
        .key
        .sign(&mycase_proto::wire::auth_message(&d.device_id, &challenge));
    let status = assert_code(
        client
            .authenticate(AuthenticateRequest {
                device_id: d.device_id.to_vec(),
                challenge,
                signature: sig.to_bytes().to_vec(),
            })
            .await,
        Code::NotFound,
    );
    assert_eq!(status.message(), "this account was deleted");
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_taken_during_appends_is_consistent() {
    let RawServer { server, dir } = start_with(|c| {
        c.rate_limits.appends_per_account = 0;
        c.rate_limits.appends_per_address = 0;
    })
    .await;
    let mut d = Device::register(&server).await;
    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    let writer = {
        let mut d2 = Device {
            account_id: d.account_id,
            device_id: d.device_id,
            key: d.key.clone(),
            token: d.token.clone(),
            account: d.account.clone(),
            sync: d.sync.clone(),
        };
        tokio::spawn(async move {
            let (mut idx, mut prev) = (0u64, genesis());
            let mut appended = 0u64;
            while !*stop_rx.borrow_and_update() {
                let recs = d2.records(idx, prev, 5);
                prev = hash_of(&d2.account_id, recs.last().unwrap());
                idx += 5;
                d2.append(recs).await.unwrap();
                appended += 1;
            }
            appended
        })
    };
    let backups = tempfile::tempdir().unwrap();
    let file = backups.path().join("during.backup");
    // Several backups while the log grows; keep the last.
    for _ in 0..3 {
        backup_via_socket(dir.path(), &file).await;
    }
    stop_tx.send(true).unwrap();
    assert!(writer.await.unwrap() > 0);
    server.shutdown().await.unwrap();

    let fresh = tempfile::tempdir().unwrap();
    backup::restore(&file, fresh.path(), 8 << 20).unwrap();
    let server = restart(&fresh).await;
    d.account = account_client(&server).await;
    d.sync = mycase_proto::v1::sync_client::SyncClient::new(channel(&server).await)
        .max_decoding_message_size(MAX_MESSAGE_BYTES);
    d.login().await.unwrap();
    // Every record up to the restored head is there, in one unbroken chain.
    let head = d.vector().await.first().map_or(0, |(_, idx)| *idx);
    let records = d.pull_all().await;
    assert_eq!(records.len() as u64, head);
    let mut prev = genesis();
    for r in &records {
        assert_eq!(r.prev_hash, prev.to_vec());
        prev = hash_of(&d.account_id, r);
    }
    server.shutdown().await.unwrap();
}
