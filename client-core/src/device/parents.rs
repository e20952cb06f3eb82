//! The parents a device writes into each operation of a commit: the heads of the
//! operation's entry or person among the records this device holds (the rule is
//! in [`crate::evidence::parents`]).

use std::collections::BTreeMap;

use mycase_proto::v1::operation::Body;
use mycase_proto::wire::record_hash;

use crate::device::Device;
use crate::evidence::parents::{heads, parents_mut, parents_of, subject_of, RecordHash, Subject};
use crate::journal::OpId;
use crate::store::LocalStore;

/// Fills in the parents of the operations of one commit: an operation on a
/// subject written earlier in the same batch names that one (which already
/// named everything before it); otherwise it names the subject's heads in the
/// journal.
#[derive(Debug, Default)]
pub(crate) struct BatchParents {
    sealed: BTreeMap<Subject, RecordHash>,
}

impl BatchParents {
    /// Sets `body`'s parents (if it has any) and returns its subject.
    pub(crate) fn fill<S: LocalStore>(
        &self,
        device: &Device<S>,
        body: &mut Body,
    ) -> Option<Subject> {
        let subject = subject_of(body)?;
        if let Some(parents) = parents_mut(body) {
            *parents = match self.sealed.get(&subject) {
                Some(previous) => vec![previous.to_vec()],
                None => journal_heads(device, &subject)
                    .into_iter()
                    .map(|h| h.to_vec())
                    .collect(),
            };
        }
        Some(subject)
    }

    /// Notes that the operation on `subject` was sealed as the record `hash`.
    pub(crate) fn sealed(&mut self, subject: Option<Subject>, hash: RecordHash) {
        if let Some(subject) = subject {
            self.sealed.insert(subject, hash);
        }
    }
}

/// The operations the device's view of `subject` is folded from.
fn subject_ops<S: LocalStore>(device: &Device<S>, subject: &Subject) -> Vec<OpId> {
    match subject {
        Subject::Entry(id) => device
            .journal()
            .entry(id)
            .map(|view| {
                view.history
                    .iter()
                    .map(|r| r.op)
                    .chain(view.attachments.iter().map(|a| a.added_by))
                    .collect()
            })
            .unwrap_or_default(),
        Subject::Person(id) => device.journal().person_ops(id),
    }
}

/// The heads of `subject` among the records this device holds.
fn journal_heads<S: LocalStore>(device: &Device<S>, subject: &Subject) -> Vec<RecordHash> {
    let account = device.account_id();
    let ops: Vec<(RecordHash, Vec<Vec<u8>>)> = subject_ops(device, subject)
        .into_iter()
        .filter_map(|op| {
            let position = usize::try_from(op.idx.checked_sub(1)?).ok()?;
            let record = device.store().log(&op.device).get(position)?;
            // Every operation in the journal was opened from its record once; one
            // that no longer opens names no parents (it stays a head).
            let parents = device
                .secrets
                .open_operation(record)
                .ok()
                .and_then(|op| op.body)
                .and_then(|body| parents_of(&body).map(<[Vec<u8>]>::to_vec))
                .unwrap_or_default();
            Some((record_hash(account, record), parents))
        })
        .collect();
    heads(ops.iter().map(|(h, p)| (*h, p.as_slice())))
}
