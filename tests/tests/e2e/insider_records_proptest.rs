#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Issue 10, item 2 as a property: whatever clocks and deps an insider's records
//! carry, and in whatever order (with duplicates) a hostile server delivers them,
//! they never change the keys of a device already in the roster, who created an
//! existing entry and when, or the recovery key.
//!
//! Each case opens a copy of the survivor's laptop (a file-backed device) and
//! feeds it the insider's forged records through a [`HostileTransport`] that adds
//! them to what the real server sends, so the server's state is the same for
//! every case.

use std::collections::BTreeMap;
use std::path::PathBuf;

use mycase_core::crypto::passphrase::KdfParams;
use mycase_core::epoch_keys::seal_epoch_key;
use mycase_core::ids::{new_id, DeviceId};
use mycase_core::journal::{ops, EntryView, Revision};
use mycase_core::keys::{DeviceKeys, RecoveryKit, VaultKey};
use mycase_core::store::file::FileStore;
use mycase_core::store::LocalStore;
use mycase_core::{Device, DeviceError};
use mycase_proto::v1::operation::Body;
use mycase_proto::v1::{Hlc, KeyRotated, Record, RecoveryKeyRenewed, SealedEpochKey};
use mycase_tests::abuser::{Clock, Insider, Seen};
use mycase_tests::{fields, pair_device, HostileTransport, Tamper, TestServer};
use proptest::prelude::*;
use proptest::sample::Index;

const PASSPHRASE: &[u8] = b"the survivor's passphrase";

/// What one forged record does.
#[derive(Debug, Clone)]
enum Forge {
    /// Gives a device of the roster the abuser's keys.
    KeysFor(Index),
    /// Creates an existing entry again.
    CreateAgain(Index),
    RecoveryKeySet,
    RecoveryRenewal,
    Rotation(u32),
    Harmless,
}

#[derive(Debug, Clone)]
enum When {
    Zero,
    Plausible,
    Wall(u64),
    /// Just below the previous forged record's clock.
    BelowLast,
}

#[derive(Debug, Clone)]
enum Saw {
    All,
    Nothing,
    /// For each device of the roster, an idx up to two past its log's end.
    Some(Vec<u8>),
}

#[derive(Debug, Clone)]
struct Plan {
    /// The insider's log starts with a record that admits to everything (so no
    /// later one may hide anything: the strict checks then hold).
    starts_honest: bool,
    forged: Vec<(Forge, When, Saw)>,
    /// Delivery: sort keys (when not in order), duplicated records, batch splits.
    in_order: bool,
    shuffle: Vec<u32>,
    duplicates: Vec<Index>,
    splits: Vec<Index>,
}

fn forge() -> impl Strategy<Value = Forge> {
    prop_oneof![
        any::<Index>().prop_map(Forge::KeysFor),
        any::<Index>().prop_map(Forge::CreateAgain),
        Just(Forge::RecoveryKeySet),
        Just(Forge::RecoveryRenewal),
        any::<u32>().prop_map(Forge::Rotation),
        Just(Forge::Harmless),
    ]
}

fn when() -> impl Strategy<Value = When> {
    prop_oneof![
        Just(When::Zero),
        Just(When::Plausible),
        (0u64..(1 << 49)).prop_map(When::Wall),
        Just(When::BelowLast),
    ]
}

fn saw() -> impl Strategy<Value = Saw> {
    prop_oneof![
        Just(Saw::All),
        Just(Saw::Nothing),
        proptest::collection::vec(any::<u8>(), 4).prop_map(Saw::Some),
    ]
}

fn plan() -> impl Strategy<Value = Plan> {
    (
        any::<bool>(),
        proptest::collection::vec((forge(), when(), saw()), 1..6),
        any::<bool>(),
        proptest::collection::vec(any::<u32>(), 8),
        proptest::collection::vec(any::<Index>(), 0..3),
        proptest::collection::vec(any::<Index>(), 0..3),
    )
        .prop_map(
            |(starts_honest, forged, in_order, shuffle, duplicates, splits)| Plan {
                starts_honest,
                forged,
                in_order,
                shuffle,
                duplicates,
                splits,
            },
        )
}

/// The survivor's laptop on disk (closed), its kit, and an insider it paired, as
/// they were before any case.
struct Fixture {
    server: TestServer,
    _dir: tempfile::TempDir,
    home: PathBuf,
    kit: RecoveryKit,
    insider: Insider,
    seen: Seen,
    /// The roster before the attack: id and key pair.
    roster: Vec<(DeviceId, [u8; 32], [u8; 32])>,
    entries: Vec<EntryView>,
    /// Cases in which some forged record was applied (so the property was tested
    /// against records that got in, not only against refused ones).
    applied: usize,
}

impl Fixture {
    async fn new() -> Fixture {
        let server = TestServer::start().await;
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("laptop");
        let tl = server.transport().await;
        let (mut laptop, kit) = Device::create(
            &home,
            PASSPHRASE,
            KdfParams::MINIMUM,
            server.setup("laptop"),
        )
        .unwrap();
        laptop.register(&tl, &kit, None).await.unwrap();
        laptop.add_entry(fields("one", "on the laptop")).unwrap();
        laptop.sync(&tl).await.unwrap();
        let (mut phone, tp) = pair_device(&server, &mut laptop, &tl, "phone").await;
        phone.add_entry(fields("two", "on the phone")).unwrap();
        phone.sync(&tp).await.unwrap();
        let mut insider = Insider::pair(&server, &mut laptop, &tl, "old laptop").await;
        laptop.sync(&tl).await.unwrap();
        let seen = insider.observe().await;
        let roster = laptop
            .journal()
            .devices()
            .iter()
            .map(|d| (d.device_id, d.sign_public_key, d.dh_public_key))
            .collect();
        let entries = laptop.journal().entries();
        Fixture {
            server,
            _dir: dir,
            home,
            kit,
            insider,
            seen,
            roster,
            entries,
            applied: 0,
        }
    }

    fn deps(&self, saw: &Saw) -> BTreeMap<DeviceId, u64> {
        match saw {
            Saw::All => self.insider.deps_seeing_all(&self.seen),
            Saw::Nothing => self.insider.deps_seeing_nothing(),
            Saw::Some(picks) => {
                let mut deps = self.insider.deps_seeing_nothing();
                for ((device, _, _), pick) in self.roster.iter().zip(picks) {
                    if *device == self.insider.device_id {
                        continue;
                    }
                    let len = self.seen.vector.get(device).copied().unwrap_or(0);
                    let idx = u64::from(*pick) % (len + 3);
                    if idx > 0 {
                        deps.insert(*device, idx);
                    }
                }
                deps
            }
        }
    }

    fn body(&self, forge: &Forge, abuser: &DeviceKeys, his_kit: &RecoveryKit) -> Body {
        let account = self.insider.account_id;
        match forge {
            Forge::KeysFor(i) => {
                let (device, _, _) = i.get(&self.roster);
                ops::device_added(*device, abuser.sign_public(), abuser.dh_public(), "phone")
            }
            Forge::CreateAgain(i) => {
                ops::create_entry(i.get(&self.entries).id, fields("made up", "forged"))
            }
            Forge::RecoveryKeySet => {
                Body::RecoveryKeySet(mycase_core::founding_recovery_key(his_kit, &account))
            }
            Forge::RecoveryRenewal => {
                let message = mycase_proto::wire::recovery_renewal_message(
                    &account,
                    &self.kit.public_key(),
                    &his_kit.public_key(),
                    &his_kit.dh_public(),
                );
                let sig = ed25519_dalek::Signer::sign(&his_kit.signing_key(), &message)
                    .to_bytes()
                    .to_vec();
                Body::RecoveryKeyRenewed(RecoveryKeyRenewed {
                    old_recovery_public_key: self.kit.public_key().to_vec(),
                    new_recovery_public_key: his_kit.public_key().to_vec(),
                    new_recovery_dh_public_key: his_kit.dh_public().to_vec(),
                    old_key_signature: sig.clone(),
                    new_key_signature: sig,
                })
            }
            Forge::Rotation(epoch) => {
                let key = VaultKey::generate();
                Body::KeyRotated(KeyRotated {
                    key_epoch: *epoch,
                    sealed_keys: self
                        .roster
                        .iter()
                        .map(|(device, _, dh)| SealedEpochKey {
                            device_id: device.to_vec(),
                            sealed: seal_epoch_key(
                                &account,
                                *epoch,
                                &self.insider.device_id,
                                device,
                                dh,
                                &key,
                            ),
                        })
                        .collect(),
                })
            }
            Forge::Harmless => ops::create_entry(new_id(), fields("his", "an entry of his")),
        }
    }

    /// The insider's forged log for `plan`, in idx order.
    fn forged_log(&mut self, plan: &Plan) -> Vec<Record> {
        self.insider.restart_log();
        let abuser = DeviceKeys::generate();
        let his_kit = RecoveryKit::generate();
        let mut records = Vec::new();
        let mut last = Hlc::default();
        if plan.starts_honest {
            let deps = self.insider.deps_seeing_all(&self.seen);
            let op = self.insider.operation(
                Clock::Plausible,
                &self.seen,
                &deps,
                ops::restore_entry(new_id()),
            );
            last = op.hlc.unwrap();
            records.push(self.insider.seal(&op));
        }
        for (forge, when, saw) in &plan.forged {
            let clock = match when {
                When::Zero => Clock::Zero,
                When::Plausible => Clock::Plausible,
                When::Wall(ms) => Clock::At(Hlc {
                    wall_ms: *ms,
                    counter: 0,
                }),
                When::BelowLast => Clock::At(Hlc {
                    wall_ms: last.wall_ms.saturating_sub(1),
                    counter: 0,
                }),
            };
            let deps = self.deps(saw);
            let body = self.body(forge, &abuser, &his_kit);
            let op = self.insider.operation(clock, &self.seen, &deps, body);
            last = op.hlc.unwrap();
            records.push(self.insider.seal(&op));
        }
        records
    }

    async fn run(&mut self, plan: Plan) -> Result<(), TestCaseError> {
        let records = self.forged_log(&plan);
        let mut delivered: Vec<Record> = records.clone();
        if !plan.in_order {
            let mut keyed: Vec<(u32, Record)> =
                plan.shuffle.iter().copied().zip(delivered).collect();
            keyed.sort_by_key(|(k, _)| *k);
            delivered = keyed.into_iter().map(|(_, r)| r).collect();
            delivered.extend(records.iter().skip(plan.shuffle.len()).cloned());
        }
        for d in &plan.duplicates {
            let r = d.get(&records).clone();
            delivered.insert(d.index(delivered.len() + 1), r);
        }
        let mut cuts: Vec<usize> = plan
            .splits
            .iter()
            .map(|s| s.index(delivered.len() + 1))
            .collect();
        cuts.push(0);
        cuts.push(delivered.len());
        cuts.sort_unstable();
        cuts.dedup();

        let copy = tempfile::tempdir().unwrap();
        let home = copy.path().join("laptop");
        mycase_tests::vectors::copy_dir(&self.home, &home);
        let mut laptop = Device::open(&home, PASSPHRASE).unwrap();
        let transport = HostileTransport::new(self.server.transport().await);
        laptop.authenticate(&transport).await.unwrap();
        for batch in cuts.windows(2) {
            transport.set(Tamper::InjectRecords(
                delivered[batch[0]..batch[1]].to_vec(),
            ));
            match laptop.sync_round(&transport).await {
                Ok(_) | Err(DeviceError::Sync(_)) => {}
                Err(e) => return Err(TestCaseError::fail(format!("sync failed: {e}"))),
            }
            self.holds(&laptop, &plan)?;
        }
        let insider = self.insider.device_id;
        if !laptop.store().log(&insider).is_empty() {
            self.applied += 1;
        }
        // And what a fresh start from the store folds is the same.
        drop(laptop);
        let reopened = Device::open(&home, PASSPHRASE).unwrap();
        self.holds(&reopened, &plan)
    }

    /// The property: roster keys, entry creations and the recovery key stand.
    fn holds(&self, d: &Device<FileStore>, plan: &Plan) -> Result<(), TestCaseError> {
        let journal = d.journal();
        prop_assert_eq!(d.recovery_public_key(), Some(self.kit.public_key()));
        prop_assert_eq!(d.recovery_dh_public_key(), Some(self.kit.dh_public()));
        for (device, sign, dh) in &self.roster {
            let view = journal
                .devices()
                .into_iter()
                .find(|v| &v.device_id == device);
            let view = view.ok_or_else(|| TestCaseError::fail("a device left the roster"))?;
            prop_assert!(view.candidate_keys.contains(&(*sign, *dh)));
            let key = journal.device_key(device);
            prop_assert!(
                key.is_none() || key == Some(*sign),
                "a device's key changed"
            );
            if plan.starts_honest {
                prop_assert_eq!(key, Some(*sign), "contested though nothing could be hidden");
            }
        }
        for before in &self.entries {
            let view = journal
                .entry(&before.id)
                .ok_or_else(|| TestCaseError::fail("an entry is gone"))?;
            let original: &Revision = &before.history[0];
            prop_assert!(
                view.history.contains(original),
                "the original creation is gone"
            );
            let same = (view.created_by, view.recorded_at_ms)
                == (before.created_by, before.recorded_at_ms);
            if plan.starts_honest {
                prop_assert!(same, "who created an entry and when changed");
                prop_assert_eq!(&view, before);
            } else {
                prop_assert!(
                    same || !view.disputed_creations.is_empty(),
                    "an entry's author changed with no dispute shown"
                );
            }
        }
        Ok(())
    }
}

#[test]
fn insider_records_in_any_order_never_change_keys_authors_or_the_recovery_key() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let fixture = std::cell::RefCell::new(runtime.block_on(Fixture::new()));
    let config = ProptestConfig {
        cases: 40,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(plan in plan())| {
        runtime.block_on(fixture.borrow_mut().run(plan))?;
    });
    // The random cases alone may, by chance, seldom get a forged record past the
    // checks; these fixed plans always do, so the property above is never vacuous.
    let mut fixture = fixture.into_inner();
    for forge in [
        Forge::Harmless,
        Forge::RecoveryKeySet,
        Forge::RecoveryRenewal,
    ] {
        for starts_honest in [true, false] {
            let before = fixture.applied;
            let plan = Plan {
                starts_honest,
                forged: vec![(forge.clone(), When::Plausible, Saw::All)],
                in_order: true,
                shuffle: Vec::new(),
                duplicates: Vec::new(),
                splits: Vec::new(),
            };
            let described = format!("{plan:?}");
            runtime.block_on(fixture.run(plan)).unwrap();
            assert_eq!(
                fixture.applied,
                before + 1,
                "a plausible forged record was not applied: {described}"
            );
        }
    }
    runtime.block_on(fixture.server.stop());
}
