//! Where an operation sits in causality, checked before it is applied.
//!
//! An operation's clock and its `deps` (the vector of what its author had applied)
//! are chosen by its author, so a modified client can write anything there. The
//! trust rules of the journal compare operations by causality ("did this author
//! see that operation when writing?"), so causality itself must be consistent
//! before any of them is trusted:
//!
//! - the clock is greater than the clock of the previous operation in the same log
//!   and of every operation `deps` names, so sorting by clock is a linear extension
//!   of causality and "happened before" has no cycles;
//! - `deps` never goes back along a log (an author cannot unsee what it saw), and
//!   never claims more of the author's own log than precedes the operation;
//! - every operation `deps` names is present: if it is not, the server withheld it
//!   (or the author lied), and the operation waits until it arrives;
//! - `deps` is closed under causality: naming an operation means having seen what
//!   it had seen;
//! - (checked by the sync engine, which knows the roster) a device's first record
//!   covers the operation that added it, so a new device cannot claim to have seen
//!   nothing.
//!
//! With these, a fold in clock order that decides only by "happened before" gives
//! the same answer on every device, whatever order records arrived in.

use std::collections::BTreeMap;

use mycase_proto::v1::{Hlc, Operation};

use super::hlc;
use super::order::vector_to_map;
use super::{DeviceId, OpId};

/// Clocks at or above this wall time (ms; about the year 10889) are refused, so a
/// forged clock cannot push every honest device's clock to where it stops advancing.
pub const MAX_WALL_MS: u64 = 1 << 48;

/// Why an operation cannot be applied where it claims to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Misplaced {
    /// Its clock is not after the previous record of its own log.
    #[error("its clock is not after the previous record of its own log")]
    ClockNotAfterPredecessor,
    /// Its clock is not after an operation it says it had seen.
    #[error("its clock is not after an operation it says it had seen")]
    ClockNotAfterDependency,
    /// Its clock is out of range.
    #[error("its clock is out of range")]
    ClockOutOfRange,
    /// It claims to have seen less than its predecessor did.
    #[error("it claims to have seen less than the previous record of its own log")]
    DepsWentBack,
    /// It claims to have seen later records of its own log.
    #[error("it claims to have seen records of its own log that come after it")]
    DepsAheadOfOwnLog,
    /// A device's first record that claims not to have seen the device's addition.
    #[error("it is a device's first record, and claims not to have seen that device being added")]
    FirstRecordBeforeItsAddition,
    /// It claims to have seen an operation but not what that one had seen.
    #[error("it claims to have seen an operation, but not what that operation had seen")]
    DepsNotClosed,
}

/// The outcome of [`check`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// It fits where it is.
    Fits,
    /// An operation it depends on is not here: wait for it (withheld so far).
    Waiting {
        /// The device whose record is missing.
        device: DeviceId,
        /// Its idx in that log.
        idx: u64,
    },
    /// It cannot be where it claims to be.
    Refused(Misplaced),
}

/// What [`check`] needs to know of an operation already applied (or staged).
pub struct Known<'a> {
    /// Its hybrid logical clock.
    pub hlc: Hlc,
    /// What it had seen, per device.
    pub deps: &'a BTreeMap<DeviceId, u64>,
}

/// Checks operation `id` against what is known. `known` answers for applied and
/// staged operations; the predecessor `(device, idx - 1)` must be among them (logs
/// are verified in order).
pub fn check<'a>(
    id: OpId,
    op: &Operation,
    known: impl Fn(&OpId) -> Option<Known<'a>>,
) -> Placement {
    let clock = op.hlc.unwrap_or_default();
    if clock.wall_ms >= MAX_WALL_MS {
        return Placement::Refused(Misplaced::ClockOutOfRange);
    }
    let deps = op.deps.as_ref().map(vector_to_map).unwrap_or_default();
    if deps.get(&id.device).is_some_and(|&own| own >= id.idx) {
        return Placement::Refused(Misplaced::DepsAheadOfOwnLog);
    }
    if id.idx > 1 {
        let previous = OpId {
            device: id.device,
            idx: id.idx - 1,
        };
        let Some(prev) = known(&previous) else {
            return Placement::Waiting {
                device: previous.device,
                idx: previous.idx,
            };
        };
        if hlc::compare(&clock, &prev.hlc).is_le() {
            return Placement::Refused(Misplaced::ClockNotAfterPredecessor);
        }
        if prev
            .deps
            .iter()
            .any(|(device, &seen)| deps.get(device).copied().unwrap_or(0) < seen)
        {
            return Placement::Refused(Misplaced::DepsWentBack);
        }
    }
    for (&device, &idx) in &deps {
        if device == id.device || idx == 0 {
            continue;
        }
        let dep = OpId { device, idx };
        match known(&dep) {
            None => return Placement::Waiting { device, idx },
            Some(k) if hlc::compare(&clock, &k.hlc).is_le() => {
                return Placement::Refused(Misplaced::ClockNotAfterDependency)
            }
            Some(k) => {
                // Whoever saw an operation saw what it had seen: a vector is closed
                // under causality, so nobody can name a record and hide its past.
                let closed = k.deps.iter().all(|(d, &seen)| {
                    *d == id.device && seen < id.idx || deps.get(d).copied().unwrap_or(0) >= seen
                });
                if !closed {
                    return Placement::Refused(Misplaced::DepsNotClosed);
                }
            }
        }
    }
    Placement::Fits
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::order::map_to_vector;
    use std::collections::HashMap;

    fn op(wall_ms: u64, deps: &[(DeviceId, u64)]) -> Operation {
        Operation {
            hlc: Some(Hlc {
                wall_ms,
                counter: 0,
            }),
            deps: Some(map_to_vector(&deps.iter().copied().collect())),
            ..Default::default()
        }
    }

    const A: DeviceId = [1; 16];
    const B: DeviceId = [2; 16];

    fn id(device: DeviceId, idx: u64) -> OpId {
        OpId { device, idx }
    }

    #[test]
    fn clocks_and_deps_must_agree_with_causality() {
        let mut known: HashMap<OpId, (Hlc, BTreeMap<DeviceId, u64>)> = HashMap::new();
        known.insert(
            id(A, 1),
            (
                Hlc {
                    wall_ms: 100,
                    counter: 0,
                },
                BTreeMap::new(),
            ),
        );
        known.insert(
            id(B, 1),
            (
                Hlc {
                    wall_ms: 200,
                    counter: 0,
                },
                [(A, 1)].into_iter().collect(),
            ),
        );
        let lookup = |i: &OpId| known.get(i).map(|(hlc, deps)| Known { hlc: *hlc, deps });
        // An honest second record of B.
        assert_eq!(
            check(id(B, 2), &op(300, &[(A, 1), (B, 1)]), lookup),
            Placement::Fits
        );
        // A forged clock (0,0) below its own predecessor, or below what it saw.
        assert_eq!(
            check(id(B, 2), &op(0, &[(A, 1), (B, 1)]), lookup),
            Placement::Refused(Misplaced::ClockNotAfterPredecessor)
        );
        assert_eq!(
            check(id(A, 2), &op(150, &[(B, 1)]), lookup),
            Placement::Refused(Misplaced::ClockNotAfterDependency)
        );
        // Unseeing what it had seen, to look concurrent with it.
        assert_eq!(
            check(id(B, 2), &op(300, &[]), lookup),
            Placement::Refused(Misplaced::DepsWentBack)
        );
        // Claiming its own future.
        assert_eq!(
            check(id(B, 2), &op(300, &[(A, 1), (B, 2)]), lookup),
            Placement::Refused(Misplaced::DepsAheadOfOwnLog)
        );
        // Depending on something not delivered: withheld, so it waits.
        assert_eq!(
            check(id(B, 2), &op(300, &[(A, 3), (B, 1)]), lookup),
            Placement::Waiting { device: A, idx: 3 }
        );
        assert_eq!(
            check(id(B, 2), &op(MAX_WALL_MS, &[(A, 1)]), lookup),
            Placement::Refused(Misplaced::ClockOutOfRange)
        );
        // Naming B's record while hiding what B had seen (A's first record).
        const C: DeviceId = [3; 16];
        assert_eq!(
            check(id(C, 1), &op(300, &[(B, 1)]), lookup),
            Placement::Refused(Misplaced::DepsNotClosed)
        );
        assert_eq!(
            check(id(C, 1), &op(300, &[(A, 1), (B, 1)]), lookup),
            Placement::Fits
        );
    }
}
