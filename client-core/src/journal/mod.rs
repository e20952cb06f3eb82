//! The journal model: a pure, deterministic fold of journal operations.
//!
//! No I/O, no clock, no printing. Each device writes operations to its own log; an
//! operation is identified by [`OpId`] `(device, idx)`. The journal is a function of
//! the *set* of operations inserted: the order they arrive in and any duplicates make
//! no difference. (The sync layer guarantees one content per id, through each log's
//! hash chain and signatures; if the same id is inserted twice, the first content is
//! kept.)
//!
//! # The rules
//!
//! - **Total order** of operations: `(hlc.wall_ms, hlc.counter, device, idx)`.
//!   **Causality**: `a` happened before `b` iff `b.deps[a.device] >= a.idx` (an
//!   author's deps include its own previous ops; an earlier op of the same log always
//!   counts). Authors pick a clock greater than every clock they have seen
//!   ([`hlc::next`]), so the total order respects causality. See [`order`].
//! - **Trust follows causality, never a clock.** The sync engine applies an
//!   operation only once its place in causality checks out ([`causal`]: its clock
//!   is after its log predecessor's and after everything its `deps` name, its
//!   `deps` never go back, and everything they name is here), so the total order
//!   is a linear extension of causality. Every rule below that decides trust
//!   (roster, recovery key, key epochs, revocations, who created an entry) decides
//!   by "happened before" alone; which of two concurrent operations sorts first
//!   only orders what people see.
//! - An entry's **original text is never overwritten**: the creation and all
//!   amendments (and deletes and restores) are kept in [`EntryView::history`], in
//!   total order.
//! - **Per field** (every [`Field`]: title, text, occurred_at, categories, tags,
//!   severity, location, people, injuries, police references, actions taken, impact;
//!   and likewise a person's name, role and notes): the candidates are the
//!   creation and every amendment that sets that field; the heads are the candidates
//!   that did not happen before another candidate; the shown value is the head
//!   greatest in total order; other heads are listed in [`EntryView::conflicts`].
//!   An amendment whose deps cover all current heads (a resolution) supersedes them:
//!   the conflict is gone. Concurrent amendments of different fields never conflict.
//!   An empty title, occurred_at, location, injuries or impact, or severity 0, shows
//!   as `None` (that is how a field is cleared). See [`fields`] and [`people`].
//! - **Attachments** (`AttachmentAdded`) are listed in [`EntryView::attachments`] in
//!   total order; they are not field revisions, so they are not in the history.
//! - **Trash**: a deleted entry is in [`Journal::trash`] for [`TRASH_RETENTION_MS`]
//!   after its delete's `recorded_at_ms`, and can be restored from any device; after
//!   that it is in no view people see (the operations are still kept, and a later
//!   restore from a device with a wrong clock would still bring it back).
//! - Amendments, deletes and restores that **arrive before their entry's creation**
//!   are kept and take effect when it arrives. An entry without a creation has no
//!   view. **An entry id is created once**: a creation of an id whose creation its
//!   author had already seen is refused (listed by [`Journal::rejections`]); two
//!   creations neither of which saw the other (never written by honest devices:
//!   ids are random) are both kept as candidates for the fields, and the entry says
//!   its creation is disputed ([`EntryView::disputed_creations`]), until the
//!   survivor revokes one of their authors: a creation by a device another device
//!   revoked loses to those by devices nobody revoked (as a contested device id
//!   does, see [`roster`]).
//! - **Delete/restore**: an entry is deleted iff the last delete-or-restore in total
//!   order is a delete. An amendment concurrent with a delete is kept in the history
//!   and shows if the entry is restored. See [`entry`].
//! - **Roster**: `DeviceAdded` operations build it; a device id's keys never change
//!   (see [`roster`] for refused and contested additions).
//! - **Recovery key**: the founding key, then renewals on the old kit's authority
//!   ([`recovery`]). **Key epochs**: only rotations by the rules of [`rotations`].
//! - **Revocation**: a `DeviceRevoked` (written by the revoked device's peer, see
//!   [`revocation`]) says where the revoked device's log ends; its operations past
//!   that are in no view (the sync engine refuses them, this is the second guard).
//!   `KeyRotated` operations carry new epoch keys; the device layer reads them.
//! - Operations with an **empty or unknown body** (or malformed ids or keys) are kept
//!   (they count in [`Journal::len`] and are listed by [`Journal::ignored_ops`]) but
//!   no view uses them, so an older client agrees with a newer one on everything it
//!   understands.
//! - **Timeline order** ([`Journal::entries`]): by the start of `occurred_at` (an entry
//!   without one sorts by when it was recorded), then `recorded_at_ms`, then id.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use mycase_proto::v1::{Hlc, Operation};

pub mod categories;
pub mod causal;
pub mod entry;
pub mod fields;
pub mod hlc;
pub mod occurred;
pub mod ops;
pub mod order;
pub mod people;
pub mod recovery;
pub mod revocation;
pub mod roster;
pub mod rotations;
pub mod shares;

pub use entry::{AttachmentView, EntryView, Revision, RevisionKind};
pub use fields::{ConflictingValue, Field, FieldConflict, FieldValue};
pub use order::OpId;
pub use people::{PersonConflict, PersonField, PersonView};
pub use recovery::{RecoveryKeyView, RecoveryRefused, RecoveryState};
pub use revocation::Revocation;
pub use roster::DeviceView;
pub use rotations::{RotationRefused, RotationView};

use order::{Action, EntryChange, OrderKey, StoredOp};

/// 16 random bytes; the same aliases as the rest of the crate.
pub use crate::ids::{AccountId, DeviceId, EntryId};

/// 16 random bytes, like an entry id.
pub type PersonId = [u8; 16];

/// How long a deleted entry stays in the trash (30 days), counted from the delete
/// operation's `recorded_at_ms`; after that it is gone from every view.
pub const TRASH_RETENTION_MS: i64 = 30 * 24 * 60 * 60 * 1000;

/// Shortest entry-id prefix accepted, as hex digits.
pub const MIN_PREFIX_LEN: usize = 4;

/// Why a change or a look-up in the journal was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JournalError {
    /// No entry has that id.
    #[error("no entry has that id")]
    NotFound,
    /// No person has that id or name.
    #[error("no person has that id or name")]
    PersonNotFound,
    /// More than one person matches.
    #[error("{candidates} people match that; give more of the id")]
    PersonAmbiguous {
        /// How many.
        candidates: usize,
    },
    /// More than one entry starts with the id given.
    #[error("{candidates} entries start with that id; give more of it")]
    Ambiguous {
        /// How many.
        candidates: usize,
    },
    /// The id is not hex of an acceptable length.
    #[error("an entry id is hex, at least {MIN_PREFIX_LEN} and at most 32 digits")]
    InvalidId,
    /// The date or time is not one MyCase understands.
    #[error("not a date or time MyCase understands: {reason}")]
    InvalidOccurredAt {
        /// What is wrong with it.
        reason: &'static str,
    },
}

/// Every operation received, and the views folded from them on demand.
#[derive(Clone, Default)]
pub struct Journal {
    /// All operations, in total order.
    ops: BTreeMap<OrderKey, StoredOp>,
    ids: HashMap<OpId, OrderKey>,
    /// The account, for the rules that check signatures bound to it.
    account_id: Option<AccountId>,
    /// Each entry's operations, in total order (including those before its creation).
    by_entry: BTreeMap<EntryId, BTreeSet<OrderKey>>,
    /// Each person's operations, in total order.
    by_person: BTreeMap<PersonId, BTreeSet<OrderKey>>,
    /// `DeviceAdded` operations, in total order (so the roster folds only these).
    device_ops: BTreeSet<OrderKey>,
    /// `DeviceRevoked` and `KeyRotated` operations, in total order.
    revocation_ops: BTreeSet<OrderKey>,
    rotation_ops: BTreeSet<OrderKey>,
    /// `RecoveryKeySet` and `RecoveryKeyRenewed` operations, in total order.
    recovery_ops: BTreeSet<OrderKey>,
    /// Where each revoked device's log ends: its operations past this are in no view.
    cutoffs: BTreeMap<DeviceId, u64>,
    max_hlc: Hlc,
}

impl fmt::Debug for Journal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Journal")
            .field("ops", &self.ops.len())
            .field("entries", &self.by_entry.len())
            .field("max_hlc", &(self.max_hlc.wall_ms, self.max_hlc.counter))
            .finish_non_exhaustive()
    }
}

impl Journal {
    /// An empty journal (no account yet: tests and tools).
    pub fn new() -> Self {
        Self::default()
    }

    /// A journal of `account_id` (needed by the recovery-key rules).
    pub fn for_account(account_id: AccountId) -> Self {
        Self {
            account_id: Some(account_id),
            ..Self::default()
        }
    }

    /// Adds an operation. Returns `false`, changing nothing, if `id` is already known.
    pub fn insert(&mut self, id: OpId, op: Operation) -> bool {
        if self.ids.contains_key(&id) {
            return false;
        }
        let stored = StoredOp::decode(id, op);
        self.ids.insert(id, stored.key);
        self.max_hlc = hlc::max(
            self.max_hlc,
            Hlc {
                wall_ms: stored.key.wall_ms,
                counter: stored.key.counter,
            },
        );
        match &stored.action {
            Action::Entry { entry, .. } => {
                self.by_entry.entry(*entry).or_default().insert(stored.key);
            }
            Action::DeviceAdded(_) => {
                self.device_ops.insert(stored.key);
            }
            Action::DeviceRevoked(_) => {
                self.revocation_ops.insert(stored.key);
            }
            Action::KeyRotated(_) => {
                self.rotation_ops.insert(stored.key);
            }
            Action::RecoveryKey(_) => {
                self.recovery_ops.insert(stored.key);
            }
            Action::Person { person, .. } => {
                self.by_person
                    .entry(*person)
                    .or_default()
                    .insert(stored.key);
            }
            Action::Share(_) | Action::Ignored => {}
        }
        let revocation = matches!(stored.action, Action::DeviceRevoked(_));
        self.ops.insert(stored.key, stored);
        if revocation {
            self.cutoffs = self
                .revocations()
                .into_iter()
                .map(|(device, r)| (device, r.last_idx))
                .collect();
        }
        true
    }

    /// Operations folded in.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// Whether nothing is folded in.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Whether the operation `id` is folded in.
    pub fn contains(&self, id: &OpId) -> bool {
        self.ids.contains_key(id)
    }

    /// What the causal checks need to know of an applied operation.
    pub fn placement_of(&self, id: &OpId) -> Option<causal::Known<'_>> {
        let op = self.ops.get(self.ids.get(id)?)?;
        Some(causal::Known {
            hlc: op.hlc(),
            deps: &op.deps,
        })
    }

    /// Whether `later`'s author had seen `earlier` when writing it (so they are
    /// not concurrent). False when either is not folded in.
    pub fn happened_before(&self, earlier: &OpId, later: &OpId) -> bool {
        match (self.stored(earlier), self.stored(later)) {
            (Some(a), Some(b)) => a.happened_before(b),
            _ => false,
        }
    }

    fn stored(&self, id: &OpId) -> Option<&StoredOp> {
        self.ops.get(self.ids.get(id)?)
    }

    /// The greatest clock seen; the next local operation's clock is
    /// `hlc::next(&journal.max_hlc(), now)`.
    pub fn max_hlc(&self) -> Hlc {
        self.max_hlc
    }

    /// For each device, the highest idx such that every op `1..=idx` of its log is
    /// here (what a new operation's `deps` should say, if this journal holds exactly
    /// the applied operations).
    pub fn applied_vector(&self) -> BTreeMap<DeviceId, u64> {
        let mut by_device: BTreeMap<DeviceId, BTreeSet<u64>> = BTreeMap::new();
        for id in self.ids.keys() {
            by_device.entry(id.device).or_default().insert(id.idx);
        }
        by_device
            .into_iter()
            .map(|(device, idxs)| {
                let contiguous = idxs
                    .iter()
                    .zip(1u64..)
                    .take_while(|(idx, expected)| **idx == *expected)
                    .count();
                (device, contiguous as u64)
            })
            .filter(|(_, idx)| *idx > 0)
            .collect()
    }

    /// Live entries in timeline order.
    pub fn entries(&self) -> Vec<EntryView> {
        self.views_where(|view| !view.deleted)
    }

    /// Deleted entries in timeline order, including those older than the trash
    /// keeps (for merge checks; people see [`Journal::trash`]).
    pub fn deleted_entries(&self) -> Vec<EntryView> {
        self.views_where(|view| view.deleted)
    }

    /// The trash at `now_ms`: entries deleted less than [`TRASH_RETENTION_MS`] ago
    /// (by the delete's `recorded_at_ms`), most recently deleted first. They can be
    /// restored from any device. Older deleted entries are in no view.
    pub fn trash(&self, now_ms: i64) -> Vec<EntryView> {
        let mut views = self.views_where(|view| in_trash(view, now_ms));
        views.sort_by_key(|view| std::cmp::Reverse((view.deleted_at_ms, view.id)));
        views
    }

    /// Whether `view` is still shown at `now_ms`: live, or deleted and in the trash.
    pub fn is_visible(view: &EntryView, now_ms: i64) -> bool {
        !view.deleted || in_trash(view, now_ms)
    }

    /// Everyone on the people list, by name (then id).
    pub fn people(&self) -> Vec<PersonView> {
        let mut views: Vec<PersonView> = self
            .by_person
            .iter()
            .filter_map(|(id, keys)| people::build(*id, &self.ops_for(keys)))
            .collect();
        views.sort_by(|a, b| {
            let name = |p: &PersonView| p.name.clone().unwrap_or_default().to_lowercase();
            name(a).cmp(&name(b)).then(a.id.cmp(&b.id))
        });
        views
    }

    /// The person `id` as the journal shows them.
    pub fn person(&self, id: &PersonId) -> Option<PersonView> {
        let keys = self.by_person.get(id)?;
        people::build(*id, &self.ops_for(keys))
    }

    /// The operations the person's view is folded from, in total order (what an
    /// export discloses to prove the person's name, role and notes).
    pub fn person_ops(&self, id: &PersonId) -> Vec<OpId> {
        self.by_person
            .get(id)
            .map(|keys| self.ops_for(keys).into_iter().map(StoredOp::id).collect())
            .unwrap_or_default()
    }

    /// The person meant by `name_or_id`: an exact name (case-insensitive), else an
    /// id prefix of at least [`MIN_PREFIX_LEN`] hex digits.
    pub fn resolve_person(&self, name_or_id: &str) -> Result<PersonId, JournalError> {
        let wanted = name_or_id.trim();
        let people = self.people();
        let by_name: Vec<PersonId> = people
            .iter()
            .filter(|p| {
                p.name
                    .as_deref()
                    .is_some_and(|n| n.trim().to_lowercase() == wanted.to_lowercase())
            })
            .map(|p| p.id)
            .collect();
        let prefix = wanted.to_ascii_lowercase();
        let matches = if by_name.is_empty()
            && prefix.len() >= MIN_PREFIX_LEN
            && prefix.bytes().all(|b| b.is_ascii_hexdigit())
        {
            people
                .iter()
                .filter(|p| hex::encode(p.id).starts_with(&prefix))
                .map(|p| p.id)
                .collect()
        } else {
            by_name
        };
        match matches.as_slice() {
            [] => Err(JournalError::PersonNotFound),
            [only] => Ok(*only),
            many => Err(JournalError::PersonAmbiguous {
                candidates: many.len(),
            }),
        }
    }

    /// One entry, deleted or not.
    pub fn entry(&self, id: &EntryId) -> Option<EntryView> {
        let keys = self.by_entry.get(id)?;
        entry::build(*id, &self.entry_ops(keys, &self.revoked_by_another()))
    }

    /// The entry whose id starts with `hex_prefix` (at least [`MIN_PREFIX_LEN`] hex
    /// digits, case-insensitive), among live and deleted entries.
    pub fn resolve_entry_prefix(&self, hex_prefix: &str) -> Result<EntryId, JournalError> {
        let prefix = hex_prefix.trim().to_ascii_lowercase();
        if prefix.len() < MIN_PREFIX_LEN
            || prefix.len() > 32
            || !prefix.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return Err(JournalError::InvalidId);
        }
        let matches: Vec<EntryId> = self
            .by_entry
            .iter()
            .filter(|(id, keys)| hex::encode(id).starts_with(&prefix) && self.has_creation(keys))
            .map(|(id, _)| *id)
            .collect();
        match matches.as_slice() {
            [] => Err(JournalError::NotFound),
            [only] => Ok(*only),
            many => Err(JournalError::Ambiguous {
                candidates: many.len(),
            }),
        }
    }

    /// The roster, by device id (revoked devices included, marked).
    pub fn devices(&self) -> Vec<DeviceView> {
        self.roster_view().into_values().collect()
    }

    fn roster_view(&self) -> BTreeMap<DeviceId, DeviceView> {
        let revocations = self.revocations();
        self.roster()
            .into_iter()
            .map(|(id, mut view)| {
                view.revoked = revocations.get(&view.device_id).cloned();
                (id, view)
            })
            .collect()
    }

    /// Revoked devices, each with its (merged) revocation. See [`revocation`].
    pub fn revocations(&self) -> BTreeMap<DeviceId, Revocation> {
        revocation::fold(self.ops_for_unfiltered(&self.revocation_ops).into_iter())
    }

    /// Whether the journal holds a revocation of `device`.
    pub fn is_revoked(&self, device: &DeviceId) -> bool {
        self.cutoffs.contains_key(device)
    }

    /// Where a revoked device's log ends (`None` for a device not revoked).
    pub fn cutoff(&self, device: &DeviceId) -> Option<u64> {
        self.cutoffs.get(device).copied()
    }

    /// Key rotations, in total order, each saying whether it counts (see
    /// [`rotations`]).
    pub fn rotations(&self) -> Vec<RotationView> {
        let roster = self.roster_view();
        let revocations = self.revocations();
        rotations::fold(
            &self.ops_for(&self.rotation_ops),
            &roster,
            |device, op| {
                revocations.get(device).is_some_and(|r| {
                    self.stored(&r.op)
                        .is_some_and(|revoking| revoking.happened_before(op))
                })
            },
            |author| self.tag_taken_before(author).is_some(),
        )
    }

    /// A device whose epoch tag (the first bits of its id) `device` shares and
    /// that was added before `device` was (its addition happened before). Such a
    /// device owns the tag: `device`'s rotations do not count.
    pub fn tag_taken_before(&self, device: &DeviceId) -> Option<DeviceId> {
        let tag = crate::format::epoch_keys::author_tag(device);
        let roster = self.roster();
        let mine = self.stored(&roster.get(device)?.added_by)?;
        roster
            .values()
            .filter(|d| {
                &d.device_id != device && crate::format::epoch_keys::author_tag(&d.device_id) == tag
            })
            .find(|d| {
                self.stored(&d.added_by)
                    .is_some_and(|theirs| theirs.happened_before(mine))
            })
            .map(|d| d.device_id)
    }

    /// The epochs of the rotations that count (the account's first epoch, 1, is
    /// not a rotation and always counts).
    pub fn counting_epochs(&self) -> BTreeSet<u32> {
        self.rotations()
            .into_iter()
            .filter(RotationView::counts)
            .map(|r| r.rotated.key_epoch)
            .chain([1])
            .collect()
    }

    /// The journal's recovery key (see [`recovery`]). `founding(author, idx)`
    /// answers, for an account older than derived account ids, whether a
    /// `RecoveryKeySet` at that place is the founding device's.
    pub fn recovery(&self, founding: impl Fn(&DeviceId, u64) -> bool) -> recovery::RecoveryFold {
        let Some(account) = self.account_id else {
            return recovery::RecoveryFold {
                state: RecoveryState::Unknown,
                refused: Vec::new(),
                founders: Vec::new(),
            };
        };
        recovery::fold(&account, &self.ops_for(&self.recovery_ops), |op| {
            founding(&op.key.device, op.key.idx)
        })
    }

    /// The device's Ed25519 public key, from the roster; `None` for a device not
    /// in it, or contested (two key pairs claim its id).
    pub fn device_key(&self, device: &DeviceId) -> Option<[u8; 32]> {
        self.roster()
            .get(device)
            .filter(|view| !view.is_contested())
            .map(|view| view.sign_public_key)
    }

    /// Operations refused by a trust rule: evidence of tampering by a trusted
    /// device (or a bug), shown to the survivor. In total order.
    pub fn rejections(&self) -> Vec<Rejection> {
        let mut out: Vec<Rejection> = Vec::new();
        for view in self.roster().values() {
            for op in &view.rejected_additions {
                out.push(Rejection {
                    op: *op,
                    reason: RejectionReason::DeviceKeysChanged(view.device_id),
                });
            }
        }
        for (entry, keys) in &self.by_entry {
            for op in entry::rejected_creations(&self.ops_for(keys)) {
                out.push(Rejection {
                    op,
                    reason: RejectionReason::EntryCreatedAgain(*entry),
                });
            }
        }
        for r in self.rotations() {
            if let Some(why) = r.refused {
                out.push(Rejection {
                    op: r.op,
                    reason: RejectionReason::Rotation(why),
                });
            }
        }
        out.sort_by_key(|r| self.ids.get(&r.op).copied());
        out
    }

    /// Operations no view uses: empty or unknown bodies, malformed ids or keys.
    pub fn ignored_ops(&self) -> Vec<OpId> {
        self.ops
            .values()
            .filter(|op| match &op.action {
                Action::Ignored => true,
                Action::DeviceAdded(added) => !roster::is_well_formed(added),
                Action::DeviceRevoked(r) => !revocation::is_valid(op.key.device, r),
                Action::KeyRotated(_) | Action::RecoveryKey(_) => false,
                Action::Entry { .. } | Action::Person { .. } | Action::Share(_) => false,
            })
            .map(StoredOp::id)
            .collect()
    }

    fn roster(&self) -> BTreeMap<DeviceId, DeviceView> {
        let revoked_by_another = self.revoked_by_another();
        roster::build(self.ops_for(&self.device_ops).into_iter(), |device| {
            revoked_by_another.contains(device)
        })
    }

    /// Devices another device revoked (a retirement alone does not count): what
    /// they wrote loses a dispute with what devices nobody revoked wrote.
    fn revoked_by_another(&self) -> BTreeSet<DeviceId> {
        revocation::fold_with_revokers(self.ops_for_unfiltered(&self.revocation_ops).into_iter()).1
    }

    /// The operations at `keys`, leaving out those a revoked device wrote past
    /// where its revocation says its log ends.
    fn ops_for(&self, keys: &BTreeSet<OrderKey>) -> Vec<&StoredOp> {
        keys.iter()
            .filter(|key| {
                self.cutoffs
                    .get(&key.device)
                    .is_none_or(|&last| key.idx <= last)
            })
            .filter_map(|key| self.ops.get(key))
            .collect()
    }

    /// An entry's operations, without creations that a trust rule refuses: one
    /// whose author had seen an earlier creation of the id, and, while devices
    /// nobody revoked created it too, one by a device another device revoked
    /// (revoking the insider settles the dispute he made).
    fn entry_ops(
        &self,
        keys: &BTreeSet<OrderKey>,
        revoked_by_another: &BTreeSet<DeviceId>,
    ) -> Vec<&StoredOp> {
        let ops = self.ops_for(keys);
        let mut refused = entry::rejected_creations(&ops);
        let creations: Vec<&StoredOp> = ops
            .iter()
            .copied()
            .filter(|op| {
                !refused.contains(&op.id())
                    && matches!(
                        op.action,
                        Action::Entry {
                            change: EntryChange::Created(_),
                            ..
                        }
                    )
            })
            .collect();
        let by_revoked = |op: &StoredOp| revoked_by_another.contains(&op.key.device);
        if creations.len() > 1 && !creations.iter().all(|op| by_revoked(op)) {
            refused.extend(
                creations
                    .iter()
                    .filter(|op| by_revoked(op))
                    .map(|op| op.id()),
            );
        }
        ops.into_iter()
            .filter(|op| !refused.contains(&op.id()))
            .collect()
    }

    fn ops_for_unfiltered(&self, keys: &BTreeSet<OrderKey>) -> Vec<&StoredOp> {
        keys.iter().filter_map(|key| self.ops.get(key)).collect()
    }

    fn has_creation(&self, keys: &BTreeSet<OrderKey>) -> bool {
        self.ops_for(keys).iter().any(|op| {
            matches!(
                op.action,
                Action::Entry {
                    change: EntryChange::Created(_),
                    ..
                }
            )
        })
    }

    fn views_where(&self, keep: impl Fn(&EntryView) -> bool) -> Vec<EntryView> {
        let revoked = self.revoked_by_another();
        let mut views: Vec<EntryView> = self
            .by_entry
            .iter()
            .filter_map(|(id, keys)| entry::build(*id, &self.entry_ops(keys, &revoked)))
            .filter(|view| keep(view))
            .collect();
        views.sort_by_key(EntryView::timeline_key);
        views
    }
}

/// An operation a trust rule refused (it stays stored, and no view uses it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    /// The refused operation.
    pub op: OpId,
    /// Which rule refused it.
    pub reason: RejectionReason,
}

/// Which trust rule refused an operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RejectionReason {
    /// It tried to give a known device other keys.
    DeviceKeysChanged(DeviceId),
    /// It created an entry id its author had already seen created.
    EntryCreatedAgain(EntryId),
    /// A key rotation that does not count.
    Rotation(RotationRefused),
    /// A recovery-key operation that does not count.
    Recovery(RecoveryRefused),
}

fn in_trash(view: &EntryView, now_ms: i64) -> bool {
    view.deleted_at_ms
        .is_some_and(|at| now_ms.saturating_sub(at) < TRASH_RETENTION_MS)
}

#[cfg(test)]
mod tests;
