//! Settings that act on the account or on this device itself: a new passphrase
//! (and new keys), a new recovery kit, wiping this device, deleting the account.
//!
//! As in the CLI, the passphrase change and the account deletion need the
//! passphrase typed again (someone holding an unlocked session must not do them
//! in passing; wrong tries count towards the unlock delay), and a wipe needs
//! nothing: a survivor may need it fast, and without the key file the rest is
//! unreadable. Confirmation pages are the shell's.

use std::path::Path;
use std::time::Duration;

use zeroize::Zeroizing;

use super::setup::check_new_passphrase;
use super::{App, AppError, AppEvent, ErasedReason};
use crate::device::lockout;
use crate::format::keyfile::{KeyFileError, UnlockedKeyFile};
use crate::format::keys::RecoveryKit;
use crate::transport::grpc::GrpcTransport;
use crate::{Device, RenewError, UnlockError};

/// How long the last exchange with the server before a wipe may take: the
/// survivor is waiting.
const LAST_SYNC_WAIT: Duration = Duration::from_secs(20);

/// What a passphrase change did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassphraseChanged {
    /// This device also moved to new keys, so a copy of the old key file with
    /// the old passphrase opens nothing written from now on.
    pub keys_replaced: bool,
    /// Why it could not move to new keys when that was asked (the server could
    /// not be reached...): the change can be made again later for that.
    pub keys_not_replaced_because: Option<String>,
}

/// Where things stand before a wipe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WipeCheck {
    /// Changes made on this device that are not on the server and would be lost
    /// (after a try to send them); `None` when locked (not checked).
    pub unsent_changes: Option<u64>,
    /// Changes sent to the server by this check.
    pub sent_now: u64,
}

/// What a wipe did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WipeOutcome {
    /// MyCase was on this device and is gone (false: there was nothing).
    pub removed: bool,
    /// The device told the server and the journal first that it is leaving, so
    /// a copy of it can no longer sign in and the other devices move to new keys.
    pub retired: bool,
    /// Why it could not (locked, offline...): revoke it from another device.
    pub not_retired_because: Option<String>,
}

/// A new recovery kit: shown once, never stored. `Debug` never shows it.
pub struct RenewedKit {
    /// The new kit, to be written down now; the old one no longer works.
    pub recovery_kit: Zeroizing<String>,
    /// The journal recorded the change (if not, the next sync finishes it; the
    /// new kit counts either way).
    pub journal_updated: bool,
}

impl std::fmt::Debug for RenewedKit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RenewedKit")
            .field("recovery_kit", &"[redacted]")
            .field("journal_updated", &self.journal_updated)
            .finish()
    }
}

/// Checks `passphrase` against the key file, rate-limited like every unlock
/// (the store is not opened: the unlocked app holds it).
fn verify_passphrase(home: &Path, passphrase: &[u8]) -> Result<(), UnlockError> {
    if !crate::is_initialised(home) {
        return Err(UnlockError::NotInitialised(home.to_path_buf()));
    }
    let wait = lockout::load(home).wait_at(crate::now_ms());
    if !wait.is_zero() {
        return Err(UnlockError::TryLater {
            wait_secs: whole_seconds(wait),
        });
    }
    let bytes = std::fs::read(crate::key_file_path(home)).map_err(crate::DeviceError::from)?;
    match UnlockedKeyFile::open(&bytes, passphrase) {
        Ok(_) => lockout::reset(home).map_err(|e| crate::DeviceError::from(e).into()),
        Err(KeyFileError::WrongPassphrase) => {
            let attempts =
                lockout::record_failure(home, crate::now_ms()).map_err(crate::DeviceError::from)?;
            Err(UnlockError::WrongPassphrase {
                wait_secs: whole_seconds(lockout::delay_after(attempts.failures)),
            })
        }
        Err(e) => Err(crate::DeviceError::from(e).into()),
    }
}

fn whole_seconds(d: Duration) -> u64 {
    d.as_millis().div_ceil(1000).try_into().unwrap_or(u64::MAX)
}

impl App {
    /// Checks the passphrase typed again to confirm something that cannot be
    /// undone. Wrong tries count as at unlock.
    async fn confirm_passphrase(&self, passphrase: &str) -> Result<(), AppError> {
        // Locked, there is nothing to confirm for.
        drop(self.device().await?);
        let home = self.home().to_path_buf();
        let passphrase = Zeroizing::new(passphrase.as_bytes().to_vec());
        tokio::task::spawn_blocking(move || verify_passphrase(&home, &passphrase))
            .await
            .map_err(|e| AppError::Other(Box::new(e)))?
            .map_err(AppError::from)
    }

    /// Changes the passphrase (the current one typed again) and, unless
    /// `keep_keys`, moves this device to new keys (see [`PassphraseChanged`]).
    /// Moving needs the server; without it only the passphrase changes, and
    /// the answer says why. Nothing changes on a wrong current passphrase.
    pub async fn change_passphrase(
        &self,
        current: &str,
        new: &str,
        keep_keys: bool,
    ) -> Result<PassphraseChanged, AppError> {
        check_new_passphrase(new).map_err(|e| match e {
            AppError::WeakPassphrase { reason } => AppError::invalid("new_passphrase", reason),
            other => other,
        })?;
        self.confirm_passphrase(current).await?;
        let mut keys_not_replaced_because = None;
        let mut keys_replaced = false;
        if !keep_keys {
            let moved = match self.connect().await {
                Ok(transport) => {
                    let moved = async {
                        let mut device = self.device().await?;
                        let params = self.options().kdf_params;
                        device
                            .change_passphrase_and_keys(&transport, new.as_bytes(), params)
                            .await?;
                        let pending = device.pending_upload();
                        drop(device);
                        self.local_change(pending);
                        Ok(())
                    }
                    .await;
                    self.settle(moved).await
                }
                Err(e) => Err(e),
            };
            match moved {
                Ok(()) => keys_replaced = true,
                Err(e @ (AppError::Revoked | AppError::AccountDeleted | AppError::Locked)) => {
                    return Err(e)
                }
                Err(e) => keys_not_replaced_because = Some(e.to_string()),
            }
        }
        if !keys_replaced {
            self.write(|d| d.change_passphrase(new.as_bytes())).await?;
        }
        Ok(PassphraseChanged {
            keys_replaced,
            keys_not_replaced_because,
        })
    }

    /// Before a wipe: sends what the server does not have yet (if unlocked and
    /// the server answers in time) and says what would be lost.
    pub async fn check_before_wipe(&self) -> Result<WipeCheck, AppError> {
        let before = match self.device().await {
            Ok(d) => d.pending_upload(),
            Err(AppError::Locked) => {
                return Ok(WipeCheck {
                    unsent_changes: None,
                    sent_now: 0,
                })
            }
            Err(e) => return Err(e),
        };
        if before > 0 {
            // Offline or slow is fine: what is left is counted below.
            if let Ok(Err(e @ (AppError::Revoked | AppError::AccountDeleted))) =
                tokio::time::timeout(LAST_SYNC_WAIT, self.sync_now()).await
            {
                return Err(e);
            }
        }
        let after = self.device().await?.pending_upload();
        Ok(WipeCheck {
            unsent_changes: Some(after),
            sent_now: before.saturating_sub(after),
        })
    }

    /// Erases MyCase from this device, keys first. Unlocked and online, the
    /// device first retires itself (see [`WipeOutcome::retired`]). The journal
    /// stays on the server; the recovery kit brings it back. Works locked too.
    pub async fn wipe_device(&self) -> Result<WipeOutcome, AppError> {
        let device = self.take_device().await;
        self.lock().await;
        let (retired, not_retired_because) = match device {
            Some(mut device) => match retire(&mut device).await {
                Ok(()) => (true, None),
                Err(e) => (false, Some(e.to_string())),
            },
            None => (false, Some(AppError::Locked.to_string())),
        };
        let removed = self.erase_home().await?;
        Ok(WipeOutcome {
            removed,
            retired,
            not_retired_because,
        })
    }

    /// Deletes the whole account on the server (every entry, attachment, share
    /// and device, for good; not even the kit brings it back), then erases
    /// this device. Needs the passphrase typed again. If the server does not
    /// delete it, nothing is deleted.
    pub async fn delete_account(&self, passphrase: &str) -> Result<(), AppError> {
        self.confirm_passphrase(passphrase).await?;
        let transport = self.connect().await?;
        let deleted = async {
            let device = self.device().await?;
            Ok(device.delete_account(&transport).await?)
        }
        .await;
        self.settle(deleted).await?;
        drop(self.take_device().await);
        self.lock().await;
        self.erase_home().await?;
        self.emit(AppEvent::Erased {
            reason: ErasedReason::AccountDeleted,
        });
        Ok(())
    }

    /// Replaces the recovery kit (the current one typed in: only its holder may
    /// replace it). The old kit stops working; the new one is shown once.
    pub async fn renew_recovery_kit(&self, current_kit: &str) -> Result<RenewedKit, AppError> {
        let old = RecoveryKit::parse(current_kit).map_err(|e| AppError::RecoveryFailed {
            reason: "that is not a valid recovery kit (check for a typo); nothing was changed"
                .into(),
            source: Some(Box::new(e)),
        })?;
        let transport = self.connect().await?;
        let renewed = async {
            let mut device = self.device().await?;
            let outcome = device.renew_recovery_kit(&transport, &old).await;
            let pending = device.pending_upload();
            drop(device);
            let (kit, journal_updated) = match outcome {
                Ok(kit) => (kit, true),
                Err(RenewError::Unfinished { kit, .. }) => (*kit, false),
                Err(RenewError::Server(d)) => return Err(d.into()),
                Err(e) => {
                    return Err(AppError::RecoveryFailed {
                        reason: e.to_string(),
                        source: Some(Box::new(e)),
                    })
                }
            };
            self.local_change(pending);
            Ok(RenewedKit {
                recovery_kit: kit.to_display(),
                journal_updated,
            })
        }
        .await;
        self.settle(renewed).await
    }

    /// Takes the unlocked device out of the app, so nothing else uses it while
    /// it leaves (tasks that started before stop at the generation change).
    async fn take_device(&self) -> Option<Device<crate::store::file::FileStore>> {
        self.inner
            .generation
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.device.lock().await.take()
    }

    /// Wipes the home (keys first); true if MyCase was there.
    async fn erase_home(&self) -> Result<bool, AppError> {
        let home = self.home().to_path_buf();
        let wiped = tokio::task::spawn_blocking(move || crate::wipe(&home))
            .await
            .map_err(|e| AppError::Other(Box::new(e)))?
            .map_err(|e| AppError::Storage(Box::new(e)))?;
        Ok(wiped == crate::Wiped::Removed)
    }
}

/// Retires the device on the server and in the journal, in bounded time.
async fn retire(device: &mut Device<crate::store::file::FileStore>) -> Result<(), AppError> {
    tokio::time::timeout(LAST_SYNC_WAIT, async {
        let transport = GrpcTransport::connect(device.server_url(), device.ca_cert_pem()).await?;
        device.retire(&transport).await?;
        Ok(())
    })
    .await
    .map_err(|_| AppError::ServerUnreachable("the server did not answer in time".into()))?
}
