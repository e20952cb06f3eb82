//! The pairing relay: short-lived in-memory slots through which an existing device
//! and a joining device exchange sealed payloads the server cannot read.
//!
//! Waits are bounded long-polls on a `Notify`, so a waiting call costs no CPU and
//! returns empty bytes when nothing arrived in time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{watch, Notify};
use tokio::time::Instant;

use crate::access::auth::now_unix;
use crate::api::validate;
use crate::error::{ServerError, ServerResult};
use crate::store::Id;

/// Bounds memory: a slot is small, but anyone authenticated can open them.
const MAX_SLOTS: usize = 10_000;
/// Pairings one account may have open at once: a person pairs one device at a
/// time, with room for a few abandoned tries still waiting to expire. Without it
/// one signed-in account filled `MAX_SLOTS` in seconds and nobody could pair.
pub const MAX_SLOTS_PER_ACCOUNT: usize = 5;

struct Slot {
    account_id: Id,
    expires: Instant,
    join: Option<Vec<u8>>,
    grant: Option<Vec<u8>>,
    notify: Arc<Notify>,
}

type Slots = HashMap<Id, Slot>;

pub struct PairingRelay {
    slots: Mutex<Slots>,
    wait: Duration,
    ttl_max: Duration,
    shutdown: watch::Receiver<bool>,
}

/// The live slot for `id`, dropping it first if it has expired.
fn live<'a>(slots: &'a mut Slots, id: &Id) -> ServerResult<&'a mut Slot> {
    if slots.get(id).is_some_and(|s| s.expires <= Instant::now()) {
        slots.remove(id);
    }
    slots.get_mut(id).ok_or(ServerError::PairingUnknown)
}

/// The live slot for `id` if it belongs to `account_id`. Another account's slot
/// looks unknown, so pairing ids are no oracle.
fn owned<'a>(slots: &'a mut Slots, id: &Id, account_id: &Id) -> ServerResult<&'a mut Slot> {
    let slot = live(slots, id)?;
    if &slot.account_id != account_id {
        return Err(ServerError::PairingUnknown);
    }
    Ok(slot)
}

fn sealed(field: &'static str, bytes: &[u8]) -> ServerResult<()> {
    if bytes.is_empty() {
        return Err(ServerError::InvalidArgument(format!(
            "{field} must not be empty"
        )));
    }
    validate::at_most(field, bytes, validate::MAX_SEALED_BLOB)
}

impl PairingRelay {
    pub fn new(wait: Duration, ttl_max: Duration, shutdown: watch::Receiver<bool>) -> Self {
        Self {
            slots: Mutex::new(HashMap::new()),
            wait,
            ttl_max,
            shutdown,
        }
    }

    fn lock(&self) -> ServerResult<std::sync::MutexGuard<'_, Slots>> {
        self.slots
            .lock()
            .map_err(|_| ServerError::Internal("pairing table poisoned"))
    }

    /// Opens a slot for the caller's account; returns its expiry (Unix seconds).
    pub fn open(&self, account_id: Id, pairing_id: &[u8], ttl_seconds: u32) -> ServerResult<u64> {
        let id = validate::id("pairing_id", pairing_id)?;
        let requested = Duration::from_secs(u64::from(ttl_seconds));
        let ttl = if ttl_seconds == 0 {
            self.ttl_max
        } else {
            requested.min(self.ttl_max)
        };
        let mut slots = self.lock()?;
        let now = Instant::now();
        slots.retain(|_, s| s.expires > now);
        if slots.contains_key(&id) {
            return Err(ServerError::AlreadyExists("pairing code already in use"));
        }
        if slots
            .values()
            .filter(|s| s.account_id == account_id)
            .count()
            >= MAX_SLOTS_PER_ACCOUNT
        {
            return Err(ServerError::ResourceExhausted(
                "this account has too many pairings open; finish one or wait for it to expire",
            ));
        }
        if slots.len() >= MAX_SLOTS {
            return Err(ServerError::ResourceExhausted(
                "too many pairings in progress; try again shortly",
            ));
        }
        slots.insert(
            id,
            Slot {
                account_id,
                expires: now + ttl,
                join: None,
                grant: None,
                notify: Arc::new(Notify::new()),
            },
        );
        Ok(now_unix().saturating_add(ttl.as_secs()))
    }

    pub fn submit_join(&self, pairing_id: &[u8], sealed_join: &[u8]) -> ServerResult<()> {
        let id = validate::id("pairing_id", pairing_id)?;
        sealed("sealed_join", sealed_join)?;
        let mut slots = self.lock()?;
        let slot = live(&mut slots, &id)?;
        if slot.join.is_some() {
            return Err(ServerError::AlreadyExists(
                "a device has already joined with this pairing code",
            ));
        }
        slot.join = Some(sealed_join.to_vec());
        slot.notify.notify_waiters();
        Ok(())
    }

    /// The joining device's sealed payload, or empty bytes if none came in time.
    pub async fn await_join(&self, account_id: Id, pairing_id: &[u8]) -> ServerResult<Vec<u8>> {
        let id = validate::id("pairing_id", pairing_id)?;
        self.wait(&id, |slots| {
            Ok(owned(slots, &id, &account_id)?.join.clone())
        })
        .await
    }

    pub fn complete(
        &self,
        account_id: Id,
        pairing_id: &[u8],
        sealed_grant: &[u8],
    ) -> ServerResult<()> {
        let id = validate::id("pairing_id", pairing_id)?;
        sealed("sealed_grant", sealed_grant)?;
        let mut slots = self.lock()?;
        let slot = owned(&mut slots, &id, &account_id)?;
        if slot.join.is_none() {
            return Err(ServerError::FailedPrecondition(
                "no device has joined with this pairing code yet",
            ));
        }
        if slot.grant.is_some() {
            return Err(ServerError::AlreadyExists(
                "this pairing has already been completed",
            ));
        }
        slot.grant = Some(sealed_grant.to_vec());
        slot.notify.notify_waiters();
        Ok(())
    }

    /// The sealed grant, or empty bytes if none came in time. Handing it over ends
    /// the pairing: the slot is removed.
    pub async fn await_pairing(&self, pairing_id: &[u8]) -> ServerResult<Vec<u8>> {
        let id = validate::id("pairing_id", pairing_id)?;
        self.wait(&id, |slots| {
            let grant = live(slots, &id)?.grant.take();
            if grant.is_some() {
                slots.remove(&id);
            }
            Ok(grant)
        })
        .await
    }

    /// Polls `ready` now and after every notification, until it yields, the wait
    /// bound or the slot's expiry passes, or the server shuts down.
    async fn wait(
        &self,
        id: &Id,
        mut ready: impl FnMut(&mut Slots) -> ServerResult<Option<Vec<u8>>>,
    ) -> ServerResult<Vec<u8>> {
        let deadline = Instant::now() + self.wait;
        let mut shutdown = self.shutdown.clone();
        loop {
            let (notify, expires) = {
                let mut slots = self.lock()?;
                if let Some(v) = ready(&mut slots)? {
                    return Ok(v);
                }
                let slot = live(&mut slots, id)?;
                (slot.notify.clone(), slot.expires)
            };
            let notified = notify.notified();
            tokio::pin!(notified);
            // Register before re-checking, so a notification between the check
            // above and the await below is not missed.
            notified.as_mut().enable();
            if let Some(v) = ready(&mut *self.lock()?)? {
                return Ok(v);
            }
            tokio::select! {
                () = &mut notified => {}
                () = tokio::time::sleep_until(deadline.min(expires)) => {
                    return if expires <= Instant::now() { Err(ServerError::PairingUnknown) } else { Ok(Vec::new()) };
                }
                _ = shutdown.wait_for(|stop| *stop) => return Err(ServerError::ShuttingDown),
            }
        }
    }

    /// Drops expired slots.
    pub fn purge(&self) {
        if let Ok(mut slots) = self.slots.lock() {
            let now = Instant::now();
            slots.retain(|_, s| s.expires > now);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use tonic::Code;

    fn relay(wait: Duration) -> (PairingRelay, watch::Sender<bool>) {
        let (tx, rx) = watch::channel(false);
        (PairingRelay::new(wait, Duration::from_secs(600), rx), tx)
    }

    #[tokio::test(start_paused = true)]
    async fn waits_end_empty_after_the_bound() {
        let (r, _tx) = relay(Duration::from_secs(20));
        r.open([1; 16], &[2; 16], 60).unwrap();
        assert!(r.await_join([1; 16], &[2; 16]).await.unwrap().is_empty());
        assert!(r.await_pairing(&[2; 16]).await.unwrap().is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn slot_expires() {
        let (r, _tx) = relay(Duration::from_secs(20));
        r.open([1; 16], &[2; 16], 5).unwrap();
        let err = r.await_join([1; 16], &[2; 16]).await.unwrap_err();
        assert_eq!(tonic::Status::from(err).code(), Code::NotFound);
        let err = r.submit_join(&[2; 16], b"x").unwrap_err();
        assert_eq!(tonic::Status::from(err).code(), Code::NotFound);
    }

    #[tokio::test]
    async fn join_wakes_a_waiter() {
        let (r, _tx) = relay(Duration::from_secs(600));
        let r = Arc::new(r);
        r.open([1; 16], &[2; 16], 60).unwrap();
        let waiter = tokio::spawn({
            let r = r.clone();
            async move { r.await_join([1; 16], &[2; 16]).await }
        });
        tokio::task::yield_now().await;
        r.submit_join(&[2; 16], b"sealed").unwrap();
        assert_eq!(waiter.await.unwrap().unwrap(), b"sealed");
        // Another account cannot see the slot.
        let err = r.await_join([9; 16], &[2; 16]).await.unwrap_err();
        assert_eq!(tonic::Status::from(err).code(), Code::NotFound);
    }

    #[tokio::test]
    async fn shutdown_ends_waits() {
        let (r, tx) = relay(Duration::from_secs(600));
        r.open([1; 16], &[2; 16], 60).unwrap();
        tx.send(true).unwrap();
        let err = r.await_pairing(&[2; 16]).await.unwrap_err();
        assert_eq!(tonic::Status::from(err).code(), Code::Unavailable);
    }
}
