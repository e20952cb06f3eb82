//! The network API: the gRPC services over one shared state, the share viewer's
//! HTTP routes (`http`), the `Watch` broadcasts and the field checks every request
//! passes before it touches the store (`validate`).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::access::auth::{now_unix, Auth};
use crate::access::limits::Limits;
use crate::error::{ServerError, ServerResult};
use crate::keys::server_key::ServerKey;
use crate::operator::config::{Quotas, RateLimits, RegistrationMode, Retention};
use crate::store::{day_of, Id, Store};

pub mod account;
pub mod blobs;
pub mod health;
pub mod http;
pub mod pairing;
pub mod server_info;
pub mod shares;
pub mod sync;
pub(crate) mod validate;
pub mod watchers;

pub use account::AccountService;
pub use blobs::BlobsService;
pub use server_info::ServerInfoService;
pub use shares::SharesService;
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
    pub share_max_bytes: u64,
    pub share_ttl_max: Duration,
    pub clock: crate::clock::Clock,
    pub registration: RegistrationMode,
    pub quotas: Quotas,
    pub rate_limits: RateLimits,
    pub retention: Retention,
}

pub struct Shared<S> {
    pub store: Arc<S>,
    pub auth: Auth<S>,
    pub watchers: Watchers<S>,
    pub pairing: PairingRelay,
    pub shutdown: watch::Receiver<bool>,
    pub share_max_bytes: u64,
    pub share_ttl_max: Duration,
    pub clock: crate::clock::Clock,
    pub limits: Limits,
    pub registration: RegistrationMode,
    pub retention: Retention,
    /// Registrations and recoveries hold it shared; a backup holds it alone, so
    /// no account appears halfway through a snapshot.
    pub write_gate: tokio::sync::RwLock<()>,
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
            auth: Auth::new(
                store.clone(),
                settings.challenge_ttl,
                settings.session_ttl,
                settings.clock.clone(),
            ),
            watchers: Watchers::new(store.clone(), settings.quotas.watches_per_device),
            pairing: PairingRelay::new(
                settings.pairing_wait,
                settings.pairing_ttl_max,
                shutdown.clone(),
            ),
            limits: Limits::new(settings.quotas, settings.rate_limits),
            registration: settings.registration,
            retention: settings.retention,
            write_gate: tokio::sync::RwLock::new(()),
            store,
            shutdown,
            share_max_bytes: settings.share_max_bytes,
            share_ttl_max: settings.share_ttl_max,
            clock: settings.clock.clone(),
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
        match self.store.purge_shares(self.clock.now_unix()) {
            Ok(n) if n > 0 => tracing::info!(shares = n, "deleted ended shares"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "share purge failed"),
        }
        self.limits.purge();
        match self.store.purge_invites(now_unix()) {
            Ok(n) if n > 0 => tracing::info!(invites = n, "purged expired invites"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "invite purge failed"),
        }
    }

    /// Erases an account under its write lock, so no append or upload of it runs
    /// at the same time, and closes its live watch streams.
    /// `statement`: the owner's signed `DeviceStatement`, kept by the tombstones
    /// (none for the retention policy).
    pub async fn erase_account(
        &self,
        account_id: Id,
        statement: Option<Vec<u8>>,
    ) -> ServerResult<()> {
        let _serialized = self.append_lock(&account_id).lock().await;
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || store.erase_account(&account_id, statement.as_deref()))
            .await
            .map_err(|_| ServerError::Internal("erase task failed"))??;
        self.watchers.forget(&account_id);
        Ok(())
    }

    /// The retention policy: erases accounts unused for longer than configured.
    /// Off (0 days) by default. Returns how many were erased.
    ///
    /// The clock decides who qualifies, and a clock can jump (a dead RTC battery,
    /// a bad NTP answer, a seized host): when an implausible share of accounts
    /// qualifies at once nothing is erased and the operator is warned, and no
    /// sweep erases more than `max_erasures_per_sweep`.
    pub async fn erase_inactive(&self) -> ServerResult<usize> {
        let r = self.retention;
        if r.erase_inactive_after_days == 0 {
            return Ok(0);
        }
        let today = day_of(self.clock.now_unix());
        let before_day = today.saturating_sub(r.erase_inactive_after_days);
        let inactive = self.store.inactive_accounts(before_day)?;
        if inactive.is_empty() {
            return Ok(0);
        }
        let accounts = self.store.stats(today)?.accounts;
        if is_mass_erasure(&r, inactive.len() as u64, accounts) {
            tracing::warn!(
                qualifying = inactive.len(),
                accounts,
                "retention sweep refused: too many accounts look inactive at once; \
                 check the system clock. Nothing was erased. If this is right, raise \
                 retention.mass_erasure_min_accounts or mass_erasure_percent"
            );
            return Ok(0);
        }
        let cap = usize::try_from(r.max_erasures_per_sweep).unwrap_or(usize::MAX);
        for account_id in inactive.iter().take(cap) {
            self.erase_account(*account_id, None).await?;
        }
        let erased = inactive.len().min(cap);
        tracing::info!(
            accounts = erased,
            left_for_next_sweep = inactive.len() - erased,
            "erased inactive accounts"
        );
        Ok(erased)
    }

    /// Holds every account's write lock and the registration gate: appends,
    /// uploads, new accounts and devices, and erasures wait while a backup copies
    /// a consistent state; reads go on.
    pub async fn pause_writes(&self) -> WritesPaused<'_> {
        let gate = self.write_gate.write().await;
        let mut stripes = Vec::with_capacity(APPEND_STRIPES);
        for lock in &self.append_locks {
            stripes.push(lock.lock().await);
        }
        WritesPaused {
            _gate: gate,
            _stripes: stripes,
        }
    }
}

/// Whether `qualifying` of `accounts` going idle at once looks like a clock
/// jump rather than disuse (both thresholds must be passed).
fn is_mass_erasure(r: &Retention, qualifying: u64, accounts: u64) -> bool {
    qualifying > u64::from(r.mass_erasure_min_accounts)
        && qualifying.saturating_mul(100)
            > accounts.saturating_mul(u64::from(r.mass_erasure_percent))
}

/// While alive, no account data changes (see `Shared::pause_writes`).
pub struct WritesPaused<'a> {
    _gate: tokio::sync::RwLockWriteGuard<'a, ()>,
    _stripes: Vec<tokio::sync::MutexGuard<'a, ()>>,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::store::{AccountRow, AccountStore, DeviceRow, MemoryStore, OperatorStore};

    fn shared(erase_after_days: u32) -> (Shared<MemoryStore>, watch::Sender<bool>) {
        shared_with(Retention {
            erase_inactive_after_days: erase_after_days,
            ..Retention::default()
        })
    }

    fn shared_with(retention: Retention) -> (Shared<MemoryStore>, watch::Sender<bool>) {
        let (stop, rx) = watch::channel(false);
        let settings = Settings {
            session_ttl: Duration::from_secs(60),
            challenge_ttl: Duration::from_secs(60),
            pairing_wait: Duration::from_secs(1),
            pairing_ttl_max: Duration::from_secs(60),
            registration: RegistrationMode::Open,
            quotas: Quotas::default(),
            rate_limits: RateLimits::default(),
            retention,
            share_max_bytes: 1 << 20,
            share_ttl_max: Duration::from_secs(3600),
            clock: crate::clock::Clock::default(),
        };
        (
            Shared::new(
                Arc::new(MemoryStore::new()),
                &settings,
                rx,
                Arc::new(ServerKey::ephemeral()),
            ),
            stop,
        )
    }

    fn add_account(store: &MemoryStore, n: u8, created_at_unix: u64) {
        store
            .create_account(
                &[n; 16],
                &AccountRow {
                    recovery_public_key: [n; 32],
                    recovery_blob: vec![],
                    created_at_unix,
                },
                &DeviceRow {
                    account_id: [n; 16],
                    device_id: [n; 16],
                    sign_public_key: [n; 32],
                    dh_public_key: [n; 32],
                    registered_at_unix: created_at_unix,
                    revoked: false,
                    last_seen_unix: 0,
                    revoked_at_unix: 0,
                    revocation: None,
                },
            )
            .unwrap();
    }

    #[tokio::test]
    async fn retention_erases_only_long_inactive_accounts() {
        let (s, _stop) = shared(90);
        let today = day_of(now_unix());
        add_account(&s.store, 1, 0); // created in 1970, never used
        add_account(&s.store, 2, 0);
        s.store.touch_account(&[2; 16], today - 10).unwrap(); // used 10 days ago
        add_account(&s.store, 3, 0);
        s.store.touch_account(&[3; 16], today - 91).unwrap();
        add_account(&s.store, 4, now_unix()); // new today, never used
        assert_eq!(s.erase_inactive().await.unwrap(), 2);
        assert!(s.store.account(&[1; 16]).unwrap().is_none());
        assert!(s.store.account(&[3; 16]).unwrap().is_none());
        assert!(s.store.account(&[2; 16]).unwrap().is_some());
        assert!(s.store.account(&[4; 16]).unwrap().is_some());
        // Nobody asked for these erasures: their devices are told the account is
        // not here, never handed an order to wipe.
        let erasure = s.store.erased_device(&[1; 16]).unwrap().unwrap();
        assert_eq!(erasure.statement, None);
        let status = tonic::Status::from(ServerError::erased(erasure));
        assert_eq!(
            (status.code(), status.message()),
            (tonic::Code::NotFound, mycase_proto::ACCOUNT_NOT_ON_SERVER)
        );
    }

    #[tokio::test]
    async fn retention_is_off_by_default() {
        let (s, _stop) = shared(Retention::default().erase_inactive_after_days);
        add_account(&s.store, 1, 0);
        assert_eq!(s.erase_inactive().await.unwrap(), 0);
        assert!(s.store.account(&[1; 16]).unwrap().is_some());
    }

    /// Twenty accounts in use today, one of them idle for 100 days.
    fn twenty_accounts(s: &Shared<MemoryStore>) {
        let today = day_of(now_unix());
        for n in 1..=20 {
            add_account(&s.store, n, 0);
            s.store.touch_account(&[n; 16], today).unwrap();
        }
        s.store.touch_account(&[7; 16], today - 100).unwrap();
    }

    fn remaining(s: &Shared<MemoryStore>) -> usize {
        (1..=20)
            .filter(|n| s.store.account(&[*n; 16]).unwrap().is_some())
            .count()
    }

    #[tokio::test]
    async fn a_normal_sweep_erases_the_one_inactive_account() {
        let (s, _stop) = shared(90);
        twenty_accounts(&s);
        assert_eq!(s.erase_inactive().await.unwrap(), 1);
        assert!(s.store.account(&[7; 16]).unwrap().is_none());
        assert_eq!(remaining(&s), 19);
    }

    /// The host's clock jumps a year ahead: every account looks idle at once.
    /// The sweep erases nothing, and still erases nothing on the next tick.
    #[tokio::test]
    async fn a_clock_jump_forward_erases_nobody() {
        let (s, _stop) = shared(90);
        twenty_accounts(&s);
        s.clock.advance(Duration::from_secs(365 * 86_400));
        assert_eq!(s.erase_inactive().await.unwrap(), 0);
        assert_eq!(s.erase_inactive().await.unwrap(), 0);
        assert_eq!(remaining(&s), 20);
    }

    /// Few accounts qualifying is not a mass erasure even when they are most of
    /// a small server; more than the threshold but a small share is not either.
    #[test]
    fn a_mass_erasure_needs_both_thresholds() {
        let r = Retention::default();
        assert!(!is_mass_erasure(&r, 5, 6));
        assert!(is_mass_erasure(&r, 6, 6));
        assert!(!is_mass_erasure(&r, 10, 100));
        assert!(is_mass_erasure(&r, 11, 100));
    }

    #[tokio::test]
    async fn one_sweep_erases_at_most_its_cap() {
        let (s, _stop) = shared_with(Retention {
            erase_inactive_after_days: 90,
            max_erasures_per_sweep: 2,
            ..Retention::default()
        });
        twenty_accounts(&s);
        let long_ago = day_of(now_unix()) - 100;
        for n in [3, 9, 11] {
            s.store.touch_account(&[n; 16], long_ago).unwrap();
        }
        assert_eq!(s.erase_inactive().await.unwrap(), 2);
        assert_eq!(remaining(&s), 18);
        assert_eq!(s.erase_inactive().await.unwrap(), 2);
        assert_eq!(remaining(&s), 16);
        assert_eq!(s.erase_inactive().await.unwrap(), 0);
    }
}
