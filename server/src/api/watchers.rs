//! Per-account version-vector broadcasts for `Watch`.
//!
//! A `tokio::sync::watch` channel per account, created when the first watcher
//! arrives and dropped once nobody listens. The vector sent is always read from
//! the store under the hub's lock, so watchers never see it move backwards even
//! when appends finish out of order.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use mycase_proto::v1::VersionVector;
use tokio::sync::{broadcast, watch};

use crate::error::{ServerError, ServerResult};
use crate::store::{Id, Store};

pub struct Watchers<S> {
    store: Arc<S>,
    channels: Mutex<HashMap<Id, watch::Sender<VersionVector>>>,
    /// Device ids as they are revoked, so their open Watch streams end at once.
    revocations: broadcast::Sender<Id>,
}

/// Revocations in flight at once before a slow watcher misses one (it then
/// re-checks the store, so a miss only delays its end to its next update).
const REVOCATION_BACKLOG: usize = 64;

impl<S: Store> Watchers<S> {
    pub fn new(store: Arc<S>) -> Self {
        Self {
            store,
            channels: Mutex::new(HashMap::new()),
            revocations: broadcast::channel(REVOCATION_BACKLOG).0,
        }
    }

    /// Ends the Watch streams of a device that was just revoked.
    pub fn device_revoked(&self, device_id: &Id) {
        // No receivers is fine: nobody was watching.
        let _ = self.revocations.send(*device_id);
    }

    /// Resolves once `device_id` is revoked (or never).
    pub fn until_revoked(&self, device_id: Id) -> impl std::future::Future<Output = ()> + Send {
        let mut rx = self.revocations.subscribe();
        async move {
            loop {
                match rx.recv().await {
                    Ok(id) if id == device_id => return,
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => {
                        std::future::pending::<()>().await;
                    }
                }
            }
        }
    }

    /// A receiver whose current value is the account's vector now.
    pub fn subscribe(&self, account_id: &Id) -> ServerResult<watch::Receiver<VersionVector>> {
        let mut channels = self
            .channels
            .lock()
            .map_err(|_| ServerError::Internal("watch table poisoned"))?;
        if let Some(tx) = channels.get(account_id) {
            return Ok(tx.subscribe());
        }
        let (tx, rx) = watch::channel(vector(self.store.as_ref(), account_id)?);
        channels.insert(*account_id, tx);
        Ok(rx)
    }

    /// Tells the account's watchers (if any) its current vector.
    pub fn notify(&self, account_id: &Id) -> ServerResult<()> {
        let mut channels = self
            .channels
            .lock()
            .map_err(|_| ServerError::Internal("watch table poisoned"))?;
        let Some(tx) = channels.get(account_id) else {
            return Ok(());
        };
        if tx.receiver_count() == 0 {
            channels.remove(account_id);
            return Ok(());
        }
        let now = vector(self.store.as_ref(), account_id)?;
        tx.send_if_modified(|current| {
            if *current == now {
                return false;
            }
            *current = now;
            true
        });
        Ok(())
    }

    /// Drops the account's channel: its open `Watch` streams end (the account
    /// was erased).
    pub fn forget(&self, account_id: &Id) {
        if let Ok(mut channels) = self.channels.lock() {
            channels.remove(account_id);
        }
    }

    /// Forgets channels nobody listens to any more.
    pub fn purge(&self) {
        if let Ok(mut channels) = self.channels.lock() {
            channels.retain(|_, tx| tx.receiver_count() > 0);
        }
    }
}

/// The account's vector in wire form.
pub fn vector<S: Store + ?Sized>(store: &S, account_id: &Id) -> ServerResult<VersionVector> {
    Ok(VersionVector {
        entries: store
            .vector(account_id)?
            .into_iter()
            .map(|(device_id, idx)| mycase_proto::v1::VectorEntry {
                device_id: device_id.to_vec(),
                idx,
            })
            .collect(),
    })
}
