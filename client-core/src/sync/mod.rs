//! The sync engine: push this device's unacknowledged records, pull everyone
//! else's, verify every pulled record (chain, signature, associated data, roster)
//! and apply them only if the whole pull checks out.
//!
//! The server is trusted with nothing. The device remembers the highest vector it
//! has verified, so a server that rolls back or withholds records is reported, and
//! nothing local is ever removed because the server omitted it.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::StreamExt;
use mycase_proto::v1::operation::Body;
use mycase_proto::v1::{Operation, Record};

use crate::device::{decode_operation, Device, DeviceError, MAX_RECORDS_PER_SIGNATURE};
use crate::ids::{id_from_slice, DeviceId};
use crate::journal::{roster, OpId};
use crate::keys::Keyring;
use crate::receipts;
use crate::record::{verify_run, RecordError};
use crate::revoke::learn_into;
use crate::store::{LocalStore, RecordPosition, StoredReceipt};
use crate::transport::Transport;
use crate::vector::Vector;

pub mod plan;

pub use plan::{plan_sync, SyncPlan};

/// Bytes per upload: under the 4 MiB message limit with room for framing.
const MAX_PUSH_BYTES: usize = 2 * 1024 * 1024;
/// Records per pulled page.
const PULL_PAGE: u32 = 1000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyncError {
    #[error(
        "the server went back in time: it reports a log with {got} records where it had already shown {had} \
         (restored from an old backup, or tampering); nothing local was changed"
    )]
    Rollback { had: u64, got: u64 },
    #[error("the server claims {server} records from this device, which wrote only {local}; refusing it")]
    ForeignRecords { server: u64, local: u64 },
    #[error(
        "the server withheld records: it announced a device's log up to {promised} but sent only up to {sent}; \
         nothing from this sync was applied"
    )]
    Withheld { promised: u64, sent: u64 },
    #[error("a record from the server failed verification; nothing from this sync was applied")]
    Tampered(#[source] RecordError),
    #[error(
        "the server sent records from a device that no trusted device added; nothing from this sync was applied"
    )]
    UnknownDevice,
    #[error("the server sent a malformed response ({0}); nothing from this sync was applied")]
    Malformed(&'static str),
    #[error("a verified record holds an operation this device cannot read; nothing from this sync was applied")]
    BadOperation,
    #[error(
        "the server sent records a revoked device wrote after its revocation; they are refused \
         and nothing from this sync was applied"
    )]
    RevokedDeviceRecords,
    #[error("a key rotation holds a key for this device that does not open; nothing from this sync was applied")]
    BadEpochKey,
    #[error(
        "two key rotations chose the same epoch number with different keys; nothing from this sync \
         was applied"
    )]
    EpochCollision,
    #[error(
        "the server sent a record receipt that does not verify under the server key this device \
         pinned: the server is hostile or its key changed; nothing from this sync was kept"
    )]
    BadReceipt(#[source] crate::receipts::ReceiptError),
    #[error("the server's receipt key is malformed; refusing it")]
    BadServerKey,
}

/// What a sync round did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Own records the server acknowledged in this round.
    pub pushed: u64,
    /// Other devices' records verified and applied in this round.
    pub pulled: u64,
    /// Records received but not yet covered by a signature (applied later).
    pub held_back: u64,
    /// The server's vector as of this round.
    pub server: Vector,
}

/// One device's verified, decrypted records from a pull.
struct Accepted {
    device: DeviceId,
    records: Vec<Record>,
    operations: Vec<Operation>,
}

fn device_key_from(op: &Operation) -> Option<(DeviceId, [u8; 32])> {
    match &op.body {
        Some(Body::DeviceAdded(a)) => Some((
            id_from_slice(&a.device_id)?,
            a.sign_public_key.as_slice().try_into().ok()?,
        )),
        _ => None,
    }
}

impl<S: LocalStore> Device<S> {
    /// Authenticates, then runs one sync round.
    /// Afterwards it moves to a new key epoch if a revocation calls for one, and
    /// keeps the recovery blob up to date (see [`crate::revoke`]).
    pub async fn sync<T: Transport>(&mut self, transport: &T) -> Result<SyncReport, DeviceError> {
        self.authenticate(transport).await?;
        let report = self.sync_round(transport).await?;
        self.maintain_keys(transport).await?;
        Ok(report)
    }

    /// Stays connected: syncs now, then again whenever the server's vector moves
    /// (its Watch stream), calling `on_round` after each round. Returns when the
    /// server ends the stream.
    pub async fn watch<T: Transport, F: FnMut(&SyncReport)>(
        &mut self,
        transport: &T,
        mut on_round: F,
    ) -> Result<(), DeviceError> {
        self.authenticate(transport).await?;
        let first = self.sync_round(transport).await?;
        self.maintain_keys(transport).await?;
        on_round(&first);
        let mut stream = transport.watch().await?;
        while let Some(vector) = stream.next().await {
            let server =
                Vector::from_proto(&vector?).map_err(|_| SyncError::Malformed("watched vector"))?;
            let mut mine = self.store.vector();
            mine.set(self.secrets.device_id, self.store.sync_state().acked_own);
            if mine.covers(&server) && self.pending_upload() == 0 {
                continue;
            }
            let report = self.sync_round(transport).await?;
            // A rotation that arrived is used at once; one that is needed is made.
            self.maintain_keys(transport).await?;
            on_round(&report);
        }
        Ok(())
    }

    /// The server's receipt key: the pinned one, or (first sync) the one the
    /// server serves now, pinned from then on.
    async fn pinned_server_key<T: Transport>(
        &mut self,
        transport: &T,
    ) -> Result<[u8; 32], DeviceError> {
        if let Some(key) = self.store.sync_state().server_key {
            return Ok(key);
        }
        let served = transport.get_server_key().await?;
        let key: [u8; 32] = served
            .as_slice()
            .try_into()
            .map_err(|_| SyncError::BadServerKey)?;
        if ed25519_dalek::VerifyingKey::from_bytes(&key).is_err() {
            return Err(SyncError::BadServerKey.into());
        }
        let mut state = self.store.sync_state().clone();
        state.server_key = Some(key);
        self.store.set_sync_state(state)?;
        Ok(key)
    }

    /// The server receipt key this device pinned, once it has synced.
    pub fn server_key(&self) -> Option<[u8; 32]> {
        self.store.sync_state().server_key
    }

    /// One round, with an authenticated transport.
    pub async fn sync_round<T: Transport>(
        &mut self,
        transport: &T,
    ) -> Result<SyncReport, DeviceError> {
        let me = self.secrets.device_id;
        let server_key = self.pinned_server_key(transport).await?;
        let server = Vector::from_proto(&transport.get_vector().await?)
            .map_err(|_| SyncError::Malformed("vector"))?;
        let state = self.store.sync_state().clone();
        let plan = plan_sync(
            &me,
            &self.store.vector(),
            state.acked_own,
            &state.highest_seen,
            &server,
        )?;
        let pushed = match plan.push {
            Some((from, to)) => self.push(transport, &server_key, from, to).await?,
            None => 0,
        };
        let (pulled, held_back, target) =
            self.pull(transport, &server_key, &plan.pull_since).await?;
        Ok(SyncReport {
            pushed,
            pulled,
            held_back,
            server: target,
        })
    }

    /// Uploads own records `from..=to` in batches that end on a signed record.
    async fn push<T: Transport>(
        &mut self,
        transport: &T,
        server_key: &[u8; 32],
        from: u64,
        to: u64,
    ) -> Result<u64, DeviceError> {
        let me = self.secrets.device_id;
        let log = self.store.log(&me);
        let (start, end) = ((from - 1) as usize, to as usize);
        let mut batches: Vec<Vec<Record>> = Vec::new();
        let mut batch: Vec<Record> = Vec::new();
        let mut bytes = 0usize;
        for r in log.get(start..end).unwrap_or(&[]) {
            bytes += r.ciphertext.len() + 160;
            batch.push(r.clone());
            let signed = !r.signature.is_empty();
            if (signed && bytes >= MAX_PUSH_BYTES / 2)
                || bytes >= MAX_PUSH_BYTES
                || batch.len() >= MAX_RECORDS_PER_SIGNATURE * 4
            {
                batches.push(std::mem::take(&mut batch));
                bytes = 0;
            }
        }
        if !batch.is_empty() {
            batches.push(batch);
        }
        let mut pushed = 0u64;
        for batch in batches {
            let n = batch.len() as u64;
            let resp = transport.append(batch.clone()).await?;
            // Checked before anything is noted: a bad receipt leaves the state as it was.
            let kept =
                receipts::check_all(server_key, &self.secrets.account_id, &batch, &resp.receipts)
                    .map_err(SyncError::BadReceipt)?;
            let mut state = self.store.sync_state().clone();
            if resp.head < state.acked_own {
                return Err(SyncError::Rollback {
                    had: state.acked_own,
                    got: resp.head,
                }
                .into());
            }
            state.acked_own = resp.head;
            state.highest_seen.set(me, resp.head);
            self.store.set_sync_state(state)?;
            let kept: Vec<(RecordPosition, StoredReceipt)> = kept
                .into_iter()
                .filter_map(|(i, r)| batch.get(i).map(|rec| ((me, rec.idx), r)))
                .collect();
            self.store.put_receipts(&kept)?;
            pushed += n;
        }
        Ok(pushed)
    }

    /// Pulls everything above `since`, verifies it all, then applies it.
    async fn pull<T: Transport>(
        &mut self,
        transport: &T,
        server_key: &[u8; 32],
        since: &Vector,
    ) -> Result<(u64, u64, Vector), DeviceError> {
        let me = self.secrets.device_id;
        let mut stream = transport.pull(since.to_proto(), PULL_PAGE).await?;
        let mut target: Option<Vector> = None;
        let mut incoming: BTreeMap<DeviceId, Vec<Record>> = BTreeMap::new();
        let mut page_receipts: BTreeMap<RecordPosition, StoredReceipt> = BTreeMap::new();
        while let Some(page) = stream.next().await {
            let page = page?;
            if !page.receipts.is_empty() && page.receipts.len() != page.records.len() {
                return Err(SyncError::Malformed("receipts do not match the records").into());
            }
            for (r, receipt) in page.records.iter().zip(&page.receipts) {
                let device =
                    id_from_slice(&r.device_id).ok_or(SyncError::Malformed("record device id"))?;
                if let Some(kept) = receipts::from_wire(receipt).map_err(SyncError::BadReceipt)? {
                    page_receipts.insert((device, r.idx), kept);
                }
            }
            let t = Vector::from_proto(&page.target.unwrap_or_default())
                .map_err(|_| SyncError::Malformed("pull target"))?;
            match &target {
                Some(prev) if prev != &t => {
                    return Err(SyncError::Malformed("pull target changed mid-stream").into())
                }
                Some(_) => {}
                None => target = Some(t),
            }
            for r in page.records {
                let device =
                    id_from_slice(&r.device_id).ok_or(SyncError::Malformed("record device id"))?;
                if device == me {
                    return Err(SyncError::ForeignRecords {
                        server: r.idx,
                        local: self.store.log(&me).len() as u64,
                    }
                    .into());
                }
                incoming.entry(device).or_default().push(r);
            }
        }
        let target = target.ok_or(SyncError::Malformed("empty pull"))?;

        // The target must not go back either, and must be delivered in full.
        let state = self.store.sync_state().clone();
        for (device, &had) in state.highest_seen.iter().chain(self.store.vector().iter()) {
            if *device != me && target.get(device) < had {
                return Err(SyncError::Rollback {
                    had,
                    got: target.get(device),
                }
                .into());
            }
        }
        for (device, &promised) in target.iter() {
            if *device == me {
                continue;
            }
            let sent = self.store.log(device).len() as u64
                + incoming.get(device).map_or(0, |v| v.len() as u64);
            if sent < promised {
                return Err(SyncError::Withheld { promised, sent }.into());
            }
        }

        let (accepted, keyring) = self.verify_incoming(incoming)?;
        // Receipts of the records about to be applied, each checked under the
        // pinned key before anything is written.
        let account = self.secrets.account_id;
        let receipt_key =
            receipts::ReceiptKey::from_bytes(server_key).map_err(SyncError::BadReceipt)?;
        let mut kept: Vec<(RecordPosition, StoredReceipt)> = Vec::new();
        for a in &accepted {
            for r in &a.records[..a.operations.len()] {
                if let Some(receipt) = page_receipts.get(&(a.device, r.idx)) {
                    if !receipt_key.verifies(&account, r, receipt) {
                        return Err(
                            SyncError::BadReceipt(receipts::ReceiptError::BadSignature).into()
                        );
                    }
                    kept.push(((a.device, r.idx), *receipt));
                }
            }
        }
        if keyring.len() != self.secrets.keyring.len() {
            // Keys first: records under a new epoch are useless without them.
            self.secrets.keyring = keyring;
            self.persist_secrets()?;
        }
        let received: u64 = accepted.iter().map(|a| a.records.len() as u64).sum();
        let mut pulled = 0u64;
        let mut verified_held_back = 0u64;
        for a in accepted {
            let covered = a.operations.len();
            verified_held_back += (a.records.len() - covered) as u64;
            let records = &a.records[..covered];
            if records.is_empty() {
                continue;
            }
            self.store.append(&a.device, records)?;
            for (r, op) in records.iter().zip(a.operations) {
                self.apply(
                    OpId {
                        device: a.device,
                        idx: r.idx,
                    },
                    op,
                );
            }
            pulled += covered as u64;
        }
        debug_assert!(pulled + verified_held_back == received);
        self.store.put_receipts(&kept)?;
        let mut state = self.store.sync_state().clone();
        let mut verified = self.store.vector();
        verified.set(me, state.acked_own);
        state.highest_seen.merge_max(&verified);
        self.store.set_sync_state(state)?;
        Ok((pulled, verified_held_back, target))
    }

    /// The key of a device that nobody vouched for but that was set up with the
    /// recovery kit: its log must start with a record that decrypts (vault key) to
    /// the device adding itself with a recovery certificate under the journal's
    /// recovery key (known, or staged from this pull). The caller then verifies the
    /// whole chain and its signatures under that key.
    fn recovered_device_key(
        &self,
        device: &DeviceId,
        records: &[Record],
        staged_recovery_key: Option<[u8; 32]>,
    ) -> Option<[u8; 32]> {
        let recovery_key = self.recovery_public_key().or(staged_recovery_key)?;
        let first = records.first()?;
        if first.idx != 1 || !self.store.log(device).is_empty() {
            return None;
        }
        let account = self.secrets.account_id;
        let op = decode_operation(&account, &self.secrets.keyring, first).ok()?;
        roster::self_added_key(&account, &recovery_key, device, &op)
    }

    /// Verifies every device's incoming run. Devices become verifiable as the
    /// roster grows: a `DeviceAdded` in a verified record vouches for a new key,
    /// and a device recovered with the recovery kit vouches for itself with a
    /// recovery certificate.
    ///
    /// Records under an epoch this device does not hold yet wait until a verified
    /// `KeyRotated` (from any device in this pull) has given it the key; the
    /// keyring with the keys learned is returned with the runs.
    fn verify_incoming(
        &self,
        incoming: BTreeMap<DeviceId, Vec<Record>>,
    ) -> Result<(Vec<Accepted>, Keyring), SyncError> {
        let account = self.secrets.account_id;
        let me = self.secrets.device_id;
        let mut keyring = self.secrets.keyring.clone();
        let mut waiting_for_key: Option<RecordError> = None;
        let mut staged_keys: BTreeMap<DeviceId, [u8; 32]> = BTreeMap::new();
        let mut staged_recovery_key: Option<[u8; 32]> = None;
        let mut done: BTreeSet<DeviceId> = BTreeSet::new();
        let mut accepted = Vec::new();
        loop {
            let mut progressed = false;
            for (device, records) in &incoming {
                if done.contains(device) {
                    continue;
                }
                let Some(key) = self
                    .trusted_key(device)
                    .or_else(|| staged_keys.get(device).copied())
                    .or_else(|| self.recovered_device_key(device, records, staged_recovery_key))
                else {
                    continue;
                };
                let run = verify_run(&account, device, &key, &self.head_of(device), records)
                    .map_err(SyncError::Tampered)?;
                let mut operations = Vec::with_capacity(run.covered);
                let mut waiting = false;
                for r in &records[..run.covered] {
                    let op = match decode_operation(&account, &keyring, r) {
                        Ok(op) => op,
                        Err(DeviceError::Record(e @ RecordError::UnknownEpoch { .. })) => {
                            waiting_for_key = Some(e);
                            waiting = true;
                            break;
                        }
                        Err(DeviceError::Record(e)) => return Err(SyncError::Tampered(e)),
                        Err(_) => return Err(SyncError::BadOperation),
                    };
                    progressed |= learn_into(
                        &account,
                        &me,
                        self.secrets.keys.dh_secret(),
                        &mut keyring,
                        device,
                        &op,
                    )?;
                    if let Some((id, pk)) = device_key_from(&op) {
                        staged_keys.entry(id).or_insert(pk);
                    }
                    if let Some(rk) = roster::recovery_key_of(&op) {
                        staged_recovery_key.get_or_insert(rk);
                    }
                    operations.push(op);
                }
                if waiting {
                    continue;
                }
                accepted.push(Accepted {
                    device: *device,
                    records: records.clone(),
                    operations,
                });
                done.insert(*device);
                progressed = true;
            }
            if !progressed {
                break;
            }
        }
        if incoming.keys().any(|d| !done.contains(d)) {
            return Err(match waiting_for_key {
                Some(e) => SyncError::Tampered(e),
                None => SyncError::UnknownDevice,
            });
        }
        self.refuse_past_revocation(&accepted)?;
        Ok((accepted, keyring))
    }

    /// Refuses records a revoked device wrote past where its revocation (known, or
    /// in this pull) says its log ends.
    fn refuse_past_revocation(&self, accepted: &[Accepted]) -> Result<(), SyncError> {
        let mut cutoffs: BTreeMap<DeviceId, u64> = BTreeMap::new();
        for (device, revocation) in self.journal.revocations() {
            cutoffs.insert(device, revocation.last_idx);
        }
        for a in accepted {
            for op in &a.operations {
                let Some(Body::DeviceRevoked(r)) = &op.body else {
                    continue;
                };
                let Some(device) = id_from_slice(&r.device_id) else {
                    continue;
                };
                if crate::journal::revocation::is_valid(a.device, r) {
                    let slot = cutoffs.entry(device).or_insert(0);
                    *slot = (*slot).max(r.last_idx);
                }
            }
        }
        for a in accepted {
            let last = a.records.last().map_or(0, |r| r.idx);
            if cutoffs.get(&a.device).is_some_and(|&cutoff| last > cutoff) {
                return Err(SyncError::RevokedDeviceRecords);
            }
        }
        Ok(())
    }
}
