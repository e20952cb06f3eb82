//! `Web`: what every handler gets as its state (`State(web): State<Web>`): the
//! `App`, the session's handles and the layout, and the one way to lock.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::http::{header, HeaderMap};
use tokio::sync::broadcast;

use crate::core_app::App;
use crate::handles::Handles;
use crate::idle::IdleClock;
use crate::page::Layout;
use crate::session::Sessions;

#[derive(Clone)]
pub struct Web {
    inner: Arc<Inner>,
}

struct Inner {
    app: App,
    port: u16,
    sessions: Sessions,
    handles: Handles,
    idle: IdleClock,
    locked: broadcast::Sender<()>,
    /// What pages keep between requests while unlocked (the timeline's filter),
    /// by key; forgotten at every lock, like the handles.
    kept: Mutex<HashMap<&'static str, Box<dyn Any + Send>>>,
}

impl std::fmt::Debug for Web {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Web")
            .field("port", &self.inner.port)
            .finish()
    }
}

impl Web {
    /// The state for a server on `port`, and the launch token for its URL.
    pub fn new(app: App, port: u16) -> (Web, String) {
        let (sessions, token) = Sessions::new(port);
        let (locked, _) = broadcast::channel(8);
        let web = Web {
            inner: Arc::new(Inner {
                app,
                port,
                sessions,
                handles: Handles::default(),
                idle: IdleClock::new(),
                locked,
                kept: Mutex::new(HashMap::new()),
            }),
        };
        (web, token)
    }

    pub fn app(&self) -> &App {
        &self.inner.app
    }

    pub fn handles(&self) -> &Handles {
        &self.inner.handles
    }

    /// The base layout's data for a page shown now.
    pub fn layout(&self) -> Layout {
        let status = self.inner.app.status();
        let (sync_state, sync_words) = crate::events::sync_words(&status.sync);
        Layout {
            unlocked: status.unlocked,
            idle_lock_minutes: self.inner.app.idle_lock_minutes(),
            section: "",
            sync_state,
            sync_words,
            notices: if status.unlocked {
                self.inner
                    .app
                    .notices()
                    .iter()
                    .map(crate::events::notice_words)
                    .collect()
            } else {
                Vec::new()
            },
        }
    }

    /// Locks: the App drops its keys, every handle is forgotten, and open pages
    /// hear it (they move to the unlock page).
    pub async fn lock(&self) {
        self.inner.handles.clear();
        self.kept().clear();
        self.inner.app.lock().await;
        let _ = self.inner.locked.send(());
    }

    /// Keeps `value` for this session under `key` until the next lock.
    pub fn keep<T: Any + Send>(&self, key: &'static str, value: T) {
        self.kept().insert(key, Box::new(value));
    }

    /// What was kept under `key`, if it is a `T`.
    pub fn kept_value<T: Any + Clone>(&self, key: &'static str) -> Option<T> {
        self.kept().get(key)?.downcast_ref::<T>().cloned()
    }

    /// Forgets what was kept under `key`.
    pub fn forget(&self, key: &'static str) {
        self.kept().remove(key);
    }

    fn kept(&self) -> std::sync::MutexGuard<'_, HashMap<&'static str, Box<dyn Any + Send>>> {
        match self.inner.kept.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Fires once per `lock`.
    pub fn locked_events(&self) -> broadcast::Receiver<()> {
        self.inner.locked.subscribe()
    }

    pub fn port(&self) -> u16 {
        self.inner.port
    }

    /// Whether a request carries this run's session cookie.
    pub fn is_signed_in(&self, headers: &HeaderMap) -> bool {
        let cookie = headers
            .get(header::COOKIE)
            .and_then(|value| value.to_str().ok());
        self.inner.sessions.is_signed_in(cookie)
    }

    pub(crate) fn sessions(&self) -> &Sessions {
        &self.inner.sessions
    }

    pub(crate) fn idle(&self) -> &IdleClock {
        &self.inner.idle
    }
}
