//! [`Journal`]: one journal's device in a folder the host app owns, over the
//! application API. Set-up (create, join by pairing code, recover by kit), unlock
//! and lock, the device's status, notices and the kept draft.

use std::sync::Arc;

use mycase_core::app::{self, App, AppStatus, DeviceNotice};
use zeroize::Zeroizing;

use crate::error::FfiResult;
use crate::runtime::run;
use crate::secret_store::SecretStore;

/// A journal's device, in a folder of the host app's own storage.
#[derive(uniffi::Object)]
pub struct Journal {
    pub(crate) app: App,
    pub(crate) secret_store: Option<Arc<dyn SecretStore>>,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal")
            .field("home", &self.app.home())
            .finish_non_exhaustive()
    }
}

/// A new journal, with this as its first device.
#[derive(uniffi::Record)]
pub struct CreateJournal {
    /// The charity's MyCase server, `https://host:port`.
    pub server_url: String,
    /// The server's CA certificate (PEM) when it is self-signed.
    pub ca_cert_pem: Option<String>,
    /// What this device is called in the journal ("Phone").
    pub device_name: String,
    /// The local passphrase that unlocks this device.
    pub passphrase: String,
    /// An invite code, if the server admits accounts by invite.
    pub invite: Option<String>,
}

/// Joining a journal with the pairing code another of its devices shows.
#[derive(uniffi::Record)]
pub struct JoinJournal {
    pub server_url: String,
    pub ca_cert_pem: Option<String>,
    pub device_name: String,
    /// The pairing code shown on the existing device.
    pub pairing_code: String,
    pub passphrase: String,
}

/// Recovering the journal on this device with the recovery kit.
#[derive(uniffi::Record)]
pub struct RecoverJournal {
    pub server_url: String,
    pub ca_cert_pem: Option<String>,
    pub device_name: String,
    /// The recovery kit, as written down.
    pub recovery_kit: String,
    pub passphrase: String,
}

/// What creating a journal gives back.
#[derive(uniffi::Record)]
pub struct CreatedJournal {
    /// The recovery kit: show it once, ask the survivor to write it down, never store it.
    pub recovery_kit: String,
    /// Why the first sync did not happen, if it did not (the journal exists anyway).
    pub first_sync_problem: Option<String>,
}

/// Told the matching code while a join waits for the existing device's confirmation.
#[uniffi::export(with_foreign)]
pub trait JoinListener: Send + Sync {
    /// Show `matching_code` (six digits); the survivor types it on the existing device.
    fn show_matching_code(&self, matching_code: String);
}

#[uniffi::export]
impl Journal {
    /// The journal in `home` (created there later if nothing is set up yet), locked.
    /// `secret_store` is the platform keystore, for unlocking without the passphrase.
    #[uniffi::constructor]
    pub fn new(
        home: String,
        secret_store: Option<Arc<dyn SecretStore>>,
    ) -> FfiResult<Arc<Journal>> {
        let app = App::open(home)?;
        Ok(Arc::new(Journal { app, secret_store }))
    }

    /// Where this device stands: set up, unlocked, its name, sync.
    pub fn status(&self) -> AppStatus {
        self.app.status()
    }

    /// Whether the journal is unlocked now.
    pub fn is_unlocked(&self) -> bool {
        self.app.is_unlocked()
    }

    /// Creates a new journal with this as its first device; leaves it unlocked.
    pub async fn create_journal(&self, new: CreateJournal) -> FfiResult<CreatedJournal> {
        let app = self.app.clone();
        run(async move {
            let created = app
                .create_journal(app::NewJournal {
                    server_url: new.server_url,
                    ca_cert_pem: new.ca_cert_pem,
                    device_name: new.device_name,
                    passphrase: Zeroizing::new(new.passphrase),
                    invite: new.invite,
                })
                .await?;
            Ok(CreatedJournal {
                recovery_kit: created.recovery_kit.to_string(),
                first_sync_problem: created.first_sync_problem.clone(),
            })
        })
        .await
    }

    /// Joins a journal by pairing code: `listener` is told the matching code to
    /// type on the existing device; returns once that device confirmed (unlocked,
    /// synced) or the code failed.
    pub async fn join_journal(
        &self,
        join: JoinJournal,
        listener: Arc<dyn JoinListener>,
    ) -> FfiResult<()> {
        let app = self.app.clone();
        run(async move {
            let request = app::JoinJournal {
                server_url: join.server_url,
                ca_cert_pem: join.ca_cert_pem,
                device_name: join.device_name,
                pairing_code: Zeroizing::new(join.pairing_code),
                passphrase: Zeroizing::new(join.passphrase),
            };
            app.join_journal(request, move |code| listener.show_matching_code(code))
                .await?;
            Ok(())
        })
        .await
    }

    /// Recovers the journal on this device with the recovery kit (unlocked after).
    pub async fn recover_journal(&self, recover: RecoverJournal) -> FfiResult<()> {
        let app = self.app.clone();
        run(async move {
            app.recover_journal(app::RecoverJournal {
                server_url: recover.server_url,
                ca_cert_pem: recover.ca_cert_pem,
                device_name: recover.device_name,
                recovery_kit: Zeroizing::new(recover.recovery_kit),
                passphrase: Zeroizing::new(recover.passphrase),
            })
            .await?;
            Ok(())
        })
        .await
    }

    /// Unlocks with the passphrase (wrong tries slowed, as everywhere). With a
    /// keystore unlock enabled, the keystore's key is brought up to date.
    pub async fn unlock(&self, passphrase: String) -> FfiResult<()> {
        let app = self.app.clone();
        let store = self.secret_store.clone();
        run(async move {
            let passphrase = Zeroizing::new(passphrase);
            app.unlock(&passphrase).await?;
            crate::secret_store::refresh_if_enabled(&app, store.as_deref()).await
        })
        .await
    }

    /// Locks at once: the keys leave memory.
    pub async fn lock(&self) -> FfiResult<()> {
        let app = self.app.clone();
        run(async move {
            app.lock().await;
            Ok(())
        })
        .await
    }

    /// New-device notices not yet dismissed (show them as a banner).
    pub fn notices(&self) -> Vec<DeviceNotice> {
        self.app.notices()
    }

    /// Hides the notices shown so far.
    pub fn dismiss_notices(&self) {
        self.app.dismiss_notices()
    }

    /// Minutes of no use after which the host should lock.
    pub fn idle_lock_minutes(&self) -> u32 {
        self.app.idle_lock_minutes()
    }

    /// Sets the idle lock time (1 to the core's maximum).
    pub fn set_idle_lock_minutes(&self, minutes: u32) -> FfiResult<()> {
        Ok(self.app.set_idle_lock_minutes(minutes)?)
    }

    /// Keeps a half-written entry, sealed under this device's key, across a lock.
    pub async fn save_draft(&self, draft: Vec<u8>) -> FfiResult<()> {
        let app = self.app.clone();
        run(async move {
            let draft = Zeroizing::new(draft);
            Ok(app.save_draft(&draft).await?)
        })
        .await
    }

    /// The kept draft, if any (unlocked only).
    pub async fn draft(&self) -> FfiResult<Option<Vec<u8>>> {
        let app = self.app.clone();
        run(async move { Ok(app.draft().await?.map(|d| d.to_vec())) }).await
    }

    /// Forgets the kept draft.
    pub fn discard_draft(&self) -> FfiResult<()> {
        Ok(self.app.discard_draft()?)
    }
}
