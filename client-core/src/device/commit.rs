//! Writing to the journal: operations sealed into records of this device's own
//! log, signed per batch, durable before they are folded in.

use mycase_proto::v1::operation::Body;
use mycase_proto::v1::{EntryFields, Operation, Record};

use crate::clock::now_ms;
use crate::format::record::{seal_operation, sign_record, Head};
use crate::ids::{new_id, DeviceId, EntryId};
use crate::journal::{hlc, ops, JournalError, OpId};
use crate::store::LocalStore;

use crate::device::{Device, DeviceError, MAX_RECORDS_PER_SIGNATURE};

impl<S: LocalStore> Device<S> {
    /// Folds a verified operation into the journal. Call
    /// [`Self::refresh_write_epoch`] after a batch.
    pub(crate) fn apply(&mut self, id: OpId, op: Operation) {
        self.journal.insert(id, op);
    }

    /// New records are sealed under the highest epoch whose rotation counts (see
    /// [`crate::journal::rotations`]) and whose key this device holds: a key learned
    /// from a rotation that does not count opens what was sealed under it, and is
    /// never written under.
    pub(crate) fn refresh_write_epoch(&mut self) {
        let counting = self.journal.counting_epochs();
        let epoch = self
            .secrets
            .keyring
            .epochs()
            .filter(|e| counting.contains(e))
            .max();
        self.secrets.keyring.set_write_epoch(epoch);
    }

    /// The head of `device`'s log in the local store.
    pub(crate) fn head_of(&self, device: &DeviceId) -> Head {
        self.store
            .log(device)
            .last()
            .map(|r| Head::after(&self.secrets.account_id, r))
            .unwrap_or(Head::GENESIS)
    }

    /// Writes operations to this device's log: one sealed record each, signed at
    /// the end of each batch, durable before this returns, then folded in.
    pub fn commit(&mut self, bodies: Vec<Body>) -> Result<Vec<OpId>, DeviceError> {
        self.commit_timed(bodies.into_iter().map(|b| (b, None)).collect())
    }

    /// [`Self::commit`], with the device time of some operations given: for
    /// entries brought back from a revoked device's kept records, whose recorded
    /// time is when they were first written.
    pub(crate) fn commit_timed(
        &mut self,
        bodies: Vec<(Body, Option<i64>)>,
    ) -> Result<Vec<OpId>, DeviceError> {
        let me = self.secrets.device_id;
        let mut head = self.head_of(&me);
        let mut deps = self.store.vector();
        let mut last_hlc = self.journal.max_hlc();
        let mut ids = Vec::with_capacity(bodies.len());
        let mut pending: Vec<(OpId, Operation)> = Vec::with_capacity(bodies.len());
        let mut records: Vec<Record> = Vec::with_capacity(bodies.len());
        let count = bodies.len();
        let mut parents = crate::device::parents::BatchParents::default();
        for (i, (mut body, recorded_at)) in bodies.into_iter().enumerate() {
            let subject = parents.fill(self, &mut body);
            let now = now_ms();
            let clock = hlc::next(&last_hlc, now.max(0) as u64);
            last_hlc = clock;
            let op = ops::operation(clock, deps.to_proto(), recorded_at.unwrap_or(now), body);
            let mut record = seal_operation(
                &self.secrets.account_id,
                &me,
                &head,
                &self.secrets.keyring,
                &op,
            )?;
            if (i + 1) % MAX_RECORDS_PER_SIGNATURE == 0 || i + 1 == count {
                sign_record(&self.secrets.keys, &self.secrets.account_id, &mut record);
            }
            head = Head::after(&self.secrets.account_id, &record);
            parents.sealed(subject, head.hash);
            deps.set(me, head.idx);
            let id = OpId {
                device: me,
                idx: head.idx,
            };
            ids.push(id);
            pending.push((id, op));
            records.push(record);
        }
        self.store.append(&me, &records)?;
        for (id, op) in pending {
            self.apply(id, op);
        }
        self.refresh_write_epoch();
        Ok(ids)
    }

    /// Records a new entry; returns its id.
    pub fn add_entry(&mut self, fields: EntryFields) -> Result<EntryId, DeviceError> {
        let id = new_id();
        self.commit(vec![ops::create_entry(id, fields)])?;
        Ok(id)
    }

    /// Adds an amendment; the entry's earlier values stay in its history.
    pub fn amend_entry(&mut self, id: EntryId, fields: EntryFields) -> Result<(), DeviceError> {
        if self.journal.entry(&id).is_none() {
            return Err(JournalError::NotFound.into());
        }
        self.commit(vec![ops::amend_entry(id, fields)])?;
        Ok(())
    }

    /// Moves an entry to the trash (restorable until it is emptied).
    pub fn delete_entry(&mut self, id: EntryId) -> Result<(), DeviceError> {
        if self.journal.entry(&id).is_none() {
            return Err(JournalError::NotFound.into());
        }
        self.commit(vec![ops::delete_entry(id)])?;
        Ok(())
    }

    /// Brings an entry back from the trash.
    pub fn restore_entry(&mut self, id: EntryId) -> Result<(), DeviceError> {
        if self.journal.entry(&id).is_none() {
            return Err(JournalError::NotFound.into());
        }
        self.commit(vec![ops::restore_entry(id)])?;
        Ok(())
    }
}
