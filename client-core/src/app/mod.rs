//! The application API: one journal on this device, locked or unlocked, in plain
//! data types. The web app (`mycase app`) and the phone bindings are thin adapters
//! over it, so everything a survivor can do is written once, here.
//!
//! An [`App`] is cheap to clone (one `Arc`) and every method takes `&self`, so a
//! shell can call it from many tasks. While locked it holds no key; [`App::unlock`]
//! opens the device with the passphrase (wrong tries slowed as in the CLI) and
//! [`App::lock`] drops the keys again. [`App::events`] streams what happens
//! ([`AppEvent`]): sync state, changes from other devices, notices, erasure.
//! [`App::start_sync`] keeps the journal in sync in the background while unlocked.
//!
//! Files: `drafts` (the form kept across a lock), `settings` (idle lock time),
//! `setup` (create, join, recover), `sync_service` (the background sync), and the
//! feature files beside them, each one `impl App`.

mod account;
mod attachments;
mod devices;
mod drafts;
mod entries;
mod error;
mod events;
mod export;
mod patterns;
mod people;
mod settings;
mod setup;
mod shares;
mod sync_service;
mod timeline;
mod verify;
mod when;

pub use account::{PassphraseChanged, RenewedKit, WipeCheck, WipeOutcome};
pub use attachments::{
    file_records_location, AttachedFile, AttachmentBytes, AttachmentDisplay, AttachmentInfo,
};
pub use devices::{
    device_infos, devices_added_by, pairing_qr_text, parse_pairing_qr, refuse_revoking_self,
    resolve_device, AddedDevice, DeviceInfo, PairingInvite, PairingRequest, PairingSession,
    RevokedDevice,
};
pub use entries::{
    field_label, Attachment, Category, Conflict, ConflictVersion, DeviceRef, Entry, EntryInput,
    EntrySummary, FieldChange, HistoryItem, HistoryKind, TrashedEntry, MAX_ENTRY_BYTES,
};
pub use error::AppError;
pub use events::{AppEvent, DeviceNotice, ErasedReason, SyncState, SyncStatus};
pub use export::{
    AttachmentFiles, ExportChoices, ExportFormat, ExportSummary, ExportedDocument, WithholdChoice,
};
pub use patterns::{
    patterns_day, CategoryFigures, EntryFilter, GapFigures, PatternCharts, PatternsReport,
    PatternsView, PeriodFigures, RecentFigures, TallyFigures, TrendFigures, WeekdayFigures,
    WindowFigures,
};
pub use people::{Person, PersonInput, PersonMatch, PersonRef, Role};
pub use settings::{Settings, DEFAULT_IDLE_LOCK_MINUTES, MAX_IDLE_LOCK_MINUTES};
pub use setup::{CreatedJournal, JoinJournal, NewJournal, RecoverJournal};
pub use shares::{
    parse_share_expiry, summarize_shares, ShareInput, ShareList, ShareState, ShareSummary,
    SharedLink,
};
pub use sync_service::{SyncHandle, SyncSummary};
pub use timeline::{MonthGroup, TimelineQuery};
pub use verify::{
    parse_server_key, received_when, verdict, verify_export, verify_export_file, VerifiedFile,
    VerifiedFileKind, VerifiedFileStatus, VerifiedItem, VerifiedKind, VerifyResult, DEVICE_HOLDS,
    ENTRY_HOLDS, PERSON_HOLDS,
};
pub use when::{DateParts, When, WhenInput, WhenKind, CONFIRM_FUTURE_FIELD};

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex as StdMutex};

use tokio::sync::{broadcast, MappedMutexGuard, Mutex, MutexGuard, Notify};

use crate::crypto::passphrase::KdfParams;
use crate::device::DeviceError;
use crate::format::keyfile::KeyFileError;
use crate::store::file::FileStore;
use crate::Device;

/// How many events a slow listener may fall behind before it misses some (it then
/// sees `RecvError::Lagged` and should refresh everything).
const EVENT_BUFFER: usize = 256;

/// Choices a shell makes once, when it opens the app.
#[derive(Debug, Clone)]
pub struct AppOptions {
    /// Argon2id cost for new key files (tests use the minimum).
    pub kdf_params: KdfParams,
}

impl Default for AppOptions {
    fn default() -> Self {
        AppOptions {
            kdf_params: KdfParams::DEFAULT,
        }
    }
}

/// Where this device stands, for a shell's first page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppStatus {
    /// A journal is set up in this home.
    pub set_up: bool,
    /// It is unlocked now.
    pub unlocked: bool,
    /// This device's name in the journal, while unlocked.
    pub device_name: Option<String>,
    /// The sync state.
    pub sync: SyncStatus,
}

/// One journal on this device (see the module documentation).
#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("unlocked", &self.inner.unlocked.load(Ordering::SeqCst))
            .finish_non_exhaustive()
    }
}

pub(crate) struct Inner {
    home: PathBuf,
    options: AppOptions,
    /// The unlocked device, or `None` while locked.
    device: Mutex<Option<Device<FileStore>>>,
    /// Mirrors `device.is_some()` for callers that must not wait (status, lock).
    unlocked: AtomicBool,
    /// Bumped at every lock: a task that started before it must not go on with a
    /// device that was unlocked again after it.
    generation: AtomicU64,
    device_name: StdMutex<Option<String>>,
    sync_status: StdMutex<SyncStatus>,
    /// New-device notices not yet dismissed (the banner).
    notices: StdMutex<Vec<DeviceNotice>>,
    events: broadcast::Sender<AppEvent>,
    /// Woken by every local change, so the sync service sends it promptly.
    local_change: Notify,
}

/// The unlocked device, borrowed for one call.
pub(crate) type DeviceGuard<'a> = MappedMutexGuard<'a, Device<FileStore>>;

impl App {
    /// The journal in `home` (which may not be set up yet), locked.
    pub fn open(home: impl Into<PathBuf>) -> Result<App, AppError> {
        App::open_with(home, AppOptions::default())
    }

    /// [`App::open`] with options.
    pub fn open_with(home: impl Into<PathBuf>, options: AppOptions) -> Result<App, AppError> {
        let home = home.into();
        if home.exists() && !home.is_dir() {
            return Err(AppError::invalid(
                "home",
                "The MyCase folder given is a file, not a folder",
            ));
        }
        let (events, _) = broadcast::channel(EVENT_BUFFER);
        Ok(App {
            inner: Arc::new(Inner {
                home,
                options,
                device: Mutex::new(None),
                unlocked: AtomicBool::new(false),
                generation: AtomicU64::new(0),
                device_name: StdMutex::new(None),
                sync_status: StdMutex::new(SyncStatus::default()),
                notices: StdMutex::new(Vec::new()),
                events,
                local_change: Notify::new(),
            }),
        })
    }

    /// The folder this journal's device files live in.
    pub fn home(&self) -> &Path {
        &self.inner.home
    }

    /// Where this device stands.
    pub fn status(&self) -> AppStatus {
        AppStatus {
            set_up: crate::is_initialised(&self.inner.home),
            unlocked: self.is_unlocked(),
            device_name: lock_std(&self.inner.device_name).clone(),
            sync: lock_std(&self.inner.sync_status).clone(),
        }
    }

    /// Whether the journal is unlocked now.
    pub fn is_unlocked(&self) -> bool {
        self.inner.unlocked.load(Ordering::SeqCst)
    }

    /// A stream of what happens from now on.
    pub fn events(&self) -> broadcast::Receiver<AppEvent> {
        self.inner.events.subscribe()
    }

    /// Unlocks with the passphrase. Wrong tries are counted in the home and slowed
    /// as in the CLI ([`AppError::WrongPassphrase`], [`AppError::TryLater`]).
    pub async fn unlock(&self, passphrase: &str) -> Result<(), AppError> {
        let home = self.inner.home.clone();
        let passphrase = zeroize::Zeroizing::new(passphrase.as_bytes().to_vec());
        // Argon2id and reading every record take a while: off the async workers.
        let device =
            tokio::task::spawn_blocking(move || Device::unlock(&home, passphrase.as_slice()))
                .await
                .map_err(|e| AppError::Other(Box::new(e)))??;
        self.install(device).await;
        Ok(())
    }

    /// Unlocks with the key the key file is sealed under, as a platform keystore
    /// keeps it behind biometrics ([`App::key_file_wrapping_key`]). A key that no
    /// longer opens the file (the passphrase changed on this device since) is
    /// [`AppError::KeyNotAccepted`]; it is not counted as a wrong passphrase.
    pub async fn unlock_with_key(&self, key: &[u8]) -> Result<(), AppError> {
        let key: zeroize::Zeroizing<[u8; 32]> =
            zeroize::Zeroizing::new(key.try_into().map_err(|_| AppError::KeyNotAccepted)?);
        let home = self.inner.home.clone();
        let device = tokio::task::spawn_blocking(move || Device::open_with_key(&home, &key))
            .await
            .map_err(|e| AppError::Other(Box::new(e)))?
            .map_err(|e| match e {
                crate::UnlockError::Device(DeviceError::KeyFile(KeyFileError::WrongPassphrase)) => {
                    AppError::KeyNotAccepted
                }
                other => AppError::from(other),
            })?;
        self.install(device).await;
        Ok(())
    }

    /// The key the key file is sealed under now (unlocked only), for a platform
    /// keystore: with it, [`App::unlock_with_key`] opens this device without the
    /// passphrase. A new passphrase makes a new key; the host stores that one.
    pub async fn key_file_wrapping_key(&self) -> Result<zeroize::Zeroizing<Vec<u8>>, AppError> {
        let device = self.device().await?;
        let key = device.key_file_wrapping_key().ok_or(AppError::NotSetUp)?;
        Ok(zeroize::Zeroizing::new(key.to_vec()))
    }

    /// Makes `device` the unlocked one and tells listeners.
    pub(crate) async fn install(&self, mut device: Device<FileStore>) {
        let notices: Vec<DeviceNotice> = device
            .take_new_device_notices()
            .map(|added| added.iter().map(DeviceNotice::from).collect())
            // The notice must not stop the survivor from using the journal.
            .unwrap_or_default();
        *lock_std(&self.inner.device_name) = Some(device.device_name().to_owned());
        let pending = device.pending_upload();
        *self.inner.device.lock().await = Some(device);
        self.inner.unlocked.store(true, Ordering::SeqCst);
        self.update_sync(|s| s.pending_upload = pending);
        self.emit(AppEvent::Unlocked);
        self.add_notices(notices);
    }

    /// Locks at once: the keys are dropped from memory (after a sync round in
    /// flight, if any, has finished with them). Safe to call when locked.
    pub async fn lock(&self) {
        self.inner.generation.fetch_add(1, Ordering::SeqCst);
        let was = self.inner.unlocked.swap(false, Ordering::SeqCst);
        let device = self.inner.device.lock().await.take();
        drop(device);
        *lock_std(&self.inner.device_name) = None;
        lock_std(&self.inner.notices).clear();
        self.update_sync(|s| *s = SyncStatus::default());
        if was {
            self.emit(AppEvent::Locked);
        }
    }

    /// The unlocked device, or [`AppError::Locked`].
    pub(crate) async fn device(&self) -> Result<DeviceGuard<'_>, AppError> {
        let guard = self.inner.device.lock().await;
        MutexGuard::try_map(guard, |d| d.as_mut()).map_err(|_| AppError::Locked)
    }

    /// Runs `change` on the unlocked device (a commit to the journal), then tells
    /// listeners and the sync service. Every writing call of the API goes through here.
    pub(crate) async fn write<T, E>(
        &self,
        change: impl FnOnce(&mut Device<FileStore>) -> Result<T, E>,
    ) -> Result<T, AppError>
    where
        AppError: From<E>,
    {
        let mut device = self.device().await?;
        let out = change(&mut device)?;
        let pending = device.pending_upload();
        drop(device);
        self.local_change(pending);
        Ok(out)
    }

    /// Runs `look` on the unlocked device (reading the journal).
    pub(crate) async fn read<T>(
        &self,
        look: impl FnOnce(&Device<FileStore>) -> T,
    ) -> Result<T, AppError> {
        let device = self.device().await?;
        Ok(look(&device))
    }

    /// Records that this device changed the journal: listeners refresh and the
    /// sync service sends it.
    pub(crate) fn local_change(&self, pending_upload: u64) {
        self.update_sync(|s| s.pending_upload = pending_upload);
        self.emit(AppEvent::LocalChange);
        self.inner.local_change.notify_one();
    }

    /// New-device notices not yet dismissed, oldest first.
    pub fn notices(&self) -> Vec<DeviceNotice> {
        lock_std(&self.inner.notices).clone()
    }

    /// Hides the notices shown so far (each is shown once per device anyway).
    pub fn dismiss_notices(&self) {
        lock_std(&self.inner.notices).clear();
    }

    pub(crate) fn add_notices(&self, notices: Vec<DeviceNotice>) {
        if notices.is_empty() {
            return;
        }
        lock_std(&self.inner.notices).extend(notices.iter().cloned());
        self.emit(AppEvent::NewDevices(notices));
    }

    /// Minutes without use before a shell should lock the app.
    pub fn idle_lock_minutes(&self) -> u32 {
        settings::load(&self.inner.home).idle_lock_minutes
    }

    /// Changes the idle lock time (1 to [`MAX_IDLE_LOCK_MINUTES`] minutes).
    pub fn set_idle_lock_minutes(&self, minutes: u32) -> Result<(), AppError> {
        if !crate::is_initialised(&self.inner.home) {
            return Err(AppError::NotSetUp);
        }
        settings::store(
            &self.inner.home,
            &Settings {
                idle_lock_minutes: minutes,
            },
        )
    }

    pub(crate) fn emit(&self, event: AppEvent) {
        // No listener is fine: the event is for whoever is watching now.
        let _ = self.inner.events.send(event);
    }

    pub(crate) fn update_sync(&self, change: impl FnOnce(&mut SyncStatus)) {
        let status = {
            let mut s = lock_std(&self.inner.sync_status);
            let before = s.clone();
            change(&mut s);
            (*s != before).then(|| s.clone())
        };
        if let Some(status) = status {
            self.emit(AppEvent::Sync(status));
        }
    }

    pub(crate) fn generation(&self) -> u64 {
        self.inner.generation.load(Ordering::SeqCst)
    }

    pub(crate) fn options(&self) -> &AppOptions {
        &self.inner.options
    }

    pub(crate) fn inner(&self) -> &Inner {
        &self.inner
    }
}

/// A poisoned lock still holds plain values that are whole (each is set in one
/// assignment), so its contents are used rather than panicking.
fn lock_std<T>(m: &StdMutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
