#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! A hostile server: every way of altering what it relays is detected with the
//! matching error, and a failed sync leaves the local journal and store exactly
//! as they were. Also a server whose stored data was altered on disk.

use std::time::{Duration, Instant};

use mycase_core::pairing::{PairingCode, PairingError};
use mycase_core::record::RecordError;
use mycase_core::store::memory::MemoryStore;
use mycase_core::store::LocalStore;
use mycase_core::transport::grpc::GrpcTransport;
use mycase_core::Device;
use mycase_core::SyncError;
use mycase_core::{DeviceError, PairingFlowError};
use mycase_proto::v1::Record;
use mycase_tests::{
    fields, new_account_device, pair_device, pair_over, snapshot, HostileTransport, Tamper,
    TestServer,
};
use prost::Message;

struct World {
    server: TestServer,
    a: Device<MemoryStore>,
    ta: GrpcTransport,
    b: Device<MemoryStore>,
    tb: HostileTransport<GrpcTransport>,
    c: Device<MemoryStore>,
    tc: GrpcTransport,
}

/// A and C write; B (behind a hostile transport) has synced once and has records
/// from A and C waiting for it on the server.
async fn world() -> World {
    let server = TestServer::start().await;
    let (mut a, ta) = new_account_device(&server).await;
    a.add_entry(fields("first", "first entry")).unwrap();
    a.sync(&ta).await.unwrap();
    let tb = HostileTransport::new(server.transport().await);
    let (ra, rb) = pair_over(&server, &mut a, &ta, &tb, "phone").await;
    ra.unwrap();
    let mut b = rb.unwrap();
    let (mut c, tc) = pair_device(&server, &mut a, &ta, "tablet").await;
    b.sync(&tb).await.unwrap();
    // New records from A and C that B has not seen yet.
    a.add_entry(fields("second", "second entry")).unwrap();
    a.add_entry(fields("third", "third entry")).unwrap();
    a.sync(&ta).await.unwrap();
    c.add_entry(fields("from c", "written on the tablet"))
        .unwrap();
    c.sync(&tc).await.unwrap();
    World {
        server,
        a,
        ta,
        b,
        tb,
        c,
        tc,
    }
}

/// Syncs B through `tamper`, expecting `check` to accept the error: either the
/// whole sync is refused and nothing local changed, or the tampered log is
/// quarantined and nothing of it was applied (other logs go on). Then an honest
/// sync succeeds.
async fn refused(w: &mut World, tamper: Tamper, check: impl Fn(&SyncError) -> bool) {
    let before = snapshot(&w.b);
    w.tb.set(tamper.clone());
    match w.b.sync(&w.tb).await {
        Err(DeviceError::Sync(e)) if check(&e) => {
            assert_eq!(
                snapshot(&w.b),
                before,
                "{tamper:?}: the failed sync changed local data"
            );
        }
        Ok(report) if report.quarantined.iter().any(|q| check(&q.reason)) => {
            assert_eq!(w.b.quarantined(), report.quarantined.as_slice());
            for q in &report.quarantined {
                // Nothing from where the quarantine starts was applied, and what
                // was applied before it is the author's own, untampered.
                let kept = w.b.store().log(&q.device);
                assert!((kept.len() as u64) < q.from_idx, "{tamper:?}: {q:?}");
                assert!(kept.len() >= before.logs.get(&q.device).map_or(0, Vec::len));
                let author = [&w.a, &w.c]
                    .into_iter()
                    .find(|d| d.device_id() == &q.device);
                if let Some(author) = author {
                    assert_eq!(kept, &author.store().log(&q.device)[..kept.len()]);
                }
            }
        }
        other => panic!("{tamper:?}: unexpected outcome {other:?}"),
    }
    w.tb.set(Tamper::None);
}

async fn honest_sync_converges(w: &mut World) {
    w.b.sync(&w.tb).await.unwrap();
    w.a.sync(&w.ta).await.unwrap();
    w.c.sync(&w.tc).await.unwrap();
    assert_eq!(w.b.journal().entries(), w.a.journal().entries());
    assert_eq!(w.b.journal().entries(), w.c.journal().entries());
    assert_eq!(w.b.journal().entries().len(), 4);
}

/// Each tamper on a fresh world: a quarantine lets the other logs advance, so the
/// next tamper would not see the same pull.
async fn refused_then_healed(tamper: Tamper, check: impl Fn(&SyncError) -> bool) {
    let mut w = world().await;
    refused(&mut w, tamper, check).await;
    honest_sync_converges(&mut w).await;
    w.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampered_records_are_refused_and_nothing_changes() {
    let tampered = |e: &SyncError| matches!(e, SyncError::Tampered(_));
    refused_then_healed(Tamper::FlipCiphertext(0), |e| {
        matches!(
            e,
            SyncError::Tampered(RecordError::BadSignature { .. } | RecordError::BrokenChain { .. })
        )
    })
    .await;
    refused_then_healed(Tamper::FlipCiphertext(1), tampered).await;
    refused_then_healed(Tamper::FlipSignature, |e| {
        matches!(e, SyncError::Tampered(RecordError::BadSignature { .. }))
    })
    .await;
    refused_then_healed(Tamper::MoveIdx(0), |e| {
        matches!(e, SyncError::Tampered(RecordError::Gap { .. }))
    })
    .await;
    refused_then_healed(Tamper::SwapDevices, tampered).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn withheld_unknown_and_malformed_are_refused() {
    refused_then_healed(Tamper::DropLast, |e| {
        matches!(e, SyncError::Withheld { .. })
    })
    .await;
    refused_then_healed(Tamper::InjectUnknownDevice, |e| {
        matches!(e, SyncError::UnknownDevice)
    })
    .await;
    refused_then_healed(Tamper::MalformedVector, |e| {
        matches!(e, SyncError::Malformed(_))
    })
    .await;
    refused_then_healed(Tamper::MalformedRecordDevice, |e| {
        matches!(e, SyncError::Malformed(_))
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollback_is_refused() {
    let mut w = world().await;
    // B has now seen everything; a server serving an older state is caught both in
    // the vector it reports and in a pull's target.
    w.b.sync(&w.tb).await.unwrap();
    refused(&mut w, Tamper::Rollback, |e| {
        matches!(e, SyncError::Rollback { .. })
    })
    .await;
    refused(&mut w, Tamper::RollbackTarget, |e| {
        matches!(e, SyncError::Rollback { .. })
    })
    .await;
    honest_sync_converges(&mut w).await;
    w.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swapped_join_is_detected_and_nothing_is_added() {
    let mut server = TestServer::start().await;
    let (mut a, ta) = new_account_device(&server).await;
    a.add_entry(fields("t", "x")).unwrap();
    a.sync(&ta).await.unwrap();
    let ha = HostileTransport::new(server.transport().await);
    ha.set(Tamper::SwapJoin);
    let before = snapshot(&a);

    let code = PairingCode::generate();
    a.begin_pairing(&ha, &code).await.unwrap();
    let tb = server.transport().await;
    let join = Device::join_in(
        MemoryStore::new(),
        &tb,
        &code,
        server.setup("phone"),
        |_| {},
    );
    tokio::pin!(join);
    let finish = a.await_join_request(&ha, &code, Instant::now() + Duration::from_secs(30));
    let res = tokio::select! {
        r = finish => r,
        _ = &mut join => panic!("the join cannot complete"),
    };
    match res {
        Err(PairingFlowError::Pairing(PairingError::JoinTampered)) => {}
        other => panic!("expected JoinTampered, got {other:?}"),
    }
    assert_eq!(snapshot(&a), before, "nothing was added to the roster");
    assert_eq!(a.journal().devices().len(), 1);
    let devices = a.devices(&ta).await.unwrap();
    assert_eq!(devices.len(), 1, "the server has no new device");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swapped_grant_is_detected() {
    let mut server = TestServer::start().await;
    let (mut a, ta) = new_account_device(&server).await;
    let hb = HostileTransport::new(server.transport().await);
    hb.set(Tamper::SwapGrant);
    let before = snapshot(&a);
    let (ra, rb) = pair_over(&server, &mut a, &ta, &hb, "phone").await;
    match rb {
        Err(PairingFlowError::Pairing(PairingError::GrantTampered)) => {}
        other => panic!("expected GrantTampered, got {other:?}"),
    }
    // The altered answer (the challenge) stopped the new device before it showed a
    // matching code, so the survivor had nothing to confirm: nothing was added.
    assert!(ra.is_err());
    assert_eq!(snapshot(&a), before);
    server.stop().await;
}

/// The server's own data altered at rest (an operator or intruder with disk
/// access): a ciphertext byte flipped in sled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn record_altered_in_server_storage_is_detected() {
    let mut w = world().await;
    w.server.stop().await;
    {
        let db = sled::open(w.server.db_dir()).unwrap();
        let records = db.open_tree("records").unwrap();
        let idx = w.a.store().log(w.a.device_id()).len() as u64;
        let mut key = Vec::new();
        key.extend_from_slice(w.a.account_id());
        key.extend_from_slice(w.a.device_id());
        key.extend_from_slice(&idx.to_be_bytes());
        let stored = records
            .get(&key)
            .unwrap()
            .expect("A's last record is stored under its key");
        let mut r = Record::decode(stored.as_ref()).unwrap();
        assert_eq!(r.idx, idx);
        r.ciphertext[3] ^= 1;
        records.insert(&key, r.encode_to_vec()).unwrap();
        db.flush().unwrap();
    }
    w.server.start_again().await;
    let before = snapshot(&w.b);
    let report = w.b.sync(&w.tb).await.unwrap();
    assert!(
        matches!(
            report.quarantined.as_slice(),
            [q] if q.device == *w.a.device_id() && matches!(q.reason, SyncError::Tampered(_))
        ),
        "{report:?}"
    );
    assert_eq!(
        w.b.store().log(w.a.device_id()),
        &before.logs[w.a.device_id()][..]
    );
    // A fresh device does not take the tampered log in either.
    let tn = w.server.transport().await;
    let (_, joined) = pair_over(&w.server, &mut w.a, &w.ta, &tn, "new").await;
    let joined = joined.unwrap();
    assert!(
        joined
            .quarantined()
            .iter()
            .any(|q| q.device == *w.a.device_id() && matches!(q.reason, SyncError::Tampered(_))),
        "{:?}",
        joined.quarantined()
    );
    assert!(joined.store().log(w.a.device_id()).len() < w.a.store().log(w.a.device_id()).len());
    w.server.stop().await;
}

/// The server restored from an old backup: the last record and its head are gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_restored_from_old_backup_is_a_rollback() {
    let mut w = world().await;
    w.b.sync(&w.tb).await.unwrap();
    w.server.stop().await;
    {
        let db = sled::open(w.server.db_dir()).unwrap();
        let records = db.open_tree("records").unwrap();
        let heads = db.open_tree("heads").unwrap();
        let log = w.a.store().log(w.a.device_id());
        let idx = log.len() as u64;
        let mut head_key = Vec::new();
        head_key.extend_from_slice(w.a.account_id());
        head_key.extend_from_slice(w.a.device_id());
        let mut rec_key = head_key.clone();
        rec_key.extend_from_slice(&idx.to_be_bytes());
        assert!(records.remove(&rec_key).unwrap().is_some());
        let prev = &log[log.len() - 2];
        let mut head = (idx - 1).to_be_bytes().to_vec();
        head.extend_from_slice(&mycase_proto::wire::record_hash(w.a.account_id(), prev));
        assert_eq!(
            heads.insert(&head_key, head).unwrap().map(|v| v.len()),
            Some(40)
        );
        db.flush().unwrap();
    }
    w.server.start_again().await;
    let before = snapshot(&w.b);
    match w.b.sync(&w.tb).await {
        Err(DeviceError::Sync(SyncError::Rollback { .. })) => {}
        other => panic!("expected Rollback, got {other:?}"),
    }
    assert_eq!(snapshot(&w.b), before);
    let before_a = snapshot(&w.a);
    match w.a.sync(&w.ta).await {
        Err(DeviceError::Sync(SyncError::Rollback { .. })) => {}
        other => panic!("A must notice its own log went back, got {other:?}"),
    }
    assert_eq!(snapshot(&w.a), before_a);
    w.server.stop().await;
}

/// Calls that need a session are refused without one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unauthenticated_calls_are_refused() {
    use mycase_core::transport::{Refusal, Transport};
    let mut server = TestServer::start().await;
    let t = server.transport().await;
    for code in [
        t.get_vector()
            .await
            .err()
            .and_then(|e| e.refusal().cloned()),
        t.append(vec![])
            .await
            .err()
            .and_then(|e| e.refusal().cloned()),
        t.list_devices()
            .await
            .err()
            .and_then(|e| e.refusal().cloned()),
        t.pull(Default::default(), 10)
            .await
            .err()
            .and_then(|e| e.refusal().cloned()),
    ] {
        assert_eq!(code, Some(Refusal::Unauthenticated));
    }
    t.set_session(Some(vec![0x55; 32]));
    assert_eq!(
        t.get_vector()
            .await
            .err()
            .and_then(|e| e.refusal().cloned()),
        Some(Refusal::Unauthenticated)
    );
    server.stop().await;
}
