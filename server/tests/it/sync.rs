//! Append, pull and watch against a real server over TLS.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mycase_tests::server::grpc as common;

use common::*;
use mycase_proto::v1::{AppendRequest, WatchRequest};
use tonic::Code;

#[tokio::test]
async fn append_then_pull_round_trip() {
    let t = start().await;
    let mut a = Device::register(&t.server).await;
    let recs = a.records(0, genesis(), 5);
    let resp = a.append(recs.clone()).await.unwrap();
    assert_eq!(resp.head, 5);
    let v = resp.vector.unwrap();
    assert_eq!(v.entries.len(), 1);
    assert_eq!(
        (v.entries[0].device_id.as_slice(), v.entries[0].idx),
        (&a.device_id[..], 5)
    );

    // Continue the log in a second batch.
    let more = a.records(5, hash_of(&a.account_id, &recs[4]), 3);
    assert_eq!(a.append(more.clone()).await.unwrap().head, 8);

    let pulled = a.pull_all().await;
    assert_eq!(pulled, [recs, more.clone()].concat());
    // Pull from a vector returns only what is above it.
    let pages = a.pull_pages(vec![(a.device_id.to_vec(), 5)], 0).await;
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0].records, more);
    assert_eq!(pages[0].target.as_ref().unwrap().entries[0].idx, 8);
    // Nothing to send: one empty page carrying the target.
    let pages = a.pull_pages(vec![(a.device_id.to_vec(), 8)], 0).await;
    assert_eq!(pages.len(), 1);
    assert!(pages[0].records.is_empty());
    assert_eq!(pages[0].target.as_ref().unwrap().entries[0].idx, 8);
    t.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn pull_pages_across_devices() {
    let t = start().await;
    let mut a = Device::register(&t.server).await;
    let mut b = a.add_device(&t.server).await;
    let ra = a.records(0, genesis(), 7);
    let rb = b.records(0, genesis(), 4);
    a.append(ra.clone()).await.unwrap();
    b.append(rb.clone()).await.unwrap();

    let pages = a.pull_pages(Vec::new(), 3).await;
    assert_eq!(
        pages.iter().map(|p| p.records.len()).collect::<Vec<_>>(),
        vec![3, 3, 3, 2]
    );
    for p in &pages {
        assert_eq!(p.target.as_ref().unwrap().entries.len(), 2);
    }
    let all: Vec<_> = pages.into_iter().flat_map(|p| p.records).collect();
    let of = |d: &[u8]| {
        all.iter()
            .filter(|r| r.device_id == d)
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(of(&a.device_id), ra);
    assert_eq!(of(&b.device_id), rb);
    // The vector is sorted by device id.
    let v = b.vector().await;
    let mut sorted = v.clone();
    sorted.sort();
    assert_eq!(v, sorted);
    t.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn watch_sees_another_devices_append() {
    let t = start().await;
    let mut a = Device::register(&t.server).await;
    let mut b = a.add_device(&t.server).await;
    let req = a.authed(WatchRequest {});
    let mut watch = a.sync.watch(req).await.unwrap().into_inner();
    let first = watch.message().await.unwrap().unwrap();
    assert!(first.vector.unwrap().entries.is_empty());

    b.append(b.records(0, genesis(), 2)).await.unwrap();
    let next = tokio::time::timeout(LONG, watch.message())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let entries = next.vector.unwrap().entries;
    assert_eq!(entries.len(), 1);
    assert_eq!(
        (entries[0].device_id.as_slice(), entries[0].idx),
        (&b.device_id[..], 2)
    );
    // Shutdown must not hang on the open watch stream.
    tokio::time::timeout(LONG, t.server.shutdown())
        .await
        .unwrap()
        .unwrap();
    assert!(watch.message().await.map_or(true, |m| m.is_none()));
}

#[tokio::test]
async fn identical_retry_succeeds_and_differences_are_refused() {
    let t = start().await;
    let mut a = Device::register(&t.server).await;
    let recs = a.records(0, genesis(), 3);
    a.append(recs.clone()).await.unwrap();

    // A byte-identical retry, whole or partial, is a no-op.
    assert_eq!(a.append(recs.clone()).await.unwrap().head, 3);
    assert_eq!(a.append(recs[1..].to_vec()).await.unwrap().head, 3);
    // A retry overlapping the head and continuing it appends the new part.
    let more = a.records(3, hash_of(&a.account_id, &recs[2]), 2);
    assert_eq!(
        a.append([recs[2..].to_vec(), more.clone()].concat())
            .await
            .unwrap()
            .head,
        5
    );
    let stored = a.pull_all().await;

    // Different bytes at a stored idx.
    let mut changed = recs[1].clone();
    changed.ciphertext[0] ^= 1;
    assert_code(a.append(vec![changed]).await, Code::AlreadyExists);
    // Same record, different signature bytes, is also different.
    let mut resigned = recs[2].clone();
    resigned.signature = Vec::new();
    assert_code(a.append(vec![resigned]).await, Code::AlreadyExists);
    assert_eq!(a.pull_all().await, stored);
    assert_eq!(a.vector().await, vec![(a.device_id.to_vec(), 5)]);
    t.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn gaps_broken_chains_and_bad_records_are_refused() {
    let t = start().await;
    let mut a = Device::register(&t.server).await;
    let recs = a.records(0, genesis(), 2);
    a.append(recs.clone()).await.unwrap();
    let head_hash = hash_of(&a.account_id, &recs[1]);
    let before = a.pull_all().await;

    // Gap: idx 4 after head 2.
    let gap = a.records(3, [7; 32], 1);
    let status = assert_code(a.append(gap).await, Code::FailedPrecondition);
    assert!(status.message().contains("idx 3"), "{}", status.message());

    // Wrong prev_hash for the next idx.
    let wrong_prev = a.records(2, [9; 32], 1);
    assert_code(a.append(wrong_prev).await, Code::FailedPrecondition);

    // Broken chain inside a batch.
    let mut broken = a.records(2, head_hash, 3);
    broken[2].prev_hash = vec![1; 32];
    assert_code(a.append(broken).await, Code::FailedPrecondition);

    // Bad signature.
    let mut bad_sig = a.records(2, head_hash, 2);
    bad_sig[1].signature[0] ^= 1;
    assert_code(a.append(bad_sig).await, Code::InvalidArgument);

    // Unsupported format version, zero key epoch, non-consecutive idx.
    let mut unknown = a.records(2, head_hash, 1);
    unknown[0].format_version = mycase_proto::RECORD_FORMAT_VERSION + 1;
    assert_code(a.append(unknown).await, Code::InvalidArgument);
    let mut epoch0 = a.records(2, head_hash, 1);
    epoch0[0].key_epoch = 0;
    assert_code(a.append(epoch0).await, Code::InvalidArgument);
    let mut skip = a.records(2, head_hash, 2);
    skip[1].idx = 9;
    assert_code(a.append(skip).await, Code::InvalidArgument);

    // Malformed lengths.
    let mut short_id = a.records(2, head_hash, 1);
    short_id[0].device_id.pop();
    assert_code(a.append(short_id).await, Code::InvalidArgument);
    let mut short_nonce = a.records(2, head_hash, 1);
    short_nonce[0].nonce.pop();
    assert_code(a.append(short_nonce).await, Code::InvalidArgument);
    let mut short_prev = a.records(2, head_hash, 1);
    short_prev[0].prev_hash.pop();
    assert_code(a.append(short_prev).await, Code::InvalidArgument);
    let mut odd_sig = a.records(2, head_hash, 1);
    odd_sig[0].signature.pop();
    assert_code(a.append(odd_sig).await, Code::InvalidArgument);
    let huge = make_records(
        &a.account_id,
        &a.device_id,
        &a.key,
        2,
        head_hash,
        1,
        1024 * 1024 + 1,
    );
    assert_code(a.append(huge).await, Code::InvalidArgument);

    assert_eq!(a.pull_all().await, before);
    assert_eq!(a.vector().await, vec![(a.device_id.to_vec(), 2)]);

    // A valid continuation still works afterwards.
    assert_eq!(a.append(a.records(2, head_hash, 1)).await.unwrap().head, 3);
    t.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_device_cannot_append_to_another_devices_log() {
    let t = start().await;
    let mut a = Device::register(&t.server).await;
    let b = a.add_device(&t.server).await;
    let b_recs = b.records(0, genesis(), 1);
    assert_code(a.append(b_recs).await, Code::PermissionDenied);
    // Mixed batch: own record then someone else's.
    let mut mixed = a.records(0, genesis(), 1);
    let mut foreign = b.records(0, genesis(), 1).remove(0);
    foreign.idx = 2;
    mixed.push(foreign);
    assert_code(a.append(mixed).await, Code::PermissionDenied);
    assert!(a.vector().await.is_empty());
    assert!(a.pull_all().await.is_empty());
    t.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn oversized_message_is_refused_and_nothing_stored() {
    let t = start().await;
    let mut a = Device::register(&t.server).await;
    // Five records of 1 MiB: each is allowed, the message (> 4 MiB) is not.
    let recs = make_records(
        &a.account_id,
        &a.device_id,
        &a.key,
        0,
        genesis(),
        5,
        1024 * 1024,
    );
    let req = a.authed(AppendRequest { records: recs });
    let status = a.sync.append(req).await.unwrap_err();
    assert!(
        matches!(status.code(), Code::ResourceExhausted | Code::OutOfRange),
        "unexpected status: {status:?}"
    );
    assert!(a.vector().await.is_empty());
    assert!(a.pull_all().await.is_empty());
    t.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn records_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let server = mycase_server::start(config(&dir)).await.unwrap();
    let mut a = Device::register(&server).await;
    let recs = a.records(0, genesis(), 4);
    a.append(recs.clone()).await.unwrap();
    let cert = server.ca_cert_pem().to_string();
    server.shutdown().await.unwrap();

    // Same data dir at once: the store lock was released, the cert is reused.
    let server = mycase_server::start(config(&dir)).await.unwrap();
    assert_eq!(server.ca_cert_pem(), cert);
    let (mut account, mut sync) = {
        let ch = channel(&server).await;
        (
            mycase_proto::v1::account_client::AccountClient::new(ch.clone()),
            mycase_proto::v1::sync_client::SyncClient::new(ch),
        )
    };
    std::mem::swap(&mut a.account, &mut account);
    std::mem::swap(&mut a.sync, &mut sync);
    // Sessions persist too (only their hashes are stored).
    assert_eq!(a.vector().await, vec![(a.device_id.to_vec(), 4)]);
    a.login().await.unwrap();
    assert_eq!(a.pull_all().await, recs);
    let next = a.records(4, hash_of(&a.account_id, &recs[3]), 1);
    assert_eq!(a.append(next).await.unwrap().head, 5);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn concurrent_identical_appends_both_succeed_once() {
    let t = start().await;
    let mut a = Device::register(&t.server).await;
    let recs = a.records(0, genesis(), 50);
    let mut sync2 = a.sync.clone();
    let req1 = a.authed(AppendRequest {
        records: recs.clone(),
    });
    let req2 = a.authed(AppendRequest {
        records: recs.clone(),
    });
    let (r1, r2) = tokio::join!(a.sync.append(req1), sync2.append(req2));
    assert_eq!(r1.unwrap().into_inner().head, 50);
    assert_eq!(r2.unwrap().into_inner().head, 50);
    assert_eq!(a.pull_all().await, recs);
    t.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn serves_over_the_memory_store_too() {
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server =
        mycase_server::start_with_store(config(&dir), listener, mycase_server::MemoryStore::new())
            .await
            .unwrap();
    let mut a = Device::register(&server).await;
    let recs = a.records(0, genesis(), 3);
    a.append(recs.clone()).await.unwrap();
    assert_eq!(a.pull_all().await, recs);
    server.shutdown().await.unwrap();
}
