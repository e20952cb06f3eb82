//! The gRPC services over one shared state.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::auth::Auth;
use crate::server_key::ServerKey;
use crate::store::{Id, Store};

pub mod account;
pub mod blobs;
pub mod pairing;
pub mod server_info;
pub mod sync;
pub mod watchers;

pub use account::AccountService;
pub use blobs::BlobsService;
pub use server_info::ServerInfoService;
pub use sync::SyncService;

use pairing::PairingRelay;
use watchers::Watchers;

/// Appends for one account are serialized; striping bounds the lock table without
/// per-account bookkeeping (ids are random, so stripes spread evenly).
const APPEND_STRIPES: usize = 64;

pub struct Settings {
    pub session_ttl: Duration,
    pub challenge_ttl: Duration,
    pub pairing_wait: Duration,
    pub pairing_ttl_max: Duration,
}

pub struct Shared<S> {
    pub store: Arc<S>,
    pub auth: Auth<S>,
    pub watchers: Watchers<S>,
    pub pairing: PairingRelay,
    pub shutdown: watch::Receiver<bool>,
    /// Signs record receipts.
    pub server_key: Arc<ServerKey>,
    append_locks: [tokio::sync::Mutex<()>; APPEND_STRIPES],
}

impl<S: Store> Shared<S> {
    pub fn new(
        store: Arc<S>,
        settings: &Settings,
        shutdown: watch::Receiver<bool>,
        server_key: Arc<ServerKey>,
    ) -> Self {
        Self {
            auth: Auth::new(store.clone(), settings.challenge_ttl, settings.session_ttl),
            watchers: Watchers::new(store.clone()),
            pairing: PairingRelay::new(
                settings.pairing_wait,
                settings.pairing_ttl_max,
                shutdown.clone(),
            ),
            store,
            shutdown,
            server_key,
            append_locks: std::array::from_fn(|_| tokio::sync::Mutex::new(())),
        }
    }

    pub fn append_lock(&self, account_id: &Id) -> &tokio::sync::Mutex<()> {
        &self.append_locks[usize::from(account_id[0]) % APPEND_STRIPES]
    }

    /// Periodic cleanup of expired challenges, sessions, pairing slots and idle
    /// watch channels.
    pub fn purge(&self) {
        match self.auth.purge() {
            Ok(n) if n > 0 => tracing::info!(sessions = n, "purged expired sessions"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "session purge failed"),
        }
        self.pairing.purge();
        self.watchers.purge();
    }
}
