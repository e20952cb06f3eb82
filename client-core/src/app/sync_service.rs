//! Keeping the journal in sync in the background while it is unlocked: a round
//! now, then again whenever the server's Watch stream says something arrived or
//! this device changed something; offline, it retries with growing pauses and
//! local work goes on. A checked revocation or deletion erases the device.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

use super::{App, AppError, AppEvent, ErasedReason, SyncState};
use crate::transport::grpc::GrpcTransport;
use crate::transport::Transport;

const FIRST_RETRY: Duration = Duration::from_secs(1);
const LONGEST_RETRY: Duration = Duration::from_secs(60);

/// What one sync round did, in numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncSummary {
    /// Own records the server acknowledged.
    pub sent: u64,
    /// Records from other devices verified and applied.
    pub received: u64,
}

/// The background sync started by [`App::start_sync`]. Dropping it stops the task.
#[derive(Debug)]
pub struct SyncHandle {
    stop: Arc<watch::Sender<bool>>,
    task: Option<JoinHandle<()>>,
}

impl SyncHandle {
    /// Stops the task and waits until it has stopped.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for SyncHandle {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

impl App {
    /// Starts syncing in the background (on the current Tokio runtime): while
    /// unlocked it stays connected; while locked it waits. Stops when the handle
    /// is dropped.
    pub fn start_sync(&self) -> SyncHandle {
        let (stop, stopped) = watch::channel(false);
        let app = self.clone();
        let task = tokio::spawn(async move { app.sync_loop(stopped).await });
        SyncHandle {
            stop: Arc::new(stop),
            task: Some(task),
        }
    }

    /// One sync round now, in the foreground.
    pub async fn sync_now(&self) -> Result<SyncSummary, AppError> {
        let transport = self.connect().await?;
        self.round(&transport, SignIn::Now).await
    }

    /// Connects to this device's server.
    pub(crate) async fn connect(&self) -> Result<GrpcTransport, AppError> {
        let (url, ca) = {
            let d = self.device().await?;
            (
                d.server_url().to_owned(),
                d.ca_cert_pem().map(str::to_owned),
            )
        };
        match GrpcTransport::connect(&url, ca.as_deref()).await {
            Ok(t) => Ok(t),
            Err(e) => {
                let e = AppError::from(e);
                self.update_sync(|s| {
                    s.state = SyncState::Offline;
                    s.problem = Some(e.to_string());
                });
                Err(e)
            }
        }
    }

    /// Erases this device if `result` is a checked revocation or deletion (the
    /// only errors that carry those kinds), then passes it on. Every flow that
    /// talks to the server ends with this.
    pub(crate) async fn settle<T>(&self, result: Result<T, AppError>) -> Result<T, AppError> {
        let reason = match &result {
            Err(AppError::Revoked) => ErasedReason::Revoked,
            Err(AppError::AccountDeleted) => ErasedReason::AccountDeleted,
            _ => return result,
        };
        self.lock().await;
        // What only this device held is sealed for the recovery kit and stays.
        let home = self.home().to_path_buf();
        let _ = tokio::task::spawn_blocking(move || crate::wipe_keeping_leftovers(&home)).await;
        self.emit(AppEvent::Erased { reason });
        result
    }

    /// Runs one round with the unlocked device, signing in first unless this
    /// transport's session is already signed in (rounds of one connected session
    /// would otherwise spend the account's sign-in budget at every change).
    async fn round(
        &self,
        transport: &GrpcTransport,
        sign_in: SignIn,
    ) -> Result<SyncSummary, AppError> {
        let outcome = async {
            let mut device = self.device().await?;
            self.update_sync(|s| s.state = SyncState::Syncing);
            let synced = match sign_in {
                SignIn::Now => device.sync(transport).await,
                SignIn::Done => device.sync_signed_in(transport).await,
            };
            match synced {
                Ok(report) => {
                    let pending = device.pending_upload();
                    let notices = device
                        .take_new_device_notices()
                        .map(|added| added.iter().map(Into::into).collect())
                        .unwrap_or_default();
                    drop(device);
                    if report.pulled > 0 {
                        self.emit(AppEvent::JournalChanged {
                            records: report.pulled,
                        });
                    }
                    self.update_sync(|s| {
                        s.state = SyncState::UpToDate;
                        s.pending_upload = pending;
                        s.last_synced_ms = Some(crate::now_ms());
                        s.problem = None;
                    });
                    self.add_notices(notices);
                    Ok(SyncSummary {
                        sent: report.pushed,
                        received: report.pulled,
                    })
                }
                Err(e) => {
                    drop(device);
                    let e = AppError::from(e);
                    let state = if e.is_offline() {
                        SyncState::Offline
                    } else {
                        SyncState::Failed
                    };
                    self.update_sync(|s| {
                        s.state = state;
                        s.problem = Some(e.to_string());
                    });
                    Err(e)
                }
            }
        }
        .await;
        self.settle(outcome).await
    }

    async fn sync_loop(self, mut stopped: watch::Receiver<bool>) {
        let mut events = self.events();
        let mut retry = FIRST_RETRY;
        while !*stopped.borrow() {
            if !self.is_unlocked() {
                if !wait_for_unlock(&mut events, &mut stopped).await {
                    return;
                }
                continue;
            }
            match self.connected_session(&mut stopped).await {
                Session::Stop => return,
                Session::Ended => retry = FIRST_RETRY,
                Session::Failed(AppError::Locked) => {}
                Session::Failed(AppError::Revoked | AppError::AccountDeleted) => return,
                Session::Failed(_) => {
                    // Wait before trying again, unless the survivor changes
                    // something (worth trying at once) or it is stopped.
                    tokio::select! {
                        _ = tokio::time::sleep(retry) => {}
                        _ = self.inner().local_change.notified() => {}
                        _ = stopped.changed() => return,
                    }
                    retry = (retry * 2).min(LONGEST_RETRY);
                }
            }
        }
    }

    /// Connects, syncs, and follows the Watch stream until it ends, the app is
    /// locked or the service stops.
    async fn connected_session(&self, stopped: &mut watch::Receiver<bool>) -> Session {
        let generation = self.generation();
        let transport = match self.connect().await {
            Ok(t) => t,
            Err(e) => return Session::Failed(e),
        };
        if let Err(e) = self.round(&transport, SignIn::Now).await {
            return Session::Failed(e);
        }
        let mut stream = match transport.watch().await {
            Ok(s) => s,
            Err(e) => return Session::Failed(e.into()),
        };
        loop {
            tokio::select! {
                next = stream.next() => match next {
                    // The server's word that something moved: a round checks what.
                    Some(Ok(_)) => {}
                    // The stream ended (token expiry, server restart): reconnect.
                    None => return Session::Ended,
                    Some(Err(e)) => return Session::Failed(e.into()),
                },
                _ = self.inner().local_change.notified() => {}
                _ = stopped.changed() => return Session::Stop,
            }
            if self.generation() != generation {
                return Session::Failed(AppError::Locked);
            }
            if let Err(e) = self.round(&transport, SignIn::Done).await {
                return Session::Failed(e);
            }
        }
    }
}

/// Whether a round must sign in first.
#[derive(Clone, Copy)]
enum SignIn {
    Now,
    Done,
}

enum Session {
    Stop,
    Ended,
    Failed(AppError),
}

/// Waits until the app is unlocked (true) or the service is stopped (false).
async fn wait_for_unlock(
    events: &mut broadcast::Receiver<AppEvent>,
    stopped: &mut watch::Receiver<bool>,
) -> bool {
    loop {
        tokio::select! {
            event = events.recv() => match event {
                Ok(AppEvent::Unlocked) | Err(broadcast::error::RecvError::Lagged(_)) => return true,
                Ok(_) => {}
                Err(broadcast::error::RecvError::Closed) => return false,
            },
            _ = stopped.changed() => return false,
        }
    }
}
