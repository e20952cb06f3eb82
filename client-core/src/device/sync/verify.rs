//! Verifying a pull, log by log: what is applied, and what is quarantined.
//!
//! Each incoming log is checked on its own: chain, signatures and associated data
//! under the key a trusted device vouched for, each operation decrypted, then its
//! place in causality ([`crate::journal::causal`]). The first record that fails
//! stops that log there: everything before it (covered by a verified signature) is
//! applied, the rest is **quarantined** and reported, and every other log goes on.
//! One poisoned log never halts the journal, and revoking its device still works.
//!
//! Logs become verifiable as the roster grows within the pull (a `DeviceAdded` in
//! a verified record vouches for a new key), as keys arrive (a verified
//! `KeyRotated` opens later epochs), and as dependencies arrive (an operation
//! naming another device's record waits for it). Whatever still waits when nothing
//! moves is quarantined with the reason it waits for: a device nobody added, a key
//! never given, or a record the server withheld.

use std::collections::{BTreeMap, HashMap};

use mycase_proto::v1::operation::Body;
use mycase_proto::v1::{Hlc, Operation, Record};

use crate::device::Device;
use crate::format::epoch_keys::learn_into;
use crate::format::epoch_keys::{author_tag, TAG_MASK};
use crate::format::keys::Keyring;
use crate::format::record::{open_operation, verify_run, OperationError, RecordError};
use crate::ids::{id_from_slice, DeviceId};
use crate::journal::causal::{self, Known, Placement};
use crate::journal::{roster, OpId};
use crate::store::LocalStore;

use super::SyncError;

/// A log (from `from_idx` on) that was not applied, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quarantine {
    /// The device whose log is held back.
    pub device: DeviceId,
    /// The first record not applied.
    pub from_idx: u64,
    /// Why.
    pub reason: SyncError,
}

/// One device's verified, decrypted records, ready to apply.
pub(crate) struct Accepted {
    pub device: DeviceId,
    pub records: Vec<Record>,
    pub operations: Vec<Operation>,
}

/// The outcome of verifying a pull.
pub(crate) struct Verified {
    pub accepted: Vec<Accepted>,
    pub quarantined: Vec<Quarantine>,
    /// Records verified but not yet covered by a signature (applied later).
    pub held_back: u64,
    pub keyring: Keyring,
}

/// What stops a log for now.
#[derive(Clone)]
enum Blocked {
    NoKey,
    Epoch(RecordError),
    Waiting { device: DeviceId, idx: u64 },
}

struct Progress {
    records: Vec<Record>,
    /// Records covered by a verified signature (`None` until a key verified them).
    covered: Option<usize>,
    operations: Vec<Operation>,
    blocked: Option<Blocked>,
    stopped: Option<SyncError>,
}

impl Progress {
    fn open(&self) -> bool {
        self.stopped.is_none() && self.covered.is_none_or(|c| self.operations.len() < c)
    }
}

/// Operations verified in this pull, for the causal checks of later ones.
#[derive(Default)]
struct Staged {
    placement: HashMap<OpId, (Hlc, BTreeMap<DeviceId, u64>)>,
    keys: BTreeMap<DeviceId, [u8; 32]>,
    /// The first addition of each device added in this pull, by another device.
    added_by: BTreeMap<DeviceId, OpId>,
    recovery_keys: Vec<[u8; 32]>,
}

impl<S: LocalStore> Device<S> {
    /// Verifies every incoming log (see the module documentation).
    pub(crate) fn verify_incoming(&self, incoming: BTreeMap<DeviceId, Vec<Record>>) -> Verified {
        let mut keyring = self.secrets.keyring.clone();
        let mut staged = Staged::default();
        let mut logs: BTreeMap<DeviceId, Progress> = incoming
            .into_iter()
            .map(|(device, records)| {
                (
                    device,
                    Progress {
                        records,
                        covered: None,
                        operations: Vec::new(),
                        blocked: None,
                        stopped: None,
                    },
                )
            })
            .collect();
        loop {
            let mut progressed = false;
            let devices: Vec<DeviceId> = logs.keys().copied().collect();
            for device in devices {
                let Some(log) = logs.get_mut(&device) else {
                    continue;
                };
                if !log.open() {
                    continue;
                }
                progressed |= self.advance(&device, log, &mut keyring, &mut staged);
            }
            if !progressed {
                break;
            }
        }
        let mut accepted = Vec::new();
        let mut quarantined = Vec::new();
        let mut held_back = 0u64;
        for (device, log) in logs {
            let applied = log.operations.len();
            let from_idx = self.head_of(&device).idx + applied as u64 + 1;
            let reason = match (&log.stopped, log.blocked.clone(), log.covered) {
                (Some(reason), _, _) => Some(reason.clone()),
                (None, Some(Blocked::NoKey), None) => Some(SyncError::UnknownDevice),
                (None, Some(Blocked::Epoch(e)), _) => Some(SyncError::Tampered(e)),
                (None, Some(Blocked::Waiting { device, idx }), _) => {
                    Some(SyncError::WithheldDependency { device, idx })
                }
                _ => None,
            };
            match reason {
                Some(reason) => quarantined.push(Quarantine {
                    device,
                    from_idx,
                    reason,
                }),
                None => held_back += (log.records.len() - applied) as u64,
            }
            if applied > 0 {
                let mut records = log.records;
                records.truncate(applied);
                accepted.push(Accepted {
                    device,
                    records,
                    operations: log.operations,
                });
            }
        }
        self.cut_at_revocations(&mut accepted, &mut quarantined);
        Verified {
            accepted,
            quarantined,
            held_back,
            keyring,
        }
    }

    /// Moves one log forward as far as it can; `true` if anything changed.
    fn advance(
        &self,
        device: &DeviceId,
        log: &mut Progress,
        keyring: &mut Keyring,
        staged: &mut Staged,
    ) -> bool {
        let account = self.secrets.account_id;
        let me = self.secrets.device_id;
        let mut progressed = false;
        if log.covered.is_none() {
            let candidates = self.candidate_keys(device, &log.records, keyring, staged);
            if candidates.is_empty() {
                log.blocked = Some(Blocked::NoKey);
                return false;
            }
            let head = self.head_of(device);
            let mut last_error = None;
            for key in candidates {
                match verify_run(&account, device, &key, &head, &log.records) {
                    Ok(run) => {
                        log.covered = Some(run.covered);
                        last_error = None;
                        break;
                    }
                    Err(e) => last_error = Some(e),
                }
            }
            if let Some(e) = last_error {
                log.stopped = Some(SyncError::Tampered(e));
                return true;
            }
            log.blocked = None;
            progressed = true;
        }
        let covered = log.covered.unwrap_or(0);
        while log.operations.len() < covered {
            let record = &log.records[log.operations.len()];
            let id = OpId {
                device: *device,
                idx: record.idx,
            };
            let op = match open_operation(&account, keyring, record) {
                Ok(op) => op,
                Err(OperationError::Record(e @ RecordError::UnknownEpoch { .. })) => {
                    log.blocked = Some(Blocked::Epoch(e));
                    return progressed;
                }
                Err(OperationError::Record(e)) => {
                    log.stopped = Some(SyncError::Tampered(e));
                    return true;
                }
                Err(OperationError::Undecodable(_) | OperationError::Texts { .. }) => {
                    log.stopped = Some(SyncError::BadOperation);
                    return true;
                }
            };
            let placement = causal::check(id, &op, |i| {
                staged
                    .placement
                    .get(i)
                    .map(|(hlc, deps)| Known { hlc: *hlc, deps })
                    .or_else(|| self.journal.placement_of(i))
            });
            let placement = match placement {
                Placement::Fits
                    if id.idx == 1 && !self.first_record_saw_its_addition(&id, &op, staged) =>
                {
                    Placement::Refused(causal::Misplaced::FirstRecordBeforeItsAddition)
                }
                other => other,
            };
            match placement {
                Placement::Fits => {}
                Placement::Waiting { device, idx } => {
                    log.blocked = Some(Blocked::Waiting { device, idx });
                    return progressed;
                }
                Placement::Refused(why) => {
                    log.stopped = Some(SyncError::Misplaced(why));
                    return true;
                }
            }
            if let Some(Body::KeyRotated(rotated)) = &op.body {
                // Each device numbers its rotations with its own tag. One that takes
                // another's number would put a key this device then holds under the
                // number that device's next rotation takes: that rotation would then
                // collide here and never be read. Refused before its key is learned.
                // A device id is its joiner's choice, so an insider can pick one with
                // another device's tag: the tag then belongs to whichever of them
                // was added first.
                if rotated.key_epoch & TAG_MASK != author_tag(device)
                    || self.tag_belongs_to_another(device)
                {
                    log.stopped = Some(SyncError::ForeignEpochNumber {
                        epoch: rotated.key_epoch,
                    });
                    return true;
                }
            }
            match learn_into(
                &account,
                &me,
                self.secrets.keys.dh_secret(),
                keyring,
                device,
                &op,
            ) {
                Ok(_) => {}
                Err(e) => {
                    log.stopped = Some(e.into());
                    return true;
                }
            }
            self.stage(id, &op, staged);
            staged.placement.insert(
                id,
                (
                    op.hlc.unwrap_or_default(),
                    op.deps
                        .as_ref()
                        .map(crate::journal::order::vector_to_map)
                        .unwrap_or_default(),
                ),
            );
            log.operations.push(op);
            log.blocked = None;
            progressed = true;
        }
        progressed
    }

    /// Notes what a verified operation vouches for within this pull: a new
    /// device's key (never a new key for a device already known: the roster's
    /// rules refuse or contest that), and a recovery key on the authority of one
    /// already held (one that certifies itself, the founding device's in an older
    /// account, or a renewal both kits signed of a key held as current). A key
    /// staged here lets a device certified by it be verified in this pull, and
    /// that device's own `DeviceAdded` then puts it in the roster, so nothing an
    /// insider can write alone may stage one.
    fn stage(&self, id: OpId, op: &Operation, staged: &mut Staged) {
        match &op.body {
            Some(Body::DeviceAdded(added)) if roster::is_well_formed(added) => {
                let (Some(device), Ok(key)) = (
                    id_from_slice(&added.device_id),
                    <[u8; 32]>::try_from(added.sign_public_key.as_slice()),
                ) else {
                    return;
                };
                if self.trusted_key(&device).is_none() && !self.journal_knows(&device) {
                    staged.keys.entry(device).or_insert(key);
                }
                if device != id.device {
                    staged.added_by.entry(device).or_insert(id);
                }
            }
            Some(Body::RecoveryKeySet(set)) => {
                // An older account's founding device, at the start of its log, before
                // the journal holds any recovery key: the first trust anchor (every
                // device's anchors begin with the founding device's).
                let legacy_founder = || {
                    self.recovery_public_key().is_none()
                        && self.is_legacy_founder(&id.device, id.idx)
                };
                if let Some(key) =
                    crate::journal::recovery::self_certifying(&self.secrets.account_id, set)
                        .map(|(pk, _)| pk)
                        .or_else(|| {
                            legacy_founder()
                                .then(|| {
                                    <[u8; 32]>::try_from(set.recovery_public_key.as_slice()).ok()
                                })
                                .flatten()
                        })
                {
                    staged.recovery_keys.push(key);
                }
            }
            Some(Body::RecoveryKeyRenewed(r)) => {
                // Checked for its place by the journal once applied; here only for
                // the authority of a key this device holds now.
                let (Ok(old), Ok(new)) = (
                    <[u8; 32]>::try_from(r.old_recovery_public_key.as_slice()),
                    <[u8; 32]>::try_from(r.new_recovery_public_key.as_slice()),
                ) else {
                    return;
                };
                let message = mycase_proto::wire::recovery_renewal_message(
                    &self.secrets.account_id,
                    &r.old_recovery_public_key,
                    &r.new_recovery_public_key,
                    &r.new_recovery_dh_public_key,
                );
                let held = self.recovery_roots(staged).contains(&old);
                if held
                    && crate::format::keys::verify_signature(&old, &message, &r.old_key_signature)
                    && crate::format::keys::verify_signature(&new, &message, &r.new_key_signature)
                {
                    staged.recovery_keys.push(new);
                }
            }
            _ => {}
        }
    }

    /// The recovery keys a self-added device's certificate may verify under: the
    /// journal's current one, the one this device was itself recovered with, and
    /// those staged in this pull.
    fn recovery_roots(&self, staged: &Staged) -> Vec<[u8; 32]> {
        self.recovery_public_key()
            .into_iter()
            .chain(self.secrets.notes.recovery_root)
            .chain(staged.recovery_keys.iter().copied())
            .collect()
    }

    /// A device added by another can only have written after it was added: its
    /// first record's `deps` must cover that addition. (Else a new device could
    /// claim to have seen nothing, and hide what it was shown.) A device that added
    /// itself (the founding device, one set up with the kit) has nothing to cover.
    fn first_record_saw_its_addition(&self, id: &OpId, op: &Operation, staged: &Staged) -> bool {
        let added_by = self
            .journal
            .devices()
            .into_iter()
            .find(|d| d.device_id == id.device)
            .map(|d| d.added_by)
            .filter(|by| by.device != id.device)
            .or_else(|| staged.added_by.get(&id.device).copied());
        let Some(by) = added_by else {
            return true;
        };
        let deps = op
            .deps
            .as_ref()
            .map(crate::journal::order::vector_to_map)
            .unwrap_or_default();
        deps.get(&by.device).is_some_and(|&seen| seen >= by.idx)
    }

    /// Whether `device`'s epoch tag belongs to a device added before it: one the
    /// journal says was, or (for a device added in this very pull) any device the
    /// journal already holds with that tag.
    fn tag_belongs_to_another(&self, device: &DeviceId) -> bool {
        if self.journal.tag_taken_before(device).is_some() {
            return true;
        }
        let tag = author_tag(device);
        !self.journal_knows(device)
            && self
                .journal
                .devices()
                .iter()
                .any(|d| &d.device_id != device && author_tag(&d.device_id) == tag)
    }

    fn journal_knows(&self, device: &DeviceId) -> bool {
        self.journal
            .devices()
            .iter()
            .any(|d| &d.device_id == device)
    }

    /// The keys `device`'s log may be signed with: the trusted one; for a contested
    /// device each candidate (its own signature settles which); a key staged in
    /// this pull; or, for a device that added itself with the recovery kit, the
    /// key its certificate vouches for.
    fn candidate_keys(
        &self,
        device: &DeviceId,
        records: &[Record],
        keyring: &Keyring,
        staged: &Staged,
    ) -> Vec<[u8; 32]> {
        if let Some(key) = self.trusted_key(device) {
            return vec![key];
        }
        if let Some(view) = self
            .journal
            .devices()
            .into_iter()
            .find(|d| &d.device_id == device)
        {
            return view.candidate_keys.iter().map(|(sign, _)| *sign).collect();
        }
        if let Some(key) = staged.keys.get(device) {
            return vec![*key];
        }
        self.recovered_device_key(device, records, keyring, staged)
            .into_iter()
            .collect()
    }

    /// The key of a device that added itself with a recovery certificate under a
    /// recovery key this device holds as current (the journal's, the one it was
    /// itself recovered with, or one certifying itself in this pull). Any record
    /// of its log may hold the addition (a device that renewed the kit certifies
    /// itself again); the caller then verifies the whole run under that key.
    fn recovered_device_key(
        &self,
        device: &DeviceId,
        records: &[Record],
        keyring: &Keyring,
        staged: &Staged,
    ) -> Option<[u8; 32]> {
        let account = self.secrets.account_id;
        let roots = self.recovery_roots(staged);
        let stored = self.store.log(device);
        stored.iter().chain(records).find_map(|r| {
            let op = open_operation(&account, keyring, r).ok()?;
            roots
                .iter()
                .find_map(|rk| roster::self_added_key(&account, rk, device, &op))
        })
    }

    /// Cuts each log where a revocation (known, or applied by this pull) ends it.
    fn cut_at_revocations(&self, accepted: &mut Vec<Accepted>, quarantined: &mut Vec<Quarantine>) {
        let revokes = accepted.iter().any(|a| {
            a.operations
                .iter()
                .any(|op| matches!(op.body, Some(Body::DeviceRevoked(_))))
        });
        let cutoffs = if revokes {
            let mut staged = self.journal.clone();
            for a in accepted.iter() {
                for (r, op) in a.records.iter().zip(&a.operations) {
                    staged.insert(
                        OpId {
                            device: a.device,
                            idx: r.idx,
                        },
                        op.clone(),
                    );
                }
            }
            staged.revocations()
        } else {
            self.journal.revocations()
        };
        for a in accepted.iter_mut() {
            let Some(cutoff) = cutoffs.get(&a.device).map(|r| r.last_idx) else {
                continue;
            };
            let keep = a.records.iter().take_while(|r| r.idx <= cutoff).count();
            if keep < a.records.len() {
                let from_idx = a.records[keep].idx;
                a.records.truncate(keep);
                a.operations.truncate(keep);
                quarantined.retain(|q| q.device != a.device);
                quarantined.push(Quarantine {
                    device: a.device,
                    from_idx,
                    reason: SyncError::RevokedDeviceRecords,
                });
            }
        }
        accepted.retain(|a| !a.records.is_empty());
    }
}
