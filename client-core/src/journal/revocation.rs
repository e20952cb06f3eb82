//! Revoked devices, from `DeviceRevoked` operations.
//!
//! A revocation is valid only in its author's own log (`revoked_by` must be the
//! author: a device cannot revoke in another's name). A device may revoke itself
//! (it retires when wiped while online). Several revocations of one device (two
//! devices revoking it at once) merge: the log ends at the highest `last_idx` any
//! of them saw (each was written after the server had stopped the device, so a
//! lower one only missed records the server still held), and the first in total
//! order gives the time and author shown.
//!
//! A revocation whose author is itself revoked, at an index before the revocation,
//! does not count, unless that revocation of the author is itself cancelled the
//! same way, or was written by a device that had already seen the revocation it
//! would cancel (a revoked device answering back never cancels anything). When two
//! devices revoke each other past each other's ends without either having seen the
//! other's (only a hostile server lets both through), neither cancellation can
//! stand alone, and both revocations count: both devices are out, whatever order
//! they sort in. The result depends on the set of operations and their causality
//! only.

use std::collections::{BTreeMap, BTreeSet};

use super::order::{Action, StoredOp};
use super::{DeviceId, OpId};

/// One device's revocation, as the views show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revocation {
    /// The revoked device's log ends here; later records are refused.
    pub last_idx: u64,
    /// The revoking device's clock (Unix ms).
    pub revoked_at_ms: i64,
    /// The device that revoked it.
    pub revoked_by: DeviceId,
    /// The (first) revoking operation.
    pub op: OpId,
}

impl Revocation {
    /// The device retired itself (a wipe while online).
    pub fn is_retirement(&self, device: &DeviceId) -> bool {
        &self.revoked_by == device
    }
}

/// A well-formed revocation, in its author's log.
pub(crate) fn is_valid(author: DeviceId, r: &mycase_proto::v1::DeviceRevoked) -> bool {
    r.device_id.len() == 16 && r.revoked_by.as_slice() == author.as_slice()
}

struct Candidate<'a> {
    op: &'a StoredOp,
    target: DeviceId,
    last_idx: u64,
}

/// Folds revocations (in total order) by the rule in the module documentation.
pub(crate) fn fold<'a>(
    ops_in_order: impl Iterator<Item = &'a StoredOp>,
) -> BTreeMap<DeviceId, Revocation> {
    fold_with_revokers(ops_in_order).0
}

/// [`fold`], and the devices some counting revocation by another device (not a
/// retirement) revoked: whatever sorts first, a device that also retired itself
/// is still one the survivor revoked.
pub(crate) fn fold_with_revokers<'a>(
    ops_in_order: impl Iterator<Item = &'a StoredOp>,
) -> (BTreeMap<DeviceId, Revocation>, BTreeSet<DeviceId>) {
    let candidates: Vec<Candidate<'a>> = ops_in_order
        .filter_map(|op| {
            let Action::DeviceRevoked(r) = &op.action else {
                return None;
            };
            if !is_valid(op.key.device, r) {
                return None;
            }
            let target = DeviceId::try_from(r.device_id.as_slice()).ok()?;
            // A retiring device's log ends with the record that retires it.
            let last_idx = if target == op.key.device {
                r.last_idx.max(op.key.idx)
            } else {
                r.last_idx
            };
            Some(Candidate {
                op,
                target,
                last_idx,
            })
        })
        .collect();
    let cancellers: Vec<Vec<usize>> = (0..candidates.len())
        .map(|i| {
            (0..candidates.len())
                .filter(|&j| may_cancel(&candidates[j], &candidates[i]))
                .collect()
        })
        .collect();
    let reach = reachability(&cancellers);
    let mut memo: BTreeMap<usize, bool> = BTreeMap::new();
    let mut out: BTreeMap<DeviceId, Revocation> = BTreeMap::new();
    let mut by_another: BTreeSet<DeviceId> = BTreeSet::new();
    for (i, c) in candidates.iter().enumerate() {
        if !counts(i, &cancellers, &reach, &mut memo) {
            continue;
        }
        if c.target != c.op.key.device {
            by_another.insert(c.target);
        }
        match out.get_mut(&c.target) {
            Some(known) => known.last_idx = known.last_idx.max(c.last_idx),
            None => {
                let r = match &c.op.action {
                    Action::DeviceRevoked(r) => r.revoked_at_ms,
                    _ => 0,
                };
                out.insert(
                    c.target,
                    Revocation {
                        last_idx: c.last_idx,
                        revoked_at_ms: r,
                        revoked_by: c.op.key.device,
                        op: c.op.id(),
                    },
                );
            }
        }
    }
    (out, by_another)
}

/// Whether `j`, if it counts, cancels `i`: it revokes `i`'s author (not as a
/// retirement) with the author's log ending before `i`. A revocation written by
/// a device that had already seen `i` (`i` happened before it) cannot cancel `i`:
/// that is a revoked device answering back.
fn may_cancel(j: &Candidate<'_>, i: &Candidate<'_>) -> bool {
    j.target == i.op.key.device
        && j.target != j.op.key.device
        && j.last_idx < i.op.key.idx
        && !i.op.happened_before(j.op)
}

/// `reach[i][j]`: `j` is reachable from `i` through "may be cancelled by" edges.
fn reachability(edges: &[Vec<usize>]) -> Vec<Vec<bool>> {
    let n = edges.len();
    let mut reach = vec![vec![false; n]; n];
    for (i, row) in reach.iter_mut().enumerate() {
        let mut stack: Vec<usize> = edges[i].clone();
        while let Some(j) = stack.pop() {
            if !row[j] {
                row[j] = true;
                stack.extend(edges[j].iter().copied());
            }
        }
    }
    reach
}

/// Whether candidate `i` counts: no counting candidate outside its own cycle
/// cancels it. Candidates that cancel each other in a cycle do not cancel each
/// other (all of them count), so the answer never depends on evaluation order.
fn counts(
    i: usize,
    cancellers: &[Vec<usize>],
    reach: &[Vec<bool>],
    memo: &mut BTreeMap<usize, bool>,
) -> bool {
    if let Some(&known) = memo.get(&i) {
        return known;
    }
    let same_cycle = |j: usize| reach[i][j] && reach[j][i];
    let cancelled = cancellers[i]
        .iter()
        .any(|&j| !same_cycle(j) && counts(j, cancellers, reach, memo));
    memo.insert(i, !cancelled);
    !cancelled
}
