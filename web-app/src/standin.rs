//! A stand-in for `mycase_core::app` with the same signatures, until the lead's
//! application API lands on main (then this file goes and `core_app` re-exports
//! the real one). Nothing here is used by a real `mycase app`.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tokio::sync::broadcast;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppStatus {
    pub set_up: bool,
    pub unlocked: bool,
    pub device_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncState {
    Synced,
    Syncing,
    Offline,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppEvent {
    Unlocked,
    Locked,
    Sync(SyncState),
    EntriesChanged,
    NewDevice { device_name: String },
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("the passphrase is not right")]
    WrongPassphrase,
    #[error("too many wrong passphrases: wait {retry_after_secs} seconds")]
    TooManyAttempts { retry_after_secs: u64 },
    #[error("MyCase is locked")]
    Locked,
    #[error("MyCase is not set up on this device")]
    NotSetUp,
}

#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

struct Inner {
    passphrase: Option<String>,
    state: Mutex<State>,
    events: broadcast::Sender<AppEvent>,
}

#[derive(Default)]
struct State {
    unlocked: bool,
    wrong_tries: u32,
    draft: Option<Vec<u8>>,
    idle_lock_minutes: Option<u32>,
}

/// The stand-in's passphrase lives in this file of the home (a test fixture).
pub const STANDIN_PASSPHRASE_FILE: &str = "standin-passphrase";

impl App {
    pub fn open(home: PathBuf) -> Result<App, AppError> {
        let passphrase = std::fs::read_to_string(home.join(STANDIN_PASSPHRASE_FILE)).ok();
        let (events, _) = broadcast::channel(64);
        Ok(App {
            inner: Arc::new(Inner {
                passphrase,
                state: Mutex::new(State::default()),
                events,
            }),
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        match self.inner.state.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    pub fn status(&self) -> AppStatus {
        AppStatus {
            set_up: self.inner.passphrase.is_some(),
            unlocked: self.state().unlocked,
            device_name: Some("laptop".into()),
        }
    }

    pub async fn unlock(&self, passphrase: &str) -> Result<(), AppError> {
        let Some(expected) = &self.inner.passphrase else {
            return Err(AppError::NotSetUp);
        };
        let mut state = self.state();
        if state.wrong_tries >= 3 {
            return Err(AppError::TooManyAttempts {
                retry_after_secs: 30,
            });
        }
        if passphrase != expected.trim_end() {
            state.wrong_tries += 1;
            return Err(AppError::WrongPassphrase);
        }
        state.wrong_tries = 0;
        state.unlocked = true;
        drop(state);
        let _ = self.inner.events.send(AppEvent::Unlocked);
        Ok(())
    }

    pub fn lock(&self) {
        self.state().unlocked = false;
        let _ = self.inner.events.send(AppEvent::Locked);
    }

    pub fn events(&self) -> broadcast::Receiver<AppEvent> {
        self.inner.events.subscribe()
    }

    /// Test hook: what the sync engine would announce.
    pub fn emit(&self, event: AppEvent) {
        let _ = self.inner.events.send(event);
    }

    pub fn save_draft(&self, bytes: &[u8]) -> Result<(), AppError> {
        let mut state = self.state();
        if !state.unlocked {
            return Err(AppError::Locked);
        }
        state.draft = Some(bytes.to_vec());
        Ok(())
    }

    pub fn draft(&self) -> Result<Option<Vec<u8>>, AppError> {
        let state = self.state();
        if !state.unlocked {
            return Err(AppError::Locked);
        }
        Ok(state.draft.clone())
    }

    pub fn discard_draft(&self) -> Result<(), AppError> {
        self.state().draft = None;
        Ok(())
    }

    pub fn idle_lock_minutes(&self) -> u32 {
        self.state().idle_lock_minutes.unwrap_or(5)
    }

    pub fn set_idle_lock_minutes(&self, minutes: u32) -> Result<(), AppError> {
        self.state().idle_lock_minutes = Some(minutes);
        Ok(())
    }
}
