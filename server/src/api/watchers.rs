//! Per-account version-vector broadcasts for `Watch`, and how many `Watch`
//! streams each device holds open.
//!
//! A `tokio::sync::watch` channel per account, created when the first watcher
//! arrives and dropped with its last watcher. The vector sent is always read from
//! the store under the hub's lock, so watchers never see it move backwards even
//! when appends finish out of order. Each open stream holds a [`WatchTicket`];
//! dropping it (the client cancelled, the stream ended) gives its place back, so
//! the registry shrinks with the streams.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use mycase_proto::v1::VersionVector;
use tokio::sync::{broadcast, watch};

use crate::error::{ServerError, ServerResult};
use crate::store::{Id, Store};

pub struct Watchers<S> {
    store: Arc<S>,
    registry: Arc<Mutex<Registry>>,
    /// Open streams one device may hold at once.
    max_per_device: u32,
    /// Device ids as they are revoked, so their open Watch streams end at once.
    revocations: broadcast::Sender<Id>,
}

#[derive(Default)]
struct Registry {
    channels: HashMap<Id, watch::Sender<VersionVector>>,
    open_per_device: HashMap<Id, u32>,
}

/// The refusal of a `Watch` beyond the per-device cap.
pub const TOO_MANY_WATCHES: &str =
    "this device already has the most Watch streams open it may; close one first";

/// Revocations in flight at once before a slow watcher misses one (it then
/// re-checks the store, so a miss only delays its end to its next update).
const REVOCATION_BACKLOG: usize = 64;

/// One open `Watch` stream: its receiver and its place in the device's count.
pub struct WatchTicket {
    rx: Option<watch::Receiver<VersionVector>>,
    registry: Arc<Mutex<Registry>>,
    account_id: Id,
    device_id: Id,
}

impl WatchTicket {
    pub fn receiver(&mut self) -> ServerResult<&mut watch::Receiver<VersionVector>> {
        self.rx
            .as_mut()
            .ok_or(ServerError::Internal("watch ticket without a receiver"))
    }
}

impl Drop for WatchTicket {
    fn drop(&mut self) {
        // The receiver goes first, so the channel's count below no longer has it.
        drop(self.rx.take());
        let Ok(mut registry) = self.registry.lock() else {
            return;
        };
        if let Some(open) = registry.open_per_device.get_mut(&self.device_id) {
            *open = open.saturating_sub(1);
            if *open == 0 {
                registry.open_per_device.remove(&self.device_id);
            }
        }
        if registry
            .channels
            .get(&self.account_id)
            .is_some_and(|tx| tx.receiver_count() == 0)
        {
            registry.channels.remove(&self.account_id);
        }
    }
}

impl<S: Store> Watchers<S> {
    pub fn new(store: Arc<S>, max_per_device: u32) -> Self {
        Self {
            store,
            registry: Arc::new(Mutex::new(Registry::default())),
            max_per_device,
            revocations: broadcast::channel(REVOCATION_BACKLOG).0,
        }
    }

    fn registry(&self) -> ServerResult<std::sync::MutexGuard<'_, Registry>> {
        self.registry
            .lock()
            .map_err(|_| ServerError::Internal("watch table poisoned"))
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

    /// A ticket whose receiver's current value is the account's vector now, or
    /// `ResourceExhausted` when the device already holds its cap of streams (a
    /// new stream is refused rather than the oldest ended: ending streams on
    /// demand would let a looping client knock the device's own sync offline
    /// without ever showing an error).
    pub fn subscribe(&self, account_id: &Id, device_id: &Id) -> ServerResult<WatchTicket> {
        let mut registry = self.registry()?;
        let open = registry
            .open_per_device
            .get(device_id)
            .copied()
            .unwrap_or(0);
        if open >= self.max_per_device {
            return Err(ServerError::ResourceExhausted(TOO_MANY_WATCHES));
        }
        let rx = match registry.channels.get(account_id) {
            Some(tx) => tx.subscribe(),
            None => {
                let (tx, rx) = watch::channel(vector(self.store.as_ref(), account_id)?);
                registry.channels.insert(*account_id, tx);
                rx
            }
        };
        *registry.open_per_device.entry(*device_id).or_insert(0) += 1;
        Ok(WatchTicket {
            rx: Some(rx),
            registry: self.registry.clone(),
            account_id: *account_id,
            device_id: *device_id,
        })
    }

    /// Open `Watch` streams, and accounts with a broadcast channel.
    pub fn open_counts(&self) -> ServerResult<(u32, usize)> {
        let registry = self.registry()?;
        Ok((
            registry.open_per_device.values().sum(),
            registry.channels.len(),
        ))
    }

    /// Tells the account's watchers (if any) its current vector.
    pub fn notify(&self, account_id: &Id) -> ServerResult<()> {
        let mut registry = self.registry()?;
        let Some(tx) = registry.channels.get(account_id) else {
            return Ok(());
        };
        if tx.receiver_count() == 0 {
            registry.channels.remove(account_id);
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
        if let Ok(mut registry) = self.registry.lock() {
            registry.channels.remove(account_id);
        }
    }

    /// Forgets channels nobody listens to any more.
    pub fn purge(&self) {
        if let Ok(mut registry) = self.registry.lock() {
            registry.channels.retain(|_, tx| tx.receiver_count() > 0);
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::store::MemoryStore;

    /// Item 1 of issue 14: the registry keeps nothing of streams that ended, so
    /// a flood of cancelled streams does not hold memory.
    #[test]
    fn ended_streams_leave_the_registry() {
        let watchers = Watchers::new(Arc::new(MemoryStore::new()), 4);
        let (account, other_account) = ([1u8; 16], [2u8; 16]);
        let (device, other_device) = ([3u8; 16], [4u8; 16]);
        let tickets: Vec<_> = (0..4)
            .map(|_| watchers.subscribe(&account, &device).unwrap())
            .collect();
        let other = watchers.subscribe(&other_account, &other_device).unwrap();
        assert_eq!(watchers.open_counts().unwrap(), (5, 2));
        assert!(matches!(
            watchers.subscribe(&account, &device),
            Err(ServerError::ResourceExhausted(TOO_MANY_WATCHES))
        ));
        drop(tickets);
        assert_eq!(watchers.open_counts().unwrap(), (1, 1));
        drop(other);
        assert_eq!(watchers.open_counts().unwrap(), (0, 0));
        // The device's places are back.
        let _again = watchers.subscribe(&account, &device).unwrap();
        assert_eq!(watchers.open_counts().unwrap(), (1, 1));
    }
}
