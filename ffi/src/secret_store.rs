//! Unlocking behind the platform keystore: the host app implements [`SecretStore`]
//! over the iOS Keychain or the Android Keystore (with user authentication, so a
//! read needs the survivor's biometrics or device PIN). It holds the key this
//! device's key file is sealed under, the key the passphrase derives, never the
//! passphrase. The passphrase stays the default and the fallback: a new passphrase
//! seals the file under a new key, so an old keystore entry stops working
//! ([`MycaseError::KeyNotAccepted`]) until the next unlock with the passphrase
//! brings it up to date.

use std::sync::Arc;

use mycase_core::app::App;

use crate::error::{FfiResult, MycaseError};
use crate::journal::Journal;
use crate::runtime::run;

/// The one name this crate stores under in the host's keystore.
pub const KEY_FILE_KEY_NAME: &str = "mycase.key-file-key";

/// A platform keystore, implemented by the host app. Names are this crate's own;
/// values are secret bytes to keep behind the device's user authentication.
#[uniffi::export(with_foreign)]
pub trait SecretStore: Send + Sync {
    /// Stores `secret` under `name`, replacing what was there.
    fn put(&self, name: String, secret: Vec<u8>) -> Result<(), MycaseError>;
    /// The secret under `name` (after the platform's authentication), or none.
    fn get(&self, name: String) -> Result<Option<Vec<u8>>, MycaseError>;
    /// Whether something is stored under `name`, without reading it (no prompt).
    fn contains(&self, name: String) -> Result<bool, MycaseError>;
    /// Removes what is under `name` (nothing there is fine).
    fn delete(&self, name: String) -> Result<(), MycaseError>;
}

fn no_store() -> MycaseError {
    MycaseError::SecretStore {
        reason: "This app gave MyCase no keystore".to_owned(),
    }
}

/// After an unlock or a new passphrase: if the survivor turned keystore unlock
/// on, the keystore gets the key the file is sealed under now.
pub(crate) async fn refresh_if_enabled(
    app: &App,
    store: Option<&dyn SecretStore>,
) -> FfiResult<()> {
    if let Some(store) = store {
        if store.contains(KEY_FILE_KEY_NAME.to_owned())? {
            let key = app.key_file_wrapping_key().await?;
            store.put(KEY_FILE_KEY_NAME.to_owned(), key.to_vec())?;
        }
    }
    Ok(())
}

#[uniffi::export]
impl Journal {
    /// Turns on unlocking through the keystore (unlocked only): the keystore gets
    /// the key this device's key file is sealed under.
    pub async fn enable_keystore_unlock(&self) -> FfiResult<()> {
        let app = self.app.clone();
        let store = self.secret_store.clone().ok_or_else(no_store)?;
        run(async move {
            let key = app.key_file_wrapping_key().await?;
            store.put(KEY_FILE_KEY_NAME.to_owned(), key.to_vec())
        })
        .await
    }

    /// Turns it off: the keystore forgets the key; only the passphrase unlocks.
    pub fn disable_keystore_unlock(&self) -> FfiResult<()> {
        let store = self.secret_store.as_ref().ok_or_else(no_store)?;
        store.delete(KEY_FILE_KEY_NAME.to_owned())
    }

    /// Whether keystore unlock is on (asks the keystore without reading the key).
    pub fn keystore_unlock_enabled(&self) -> FfiResult<bool> {
        match &self.secret_store {
            Some(store) => store.contains(KEY_FILE_KEY_NAME.to_owned()),
            None => Ok(false),
        }
    }

    /// Unlocks with the keystore's key (the platform asks for biometrics). A stale
    /// key is [`MycaseError::KeyNotAccepted`]: ask for the passphrase instead.
    pub async fn unlock_with_keystore(&self) -> FfiResult<()> {
        let app = self.app.clone();
        let store: Arc<dyn SecretStore> = self.secret_store.clone().ok_or_else(no_store)?;
        run(async move {
            let key = store.get(KEY_FILE_KEY_NAME.to_owned())?.ok_or_else(|| {
                MycaseError::SecretStore {
                    reason: "Keystore unlock is not turned on: unlock with the passphrase"
                        .to_owned(),
                }
            })?;
            let key = zeroize::Zeroizing::new(key);
            Ok(app.unlock_with_key(&key).await?)
        })
        .await
    }
}
