#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Revocation through a real server: A revokes C; C is refused and told so; A and B
//! move to a new key epoch that nothing C held opens, even with a copy of
//! everything the server stores; concurrent rotations converge; recovery after a
//! rotation reads what was written after it.

use std::collections::BTreeSet;

use futures_util::StreamExt;
use mycase_core::crypto::passphrase::KdfParams;
use mycase_core::keys::Keyring;
use mycase_core::record::open_record;
use mycase_core::store::memory::MemoryStore;
use mycase_core::store::LocalStore;
use mycase_core::transport::{Refusal, Transport};
use mycase_core::SyncError;
use mycase_core::{Device, DeviceError, Refused, RevokeError};
use mycase_proto::v1::operation::Body;
use mycase_proto::v1::{AuthenticateRequest, Operation, Record, VersionVector};
use mycase_tests::{fields, pair_device, HostileTransport, Tamper, TestServer};
use prost::Message;

/// Every record the server holds for the account, through a fresh session of `d`.
async fn everything_on_server<S: LocalStore, T: Transport>(d: &Device<S>, t: &T) -> Vec<Record> {
    d.authenticate(t).await.unwrap();
    let mut stream = t.pull(VersionVector::default(), 1000).await.unwrap();
    let mut out = Vec::new();
    while let Some(page) = stream.next().await {
        out.extend(page.unwrap().records);
    }
    out
}

fn opens(account: &[u8; 16], keyring: &Keyring, r: &Record) -> Option<Operation> {
    let bytes = open_record(account, keyring, r).ok()?;
    Operation::decode(bytes.as_slice()).ok()
}

fn is_entry(op: &Operation) -> bool {
    matches!(
        op.body,
        Some(Body::EntryCreated(_)) | Some(Body::EntryAmended(_))
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_device_is_refused_wiped_and_reads_nothing_new() {
    let server = TestServer::start().await;
    let ta = server.transport().await;
    let (mut a, kit) = Device::create_in(MemoryStore::new(), server.setup("laptop")).unwrap();
    a.register(&ta, &kit, None).await.unwrap();
    let before = a.add_entry(fields("before", "written before")).unwrap();
    a.sync(&ta).await.unwrap();
    let (mut b, tb) = pair_device(&server, &mut a, &ta, "phone").await;
    let (mut c, tc) = pair_device(&server, &mut a, &ta, "old phone").await;
    c.add_entry(fields("from c", "written on the old phone"))
        .unwrap();
    c.sync(&tc).await.unwrap();
    a.sync(&ta).await.unwrap();
    b.sync(&tb).await.unwrap();
    let c_id = *c.device_id();
    let c_keyring = c.keyring().clone();
    let old_epoch = a.current_key_epoch().unwrap();
    let vector_before: BTreeSet<(Vec<u8>, u64)> = everything_on_server(&a, &ta)
        .await
        .iter()
        .map(|r| (r.device_id.clone(), r.idx))
        .collect();

    // C keeps a watch open: it ends, saying why, when C is revoked.
    c.authenticate(&tc).await.unwrap();
    let mut c_watch = tc.watch().await.unwrap();
    assert!(
        c_watch.next().await.unwrap().is_ok(),
        "the current vector first"
    );

    let report = a.revoke_device(&ta, c_id).await.unwrap();
    let ended = c_watch.next().await.unwrap().unwrap_err();
    assert!(ended.is_revoked(), "{ended:?}");
    assert_eq!(report.device_id, c_id);
    assert!(report.recovery_blob_updated);
    assert_ne!(report.key_epoch, old_epoch);
    assert_eq!(a.current_key_epoch().unwrap(), report.key_epoch);
    assert_eq!(
        report.last_idx,
        a.store().log(&c_id).len() as u64,
        "the cutoff is C's whole log as the server held it"
    );

    // C is told it was revoked, on sync and on every way back in.
    let err = c.sync(&tc).await.unwrap_err();
    assert!(
        matches!(err, DeviceError::Refused(Refused::Revoked { by }) if by == *a.device_id()),
        "{err:?}"
    );
    // Said neutrally to whoever holds C: nothing about who acted or what else exists.
    let said = err.to_string();
    assert!(!said.contains("other") && !said.contains("your"), "{said}");
    // Its old session is gone: appends and pulls with it are refused...
    assert!(tc.get_vector().await.is_err());
    assert!(tc.pull(VersionVector::default(), 10).await.is_err());
    assert!(tc.append(Vec::new()).await.is_err());
    assert!(tc.watch().await.is_err());
    assert!(tc.have_chunks(vec![vec![0; 32]]).await.is_err());
    // ...and authenticating again says why.
    let challenge = tc.challenge(c_id.to_vec()).await.unwrap();
    let auth = tc
        .authenticate(AuthenticateRequest {
            device_id: c_id.to_vec(),
            challenge,
            signature: vec![0; 64],
        })
        .await
        .unwrap_err();
    assert!(!auth.is_revoked(), "a bad signature learns nothing");
    let err = c.authenticate(&tc).await.unwrap_err();
    assert!(
        matches!(err, DeviceError::Refused(Refused::Revoked { .. })),
        "{err:?}"
    );
    // C cannot revoke anyone either.
    let err = c.revoke_device(&tc, *a.device_id()).await.unwrap_err();
    assert!(
        matches!(
            err,
            RevokeError::Device(DeviceError::Refused(Refused::Revoked { .. }))
        ),
        "{err:?}"
    );

    // A and B move to the new epoch and read each other's new entries.
    let from_a = a.add_entry(fields("after a", "written after")).unwrap();
    a.sync(&ta).await.unwrap();
    b.sync(&tb).await.unwrap();
    assert_eq!(b.current_key_epoch().unwrap(), report.key_epoch);
    let from_b = b.add_entry(fields("after b", "also after")).unwrap();
    b.sync(&tb).await.unwrap();
    a.sync(&ta).await.unwrap();
    for d in [&a.journal(), &b.journal()] {
        assert!(d.entry(&from_a).is_some() && d.entry(&from_b).is_some());
        assert!(d.entry(&before).is_some());
    }
    assert_eq!(a.journal().entries(), b.journal().entries());
    assert!(!a.needs_rotation() && !b.needs_rotation());

    // New evidence is sealed under the new epoch.
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), b"photo bytes after the revocation").unwrap();
    let attached = a
        .attach_file(&ta, from_a, file.path(), |_, _| {})
        .await
        .unwrap();
    let view = a.journal().entry(&from_a).unwrap();
    let att = view
        .attachments
        .iter()
        .find(|x| x.attachment_id == attached.attachment_id)
        .unwrap();
    assert_eq!(att.key_epoch, report.key_epoch);

    // A server that took records C wrote after its revocation cannot get them
    // past B: C's log is quarantined there and B's copy of it is unchanged, while
    // the rest of the pull (A's attachment) is applied.
    c.add_entry(fields("planted", "written after the revocation"))
        .unwrap();
    let planted = c.store().log(&c_id).last().unwrap().clone();
    assert_eq!(planted.idx, report.last_idx + 1);
    let hostile = HostileTransport::new(server.transport().await);
    hostile.set(Tamper::InjectRecords(vec![planted]));
    let b_before = b.journal().entries();
    let pulled = b.sync(&hostile).await.unwrap();
    assert!(
        pulled
            .quarantined
            .iter()
            .any(|q| q.device == c_id && q.reason == SyncError::RevokedDeviceRecords),
        "{pulled:?}"
    );
    assert_eq!(b.store().log(&c_id).len() as u64, report.last_idx);
    assert!(b
        .journal()
        .entries()
        .iter()
        .all(|e| e.text != "written after the revocation"));
    assert!(b_before
        .iter()
        .filter(|e| e.id != from_a)
        .all(|e| b.journal().entry(&e.id).as_ref() == Some(e)));
    assert_eq!(b.journal().entry(&from_a).unwrap().attachments.len(), 1);

    // With a copy of every record on the server and every key C held, nothing
    // written after the revocation opens (only the revocation record itself,
    // sealed under the old epoch, which holds no entry).
    let all = everything_on_server(&a, &ta).await;
    let mut after = 0;
    for r in &all {
        if vector_before.contains(&(r.device_id.clone(), r.idx)) {
            continue;
        }
        after += 1;
        if let Some(op) = opens(a.account_id(), &c_keyring, r) {
            assert!(
                matches!(
                    op.body,
                    Some(Body::DeviceRevoked(_)) | Some(Body::KeyRotated(_))
                ),
                "C's keys opened a record written after its revocation"
            );
            assert!(!is_entry(&op));
        } else {
            assert_eq!(r.key_epoch, report.key_epoch);
        }
    }
    assert!(after >= 3, "A's and B's new records are on the server");
    // The devices list shows it.
    let devices = a.devices(&ta).await.unwrap();
    let c_status = devices.iter().find(|d| d.device_id == c_id).unwrap();
    assert!(c_status.revoked);
    assert_eq!(c_status.revoked_by, Some(*a.device_id()));
    let a_status = devices.iter().find(|d| d.this_device).unwrap();
    assert!(a_status.last_seen_unix.is_some() && !a_status.revoked);

    // Recovery after the rotation reads what was written after it.
    let home = tempfile::tempdir().unwrap();
    let home = home.path().join("mycase");
    let tr = server.transport().await;
    let (recovered, _) = Device::recover(
        &home,
        b"new passphrase",
        KdfParams::MINIMUM,
        &tr,
        &kit,
        server.setup("new laptop"),
    )
    .await
    .unwrap();
    assert!(recovered.journal().entry(&from_a).is_some());
    assert!(recovered.journal().entry(&from_b).is_some());
    assert_eq!(recovered.journal().entries(), a.journal().entries());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_revocations_converge_on_one_clean_epoch() {
    let server = TestServer::start().await;
    let ta = server.transport().await;
    let (mut a, kit) = Device::create_in(MemoryStore::new(), server.setup("laptop")).unwrap();
    a.register(&ta, &kit, None).await.unwrap();
    a.sync(&ta).await.unwrap();
    let (mut b, tb) = pair_device(&server, &mut a, &ta, "phone").await;
    let (mut c, tc) = pair_device(&server, &mut a, &ta, "tablet").await;
    let (mut d, td) = pair_device(&server, &mut a, &ta, "old phone").await;
    for (dev, t) in [(&mut c, &tc), (&mut d, &td)] {
        dev.add_entry(fields("x", "y")).unwrap();
        dev.sync(t).await.unwrap();
    }
    a.sync(&ta).await.unwrap();
    b.sync(&tb).await.unwrap();
    let (c_id, d_id) = (*c.device_id(), *d.device_id());

    // A revokes C while B revokes D: each tells the server, then records its
    // revocation and rotation before seeing the other's.
    a.authenticate(&ta).await.unwrap();
    b.authenticate(&tb).await.unwrap();
    ta.revoke_device(c_id.to_vec(), a.revocation_statement(&c_id))
        .await
        .unwrap();
    tb.revoke_device(d_id.to_vec(), b.revocation_statement(&d_id))
        .await
        .unwrap();
    let (_, ea) = a.record_revocation(c_id).unwrap();
    let (_, eb) = b.record_revocation(d_id).unwrap();
    assert_ne!(ea, eb);
    // Both epochs went to a device the other revoked.
    for _ in 0..3 {
        a.sync(&ta).await.unwrap();
        b.sync(&tb).await.unwrap();
    }
    assert_eq!(
        a.current_key_epoch().unwrap(),
        b.current_key_epoch().unwrap()
    );
    let current = a.current_key_epoch().unwrap();
    assert!(current > ea.max(eb), "a clean epoch after both");
    assert!(!a.needs_rotation() && !b.needs_rotation());
    let rotation = a
        .journal()
        .rotations()
        .into_iter()
        .find(|r| r.counts() && r.rotated.key_epoch == current)
        .unwrap()
        .rotated;
    let recipients: BTreeSet<Vec<u8>> = rotation
        .sealed_keys
        .iter()
        .map(|s| s.device_id.clone())
        .collect();
    assert!(!recipients.contains(c_id.as_slice()) && !recipients.contains(d_id.as_slice()));
    assert_eq!(a.key_epochs(), b.key_epochs(), "both hold every epoch");
    let ea2 = a.add_entry(fields("a", "after")).unwrap();
    let eb2 = b.add_entry(fields("b", "after")).unwrap();
    a.sync(&ta).await.unwrap();
    b.sync(&tb).await.unwrap();
    a.sync(&ta).await.unwrap();
    assert!(a.journal().entry(&eb2).is_some() && b.journal().entry(&ea2).is_some());
    assert_eq!(a.journal().entries(), b.journal().entries());
    assert_eq!(a.journal().revocations().len(), 2);

    // Two devices revoking the same device at once also converge, on the higher
    // epoch, with no further rotation.
    let (mut e, te) = pair_device(&server, &mut a, &ta, "spare").await;
    e.sync(&te).await.unwrap();
    b.sync(&tb).await.unwrap();
    let e_id = *e.device_id();
    a.authenticate(&ta).await.unwrap();
    b.authenticate(&tb).await.unwrap();
    ta.revoke_device(e_id.to_vec(), a.revocation_statement(&e_id))
        .await
        .unwrap();
    tb.revoke_device(e_id.to_vec(), b.revocation_statement(&e_id))
        .await
        .unwrap();
    let (_, x) = a.record_revocation(e_id).unwrap();
    let (_, y) = b.record_revocation(e_id).unwrap();
    a.sync(&ta).await.unwrap();
    b.sync(&tb).await.unwrap();
    a.sync(&ta).await.unwrap();
    assert_eq!(a.current_key_epoch().unwrap(), x.max(y));
    assert_eq!(b.current_key_epoch().unwrap(), x.max(y));
    assert!(!a.needs_rotation() && !b.needs_rotation());
    assert!(matches!(
        e.sync(&te).await.unwrap_err(),
        DeviceError::Refused(Refused::Revoked { .. })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoke_rpc_refusals() {
    let server = TestServer::start().await;
    let (mut a, ta) = mycase_tests::new_account_device(&server).await;
    a.sync(&ta).await.unwrap();
    let (b, tb) = pair_device(&server, &mut a, &ta, "phone").await;

    // Not without a session.
    let fresh = server.transport().await;
    let err = fresh
        .revoke_device(
            b.device_id().to_vec(),
            a.revocation_statement(b.device_id()),
        )
        .await
        .unwrap_err();
    assert_eq!(err.refusal(), Some(&Refusal::Unauthenticated));
    a.authenticate(&ta).await.unwrap();
    // Not a device of another account or none. (The server lets a device retire
    // itself, as `wipe` does online: see the end; the client's `revoke` does not.)
    let err = a.revoke_device(&ta, *a.device_id()).await.unwrap_err();
    assert!(matches!(err, RevokeError::CannotRevokeSelf), "{err:?}");
    let (other, to) = mycase_tests::new_account_device(&server).await;
    other.authenticate(&to).await.unwrap();
    let err = ta
        .revoke_device(
            other.device_id().to_vec(),
            a.revocation_statement(other.device_id()),
        )
        .await
        .unwrap_err();
    assert_eq!(err.refusal(), Some(&Refusal::NotFound));
    let err = ta
        .revoke_device(vec![9; 16], a.revocation_statement(&[9; 16]))
        .await
        .unwrap_err();
    assert_eq!(err.refusal(), Some(&Refusal::NotFound));
    let err = ta.update_recovery_blob(Vec::new()).await.unwrap_err();
    assert_eq!(err.refusal(), Some(&Refusal::InvalidArgument));
    // The other account's device is untouched, and B still works.
    other.authenticate(&to).await.unwrap();
    b.authenticate(&tb).await.unwrap();
    // Revoking twice is harmless.
    ta.revoke_device(
        b.device_id().to_vec(),
        a.revocation_statement(b.device_id()),
    )
    .await
    .unwrap();
    ta.revoke_device(
        b.device_id().to_vec(),
        a.revocation_statement(b.device_id()),
    )
    .await
    .unwrap();
    assert!(matches!(
        b.authenticate(&tb).await.unwrap_err(),
        DeviceError::Refused(Refused::Revoked { .. })
    ));

    // A device retiring itself on its own statement is revoked like any other.
    let (c, tc) = pair_device(&server, &mut a, &ta, "laptop").await;
    c.authenticate(&tc).await.unwrap();
    tc.revoke_device(
        c.device_id().to_vec(),
        c.revocation_statement(c.device_id()),
    )
    .await
    .unwrap();
    assert!(c.authenticate(&tc).await.is_err());
    a.authenticate(&ta).await.unwrap();
}

/// Concurrent revocations (A and B each revoke C or D, before seeing each
/// other's), then syncs in a seeded random order: every remaining device ends on
/// the same clean epoch, holds the same keys and shows the same journal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_rotations_converge_in_any_delivery_order() {
    use rand::{Rng, SeedableRng};
    for seed in 0..6u64 {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let server = TestServer::start().await;
        let (mut a, ta) = mycase_tests::new_account_device(&server).await;
        a.sync(&ta).await.unwrap();
        let (b, tb) = pair_device(&server, &mut a, &ta, "b").await;
        let (c, tc) = pair_device(&server, &mut a, &ta, "c").await;
        let (d, td) = pair_device(&server, &mut a, &ta, "d").await;
        let mut devices = [(a, ta), (b, tb), (c, tc), (d, td)];
        for (dev, t) in devices.iter_mut() {
            dev.sync(t).await.unwrap();
        }
        let ids: Vec<_> = devices.iter().map(|(d, _)| *d.device_id()).collect();
        // A and B each pick C or D.
        let targets = [2 + rng.gen_range(0..2usize), 2 + rng.gen_range(0..2usize)];
        for (revoker, &target) in targets.iter().enumerate() {
            let (dev, t) = &mut devices[revoker];
            dev.authenticate(t).await.unwrap();
            t.revoke_device(ids[target].to_vec(), dev.revocation_statement(&ids[target]))
                .await
                .unwrap();
        }
        for (revoker, &target) in targets.iter().enumerate() {
            devices[revoker].0.record_revocation(ids[target]).unwrap();
        }
        let remaining: Vec<usize> = (0..4).filter(|i| !targets.contains(i)).collect();
        for &i in &remaining {
            devices[i].0.add_entry(fields("e", "during")).unwrap();
        }
        for _ in 0..8 {
            let i = remaining[rng.gen_range(0..remaining.len())];
            let (dev, t) = &mut devices[i];
            dev.sync(t).await.unwrap();
        }
        // Quiesce: a few rounds over everyone left.
        for _ in 0..4 {
            for &i in &remaining {
                let (dev, t) = &mut devices[i];
                dev.sync(t).await.unwrap();
            }
        }
        let first = &devices[remaining[0]].0;
        let epoch = first.current_key_epoch().unwrap();
        for &i in &remaining {
            let dev = &devices[i].0;
            assert_eq!(dev.current_key_epoch().unwrap(), epoch, "seed {seed}");
            assert_eq!(dev.key_epochs(), first.key_epochs(), "seed {seed}");
            assert!(!dev.needs_rotation(), "seed {seed}");
            assert_eq!(dev.journal().entries(), first.journal().entries());
            assert_eq!(dev.journal().entries().len(), remaining.len());
        }
        let current = first
            .journal()
            .rotations()
            .into_iter()
            .find(|r| r.counts() && r.rotated.key_epoch == epoch)
            .unwrap()
            .rotated;
        for &t in &targets {
            assert!(current
                .sealed_keys
                .iter()
                .all(|s| s.device_id != ids[t].to_vec()));
            let (dev, tr) = &mut devices[t];
            assert!(matches!(
                dev.sync(tr).await,
                Err(DeviceError::Refused(Refused::Revoked { .. }))
            ));
        }
    }
}
