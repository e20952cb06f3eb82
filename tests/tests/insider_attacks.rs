#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Issue 10's attacks by an insider: a device that was legitimately paired into the
//! survivor's journal and runs a modified client (the abuser kit,
//! `mycase_tests::abuser`), against a real server. Each test performs one attack
//! and shows it refused or detected with a reason the survivor can see, the
//! survivor's data unchanged, and that the survivor can still revoke the insider
//! and sync on.

use std::collections::BTreeMap;

use mycase_core::crypto::passphrase::KdfParams;
use mycase_core::epoch_keys::{author_tag, generation, open_epoch_key, GENERATION_SHIFT};
use mycase_core::ids::{id_from_slice, DeviceId, EntryId};
use mycase_core::journal::causal::{Misplaced, MAX_WALL_MS};
use mycase_core::journal::{ops, RecoveryRefused, RejectionReason, RotationRefused};
use mycase_core::keys::{DeviceKeys, Keyring, RecoveryKit, VaultKey};
use mycase_core::record::{open_record, RecordError};
use mycase_core::revoke::RevokeReport;
use mycase_core::store::memory::MemoryStore;
use mycase_core::store::LocalStore;
use mycase_core::sync::{Quarantine, SyncError, SyncReport};
use mycase_core::transport::grpc::GrpcTransport;
use mycase_core::transport::Transport;
use mycase_core::{Device, DeviceError};
use mycase_proto::v1::operation::Body;
use mycase_proto::v1::{Hlc, KeyRotated, RecoveryKeyRenewed, SealedEpochKey};
use mycase_tests::abuser::{Clock, Insider};
use mycase_tests::{fields, pair_device, pair_over, HostileTransport, Tamper, TestServer};

/// The survivor's laptop (the first device) and phone, and an insider the laptop
/// paired after the phone. Each has written and everyone has synced.
struct World {
    server: TestServer,
    kit: RecoveryKit,
    laptop: Device<MemoryStore>,
    tl: GrpcTransport,
    phone: Device<MemoryStore>,
    tp: GrpcTransport,
    insider: Insider,
    phone_entry: EntryId,
}

async fn world() -> World {
    let server = TestServer::start().await;
    let tl = server.transport().await;
    let (mut laptop, kit) = Device::create_in(MemoryStore::new(), server.setup("laptop")).unwrap();
    laptop.register(&tl, &kit, None).await.unwrap();
    laptop
        .add_entry(fields("first", "written on the laptop"))
        .unwrap();
    laptop.sync(&tl).await.unwrap();
    let (mut phone, tp) = pair_device(&server, &mut laptop, &tl, "phone").await;
    let phone_entry = phone
        .add_entry(fields("second", "written on the phone"))
        .unwrap();
    phone.sync(&tp).await.unwrap();
    let insider = Insider::pair(&server, &mut laptop, &tl, "old laptop").await;
    laptop.sync(&tl).await.unwrap();
    phone.sync(&tp).await.unwrap();
    World {
        server,
        kit,
        laptop,
        tl,
        phone,
        tp,
        insider,
        phone_entry,
    }
}

/// Whether the insider's `deps` admit to what it had seen, or hide it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sight {
    Admitted,
    Hidden,
}

const CASES: [(Clock, Sight); 4] = [
    (Clock::Zero, Sight::Admitted),
    (Clock::Plausible, Sight::Admitted),
    (Clock::Zero, Sight::Hidden),
    (Clock::Plausible, Sight::Hidden),
];

fn deps_for(
    insider: &Insider,
    seen: &mycase_tests::abuser::Seen,
    sight: Sight,
) -> BTreeMap<DeviceId, u64> {
    match sight {
        Sight::Admitted => insider.deps_seeing_all(seen),
        Sight::Hidden => insider.deps_seeing_nothing(),
    }
}

fn quarantine_of<'a>(report: &'a SyncReport, device: &DeviceId) -> Option<&'a Quarantine> {
    report.quarantined.iter().find(|q| &q.device == device)
}

/// A record whose clock is below what it says it had seen is quarantined as
/// misplaced from that record on, on the survivor's devices.
fn assert_misplaced(report: &SyncReport, insider: &DeviceId, idx: u64, why: Misplaced) {
    let q = quarantine_of(report, insider).unwrap_or_else(|| panic!("{report:?}"));
    assert_eq!(q.reason, SyncError::Misplaced(why), "{q:?}");
    assert_eq!(q.from_idx, idx);
    assert!(
        q.reason.to_string().contains("refused as forged"),
        "the survivor is told: {}",
        q.reason
    );
}

/// No key any rotation in `d`'s journal sealed opens with `keys`' X25519 secret.
fn nothing_sealed_to(d: &Device<MemoryStore>, keys: &DeviceKeys) {
    for r in d.journal().rotations() {
        for s in &r.rotated.sealed_keys {
            let recipient = id_from_slice(&s.device_id).unwrap();
            assert!(
                open_epoch_key(
                    d.account_id(),
                    r.rotated.key_epoch,
                    &r.op.device,
                    &recipient,
                    keys.dh_secret(),
                    &s.sealed
                )
                .is_err(),
                "a rotation sealed epoch {} to the abuser's key",
                r.rotated.key_epoch
            );
        }
    }
}

/// The survivor revokes the insider from the laptop and both devices sync on: they
/// settle on one clean epoch the insider was never given (the phone may need a
/// rotation of its own to get there, when the laptop's left it out), a new entry
/// reaches both, and what the phone writes after the revocation opens with no key
/// the insider holds.
async fn revoke_insider_and_sync_on(w: &mut World) -> RevokeReport {
    let report = w
        .laptop
        .revoke_device(&w.tl, w.insider.device_id)
        .await
        .expect("the survivor revokes the insider");
    for _ in 0..2 {
        w.phone.sync(&w.tp).await.expect("the phone syncs on");
        w.laptop.sync(&w.tl).await.expect("the laptop syncs on");
    }
    let epoch = w.laptop.current_key_epoch().unwrap();
    assert_eq!(
        w.phone.current_key_epoch().unwrap(),
        epoch,
        "the phone and the laptop write under one epoch; rotations {:?}",
        w.phone.journal().rotations()
    );
    assert!(generation(epoch) >= 1);
    assert!(
        w.insider.keyring.get(epoch).is_err(),
        "the insider holds the new epoch"
    );
    assert!(!w.phone.needs_rotation() && !w.laptop.needs_rotation());
    let after = w
        .phone
        .add_entry(fields("after", "written after the revocation"))
        .unwrap();
    w.phone.sync(&w.tp).await.unwrap();
    w.laptop.sync(&w.tl).await.unwrap();
    assert!(w.laptop.journal().entry(&after).is_some());
    assert_eq!(w.laptop.journal().entries(), w.phone.journal().entries());
    let phone_id = *w.phone.device_id();
    let written = w.phone.store().log(&phone_id).last().unwrap();
    assert!(
        open_record(&w.insider.account_id, &w.insider.keyring, written).is_err(),
        "the insider's keys open what the phone wrote after his revocation"
    );
    let refused = w.insider.transport.append(Vec::new()).await;
    assert!(
        refused.is_err(),
        "the server still takes the insider's records"
    );
    report
}

// ---- Item 2: forged clocks ----------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn giving_the_phone_the_abusers_keys_is_refused_or_contested_and_never_sealed_to() {
    for (clock, sight) in CASES {
        let mut w = world().await;
        let phone_id = *w.phone.device_id();
        let phone_key = w.laptop.journal().device_key(&phone_id).unwrap();
        let entries = w.laptop.journal().entries();
        let seen = w.insider.observe().await;
        let abuser = DeviceKeys::generate();
        let deps = deps_for(&w.insider, &seen, sight);
        let forged = w
            .insider
            .write(
                clock,
                &seen,
                &deps,
                ops::device_added(phone_id, abuser.sign_public(), abuser.dh_public(), "phone"),
            )
            .await;
        let case = format!("{clock:?}, {sight:?}");
        let phone_dh = view_dh(&w, &phone_id);
        let report = w.laptop.sync(&w.tl).await.unwrap();
        phone_keys_hold(
            &w.laptop,
            &report,
            &w.insider,
            forged,
            (phone_key, phone_dh),
            clock,
            sight,
        );
        assert_eq!(
            w.laptop.journal().entries(),
            entries,
            "{case}: the entries changed"
        );
        let report = w.phone.sync(&w.tp).await.unwrap();
        phone_keys_hold(
            &w.phone,
            &report,
            &w.insider,
            forged,
            (phone_key, phone_dh),
            clock,
            sight,
        );
        // The phone's own log settles it: what it writes next is applied on the laptop.
        let next = w
            .phone
            .add_entry(fields("next", "the phone goes on"))
            .unwrap();
        w.phone.sync(&w.tp).await.unwrap();
        let report = w.laptop.sync(&w.tl).await.unwrap();
        assert!(
            quarantine_of(&report, &phone_id).is_none(),
            "{case}: {report:?}"
        );
        assert!(w.laptop.journal().entry(&next).is_some(), "{case}");

        let report = revoke_insider_and_sync_on(&mut w).await;
        assert_eq!(generation(report.key_epoch), 1, "{case}");
        nothing_sealed_to(&w.laptop, &abuser);
        nothing_sealed_to(&w.phone, &abuser);
        w.server.stop().await;
    }
}

/// What a survivor's device shows after the insider's `DeviceAdded` for the phone.
fn phone_keys_hold(
    device: &Device<MemoryStore>,
    report: &SyncReport,
    insider: &Insider,
    forged: mycase_core::journal::OpId,
    phone_keys: ([u8; 32], [u8; 32]),
    clock: Clock,
    sight: Sight,
) {
    let case = format!("{clock:?}, {sight:?}");
    let phone_id = forged_target(device, phone_keys.0);
    let journal = device.journal();
    let view = journal
        .devices()
        .into_iter()
        .find(|d| d.device_id == phone_id)
        .unwrap();
    match (clock, sight) {
        (Clock::Zero, Sight::Admitted) => {
            // Below what it says it saw: refused before it is applied.
            assert_misplaced(
                report,
                &insider.device_id,
                forged.idx,
                Misplaced::ClockNotAfterDependency,
            );
            assert!(!journal.contains(&forged));
            assert_eq!(journal.device_key(&phone_id), Some(phone_keys.0), "{case}");
        }
        (_, Sight::Admitted) => {
            assert!(report.quarantined.is_empty(), "{case}: {report:?}");
            assert!(
                journal
                    .rejections()
                    .iter()
                    .any(|r| r.op == forged
                        && r.reason == RejectionReason::DeviceKeysChanged(phone_id)),
                "{case}: {:?}",
                journal.rejections()
            );
            assert_eq!(view.rejected_additions, vec![forged]);
            assert!(!view.is_contested());
            assert_eq!(journal.device_key(&phone_id), Some(phone_keys.0), "{case}");
        }
        (_, Sight::Hidden) => {
            // He claims not to have seen the phone: its id is contested and no key
            // of it is trusted from the roster alone.
            assert!(report.quarantined.is_empty(), "{case}: {report:?}");
            assert!(view.is_contested(), "{case}");
            assert!(view.candidate_keys.contains(&phone_keys));
            assert_eq!(journal.device_key(&phone_id), None, "{case}");
        }
    }
}

/// The device whose candidate keys include `sign_key`.
fn forged_target(device: &Device<MemoryStore>, sign_key: [u8; 32]) -> DeviceId {
    device
        .journal()
        .devices()
        .into_iter()
        .find(|d| d.candidate_keys.iter().any(|(s, _)| *s == sign_key))
        .unwrap()
        .device_id
}

/// The phone's X25519 key as the phone itself holds it (its first addition, by the laptop).
fn view_dh(w: &World, phone: &DeviceId) -> [u8; 32] {
    let anchor = w
        .phone
        .trust_anchors()
        .iter()
        .find(|a| &a.device_id == phone)
        .unwrap();
    anchor.dh_public_key
}
