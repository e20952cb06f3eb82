#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Issue 10's attacks by an insider: a device that was legitimately paired into the
//! survivor's journal and runs a modified client (the abuser kit,
//! `mycase_tests::abuser`), against a real server. Each test performs one attack
//! and shows it refused or detected with a reason the survivor can see, the
//! survivor's data unchanged, and that the survivor can still revoke the insider
//! and sync on.

use std::collections::BTreeMap;

use ed25519_dalek::Signer;
use mycase_core::crypto::passphrase::KdfParams;
use mycase_core::epoch_keys::{
    author_tag, generation, next_epoch, open_epoch_key, seal_epoch_key, GENERATION_SHIFT,
    MAX_GENERATION, TAG_MASK,
};
use mycase_core::ids::{id_from_slice, new_id, DeviceId, EntryId};
use mycase_core::journal::causal::{Misplaced, MAX_WALL_MS};
use mycase_core::journal::{ops, OpId, RecoveryRefused, RejectionReason, RotationRefused};
use mycase_core::keys::{DeviceKeys, RecoveryKit, VaultKey};
use mycase_core::record::{open_record, RecordError};
use mycase_core::store::memory::MemoryStore;
use mycase_core::store::LocalStore;
use mycase_core::transport::grpc::GrpcTransport;
use mycase_core::transport::Transport;
use mycase_core::RevokeReport;
use mycase_core::{Device, RecoverError};
use mycase_core::{Quarantine, SyncError, SyncReport};
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
    world_for(Sight::Admitted).await
}

/// The journal under attack. For `Sight::Hidden`, the insider joins before the
/// phone and writes one honest record first, so that it can later claim (its
/// `deps` never going back) not to have seen the phone: a device's first record
/// must cover its own addition, and `deps` are closed under causality, so what
/// happened before an insider joined can never be hidden.
async fn world_for(sight: Sight) -> World {
    let server = TestServer::start().await;
    let tl = server.transport().await;
    let (mut laptop, kit) = Device::create_in(MemoryStore::new(), server.setup("laptop")).unwrap();
    laptop.register(&tl, &kit, None).await.unwrap();
    laptop
        .add_entry(fields("first", "written on the laptop"))
        .unwrap();
    laptop.sync(&tl).await.unwrap();
    let mut early = None;
    if sight == Sight::Hidden {
        let mut insider = Insider::pair(&server, &mut laptop, &tl, "old laptop").await;
        let seen = insider.observe().await;
        let deps = insider.deps_seeing_all(&seen);
        insider
            .write(
                Clock::Plausible,
                &seen,
                &deps,
                ops::create_entry(mycase_core::ids::new_id(), fields("honest", "looks normal")),
            )
            .await;
        early = Some(insider);
    }
    let (mut phone, tp) = pair_device(&server, &mut laptop, &tl, "phone").await;
    let phone_entry = phone
        .add_entry(fields("second", "written on the phone"))
        .unwrap();
    phone.sync(&tp).await.unwrap();
    let insider = match early {
        Some(insider) => insider,
        None => Insider::pair(&server, &mut laptop, &tl, "old laptop").await,
    };
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

/// Why a (0,0) clock is refused: below what it admits to have seen, or (when it
/// hides that) below its own log's previous record.
fn zero_clock_refusal(sight: Sight) -> Misplaced {
    match sight {
        Sight::Admitted => Misplaced::ClockNotAfterDependency,
        Sight::Hidden => Misplaced::ClockNotAfterPredecessor,
    }
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
    let held = w.laptop.keyring().get(epoch).unwrap().as_bytes();
    assert!(
        w.insider
            .keyring
            .get(epoch)
            .map_or(true, |his| his.as_bytes() != held),
        "the insider holds the new epoch's key"
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
        let mut w = world_for(sight).await;
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
    forged: OpId,
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
        (Clock::Zero, _) => {
            // Below what it says it saw, or below its own previous record:
            // refused before it is applied.
            assert_misplaced(
                report,
                &insider.device_id,
                forged.idx,
                zero_clock_refusal(sight),
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setting_the_abusers_recovery_key_does_not_count() {
    for (clock, sight) in CASES {
        let mut w = world_for(sight).await;
        let case = format!("{clock:?}, {sight:?}");
        let abuser_kit = RecoveryKit::generate();
        let seen = w.insider.observe().await;
        let deps = deps_for(&w.insider, &seen, sight);
        let account = w.insider.account_id;
        let set = w
            .insider
            .write(
                clock,
                &seen,
                &deps,
                Body::RecoveryKeySet(mycase_core::founding_recovery_key(&abuser_kit, &account)),
            )
            .await;
        // And a renewal of the survivor's kit to his, which only his kit signed.
        let message = mycase_proto::wire::recovery_renewal_message(
            &account,
            &w.kit.public_key(),
            &abuser_kit.public_key(),
            &abuser_kit.dh_public(),
        );
        let signature = abuser_kit.signing_key().sign(&message).to_bytes().to_vec();
        let deps = deps_for(&w.insider, &seen, sight);
        let renewal = w
            .insider
            .write(
                Clock::Plausible,
                &seen,
                &deps,
                Body::RecoveryKeyRenewed(RecoveryKeyRenewed {
                    old_recovery_public_key: w.kit.public_key().to_vec(),
                    new_recovery_public_key: abuser_kit.public_key().to_vec(),
                    new_recovery_dh_public_key: abuser_kit.dh_public().to_vec(),
                    old_key_signature: signature.clone(),
                    new_key_signature: signature,
                }),
            )
            .await;
        let entries = w.laptop.journal().entries();
        let report = w.laptop.sync(&w.tl).await.unwrap();
        recovery_key_holds(&w.laptop, &report, &w, set, renewal, clock, sight, &case);
        assert_eq!(w.laptop.journal().entries(), entries, "{case}");
        let report = w.phone.sync(&w.tp).await.unwrap();
        recovery_key_holds(&w.phone, &report, &w, set, renewal, clock, sight, &case);

        revoke_insider_and_sync_on(&mut w).await;
        assert_eq!(w.laptop.recovery_public_key(), Some(w.kit.public_key()));
        // The recovery blob the revocation resealed opens with the survivor's kit
        // and holds the new epoch: a device recovered from it reads what was
        // written after the revocation.
        let after = w
            .laptop
            .add_entry(fields("later", "after everything"))
            .unwrap();
        w.laptop.sync(&w.tl).await.unwrap();
        let home = tempfile::tempdir().unwrap();
        let (recovered, _) = Device::recover(
            &home.path().join("mycase"),
            b"a new passphrase",
            KdfParams::MINIMUM,
            &w.server.transport().await,
            &w.kit,
            w.server.setup("new phone"),
        )
        .await
        .expect("the survivor's kit still recovers the journal");
        assert!(recovered.journal().entry(&after).is_some(), "{case}");
        assert_eq!(recovered.recovery_public_key(), Some(w.kit.public_key()));
        // The abuser's kit opens no account on this server.
        let home = tempfile::tempdir().unwrap();
        let refused = Device::recover(
            &home.path().join("mycase"),
            b"a new passphrase",
            KdfParams::MINIMUM,
            &w.server.transport().await,
            &abuser_kit,
            w.server.setup("his laptop"),
        )
        .await;
        assert!(
            matches!(refused, Err(RecoverError::RecoveryRefused)),
            "{case}"
        );
        w.server.stop().await;
    }
}

#[allow(clippy::too_many_arguments)]
fn recovery_key_holds(
    d: &Device<MemoryStore>,
    report: &SyncReport,
    w: &World,
    set: OpId,
    renewal: OpId,
    clock: Clock,
    sight: Sight,
    case: &str,
) {
    assert_eq!(d.recovery_public_key(), Some(w.kit.public_key()), "{case}");
    assert_eq!(
        d.recovery_dh_public_key(),
        Some(w.kit.dh_public()),
        "{case}"
    );
    if clock == Clock::Zero {
        assert_misplaced(
            report,
            &w.insider.device_id,
            set.idx,
            zero_clock_refusal(sight),
        );
        return;
    }
    assert!(report.quarantined.is_empty(), "{case}: {report:?}");
    let refused = d.journal().recovery(|_, _| false).refused;
    assert!(
        refused.contains(&(set, RecoveryRefused::NotTheFoundingKey)),
        "{case}: {refused:?}"
    );
    assert!(
        refused.contains(&(renewal, RecoveryRefused::BadSignature)),
        "{case}: {refused:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creating_an_existing_entry_again_is_refused_or_disputed() {
    for (clock, sight) in CASES {
        let mut w = world_for(sight).await;
        let case = format!("{clock:?}, {sight:?}");
        let target = w.phone_entry;
        let genuine = w.laptop.journal().entry(&target).unwrap();
        let seen = w.insider.observe().await;
        let deps = deps_for(&w.insider, &seen, sight);
        let forged = w
            .insider
            .write(
                clock,
                &seen,
                &deps,
                ops::create_entry(target, fields("made up", "he wrote this")),
            )
            .await;
        let report = w.laptop.sync(&w.tl).await.unwrap();
        let view = w.laptop.journal().entry(&target).unwrap();
        match (clock, sight) {
            (Clock::Zero, _) => {
                assert_misplaced(
                    &report,
                    &w.insider.device_id,
                    forged.idx,
                    zero_clock_refusal(sight),
                );
                assert_eq!(view, genuine, "{case}");
            }
            (_, Sight::Admitted) => {
                assert!(report.quarantined.is_empty(), "{case}");
                assert!(w
                    .laptop
                    .journal()
                    .rejections()
                    .iter()
                    .any(|r| r.op == forged
                        && r.reason == RejectionReason::EntryCreatedAgain(target)));
                // Author, time, text and history are as they were.
                assert_eq!(view, genuine, "{case}");
            }
            (_, Sight::Hidden) => {
                // Two creations neither saw: the entry says it is disputed, and the
                // genuine creation stays in its history with its own author and time.
                assert!(report.quarantined.is_empty(), "{case}");
                assert!(!view.disputed_creations.is_empty(), "{case}");
                let original = &genuine.history[0];
                assert!(view.history.contains(original), "{case}");
                assert!(view.history.iter().any(|r| r.op == forged));
                assert!(
                    view.conflict(mycase_core::journal::Field::Text).is_some(),
                    "{case}"
                );
            }
        }
        // Other entries are untouched.
        for e in w.phone.journal().entries() {
            if e.id != target {
                assert_eq!(w.laptop.journal().entry(&e.id), Some(e));
            }
        }
        revoke_insider_and_sync_on(&mut w).await;
        let view = w.laptop.journal().entry(&target).unwrap();
        // Once the insider is revoked his creation no longer disputes the entry.
        assert_eq!(
            (view.created_by, view.recorded_at_ms, view.text.as_str()),
            (
                genuine.created_by,
                genuine.recorded_at_ms,
                genuine.text.as_str()
            ),
            "{case}"
        );
        assert!(view.disputed_creations.is_empty(), "{case}");
        w.server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_out_of_place_in_time_are_quarantined_and_the_rest_goes_on() {
    enum Forgery {
        BelowPredecessor,
        BelowDependency,
        FarFuture,
    }
    for forgery in [
        Forgery::BelowPredecessor,
        Forgery::BelowDependency,
        Forgery::FarFuture,
    ] {
        // A first record that checks out, applied everywhere. For the forged
        // dependency, the insider's honest record from before the phone joined,
        // so that the next one can be after it and still before what it then says
        // it saw (the phone's records).
        let hiding = matches!(forgery, Forgery::BelowDependency);
        let mut w = world_for(if hiding {
            Sight::Hidden
        } else {
            Sight::Admitted
        })
        .await;
        let seen = w.insider.observe().await;
        let (honest, honest_clock) = if hiding {
            let honest = OpId {
                device: w.insider.device_id,
                idx: w.insider.last_idx(),
            };
            let clock = w.laptop.journal().placement_of(&honest).unwrap().hlc;
            (honest, clock)
        } else {
            let deps = w.insider.deps_seeing_all(&seen);
            let honest_op = w.insider.operation(
                Clock::Plausible,
                &seen,
                &deps,
                ops::create_entry(new_id(), fields("x", "looks honest")),
            );
            let honest_clock = honest_op.hlc.unwrap();
            let record = w.insider.seal(&honest_op);
            w.insider.append(vec![record]).await;
            let honest = OpId {
                device: w.insider.device_id,
                idx: w.insider.last_idx(),
            };
            (honest, honest_clock)
        };
        let deps = w.insider.deps_seeing_all(&seen);
        let (clock, why) = match forgery {
            Forgery::BelowPredecessor => {
                (Clock::At(honest_clock), Misplaced::ClockNotAfterPredecessor)
            }
            Forgery::BelowDependency => (
                Clock::At(Hlc {
                    wall_ms: honest_clock.wall_ms,
                    counter: honest_clock.counter + 1,
                }),
                Misplaced::ClockNotAfterDependency,
            ),
            Forgery::FarFuture => (
                Clock::At(Hlc {
                    wall_ms: MAX_WALL_MS,
                    counter: 0,
                }),
                Misplaced::ClockOutOfRange,
            ),
        };
        let forged = w
            .insider
            .write(
                clock,
                &seen,
                &deps,
                ops::create_entry(new_id(), fields("y", "forged time")),
            )
            .await;
        // The phone goes on writing meanwhile.
        let from_phone = w
            .phone
            .add_entry(fields("meanwhile", "on the phone"))
            .unwrap();
        w.phone.sync(&w.tp).await.unwrap();
        let max_before = w.laptop.journal().max_hlc();
        let report = w.laptop.sync(&w.tl).await.unwrap();
        assert_misplaced(&report, &w.insider.device_id, forged.idx, why);
        assert_eq!(w.laptop.quarantined(), report.quarantined.as_slice());
        assert!(w.laptop.journal().contains(&honest));
        assert!(!w.laptop.journal().contains(&forged));
        assert!(
            w.laptop.journal().entry(&from_phone).is_some(),
            "the phone's log is applied"
        );
        assert!(
            w.laptop.journal().max_hlc().wall_ms < MAX_WALL_MS,
            "a forged clock moved the survivor's clock: {:?} -> {:?}",
            max_before,
            w.laptop.journal().max_hlc()
        );
        let report = revoke_insider_and_sync_on(&mut w).await;
        assert_eq!(
            report.last_idx, honest.idx,
            "the insider's log ends before the forged record"
        );
        w.server.stop().await;
    }
}

// ---- Item 4: epoch freeze --------------------------------------------------------

/// A rotation by the insider to `epoch`, with `key` sealed to every device of the
/// laptop's roster (so that only its epoch number can be wrong).
fn rotation_to_everyone(w: &World, epoch: u32, key: &VaultKey) -> KeyRotated {
    KeyRotated {
        key_epoch: epoch,
        sealed_keys: w
            .laptop
            .journal()
            .devices()
            .iter()
            .map(|d| SealedEpochKey {
                device_id: d.device_id.to_vec(),
                sealed: seal_epoch_key(
                    &w.insider.account_id,
                    epoch,
                    &w.insider.device_id,
                    &d.device_id,
                    &d.dh_public_key,
                    key,
                ),
            })
            .collect(),
    }
}

/// How the insider tries to freeze the epoch numbering.
#[derive(Debug, Clone, Copy)]
enum Freeze {
    /// `key_epoch: u32::MAX`, as the issue found it.
    Max,
    /// The last generation the numbering has, with his own tag.
    TopGeneration,
    /// Five generations ahead, with his own tag.
    Jump,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotations_that_skip_ahead_are_refused_and_the_next_revocation_moves_one_step() {
    for freeze in [Freeze::Max, Freeze::TopGeneration, Freeze::Jump] {
        let mut w = world().await;
        let tag = author_tag(&w.insider.device_id);
        let epoch = match freeze {
            Freeze::Max => u32::MAX,
            Freeze::TopGeneration => (MAX_GENERATION << GENERATION_SHIFT) | tag,
            Freeze::Jump => (5 << GENERATION_SHIFT) | tag,
        };
        let key = VaultKey::generate();
        let seen = w.insider.observe().await;
        let deps = w.insider.deps_seeing_all(&seen);
        let rotated = rotation_to_everyone(&w, epoch, &key);
        let forged = w
            .insider
            .write(Clock::Plausible, &seen, &deps, Body::KeyRotated(rotated))
            .await;
        w.insider.keyring.insert(epoch, key);
        let (laptop_epoch, phone_epoch) = (
            w.laptop.current_key_epoch().unwrap(),
            w.phone.current_key_epoch().unwrap(),
        );
        let laptop_report = w.laptop.sync(&w.tl).await.unwrap();
        let phone_report = w.phone.sync(&w.tp).await.unwrap();
        for (d, report) in [(&w.laptop, &laptop_report), (&w.phone, &phone_report)] {
            let refused = d
                .journal()
                .rotations()
                .into_iter()
                .find(|r| r.op == forged)
                .map(|r| r.refused);
            if tag == epoch & TAG_MASK {
                assert!(report.quarantined.is_empty(), "{freeze:?}: {report:?}");
                assert_eq!(refused, Some(Some(RotationRefused::NotTheNextGeneration)));
                assert!(d.journal().rejections().iter().any(|r| r.op == forged
                    && r.reason
                        == RejectionReason::Rotation(RotationRefused::NotTheNextGeneration)));
            } else {
                // u32::MAX is not even his number to take: refused before its key is
                // learned.
                let q = quarantine_of(report, &w.insider.device_id).unwrap();
                assert_eq!(q.reason, SyncError::ForeignEpochNumber { epoch });
                assert_eq!(q.from_idx, forged.idx);
                assert!(q.reason.to_string().contains("refused as forged"));
                assert_eq!(refused, None);
                assert!(d.keyring().get(epoch).is_err());
            }
            assert!(!d.journal().counting_epochs().contains(&epoch));
        }
        // Every device keeps writing under the epoch it had.
        assert_eq!(w.laptop.current_key_epoch().unwrap(), laptop_epoch);
        assert_eq!(w.phone.current_key_epoch().unwrap(), phone_epoch);
        w.phone.add_entry(fields("still", "the old epoch")).unwrap();
        let phone_id = *w.phone.device_id();
        assert_eq!(
            w.phone.store().log(&phone_id).last().unwrap().key_epoch,
            phone_epoch
        );
        w.phone.sync(&w.tp).await.unwrap();
        // The survivor's next revocation takes the next generation, in her own numbering.
        let report = revoke_insider_and_sync_on(&mut w).await;
        assert_eq!(
            report.key_epoch,
            next_epoch(laptop_epoch, w.laptop.device_id()).unwrap(),
            "{freeze:?}"
        );
        w.server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotation_squatting_the_survivors_next_epoch_number_does_not_block_her_revocation() {
    let mut w = world().await;
    // The number the laptop's next rotation will take, with a key of his own.
    let epoch = next_epoch(w.laptop.current_key_epoch().unwrap(), w.laptop.device_id()).unwrap();
    let key = VaultKey::generate();
    let seen = w.insider.observe().await;
    let deps = w.insider.deps_seeing_all(&seen);
    let rotated = rotation_to_everyone(&w, epoch, &key);
    let forged = w
        .insider
        .write(Clock::Plausible, &seen, &deps, Body::KeyRotated(rotated))
        .await;
    w.insider.keyring.insert(epoch, key);
    let entries = w.laptop.journal().entries();
    // The phone syncs first, so it has his key for that number when the laptop's
    // own rotation to it arrives.
    let phone_report = w.phone.sync(&w.tp).await.unwrap();
    let laptop_report = w.laptop.sync(&w.tl).await.unwrap();
    for (d, report) in [(&w.phone, &phone_report), (&w.laptop, &laptop_report)] {
        let refused = d
            .journal()
            .rotations()
            .into_iter()
            .find(|r| r.op == forged)
            .map(|r| r.refused);
        let quarantined = quarantine_of(report, &w.insider.device_id);
        assert!(
            refused == Some(Some(RotationRefused::NotTheAuthorsTag))
                || quarantined.is_some_and(|q| q.from_idx == forged.idx),
            "{refused:?} {report:?}"
        );
        assert!(!d.journal().counting_epochs().contains(&epoch));
        assert_eq!(d.journal().entries(), entries);
    }
    revoke_insider_and_sync_on(&mut w).await;
    w.server.stop().await;
}

// ---- Item 5: one poisoned log never halts everyone -------------------------------

/// After the poison: the laptop applied every other log (the phone's new entry),
/// reports `culprit`'s log quarantined with `reason` (in the report and on the
/// device), and the survivor's data is what it was plus the phone's entry.
async fn poisoned_log_is_quarantined(
    w: &mut World,
    culprit: &DeviceId,
    check: impl Fn(&SyncError) -> bool,
) {
    let entries = w.laptop.journal().entries();
    let from_phone = w
        .phone
        .add_entry(fields("meanwhile", "on the phone"))
        .unwrap();
    w.phone.sync(&w.tp).await.unwrap();
    let report = w
        .laptop
        .sync(&w.tl)
        .await
        .expect("the laptop's sync goes on");
    let q = quarantine_of(&report, culprit).unwrap_or_else(|| panic!("{report:?}"));
    assert!(check(&q.reason), "{q:?}");
    assert_eq!(w.laptop.quarantined(), report.quarantined.as_slice());
    assert!(w.laptop.journal().entry(&from_phone).is_some());
    let mut expected = entries;
    expected.push(w.phone.journal().entry(&from_phone).unwrap());
    expected.sort_by_key(|e| e.timeline_key());
    assert_eq!(w.laptop.journal().entries(), expected);
    // Syncing again does not halt either.
    let again = w.laptop.sync(&w.tl).await.unwrap();
    assert!(quarantine_of(&again, culprit).is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_record_under_an_unknown_epoch_is_quarantined() {
    let mut w = world().await;
    let seen = w.insider.observe().await;
    let deps = w.insider.deps_seeing_all(&seen);
    let op = w.insider.operation(
        Clock::Plausible,
        &seen,
        &deps,
        ops::create_entry(new_id(), fields("z", "under a key nobody has")),
    );
    let mut nobodys = w.insider.keyring.clone();
    let epoch = (3 << GENERATION_SHIFT) | author_tag(&w.insider.device_id);
    nobodys.insert(epoch, VaultKey::generate());
    nobodys.set_write_epoch(Some(epoch));
    let record = w
        .insider
        .seal_bytes(&prost::Message::encode_to_vec(&op), &nobodys);
    w.insider.append(vec![record]).await;
    let insider = w.insider.device_id;
    poisoned_log_is_quarantined(&mut w, &insider, |e| {
        matches!(e, SyncError::Tampered(RecordError::UnknownEpoch { epoch: got, .. }) if *got == epoch)
    })
    .await;
    revoke_insider_and_sync_on(&mut w).await;
    w.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_record_that_is_not_an_operation_is_quarantined() {
    let mut w = world().await;
    let keyring = w.insider.keyring.clone();
    let record = w
        .insider
        .seal_bytes(b"\xff\xff\xff these bytes are no operation", &keyring);
    w.insider.append(vec![record]).await;
    let insider = w.insider.device_id;
    poisoned_log_is_quarantined(&mut w, &insider, |e| matches!(e, SyncError::BadOperation)).await;
    revoke_insider_and_sync_on(&mut w).await;
    w.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_from_a_device_nobody_added_are_quarantined_and_it_can_be_revoked() {
    let mut w = world().await;
    let mut ghost = w.insider.add_ghost(&w.server).await;
    let seen = ghost.observe().await;
    let deps = ghost.deps_seeing_all(&seen);
    ghost
        .write(
            Clock::Plausible,
            &seen,
            &deps,
            ops::create_entry(new_id(), fields("g", "from nowhere")),
        )
        .await;
    poisoned_log_is_quarantined(&mut w, &ghost.device_id, |e| {
        matches!(e, SyncError::UnknownDevice)
    })
    .await;
    assert!(w
        .laptop
        .journal()
        .devices()
        .iter()
        .all(|d| d.device_id != ghost.device_id));
    // Revoking it works from the local view: the server refuses it from then on.
    let report = w
        .laptop
        .revoke_device(&w.tl, ghost.device_id)
        .await
        .unwrap();
    assert_eq!(report.last_idx, 0);
    assert!(ghost.transport.append(Vec::new()).await.is_err());
    revoke_insider_and_sync_on(&mut w).await;
    w.server.stop().await;
}

/// A recovery-key renewal the survivor's kit never signed, to a kit of his own.
fn forged_renewal(account: &[u8; 16], kit: &RecoveryKit, his: &RecoveryKit) -> Body {
    let message = mycase_proto::wire::recovery_renewal_message(
        account,
        &kit.public_key(),
        &his.public_key(),
        &his.dh_public(),
    );
    let signature = his.signing_key().sign(&message).to_bytes().to_vec();
    Body::RecoveryKeyRenewed(RecoveryKeyRenewed {
        old_recovery_public_key: kit.public_key().to_vec(),
        new_recovery_public_key: his.public_key().to_vec(),
        new_recovery_dh_public_key: his.dh_public().to_vec(),
        old_key_signature: signature.clone(),
        new_key_signature: signature,
    })
}

/// A ghost that adds itself with a certificate from the abuser's own kit, after
/// the insider wrote `claim` (a kit of his own, in some form), is no device of the
/// journal on `victim`: its log is quarantined, it is in no roster, and no
/// rotation seals a key to it.
async fn self_certified_ghost_is_refused(
    w: &mut World,
    victim_is_phone: bool,
    claim: impl FnOnce(&World, &RecoveryKit) -> Body,
) {
    let his_kit = RecoveryKit::generate();
    let seen = w.insider.observe().await;
    let deps = w.insider.deps_seeing_all(&seen);
    let body = claim(w, &his_kit);
    w.insider.write(Clock::Plausible, &seen, &deps, body).await;
    let mut ghost = w.insider.add_ghost(&w.server).await;
    let seen = ghost.observe().await;
    let deps = ghost.deps_seeing_all(&seen);
    let addition = ghost.certified_self_addition(&his_kit, "new phone");
    ghost.write(Clock::Plausible, &seen, &deps, addition).await;
    let seen = ghost.observe().await;
    let deps = ghost.deps_seeing_all(&seen);
    ghost
        .write(
            Clock::Plausible,
            &seen,
            &deps,
            ops::create_entry(new_id(), fields("g", "certified by his kit")),
        )
        .await;
    let (victim, transport) = if victim_is_phone {
        (&mut w.phone, &w.tp)
    } else {
        (&mut w.laptop, &w.tl)
    };
    let report = victim.sync(transport).await.unwrap();
    let q = quarantine_of(&report, &ghost.device_id);
    assert!(
        q.is_some_and(|q| q.reason == SyncError::UnknownDevice && q.from_idx == 1),
        "{report:?}"
    );
    assert!(
        victim
            .journal()
            .devices()
            .iter()
            .all(|d| d.device_id != ghost.device_id),
        "the ghost is in the roster"
    );
    assert_eq!(victim.recovery_public_key(), Some(w.kit.public_key()));
    revoke_insider_and_sync_on(w).await;
    for d in [&w.laptop, &w.phone] {
        for r in d.journal().rotations() {
            assert!(r
                .rotated
                .sealed_keys
                .iter()
                .all(|s| s.device_id != ghost.device_id));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ghost_certified_by_a_forged_kit_renewal_is_not_trusted() {
    let mut w = world().await;
    self_certified_ghost_is_refused(&mut w, false, |w, his| {
        forged_renewal(&w.insider.account_id, &w.kit, his)
    })
    .await;
    w.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ghost_certified_by_a_kit_the_insider_set_is_not_trusted_by_devices_he_vouched_for() {
    // The phone of this world is paired after the insider, so the insider is one
    // of the phone's trust anchors: the devices it trusts without the journal.
    let server = TestServer::start().await;
    let tl = server.transport().await;
    let (mut laptop, kit) = Device::create_in(MemoryStore::new(), server.setup("laptop")).unwrap();
    laptop.register(&tl, &kit, None).await.unwrap();
    laptop.sync(&tl).await.unwrap();
    let insider = Insider::pair(&server, &mut laptop, &tl, "old laptop").await;
    laptop.sync(&tl).await.unwrap();
    let (phone, tp) = pair_device(&server, &mut laptop, &tl, "phone").await;
    assert!(phone
        .trust_anchors()
        .iter()
        .any(|a| a.device_id == insider.device_id));
    let phone_entry = EntryId::default();
    let mut w = World {
        server,
        kit,
        laptop,
        tl,
        phone,
        tp,
        insider,
        phone_entry,
    };
    self_certified_ghost_is_refused(&mut w, true, |w, his| {
        Body::RecoveryKeySet(mycase_core::founding_recovery_key(
            his,
            &w.insider.account_id,
        ))
    })
    .await;
    w.server.stop().await;
}

// ---- Item 6: withholding ---------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_hiding_records_from_one_device_is_caught_by_what_others_saw() {
    let server = TestServer::start().await;
    let tl = server.transport().await;
    let (mut laptop, _kit) = Device::create_in(MemoryStore::new(), server.setup("laptop")).unwrap();
    laptop.register(&tl, &_kit, None).await.unwrap();
    laptop.sync(&tl).await.unwrap();
    let tp = HostileTransport::new(server.transport().await);
    let (accepted, joined) = pair_over(&server, &mut laptop, &tl, &tp, "phone").await;
    accepted.unwrap();
    let mut phone = joined.unwrap();
    let (mut tablet, tt) = pair_device(&server, &mut laptop, &tl, "tablet").await;
    let insider = Insider::pair(&server, &mut laptop, &tl, "old laptop").await;
    for _ in 0..2 {
        laptop.sync(&tl).await.unwrap();
        phone.sync(&tp).await.unwrap();
        tablet.sync(&tt).await.unwrap();
    }
    let laptop_id = *laptop.device_id();
    let tablet_id = *tablet.device_id();

    // The server hides the laptop's new entry from the phone, and only from it,
    // consistently (its vector says the laptop's log ends before it).
    let hidden = laptop
        .add_entry(fields("hidden", "kept from the phone"))
        .unwrap();
    laptop.sync(&tl).await.unwrap();
    let hidden_idx = laptop.store().log(&laptop_id).len() as u64;
    tp.set(Tamper::HideFrom {
        device: laptop_id.to_vec(),
        from_idx: hidden_idx,
    });
    let report = phone.sync(&tp).await.unwrap();
    assert!(
        report.quarantined.is_empty(),
        "the lie alone is consistent: {report:?}"
    );
    assert!(phone.journal().entry(&hidden).is_none());
    // The tablet writes one entry on its own, then amends the hidden one.
    let own = tablet.add_entry(fields("tablet", "its own")).unwrap();
    tablet.sync(&tt).await.unwrap();
    tablet
        .amend_entry(hidden, text_fields("seen on the tablet"))
        .unwrap();
    tablet.sync(&tt).await.unwrap();
    let before = phone.journal().entries();
    let report = phone.sync(&tp).await.unwrap();
    let q = quarantine_of(&report, &tablet_id).unwrap_or_else(|| panic!("{report:?}"));
    assert_eq!(
        q.reason,
        SyncError::WithheldDependency {
            device: laptop_id,
            idx: hidden_idx
        }
    );
    assert!(q.reason.to_string().contains("withholding"));
    assert_eq!(phone.quarantined(), report.quarantined.as_slice());
    // The rest is applied: the tablet's own entry, and nothing else changed.
    assert!(phone.journal().entry(&own).is_some());
    assert!(before
        .iter()
        .all(|e| phone.journal().entry(&e.id).as_ref() == Some(e)));

    // Once the server stops hiding, the phone has everything.
    tp.set(Tamper::None);
    let report = phone.sync(&tp).await.unwrap();
    assert!(report.quarantined.is_empty(), "{report:?}");
    assert_eq!(phone.journal().entries(), tablet.journal().entries());

    // Now the laptop revokes the insider and the server hides the revocation and
    // its rotation from the phone.
    let revoked_idx = laptop.store().log(&laptop_id).len() as u64 + 1;
    tp.set(Tamper::HideFrom {
        device: laptop_id.to_vec(),
        from_idx: revoked_idx,
    });
    let revocation = laptop.revoke_device(&tl, insider.device_id).await.unwrap();
    let report = phone.sync(&tp).await.unwrap();
    assert!(report.quarantined.is_empty());
    assert!(
        !phone.journal().is_revoked(&insider.device_id),
        "hidden so far"
    );
    let own = tablet
        .add_entry(fields("tablet", "before it syncs"))
        .unwrap();
    tablet.sync(&tt).await.unwrap();
    assert_eq!(tablet.current_key_epoch().unwrap(), revocation.key_epoch);
    let after = tablet
        .add_entry(fields("tablet", "after the revocation"))
        .unwrap();
    tablet.sync(&tt).await.unwrap();
    let report = phone.sync(&tp).await.unwrap();
    // What the tablet wrote after it saw the revocation is sealed under the new
    // epoch, whose key was in the hidden rotation: the phone cannot read its deps,
    // but it cannot read the record either, and says so for that log; it applies
    // the rest.
    let q = quarantine_of(&report, &tablet_id).unwrap_or_else(|| panic!("{report:?}"));
    assert!(
        matches!(
            q.reason,
            SyncError::WithheldDependency { device, idx } if device == laptop_id && idx >= revoked_idx
        ) || matches!(
            q.reason,
            SyncError::Tampered(RecordError::UnknownEpoch { epoch, .. }) if epoch == revocation.key_epoch
        ),
        "{q:?}"
    );
    assert!(phone.journal().entry(&own).is_some());
    assert!(phone.journal().entry(&after).is_none());
    tp.set(Tamper::None);
    phone.sync(&tp).await.unwrap();
    assert!(phone.journal().is_revoked(&insider.device_id));
    assert_eq!(phone.current_key_epoch().unwrap(), revocation.key_epoch);
    assert!(phone.journal().entry(&after).is_some());
    server_stop(server).await;
}

fn text_fields(text: &str) -> mycase_proto::v1::EntryFields {
    mycase_tests::text(text)
}

async fn server_stop(mut server: TestServer) {
    server.stop().await;
}

// ---- Item 14: devices added by a device later revoked -----------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_added_by_a_revoked_device_shows_who_added_it() {
    let mut w = world().await;
    // The insider pairs a device of his own, through the journal (a plausible,
    // well-formed addition) and the server.
    let his = DeviceKeys::generate();
    let his_id = new_id();
    let seen = w.insider.observe().await;
    let deps = w.insider.deps_seeing_all(&seen);
    let added = w
        .insider
        .write(
            Clock::Plausible,
            &seen,
            &deps,
            ops::device_added(his_id, his.sign_public(), his.dh_public(), "tablet"),
        )
        .await;
    w.insider
        .transport
        .add_device(
            his_id.to_vec(),
            his.sign_public().to_vec(),
            his.dh_public().to_vec(),
        )
        .await
        .unwrap();
    w.laptop.sync(&w.tl).await.unwrap();
    revoke_insider_and_sync_on(&mut w).await;
    for d in [&w.laptop, &w.phone] {
        let view = d
            .journal()
            .devices()
            .into_iter()
            .find(|v| v.device_id == his_id)
            .expect("it stays in the roster");
        assert_eq!(view.added_by, added);
        assert!(view.revoked.is_none());
        assert!(
            d.journal()
                .revocations()
                .contains_key(&view.added_by.device),
            "the roster says its adder is revoked"
        );
    }
    // The survivor revokes it too, and it is out.
    w.laptop.revoke_device(&w.tl, his_id).await.unwrap();
    w.phone.sync(&w.tp).await.unwrap();
    assert!(w.phone.journal().is_revoked(&his_id));
    nothing_sealed_after_revocation(&w.laptop, &his_id);
    w.server.stop().await;
}

/// No rotation made after `device`'s revocation seals a key to it.
fn nothing_sealed_after_revocation(d: &Device<MemoryStore>, device: &DeviceId) {
    let revoked_by = d.journal().revocations()[device].op;
    let last = d
        .journal()
        .rotations()
        .into_iter()
        .rfind(|r| r.counts() && r.op.device == revoked_by.device)
        .unwrap();
    assert!(last
        .rotated
        .sealed_keys
        .iter()
        .all(|s| s.device_id != device.as_slice()));
}

/// Issue 10, attack 6 from the other side: a device cannot make itself look as if
/// it had seen nothing. Its first record must cover its own addition, and deps
/// are closed under causality, so what happened before it joined cannot be hidden.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_device_cannot_claim_to_have_seen_nothing() {
    for partial in [false, true] {
        let mut w = world().await;
        // The laptop writes after it has the phone's entry: that record saw it.
        w.laptop
            .add_entry(fields("later", "after the phone's"))
            .unwrap();
        w.laptop.sync(&w.tl).await.unwrap();
        let seen = w.insider.observe().await;
        let deps = if partial {
            // Only the laptop's latest record, which had seen the phone's.
            let laptop = *w.laptop.device_id();
            [(laptop, seen.vector[&laptop])].into_iter().collect()
        } else {
            w.insider.deps_seeing_nothing()
        };
        let forged = w
            .insider
            .write(
                Clock::Plausible,
                &seen,
                &deps,
                ops::create_entry(w.phone_entry, fields("made up", "claims to be first")),
            )
            .await;
        let report = w.laptop.sync(&w.tl).await.unwrap();
        let why = if partial {
            Misplaced::DepsNotClosed
        } else {
            Misplaced::FirstRecordBeforeItsAddition
        };
        assert_misplaced(&report, &w.insider.device_id, forged.idx, why);
        let view = w.laptop.journal().entry(&w.phone_entry).unwrap();
        assert!(view.disputed_creations.is_empty());
        assert_eq!(view.created_by, *w.phone.device_id());
        w.server.stop().await;
    }
}

/// A device id is the joiner's choice: the insider vouches for a ghost whose id
/// carries the laptop's epoch tag, and the ghost rotates to the number the
/// laptop's next rotation takes. The tag belongs to the laptop (added first): the
/// ghost's rotation is refused before its key is learned, and the survivor's next
/// revocation reaches every device without colliding.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ghost_with_the_laptops_tag_cannot_take_its_epoch_numbers() {
    let mut w = world().await;
    let laptop_id = *w.laptop.device_id();
    let mut ghost_id = new_id();
    ghost_id[..3].copy_from_slice(&laptop_id[..3]);
    let ghost_keys = DeviceKeys::generate();
    let ghost_sign = ghost_keys.sign_public();
    let ghost_dh = ghost_keys.dh_public();
    let mut ghost = w
        .insider
        .add_ghost_with(&w.server, ghost_id, ghost_keys)
        .await;
    let seen = w.insider.observe().await;
    let deps = w.insider.deps_seeing_all(&seen);
    w.insider
        .write(
            Clock::Plausible,
            &seen,
            &deps,
            ops::device_added(ghost_id, ghost_sign, ghost_dh, "spare"),
        )
        .await;
    let epoch = next_epoch(w.laptop.current_key_epoch().unwrap(), &laptop_id).unwrap();
    assert_eq!(epoch & TAG_MASK, author_tag(&ghost_id));
    let key = VaultKey::generate();
    let seen = ghost.observe().await;
    let deps = ghost.deps_seeing_all(&seen);
    let rotated = KeyRotated {
        key_epoch: epoch,
        sealed_keys: w
            .laptop
            .journal()
            .devices()
            .iter()
            .map(|d| SealedEpochKey {
                device_id: d.device_id.to_vec(),
                sealed: seal_epoch_key(
                    &ghost.account_id,
                    epoch,
                    &ghost_id,
                    &d.device_id,
                    &d.dh_public_key,
                    &key,
                ),
            })
            .collect(),
    };
    let forged = ghost
        .write(Clock::Plausible, &seen, &deps, Body::KeyRotated(rotated))
        .await;
    // The phone syncs first, as it would when the collision hurts most.
    let report = w.phone.sync(&w.tp).await.unwrap();
    let q = quarantine_of(&report, &ghost_id).unwrap_or_else(|| panic!("{report:?}"));
    assert_eq!(q.reason, SyncError::ForeignEpochNumber { epoch });
    assert_eq!(q.from_idx, forged.idx);
    assert!(
        w.phone.keyring().get(epoch).is_err(),
        "his key was never learned"
    );
    assert_eq!(
        w.phone.journal().tag_taken_before(&ghost_id),
        Some(laptop_id)
    );
    revoke_insider_and_sync_on(&mut w).await;
    w.server.stop().await;
}
