//! The Sync service: append to one's own log, read the vector, pull, watch.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::Arc;

use ed25519_dalek::VerifyingKey;
use futures_util::{Stream, StreamExt};
use mycase_proto::v1::sync_server::Sync;
use mycase_proto::v1::{
    AppendRequest, AppendResponse, GetVectorRequest, GetVectorResponse, PullRequest, PullResponse,
    Receipt, Record, VersionVector, WatchRequest, WatchResponse,
};
use mycase_proto::wire::{self, GENESIS_HASH};
use mycase_proto::RECORD_FORMAT_VERSION;
use prost::Message;
use tonic::{Request, Response, Status};

use super::watchers::vector;
use super::Shared;
use crate::access::auth::Session;
use crate::api::validate;
use crate::error::{ServerError, ServerResult};
use crate::keys::server_key::ServerKey;
use crate::store::{Head, Id, NewRecord, Store, StoreError, StoredReceipt};

/// Largest page the server sends, whatever the client asks.
const MAX_PAGE_RECORDS: usize = 1000;
/// A page stops growing past this many bytes; with ciphertexts capped at 1 MiB a
/// page stays well under the gRPC message limit.
const MAX_PAGE_BYTES: usize = 2 * 1024 * 1024;

pub struct SyncService<S> {
    shared: Arc<Shared<S>>,
}

type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

impl<S: Store> SyncService<S> {
    pub fn new(shared: Arc<Shared<S>>) -> Self {
        Self { shared }
    }
}

/// Shape checks that need no stored state.
fn check_batch(records: &[Record], session: &Session) -> ServerResult<()> {
    if records.len() > validate::MAX_RECORDS_PER_APPEND {
        return Err(ServerError::InvalidArgument(format!(
            "too many records in one append: {}, at most {}",
            records.len(),
            validate::MAX_RECORDS_PER_APPEND
        )));
    }
    let first_idx = records.first().map_or(1, |r| r.idx);
    if first_idx == 0 {
        return Err(ServerError::InvalidArgument(
            "record idx starts at 1".into(),
        ));
    }
    for (i, r) in records.iter().enumerate() {
        let device_id = validate::id("record device_id", &r.device_id)?;
        if device_id != session.device_id {
            return Err(ServerError::PermissionDenied(
                "a device may only append to its own log",
            ));
        }
        if Some(r.idx) != first_idx.checked_add(i as u64) {
            return Err(ServerError::InvalidArgument(
                "records in one append must have consecutive idx".into(),
            ));
        }
        validate::hash("prev_hash", &r.prev_hash)?;
        validate::fixed::<{ validate::NONCE_LEN }>("nonce", &r.nonce)?;
        validate::at_most("ciphertext", &r.ciphertext, validate::MAX_CIPHERTEXT)?;
        if !r.signature.is_empty() {
            validate::signature("signature", &r.signature)?;
        }
        if !mycase_proto::is_known_record_format(r.format_version) {
            return Err(ServerError::InvalidArgument(format!(
                "record format_version must be at most {RECORD_FORMAT_VERSION}, got {}",
                r.format_version
            )));
        }
        if r.key_epoch == 0 {
            return Err(ServerError::InvalidArgument(
                "record key_epoch must be at least 1".into(),
            ));
        }
    }
    Ok(())
}

/// The server's clock in Unix milliseconds (0 if it is set before 1970).
fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn to_wire(receipt: Option<StoredReceipt>) -> Receipt {
    receipt.map_or_else(Receipt::default, |r| Receipt {
        server_time_ms: r.server_time_ms,
        signature: r.signature.to_vec(),
    })
}

/// Checks the batch against the stored log and writes what is new (with a signed
/// receipt each), durably. Runs on a blocking thread, under the account's append
/// lock. Returns the head and one receipt per record of the batch: the original
/// one for a record that was already stored.
fn append_blocking<S: Store>(
    store: &S,
    server_key: &ServerKey,
    session: &Session,
    key: &VerifyingKey,
    records: &[Record],
    storage_quota: u64,
) -> ServerResult<(u64, Vec<Receipt>)> {
    let (account_id, device_id) = (&session.account_id, &session.device_id);
    // Checked again under the account's append lock, which a revocation also
    // takes: once RevokeDevice has answered, no append of that device can land, so
    // the log the revoking device then pulls is the revoked device's last word.
    match store.device(device_id)? {
        Some(d) if d.revoked => return Err(ServerError::revoked(&d)),
        Some(_) => {}
        None => return Err(ServerError::Unauthenticated("device unknown")),
    }
    let head = store.head(account_id, device_id)?.unwrap_or(Head {
        idx: 0,
        hash: GENESIS_HASH,
    });
    let Some(first) = records.first() else {
        return Ok((head.idx, Vec::new()));
    };
    let expected = head.idx.saturating_add(1);
    if first.idx > expected {
        return Err(ServerError::Gap {
            expected,
            got: first.idx,
        });
    }
    let mut fresh = Vec::new();
    let mut receipts = Vec::with_capacity(records.len());
    let mut prev = head.hash;
    let server_time_ms = now_ms();
    for r in records {
        let bytes = r.encode_to_vec();
        if r.idx <= head.idx {
            // Already stored: a retry is fine only if it is byte for byte the same.
            let stored = store
                .record(account_id, device_id, r.idx)?
                .ok_or(StoreError::Corrupt("a record below the head is missing"))?;
            if stored != bytes {
                return Err(ServerError::RecordConflict { idx: r.idx });
            }
            receipts.push(to_wire(store.receipt(account_id, device_id, r.idx)?));
            continue;
        }
        if r.prev_hash != prev {
            return Err(ServerError::ChainMismatch { idx: r.idx });
        }
        let hash = wire::record_hash(account_id, r);
        if !r.signature.is_empty() {
            let sig = validate::signature("signature", &r.signature)?;
            key.verify_strict(&hash, &sig).map_err(|_| {
                ServerError::BadSignature(format!(
                    "signature on record at idx {} does not verify",
                    r.idx
                ))
            })?;
        }
        let receipt = server_key.receipt(account_id, device_id, r.idx, &hash, server_time_ms);
        let signature = receipt
            .signature
            .as_slice()
            .try_into()
            .map_err(|_| ServerError::Internal("receipt signature length"))?;
        fresh.push(NewRecord {
            idx: r.idx,
            bytes,
            receipt: StoredReceipt {
                server_time_ms,
                signature,
            },
        });
        receipts.push(receipt);
        prev = hash;
    }
    let Some(last) = fresh.last() else {
        return Ok((head.idx, receipts));
    };
    let adding: u64 = fresh.iter().map(|r| r.bytes.len() as u64).sum();
    crate::access::limits::check_storage(storage_quota, store.account_usage(account_id)?, adding)?;
    let new_head = Head {
        idx: last.idx,
        hash: prev,
    };
    store.append(account_id, device_id, head.idx, &fresh, new_head)?;
    // Durable before we acknowledge: nothing acknowledged may be lost.
    store.flush()?;
    Ok((new_head.idx, receipts))
}

/// Where a pull stands: per device, the range still to send.
struct PullState<S> {
    store: Arc<S>,
    account_id: Id,
    plan: Vec<(Id, u64, u64)>,
    pos: usize,
    page_size: usize,
    target: VersionVector,
    sent_any: bool,
    failed: bool,
}

impl<S: Store> PullState<S> {
    /// Reads the next page synchronously; no lock is held between pages.
    /// Each record comes with its stored receipt (empty for one stored before
    /// receipts existed).
    fn next_page(&mut self) -> ServerResult<(Vec<Record>, Vec<Receipt>)> {
        let mut page = Vec::new();
        let mut receipts = Vec::new();
        let mut bytes = 0usize;
        while let Some((device_id, after, up_to)) = self.plan.get(self.pos).copied() {
            if page.len() >= self.page_size || bytes >= MAX_PAGE_BYTES {
                break;
            }
            let chunk = self.store.records(
                &self.account_id,
                &device_id,
                after,
                up_to,
                self.page_size - page.len(),
                MAX_PAGE_BYTES - bytes,
            )?;
            let Some(&(last_idx, _)) = chunk.last() else {
                // Nothing (more) stored in range: a record below the head is
                // missing, which the store should never allow.
                if after < up_to {
                    return Err(StoreError::Corrupt("a record below the head is missing").into());
                }
                self.pos += 1;
                continue;
            };
            for (idx, b) in chunk {
                bytes += b.len();
                receipts.push(to_wire(self.store.receipt(
                    &self.account_id,
                    &device_id,
                    idx,
                )?));
                page.push(
                    Record::decode(b.as_slice())
                        .map_err(|_| StoreError::Corrupt("stored record does not decode"))?,
                );
            }
            if last_idx >= up_to {
                self.pos += 1;
            } else if let Some(entry) = self.plan.get_mut(self.pos) {
                entry.1 = last_idx;
            }
        }
        Ok((page, receipts))
    }
}

#[tonic::async_trait]
impl<S: Store> Sync for SyncService<S> {
    async fn append(
        &self,
        request: Request<AppendRequest>,
    ) -> Result<Response<AppendResponse>, Status> {
        let session = self.shared.auth.session(request.metadata())?;
        let peer = request.remote_addr();
        let records = request.into_inner().records;
        check_batch(&records, &session)?;
        for r in &records {
            self.shared.limits.record_size(r.ciphertext.len())?;
        }
        self.shared.limits.append(peer, &session.account_id)?;
        let device = self
            .shared
            .store
            .device(&session.device_id)
            .map_err(ServerError::from)?
            .ok_or(ServerError::Unauthenticated("device revoked or unknown"))?;
        let key = validate::verifying_key("sign_public_key", &device.sign_public_key)?;

        let (head, receipts) = {
            let _serialized = self.shared.append_lock(&session.account_id).lock().await;
            let store = self.shared.store.clone();
            let quota = self.shared.limits.quotas.storage_bytes_per_account;
            let server_key = self.shared.server_key.clone();
            tokio::task::spawn_blocking(move || {
                append_blocking(store.as_ref(), &server_key, &session, &key, &records, quota)
            })
            .await
            .map_err(|_| ServerError::Internal("append task failed"))??
        };
        self.shared.watchers.notify(&session.account_id)?;
        let vector = vector(self.shared.store.as_ref(), &session.account_id)?;
        Ok(Response::new(AppendResponse {
            head,
            vector: Some(vector),
            receipts,
        }))
    }

    async fn get_vector(
        &self,
        request: Request<GetVectorRequest>,
    ) -> Result<Response<GetVectorResponse>, Status> {
        let session = self.shared.auth.session(request.metadata())?;
        let vector = vector(self.shared.store.as_ref(), &session.account_id)?;
        Ok(Response::new(GetVectorResponse {
            vector: Some(vector),
        }))
    }

    type PullStream = BoxStream<PullResponse>;

    async fn pull(
        &self,
        request: Request<PullRequest>,
    ) -> Result<Response<Self::PullStream>, Status> {
        let session = self.shared.auth.session(request.metadata())?;
        let req = request.into_inner();
        let mut since: HashMap<Id, u64> = HashMap::new();
        for e in req.since.map(|v| v.entries).unwrap_or_default() {
            let id = validate::id("since device_id", &e.device_id)?;
            let slot = since.entry(id).or_insert(0);
            *slot = (*slot).max(e.idx);
        }
        let page_size = match usize::try_from(req.page_size) {
            Ok(0) | Err(_) => MAX_PAGE_RECORDS,
            Ok(n) => n.min(MAX_PAGE_RECORDS),
        };
        let target = vector(self.shared.store.as_ref(), &session.account_id)?;
        let mut plan = Vec::new();
        for e in &target.entries {
            let id = validate::id("device_id", &e.device_id)?;
            let after = since.get(&id).copied().unwrap_or(0);
            if after < e.idx {
                plan.push((id, after, e.idx));
            }
        }
        let state = PullState {
            store: self.shared.store.clone(),
            account_id: session.account_id,
            plan,
            pos: 0,
            page_size,
            target,
            sent_any: false,
            failed: false,
        };
        let stream = futures_util::stream::unfold(state, |mut st| async move {
            if st.failed || (st.sent_any && st.pos >= st.plan.len()) {
                return None;
            }
            st.sent_any = true;
            match st.next_page() {
                Ok((records, receipts)) => {
                    let page = PullResponse {
                        records,
                        target: Some(st.target.clone()),
                        receipts,
                    };
                    Some((Ok(page), st))
                }
                Err(e) => {
                    st.failed = true;
                    Some((Err(Status::from(e)), st))
                }
            }
        });
        Ok(Response::new(Box::pin(stream)))
    }

    type WatchStream = BoxStream<WatchResponse>;

    async fn watch(
        &self,
        request: Request<WatchRequest>,
    ) -> Result<Response<Self::WatchStream>, Status> {
        let session = self.shared.auth.session(request.metadata())?;
        let ticket = self
            .shared
            .watchers
            .subscribe(&session.account_id, &session.device_id)?;
        let mut shutdown = self.shared.shutdown.clone();
        // Ends on server shutdown so graceful shutdown never waits on a watcher.
        let stop = async move {
            let _ = shutdown.wait_for(|stop| *stop).await;
        };
        let revoked = self.shared.watchers.until_revoked(session.device_id);
        let expired = until_expired(self.shared.clock.clone(), session.expires_at_ms);
        // A revocation between the session check and the subscription above
        // would otherwise be missed.
        self.shared.auth.session(request.metadata())?;
        // After the stream ends, a revoked device is told why, and a device whose
        // token ran out is told to sign in again (the CLI then reconnects).
        let store = self.shared.store.clone();
        let clock = self.shared.clock.clone();
        let device_id = session.device_id;
        let expires_at_ms = session.expires_at_ms;
        let farewell = futures_util::stream::once(async move {
            match store.device(&device_id) {
                Ok(Some(d)) if d.revoked => Some(Err(Status::from(ServerError::revoked(&d)))),
                _ if is_expired(&clock, expires_at_ms) => Some(Err(Status::from(
                    ServerError::Unauthenticated(SESSION_EXPIRED_DURING_WATCH),
                ))),
                _ => None,
            }
        })
        .filter_map(std::future::ready);
        let vectors =
            futures_util::stream::unfold((ticket, true), |(mut ticket, first)| async move {
                let rx = ticket.receiver().ok()?;
                if !first {
                    rx.changed().await.ok()?;
                }
                let vector = rx.borrow_and_update().clone();
                Some((vector, (ticket, false)))
            });
        let stream = vectors
            .map(|vector| {
                Ok(WatchResponse {
                    vector: Some(vector),
                })
            })
            .take_until(stop)
            .take_until(revoked)
            .take_until(expired)
            .chain(farewell);
        Ok(Response::new(Box::pin(stream)))
    }
}

/// Why a `Watch` stream ended on its own.
pub const SESSION_EXPIRED_DURING_WATCH: &str = "session expired; authenticate again";

/// How often an open `Watch` re-reads the clock for its token's expiry: the
/// server's clock can be moved (tests), so one long timer could oversleep it.
const EXPIRY_CHECK: std::time::Duration = std::time::Duration::from_secs(1);

fn is_expired(clock: &crate::clock::Clock, expires_at_ms: u64) -> bool {
    clock.now_ms() >= expires_at_ms
}

/// Resolves once the sign-in token that opened a stream has expired.
async fn until_expired(clock: crate::clock::Clock, expires_at_ms: u64) {
    while !is_expired(&clock, expires_at_ms) {
        let left = expires_at_ms.saturating_sub(clock.now_ms());
        tokio::time::sleep(EXPIRY_CHECK.min(std::time::Duration::from_millis(left))).await;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::store::{LogStore, MemoryStore};

    /// Item 14: one Pull must not hold an unbounded amount of the account's log
    /// in memory. The stream reads one page per poll (`unfold` over
    /// `next_page`, so HTTP/2 flow control holds back a slow reader), and each
    /// page stays under the page budget plus at most one record, far under the
    /// gRPC message limit, however much the log holds.
    #[test]
    fn a_pull_reads_one_bounded_page_at_a_time() {
        let store = Arc::new(MemoryStore::new());
        let account = [1u8; 16];
        let record_len = 900 * 1024;
        let mut expected = Vec::new();
        for device in [[2u8; 16], [3u8; 16]] {
            let records: Vec<NewRecord> = (1..=6u64)
                .map(|idx| {
                    let r = Record {
                        device_id: device.to_vec(),
                        idx,
                        prev_hash: vec![0; 32],
                        key_epoch: 1,
                        format_version: 1,
                        nonce: vec![0; 24],
                        ciphertext: vec![idx as u8; record_len],
                        signature: Vec::new(),
                    };
                    expected.push((device.to_vec(), idx));
                    NewRecord {
                        idx,
                        bytes: r.encode_to_vec(),
                        receipt: StoredReceipt {
                            server_time_ms: 0,
                            signature: [0; 64],
                        },
                    }
                })
                .collect();
            store
                .append(
                    &account,
                    &device,
                    0,
                    &records,
                    Head {
                        idx: 6,
                        hash: [0; 32],
                    },
                )
                .unwrap();
        }
        let mut state = PullState {
            store,
            account_id: account,
            plan: vec![([2; 16], 0, 6), ([3; 16], 0, 6)],
            pos: 0,
            page_size: MAX_PAGE_RECORDS,
            target: VersionVector::default(),
            sent_any: false,
            failed: false,
        };
        let mut got = Vec::new();
        let mut pages = 0;
        while state.pos < state.plan.len() {
            let (records, receipts) = state.next_page().unwrap();
            pages += 1;
            assert_eq!(records.len(), receipts.len());
            let bytes: usize = records.iter().map(|r| r.encoded_len()).sum();
            assert!(
                bytes <= MAX_PAGE_BYTES + validate::MAX_CIPHERTEXT + 1024,
                "a page of {bytes} bytes"
            );
            assert!(bytes < mycase_proto::MAX_MESSAGE_BYTES);
            got.extend(records.into_iter().map(|r| (r.device_id, r.idx)));
        }
        assert_eq!(got, expected, "everything, in order, once");
        assert!(pages >= 4, "about 10 MiB came in {pages} pages");
    }
}
