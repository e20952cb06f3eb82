//! Which recovery key counts: the founding `RecoveryKeySet`, then each
//! `RecoveryKeyRenewed` made on the authority of the key before it.
//!
//! The recovery key decides which devices may add themselves (a recovered device's
//! certificate) and to which kit later recovery blobs are sealed, so no device may
//! set it by merely writing an operation, and no clock may pick between two.
//!
//! - **Founding.** In an account whose id is derived from its first recovery key
//!   (`wire::account_id_for_recovery_key`), a `RecoveryKeySet` counts if its key is
//!   that key and the kit's own signature covers its X25519 key. In an older account
//!   (a random id), a `RecoveryKeySet` counts only if the device layer says its
//!   author is the founding device (one of its trust anchors, at the start of its
//!   log); two founding claims with different keys leave the key contested.
//! - **Renewal.** A `RecoveryKeyRenewed` counts if both the old and the new key
//!   signed it and its old key is the current one. A renewal of a key another
//!   renewal already replaced is refused if its author had seen that replacement
//!   (a superseded kit), and makes the key contested if not (two renewals of one
//!   kit, neither after the other: someone else holds the kit). A later renewal from
//!   one of the contested keys, written after all of them, settles it.

use mycase_proto::v1::{RecoveryKeyRenewed, RecoveryKeySet};
use mycase_proto::wire::{account_id_for_recovery_key, recovery_renewal_message};

use super::order::{Action, RecoveryChange, StoredOp};
use super::OpId;
use crate::format::keys::verify_signature;
use crate::ids::AccountId;

/// A recovery key, with the operation that made it current.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecoveryKeyView {
    /// The kit's Ed25519 public key.
    pub public_key: [u8; 32],
    /// The kit's X25519 key (all zero in the oldest journals, which carry none).
    pub dh_public_key: [u8; 32],
    /// The operation that set it.
    pub set_by: OpId,
}

impl RecoveryKeyView {
    /// Whether the journal carries the kit's X25519 key (journals from before rotation do not).
    pub fn has_dh_key(&self) -> bool {
        self.dh_public_key != [0; 32]
    }
}

/// The journal's recovery key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecoveryState {
    /// No founding `RecoveryKeySet` that counts (yet).
    Unknown,
    /// The one key that counts.
    Current(RecoveryKeyView),
    /// Two keys claim to be current: none is used until a renewal settles it.
    Contested(Vec<RecoveryKeyView>),
}

impl RecoveryState {
    /// The current key, unless unknown or contested.
    pub fn current(&self) -> Option<&RecoveryKeyView> {
        match self {
            RecoveryState::Current(k) => Some(k),
            _ => None,
        }
    }
}

/// Why a recovery-key operation does not count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RecoveryRefused {
    /// It sets a key the journal was not founded with.
    #[error("it sets a recovery key this journal was not founded with")]
    NotTheFoundingKey,
    /// A kit's signature on it does not verify.
    #[error("a recovery kit's signature on it does not verify")]
    BadSignature,
    /// It renews a kit that had already been replaced.
    #[error("it renews a recovery kit that had already been replaced")]
    SupersededKit,
}

/// The fold's result: the state, and the operations refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecoveryFold {
    /// The recovery key.
    pub state: RecoveryState,
    /// Recovery-key operations that do not count, and why.
    pub refused: Vec<(OpId, RecoveryRefused)>,
    /// The devices whose log holds a founding `RecoveryKeySet` that counts.
    pub founders: Vec<super::DeviceId>,
}

fn keys_of(set: &RecoveryKeySet) -> Option<([u8; 32], [u8; 32])> {
    let pk: [u8; 32] = set.recovery_public_key.as_slice().try_into().ok()?;
    let dh: [u8; 32] = if set.recovery_dh_public_key.is_empty() {
        [0; 32]
    } else {
        set.recovery_dh_public_key.as_slice().try_into().ok()?
    };
    Some((pk, dh))
}

/// A founding `RecoveryKeySet` of an account whose id comes from its key.
pub(crate) fn self_certifying(
    account_id: &AccountId,
    set: &RecoveryKeySet,
) -> Option<([u8; 32], [u8; 32])> {
    let (pk, dh) = keys_of(set)?;
    (account_id_for_recovery_key(&pk) == *account_id
        && verify_signature(
            &pk,
            &recovery_renewal_message(account_id, &[], &pk, &dh),
            &set.signature,
        ))
    .then_some((pk, dh))
}

fn renewal_verifies(
    account_id: &AccountId,
    r: &RecoveryKeyRenewed,
) -> Option<([u8; 32], [u8; 32], [u8; 32])> {
    let old: [u8; 32] = r.old_recovery_public_key.as_slice().try_into().ok()?;
    let new: [u8; 32] = r.new_recovery_public_key.as_slice().try_into().ok()?;
    let dh: [u8; 32] = r.new_recovery_dh_public_key.as_slice().try_into().ok()?;
    let message = recovery_renewal_message(account_id, &old, &new, &dh);
    (verify_signature(&old, &message, &r.old_key_signature)
        && verify_signature(&new, &message, &r.new_key_signature))
    .then_some((old, new, dh))
}

/// Folds recovery-key operations (in total order, a linear extension of
/// causality). `founding(op)`: for an older account, whether `op` is the founding
/// device's.
pub(crate) fn fold(
    account_id: &AccountId,
    ops_in_order: &[&StoredOp],
    founding: impl Fn(&StoredOp) -> bool,
) -> RecoveryFold {
    let derived = ops_in_order.iter().any(|op| {
        matches!(&op.action, Action::RecoveryKey(RecoveryChange::Set(set))
            if keys_of(set).is_some_and(|(pk, _)| account_id_for_recovery_key(&pk) == *account_id))
    });
    let mut refused = Vec::new();
    let mut founders: Vec<RecoveryKeyView> = Vec::new();
    // Each renewal that counted: (its op, the key it replaced).
    let mut renewals: Vec<(&StoredOp, [u8; 32])> = Vec::new();
    let mut state = RecoveryState::Unknown;
    for op in ops_in_order {
        let Action::RecoveryKey(change) = &op.action else {
            continue;
        };
        match change {
            RecoveryChange::Set(set) => {
                let keys = if derived {
                    self_certifying(account_id, set)
                } else {
                    keys_of(set).filter(|_| founding(op))
                };
                let Some((pk, dh)) = keys else {
                    refused.push((op.id(), RecoveryRefused::NotTheFoundingKey));
                    continue;
                };
                if founders.iter().any(|f| f.public_key == pk) {
                    continue;
                }
                founders.push(RecoveryKeyView {
                    public_key: pk,
                    dh_public_key: dh,
                    set_by: op.id(),
                });
                if renewals.is_empty() {
                    state = match founders.as_slice() {
                        [only] => RecoveryState::Current(*only),
                        many => RecoveryState::Contested(many.to_vec()),
                    };
                }
            }
            RecoveryChange::Renewed(r) => {
                let Some((old, new, dh)) = renewal_verifies(account_id, r) else {
                    refused.push((op.id(), RecoveryRefused::BadSignature));
                    continue;
                };
                let next = RecoveryKeyView {
                    public_key: new,
                    dh_public_key: dh,
                    set_by: op.id(),
                };
                match &state {
                    RecoveryState::Current(k) if k.public_key == old => {
                        state = RecoveryState::Current(next);
                        renewals.push((op, old));
                    }
                    RecoveryState::Contested(keys) if keys.iter().any(|k| k.public_key == old) => {
                        let settles = keys.iter().all(|k| {
                            ops_in_order
                                .iter()
                                .find(|o| o.id() == k.set_by)
                                .is_some_and(|o| o.happened_before(op) || o.id() == op.id())
                        });
                        state = if settles {
                            RecoveryState::Current(next)
                        } else {
                            let mut keys: Vec<RecoveryKeyView> = keys
                                .iter()
                                .filter(|k| k.public_key != old)
                                .copied()
                                .collect();
                            keys.push(next);
                            RecoveryState::Contested(keys)
                        };
                        renewals.push((op, old));
                    }
                    current => {
                        // It renews a key some counting renewal already replaced.
                        let replaced_by = renewals.iter().find(|(_, replaced)| *replaced == old);
                        match replaced_by {
                            Some((earlier, _)) if !earlier.happened_before(op) => {
                                let mut keys = match current {
                                    RecoveryState::Current(k) => vec![*k],
                                    RecoveryState::Contested(keys) => keys.clone(),
                                    RecoveryState::Unknown => Vec::new(),
                                };
                                keys.push(next);
                                state = RecoveryState::Contested(keys);
                                renewals.push((op, old));
                            }
                            _ => refused.push((op.id(), RecoveryRefused::SupersededKit)),
                        }
                    }
                }
            }
        }
    }
    RecoveryFold {
        state,
        refused,
        founders: founders.iter().map(|f| f.set_by.device).collect(),
    }
}
