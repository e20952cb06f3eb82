//! Setting a device up and unlocking it: a new account's first device, a device
//! from a pairing grant, opening the key file with the passphrase (rate-limited),
//! and rebuilding the journal from the stored records.

use std::path::{Path, PathBuf};
use std::time::Duration;

use mycase_proto::v1::operation::Body;

use crate::clock::now_ms;
use crate::crypto::passphrase::KdfParams;
use crate::format::keyfile::{DeviceSecrets, KeyFileError, TrustAnchor, UnlockedKeyFile};
use crate::format::keys::{DeviceKeys, Keyring, RecoveryKit};
use crate::ids::new_id;
use crate::journal::Journal;
use crate::store::file::FileStore;
use crate::store::{LocalStore, StoreError, StoreKey};

use crate::device::home::{
    create_home, is_initialised, key_file_path, write_private_atomic, STORE_DIR,
};
use crate::device::lockout;
use crate::device::{Device, DeviceError, DeviceSetup};

/// How long a command waits for another MyCase process to release the store.
const STORE_WAIT: Duration = Duration::from_secs(10);

/// Why a device home could not be unlocked.
#[derive(Debug, thiserror::Error)]
pub enum UnlockError {
    /// No key file in the home: nothing is set up there.
    #[error("MyCase is not set up in {0}")]
    NotInitialised(PathBuf),
    /// The passphrase does not open the key file; the next try waits
    /// `wait_secs` (zero while the first few tries are free).
    #[error("wrong passphrase{}", wait_hint(*wait_secs))]
    WrongPassphrase {
        /// Seconds before the next try is allowed.
        wait_secs: u64,
    },
    /// Refused without trying: the delay after earlier wrong passphrases runs.
    #[error(
        "too many wrong passphrases: wait {wait_secs} s before the next try \
         (nothing was tried, so this did not count)"
    )]
    TryLater {
        /// Seconds before the next try is allowed.
        wait_secs: u64,
    },
    /// The key file opened but the device could not be (store, records, files).
    #[error(transparent)]
    Device(#[from] DeviceError),
}

/// Why a device could not be set up in a home (a new journal, or a device joining
/// one); nothing of another device's home is touched.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// A device is already set up in that home; nothing was changed.
    #[error("MyCase is already set up in {0}")]
    AlreadyInitialised(PathBuf),
    /// Making the home, its key file or its store failed.
    #[error(transparent)]
    Device(#[from] DeviceError),
}

impl From<KeyFileError> for SetupError {
    fn from(e: KeyFileError) -> Self {
        SetupError::Device(e.into())
    }
}

impl From<StoreError> for SetupError {
    fn from(e: StoreError) -> Self {
        SetupError::Device(e.into())
    }
}

fn wait_hint(wait_secs: u64) -> String {
    if wait_secs == 0 {
        String::new()
    } else {
        format!("; wait {wait_secs} s before the next try")
    }
}

fn whole_seconds(d: Duration) -> u64 {
    d.as_millis().div_ceil(1000).try_into().unwrap_or(u64::MAX)
}

impl Device<FileStore> {
    /// Sets up a new account with this as its first device, in `home`. Returns the
    /// recovery kit, which must be shown to the survivor once and never stored.
    pub fn create(
        home: &Path,
        passphrase: &[u8],
        params: KdfParams,
        setup: DeviceSetup,
    ) -> Result<(Self, RecoveryKit), SetupError> {
        if is_initialised(home) {
            return Err(SetupError::AlreadyInitialised(home.to_path_buf()));
        }
        create_home(home)?;
        let unlocked = UnlockedKeyFile::create(passphrase, params)?;
        let keys = DeviceKeys::generate();
        let store_key = StoreKey::for_device(&keys);
        let store = FileStore::open_waiting(&home.join(STORE_DIR), &store_key, STORE_WAIT)?;
        let (mut device, kit) = Device::create_with_keys(store, setup, keys)?;
        device.key_file = Some((key_file_path(home), unlocked));
        device.persist_secrets()?;
        Ok((device, kit))
    }

    /// Unlocks the device in `home` with its passphrase (no rate limit: see
    /// [`Device::unlock`]).
    pub fn open(home: &Path, passphrase: &[u8]) -> Result<Self, UnlockError> {
        Device::open_key_file(home, |bytes| UnlockedKeyFile::open(bytes, passphrase))
    }

    /// Unlocks the device in `home` with the key its key file is sealed under, as a
    /// platform keystore keeps it ([`Device::key_file_wrapping_key`]). Not counted
    /// as a passphrase try: the key is 32 random-looking bytes nobody can guess, and
    /// a wrong one must not lock the survivor out of the passphrase.
    pub fn open_with_key(home: &Path, key: &[u8; 32]) -> Result<Self, UnlockError> {
        if !is_initialised(home) {
            return Err(UnlockError::NotInitialised(home.to_path_buf()));
        }
        Device::open_key_file(home, |bytes| UnlockedKeyFile::open_with_key(bytes, key))
    }

    fn open_key_file(
        home: &Path,
        open: impl FnOnce(&[u8]) -> Result<(UnlockedKeyFile, DeviceSecrets), KeyFileError>,
    ) -> Result<Self, UnlockError> {
        let path = key_file_path(home);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(UnlockError::NotInitialised(home.to_path_buf()))
            }
            Err(e) => return Err(DeviceError::from(e).into()),
        };
        let (unlocked, secrets) = open(&bytes).map_err(DeviceError::from)?;
        let store_key = StoreKey::for_device(&secrets.keys);
        let store = FileStore::open_waiting(&home.join(STORE_DIR), &store_key, STORE_WAIT)
            .map_err(DeviceError::from)?;
        let mut device = Device::from_parts(secrets, store)?;
        device.key_file = Some((path, unlocked));
        Ok(device)
    }

    /// Unlocks the device in `home`, rate-limited (growing delays after wrong passphrases, counted in the home): while
    /// the delay after earlier wrong passphrases runs, refuses without trying;
    /// counts a wrong passphrase; forgets the count after a right one.
    pub fn unlock(home: &Path, passphrase: &[u8]) -> Result<Self, UnlockError> {
        if !is_initialised(home) {
            return Err(UnlockError::NotInitialised(home.to_path_buf()));
        }
        let wait = lockout::load(home).wait_at(now_ms());
        if !wait.is_zero() {
            return Err(UnlockError::TryLater {
                wait_secs: whole_seconds(wait),
            });
        }
        match Device::open(home, passphrase) {
            Ok(device) => {
                lockout::reset(home).map_err(DeviceError::from)?;
                Ok(device)
            }
            Err(UnlockError::Device(DeviceError::KeyFile(KeyFileError::WrongPassphrase))) => {
                let attempts =
                    lockout::record_failure(home, now_ms()).map_err(DeviceError::from)?;
                Err(UnlockError::WrongPassphrase {
                    wait_secs: whole_seconds(lockout::delay_after(attempts.failures)),
                })
            }
            Err(e) => Err(e),
        }
    }

    /// Sets up this device from a pairing grant, in `home`.
    pub(crate) fn create_joined(
        home: &Path,
        passphrase: &[u8],
        params: KdfParams,
        secrets: DeviceSecrets,
    ) -> Result<Self, SetupError> {
        if is_initialised(home) {
            return Err(SetupError::AlreadyInitialised(home.to_path_buf()));
        }
        create_home(home)?;
        let unlocked = UnlockedKeyFile::create(passphrase, params)?;
        let store_key = StoreKey::for_device(&secrets.keys);
        let store = FileStore::open_waiting(&home.join(STORE_DIR), &store_key, STORE_WAIT)?;
        let mut device = Device::from_parts(secrets, store)?;
        device.key_file = Some((key_file_path(home), unlocked));
        device.persist_secrets()?;
        Ok(device)
    }

    /// Seals the (possibly changed) secrets in a fresh key file under `passphrase`;
    /// the store's receipts move to the key of the (possibly new) device keys in
    /// the same step.
    pub(crate) fn reseal_key_file(
        &mut self,
        passphrase: &[u8],
        params: KdfParams,
    ) -> Result<(), DeviceError> {
        if let Some((path, _)) = &self.key_file {
            let path = path.clone();
            let fresh = UnlockedKeyFile::create(passphrase, params)?;
            let sealed = fresh.seal(&self.secrets);
            let store_key = StoreKey::for_device(&self.secrets.keys);
            self.store.rekey(store_key, || {
                write_private_atomic(&path, &sealed).map_err(DeviceError::from)
            })?;
            self.key_file = Some((path, fresh));
        }
        Ok(())
    }

    /// The key the key file is sealed under now, for a platform keystore; `None`
    /// for a device without a key file (tests over a memory store).
    pub fn key_file_wrapping_key(&self) -> Option<zeroize::Zeroizing<[u8; 32]>> {
        self.key_file.as_ref().map(|(_, k)| k.wrapping_key())
    }

    /// Changes the local passphrase: the key file is resealed under a new salt.
    pub fn change_passphrase(&mut self, new_passphrase: &[u8]) -> Result<(), DeviceError> {
        if let Some((path, unlocked)) = &self.key_file {
            let fresh = unlocked.rekey(new_passphrase)?;
            let bytes = fresh.seal(&self.secrets);
            write_private_atomic(path, &bytes)?;
            self.key_file = Some((path.clone(), fresh));
        }
        Ok(())
    }
}

impl<S: LocalStore> Device<S> {
    /// A new account's first device over any store (the file-backed one uses this).
    pub fn create_in(store: S, setup: DeviceSetup) -> Result<(Self, RecoveryKit), DeviceError> {
        Device::create_with_keys(store, setup, DeviceKeys::generate())
    }

    /// [`Device::create_in`] with the device keys given (the file store is
    /// opened under a key derived from them before the device exists).
    fn create_with_keys(
        store: S,
        setup: DeviceSetup,
        keys: DeviceKeys,
    ) -> Result<(Self, RecoveryKit), DeviceError> {
        // The kit exists before the first commit: its public key is in the journal
        // from the start, so every device can check a recovered device's certificate.
        let kit = RecoveryKit::generate();
        let device_id = new_id();
        let recovery_public_key = kit.signing_key().verifying_key().to_bytes();
        // The kit alone says which account it opens: nobody can register another
        // account under it, and a recovering client refuses any other account.
        let account_id = mycase_proto::wire::account_id_for_recovery_key(&recovery_public_key);
        let anchor = TrustAnchor {
            device_id,
            sign_public_key: keys.sign_public(),
            dh_public_key: keys.dh_public(),
        };
        let secrets = DeviceSecrets {
            account_id,
            device_id,
            keys,
            keyring: Keyring::generate(),
            trust_anchors: vec![anchor],
            server_url: setup.server_url,
            ca_cert_pem: setup.ca_cert_pem,
            device_name: setup.device_name.clone(),
            notes: Default::default(),
        };
        let mut device = Device::from_parts(secrets, store)?;
        // The journal's roster starts with the founding device, in its own log,
        // certified by the kit (so a device recovered from the kit trusts it without
        // anyone's word), then the kit's keys, signed by the kit.
        let me = Body::DeviceAdded(crate::device::recover::certified_addition(
            &kit,
            &account_id,
            &device_id,
            &device.secrets.keys,
            &setup.device_name,
        ));
        let recovery = Body::RecoveryKeySet(crate::device::recover::founding_recovery_key(
            &kit,
            &account_id,
        ));
        device.commit(vec![me, recovery])?;
        Ok((device, kit))
    }

    /// Rebuilds the journal from a store's records (decrypting each).
    pub fn from_parts(secrets: DeviceSecrets, store: S) -> Result<Self, DeviceError> {
        let journal = Journal::for_account(secrets.account_id);
        let mut device = Device {
            secrets,
            key_file: None,
            store,
            journal,
            quarantine: Vec::new(),
            pull_buffer_bytes: crate::device::sync::MAX_PULL_BUFFER,
        };
        let ops = crate::device::secrets::decode_all_learning_keys(
            &mut device.secrets,
            device.store.logs(),
        )?;
        for (id, op) in ops {
            device.journal.insert(id, op);
        }
        device.refresh_write_epoch();
        Ok(device)
    }

    pub(crate) fn persist_secrets(&self) -> Result<(), DeviceError> {
        if let Some((path, unlocked)) = &self.key_file {
            write_private_atomic(path, &unlocked.seal(&self.secrets))?;
        }
        Ok(())
    }
}
