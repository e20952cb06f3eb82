//! Sync as a service: [`SyncService`] keeps this device in step with the server
//! (Watch, so other devices' changes arrive live) and tells the host's
//! [`JournalListener`] what happens, from the core's own threads. Dropping the
//! service (or `stop`) ends both tasks.

use std::sync::{Arc, Mutex};

use mycase_core::app::{AppEvent, DeviceNotice, ErasedReason, SyncHandle, SyncStatus, SyncSummary};
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

use crate::error::{FfiResult, MycaseError};
use crate::journal::Journal;
use crate::runtime::{run, runtime};

/// What the host hears about: refresh the UI from the journal on
/// `JournalChanged`; none carries content.
#[derive(uniffi::Enum, Clone)]
pub enum JournalEvent {
    /// The journal was unlocked.
    Unlocked,
    /// The journal was locked (keys dropped).
    Locked,
    /// The sync state changed.
    SyncChanged { status: SyncStatus },
    /// Records from other devices were applied: the journal changed.
    JournalChanged { records: u64 },
    /// This device changed the journal.
    LocalChange,
    /// Devices were added to the journal (show a banner).
    NewDevices { devices: Vec<DeviceNotice> },
    /// This device was erased (revoked, or the account deleted): show the first run.
    Erased { reason: ErasedReason },
    /// Events were missed (the host was slow): refresh everything.
    Missed { events: u64 },
}

impl From<AppEvent> for JournalEvent {
    fn from(e: AppEvent) -> Self {
        match e {
            AppEvent::Unlocked => JournalEvent::Unlocked,
            AppEvent::Locked => JournalEvent::Locked,
            AppEvent::Sync(status) => JournalEvent::SyncChanged { status },
            AppEvent::JournalChanged { records } => JournalEvent::JournalChanged { records },
            AppEvent::LocalChange => JournalEvent::LocalChange,
            AppEvent::NewDevices(devices) => JournalEvent::NewDevices { devices },
            AppEvent::Erased { reason } => JournalEvent::Erased { reason },
        }
    }
}

/// The host's listener, called from the core's threads (hop to the UI thread
/// before touching views).
#[uniffi::export(with_foreign)]
pub trait JournalListener: Send + Sync {
    fn on_event(&self, event: JournalEvent);
}

/// The running sync service; drop it (or call `stop`) to end it.
#[derive(uniffi::Object)]
pub struct SyncService {
    tasks: Mutex<Option<(SyncHandle, JoinHandle<()>)>>,
}

impl std::fmt::Debug for SyncService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SyncService")
    }
}

impl SyncService {
    fn take(&self) -> Option<(SyncHandle, JoinHandle<()>)> {
        match self.tasks.lock() {
            Ok(mut t) => t.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        }
    }
}

#[uniffi::export]
impl SyncService {
    /// Stops syncing and listening (a round in flight finishes first). When it
    /// returns, the listener has had its last call and is released.
    pub async fn stop(&self) -> FfiResult<()> {
        if let Some((sync, events)) = self.take() {
            run(async move {
                sync.stop().await;
                events.abort();
                // The forwarding task, and the listener it holds, are dropped
                // before its handle completes: awaiting it makes the release sure.
                let _ = events.await;
                Ok(())
            })
            .await?;
        }
        Ok(())
    }

    /// Whether it still runs.
    pub fn is_running(&self) -> bool {
        match self.tasks.lock() {
            Ok(t) => t.as_ref().is_some_and(|(_, events)| !events.is_finished()),
            Err(_) => false,
        }
    }
}

impl Drop for SyncService {
    fn drop(&mut self) {
        if let Some((sync, events)) = self.take() {
            // SyncHandle's own drop stops the sync task; the listener's goes too,
            // as soon as a call to it in progress returns (a drop cannot wait:
            // `stop` does).
            drop(sync);
            events.abort();
        }
    }
}

/// Forwards the journal's events to the host until the service ends.
async fn forward(
    mut events: broadcast::Receiver<AppEvent>,
    listener: Arc<dyn JournalListener>,
    store: Option<Arc<dyn crate::SecretStore>>,
) {
    loop {
        let event = match events.recv().await {
            Ok(event) => JournalEvent::from(event),
            Err(broadcast::error::RecvError::Lagged(n)) => JournalEvent::Missed { events: n },
            Err(broadcast::error::RecvError::Closed) => return,
        };
        if let (JournalEvent::Erased { .. }, Some(store)) = (&event, &store) {
            // The key file is gone; its key in the keystore must go too.
            let _ = store.delete(crate::secret_store::KEY_FILE_KEY_NAME.to_owned());
        }
        listener.on_event(event);
    }
}

#[uniffi::export]
impl Journal {
    /// Starts the sync service (unlocked or not: it waits for an unlock) and
    /// tells `listener` what happens from now on.
    pub fn start_sync(&self, listener: Arc<dyn JournalListener>) -> FfiResult<Arc<SyncService>> {
        let rt = runtime()?;
        let _entered = rt.enter();
        let events = rt.spawn(forward(
            self.app.events(),
            listener,
            self.secret_store.clone(),
        ));
        let sync = self.app.start_sync();
        Ok(Arc::new(SyncService {
            tasks: Mutex::new(Some((sync, events))),
        }))
    }

    /// One sync round now, in the foreground: what was sent and received.
    pub async fn sync_now(&self) -> FfiResult<SyncSummary> {
        let app = self.app.clone();
        run(async move { Ok(app.sync_now().await?) }).await
    }
}

impl From<tokio::task::JoinError> for MycaseError {
    fn from(_: tokio::task::JoinError) -> Self {
        MycaseError::Internal {
            reason: "a background task of MyCase stopped".to_owned(),
        }
    }
}
