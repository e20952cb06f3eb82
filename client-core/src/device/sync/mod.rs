//! The sync engine: push this device's unacknowledged records, pull everyone
//! else's, verify every pulled record (chain, signature, associated data, roster,
//! place in causality) log by log, apply what checks out and quarantine the rest
//! (see [`verify`]).
//!
//! The server is trusted with nothing. The device remembers the highest vector it
//! has verified, so a server that rolls back is refused and one that withholds
//! records is reported, and nothing local is ever removed because the server
//! omitted it.

use std::collections::BTreeMap;

use futures_util::StreamExt;
use mycase_proto::v1::Record;

use crate::device::{Device, DeviceError, MAX_RECORDS_PER_SIGNATURE};
use crate::format::epoch_keys::LearnError;
use crate::format::receipts;
use crate::format::record::RecordError;
use crate::format::vector::Vector;
use crate::ids::{id_from_slice, DeviceId};
use crate::journal::OpId;
use crate::store::{LocalStore, RecordPosition, StoredReceipt};
use crate::transport::Transport;

pub(crate) mod plan;
pub(crate) mod verify;

pub(crate) use plan::plan_sync;
pub use verify::Quarantine;

/// Bytes per upload: under the 4 MiB message limit with room for framing.
const MAX_PUSH_BYTES: usize = 2 * 1024 * 1024;
/// Records per pulled page.
const PULL_PAGE: u32 = 1000;
/// Ciphertext bytes one pull buffers before verifying and applying them; a longer
/// pull continues in another round, so a server cannot fill the device's memory.
pub(crate) const MAX_PULL_BUFFER: usize = 32 * 1024 * 1024;
/// Pull rounds one sync makes at most before reporting what is left.
const MAX_PULL_ROUNDS: usize = 64;

/// Why a sync round refused what the server sent. Nothing from a refused round is applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyncError {
    /// The server reports a log shorter than it showed before.
    #[error(
        "the server went back in time: it reports a log with {got} records where it had already shown {had} \
         (restored from an old backup, or tampering); nothing local was changed"
    )]
    Rollback {
        /// Records it showed before.
        had: u64,
        /// Records it reports now.
        got: u64,
    },
    /// The server claims more records from this device than it wrote.
    #[error("the server claims {server} records from this device, which wrote only {local}; refusing it")]
    ForeignRecords {
        /// Records the server claims.
        server: u64,
        /// Records this device wrote.
        local: u64,
    },
    /// The server sent less of a log than it announced.
    #[error(
        "the server withheld records: it announced a device's log up to {promised} but sent only up to {sent}; \
         nothing from this sync was applied"
    )]
    Withheld {
        /// Where it said the log ends.
        promised: u64,
        /// Where what it sent ends.
        sent: u64,
    },
    /// A record failed verification.
    #[error("a record from the server failed verification; nothing from this sync was applied")]
    Tampered(#[source] RecordError),
    /// Records came from a device no trusted device added.
    #[error(
        "the server sent records from a device that no trusted device added; nothing from this sync was applied"
    )]
    UnknownDevice,
    /// The response is malformed (what is wrong with it).
    #[error("the server sent a malformed response ({0}); nothing from this sync was applied")]
    Malformed(&'static str),
    /// A verified record holds an operation this device cannot read.
    #[error("a verified record holds an operation this device cannot read; nothing from this sync was applied")]
    BadOperation,
    /// A revoked device's records after its revocation.
    #[error(
        "the server sent records a revoked device wrote after its revocation; they are refused \
         and nothing from this sync was applied"
    )]
    RevokedDeviceRecords,
    /// A key rotation holds a key for this device that does not open.
    #[error("a key rotation holds a key for this device that does not open; nothing from this sync was applied")]
    BadEpochKey,
    /// Two rotations chose the same epoch number with different keys.
    #[error(
        "two key rotations chose the same epoch number with different keys; nothing from this sync \
         was applied"
    )]
    EpochCollision,
    /// A receipt does not verify under the pinned server key.
    #[error(
        "the server sent a record receipt that does not verify under the server key this device \
         pinned: the server is hostile or its key changed; nothing from this sync was kept"
    )]
    BadReceipt(#[source] crate::format::receipts::ReceiptError),
    /// The server's receipt key is malformed.
    #[error("the server's receipt key is malformed; refusing it")]
    BadServerKey,
    /// A record's causal place does not add up.
    #[error("a record's place in time does not add up ({0}): refused as forged")]
    Misplaced(#[source] crate::journal::causal::Misplaced),
    /// A record depends on a record the server did not send.
    #[error(
        "a record depends on record {idx} of another device, which the server did not send: \
         the server is withholding it from this device"
    )]
    WithheldDependency {
        /// The device whose record is missing.
        device: DeviceId,
        /// Its place in that log.
        idx: u64,
    },
    /// A rotation took an epoch number that is not its author's.
    #[error(
        "a key rotation took epoch number {epoch}, which is not its author's to take (it could \
         stop another device's rotation from reaching this one): refused as forged"
    )]
    ForeignEpochNumber {
        /// The epoch number.
        epoch: u32,
    },
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
    /// Logs not applied (from some record on), and why: shown to the survivor.
    pub quarantined: Vec<Quarantine>,
    /// Records applied that came without a server receipt (only records stored
    /// before the server signed receipts should; a server stripping them shows here).
    pub without_receipt: u64,
}

impl From<LearnError> for SyncError {
    fn from(e: LearnError) -> Self {
        match e {
            LearnError::Unopenable => SyncError::BadEpochKey,
            LearnError::Collision => SyncError::EpochCollision,
        }
    }
}

impl<S: LocalStore> Device<S> {
    /// Buffers at most `bytes` of a pull before verifying and applying it (a
    /// phone may want less than the default 32 MiB); a longer pull goes on in
    /// further rounds of the same sync.
    pub fn limit_pull_buffer(&mut self, bytes: usize) {
        self.pull_buffer_bytes = bytes.max(1);
    }

    /// Logs the last sync round quarantined (not applied), and why.
    pub fn quarantined(&self) -> &[crate::device::sync::Quarantine] {
        &self.quarantine
    }

    /// Authenticates, then runs one sync round.
    /// Afterwards it moves to a new key epoch if a revocation calls for one, and
    /// keeps the recovery blob up to date (see [`Device::revoke_device`]).
    pub async fn sync<T: Transport>(&mut self, transport: &T) -> Result<SyncReport, DeviceError> {
        let outcome = async {
            self.authenticate(transport).await?;
            let report = self.sync_round(transport).await?;
            self.maintain_keys(transport).await?;
            Ok(report)
        }
        .await;
        outcome.map_err(|e| self.judge_refusal(e))
    }

    /// [`Device::sync`] on a transport this device has already signed in on (a
    /// session that stays connected): one round and the key upkeep, without
    /// spending a sign-in on every round. An expired session comes back as the
    /// server's refusal, and the caller signs in again.
    pub async fn sync_signed_in<T: Transport>(
        &mut self,
        transport: &T,
    ) -> Result<SyncReport, DeviceError> {
        let outcome = async {
            let report = self.sync_round(transport).await?;
            self.maintain_keys(transport).await?;
            Ok(report)
        }
        .await;
        outcome.map_err(|e| self.judge_refusal(e))
    }

    /// Stays connected: syncs now, then again whenever the server's vector moves
    /// (its Watch stream), calling `on_round` after each round. Returns when the
    /// server ends the stream.
    pub async fn watch<T: Transport, F: FnMut(&SyncReport)>(
        &mut self,
        transport: &T,
        on_round: F,
    ) -> Result<(), DeviceError> {
        let outcome = self.watch_unjudged(transport, on_round).await;
        outcome.map_err(|e| self.judge_refusal(e))
    }

    async fn watch_unjudged<T: Transport, F: FnMut(&SyncReport)>(
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
        self.store
            .update_sync_state(|state| state.server_key = Some(key))?;
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
        let mut report = SyncReport {
            pushed,
            ..SyncReport::default()
        };
        let mut since = plan.pull_since;
        let mut limit = self.pull_buffer_bytes;
        for _ in 0..MAX_PULL_ROUNDS {
            let round = self.pull(transport, &server_key, &since, limit).await?;
            report.pulled += round.pulled;
            report.held_back = round.held_back;
            report.without_receipt += round.without_receipt;
            report.server = round.target;
            report.quarantined = round.quarantined;
            if !round.truncated {
                break;
            }
            if round.pulled == 0 {
                // Nothing in this much ended on a signature: take more next time.
                limit = limit.saturating_mul(2);
            }
            since = self.store.vector();
        }
        self.quarantine = report.quarantined.clone();
        Ok(report)
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

    /// Pulls what is above `since` (up to the device's pull buffer), verifies it
    /// log by log, then applies what checks out.
    async fn pull<T: Transport>(
        &mut self,
        transport: &T,
        server_key: &[u8; 32],
        since: &Vector,
        limit: usize,
    ) -> Result<PullRound, DeviceError> {
        let me = self.secrets.device_id;
        let mut stream = transport.pull(since.to_proto(), PULL_PAGE).await?;
        let mut target: Option<Vector> = None;
        let mut incoming: BTreeMap<DeviceId, Vec<Record>> = BTreeMap::new();
        let mut page_receipts: BTreeMap<RecordPosition, StoredReceipt> = BTreeMap::new();
        let mut buffered = 0usize;
        let mut truncated = false;
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
                buffered += r.ciphertext.len() + r.nonce.len() + r.signature.len() + 64;
                incoming.entry(device).or_default().push(r);
            }
            if buffered >= limit {
                // Enough for one round: verify and apply this much, then go on.
                truncated = true;
                break;
            }
        }
        drop(stream);
        let target = target.ok_or(SyncError::Malformed("empty pull"))?;

        // The target must not go back either.
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
        // What the server promised and did not send is withheld (that log only).
        let mut withheld: Vec<Quarantine> = Vec::new();
        if !truncated {
            for (device, &promised) in target.iter() {
                if *device == me {
                    continue;
                }
                let sent = self.store.log(device).len() as u64
                    + incoming.get(device).map_or(0, |v| v.len() as u64);
                if sent < promised {
                    withheld.push(Quarantine {
                        device: *device,
                        from_idx: sent + 1,
                        reason: SyncError::Withheld { promised, sent },
                    });
                }
            }
        }

        let verified = self.verify_incoming(incoming);
        // Receipts of the records about to be applied, each checked under the
        // pinned key before anything is written.
        let account = self.secrets.account_id;
        let receipt_key =
            receipts::ReceiptKey::from_bytes(server_key).map_err(SyncError::BadReceipt)?;
        let mut kept: Vec<(RecordPosition, StoredReceipt)> = Vec::new();
        let mut without_receipt = 0u64;
        for a in &verified.accepted {
            for r in &a.records {
                match page_receipts.get(&(a.device, r.idx)) {
                    Some(receipt) => {
                        if !receipt_key.verifies(&account, r, receipt) {
                            return Err(SyncError::BadReceipt(
                                receipts::ReceiptError::BadSignature,
                            )
                            .into());
                        }
                        kept.push(((a.device, r.idx), *receipt));
                    }
                    None => without_receipt += 1,
                }
            }
        }
        // Keys first: records under a new epoch are useless without them.
        if self.secrets.adopt_keyring_if_grown(verified.keyring) {
            self.persist_secrets()?;
        }
        let mut pulled = 0u64;
        for a in verified.accepted {
            self.store.append(&a.device, &a.records)?;
            for (r, op) in a.records.iter().zip(a.operations) {
                self.apply(
                    OpId {
                        device: a.device,
                        idx: r.idx,
                    },
                    op,
                );
            }
            pulled += a.records.len() as u64;
        }
        self.refresh_write_epoch();
        self.store.put_receipts(&kept)?;
        let mut seen = self.store.vector();
        seen.set(me, self.store.sync_state().acked_own);
        self.store
            .update_sync_state(|state| state.highest_seen.merge_max(&seen))?;
        let mut quarantined = verified.quarantined;
        for w in withheld {
            if !quarantined.iter().any(|q| q.device == w.device) {
                quarantined.push(w);
            }
        }
        Ok(PullRound {
            pulled,
            held_back: verified.held_back,
            target,
            quarantined,
            without_receipt,
            truncated,
        })
    }
}

/// What one pull did.
struct PullRound {
    pulled: u64,
    held_back: u64,
    target: Vector,
    quarantined: Vec<Quarantine>,
    without_receipt: u64,
    truncated: bool,
}
