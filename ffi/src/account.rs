//! The survivor's settings that touch the keys: a new passphrase, a renewed
//! recovery kit, wiping this device, deleting the whole account.

use mycase_core::app::{PassphraseChanged, WipeCheck, WipeOutcome};
use zeroize::Zeroizing;

use crate::error::FfiResult;
use crate::journal::Journal;
use crate::runtime::run;

/// A renewed recovery kit: show it once, then the old one stops working.
#[derive(uniffi::Record)]
pub struct RenewedKit {
    pub recovery_kit: String,
    /// Whether the journal already records the new kit (false: at the next sync).
    pub journal_updated: bool,
}

#[uniffi::export]
impl Journal {
    /// Changes the local passphrase (`current` checked first). `keep_keys` false
    /// also replaces this device's keys. With keystore unlock on, the keystore
    /// gets the new key.
    pub async fn change_passphrase(
        &self,
        current: String,
        new: String,
        keep_keys: bool,
    ) -> FfiResult<PassphraseChanged> {
        let app = self.app.clone();
        let store = self.secret_store.clone();
        run(async move {
            let (current, new) = (Zeroizing::new(current), Zeroizing::new(new));
            let changed = app.change_passphrase(&current, &new, keep_keys).await?;
            crate::secret_store::refresh_if_enabled(&app, store.as_deref()).await?;
            Ok(changed)
        })
        .await
    }

    /// Before wiping: sends what is not on the server yet, and says what is left.
    pub async fn check_before_wipe(&self) -> FfiResult<WipeCheck> {
        let app = self.app.clone();
        run(async move { Ok(app.check_before_wipe().await?) }).await
    }

    /// Removes MyCase from this device (the journal stays on its other devices).
    /// The keystore forgets this device's key too.
    pub async fn wipe_device(&self) -> FfiResult<WipeOutcome> {
        let app = self.app.clone();
        let store = self.secret_store.clone();
        run(async move {
            let outcome = app.wipe_device().await?;
            if let Some(store) = store {
                store.delete(crate::secret_store::KEY_FILE_KEY_NAME.to_owned())?;
            }
            Ok(outcome)
        })
        .await
    }

    /// Deletes the whole account on the server (every device, entry, attachment,
    /// share), then this device. Asks for the passphrase again.
    pub async fn delete_account(&self, passphrase: String) -> FfiResult<()> {
        let app = self.app.clone();
        let store = self.secret_store.clone();
        run(async move {
            let passphrase = Zeroizing::new(passphrase);
            app.delete_account(&passphrase).await?;
            if let Some(store) = store {
                store.delete(crate::secret_store::KEY_FILE_KEY_NAME.to_owned())?;
            }
            Ok(())
        })
        .await
    }

    /// Replaces the recovery kit (the current one is asked for).
    pub async fn renew_recovery_kit(&self, current_kit: String) -> FfiResult<RenewedKit> {
        let app = self.app.clone();
        run(async move {
            let current_kit = Zeroizing::new(current_kit);
            let renewed = app.renew_recovery_kit(&current_kit).await?;
            Ok(RenewedKit {
                recovery_kit: renewed.recovery_kit.to_string(),
                journal_updated: renewed.journal_updated,
            })
        })
        .await
    }
}
