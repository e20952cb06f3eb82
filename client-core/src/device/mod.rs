//! A device, unlocked: its secrets, its local store and the journal folded from
//! every verified record. Writing to the journal appends signed, sealed records to
//! this device's own log; [`Device::sync`] (in `sync`) exchanges them.

pub mod attachments;
pub mod enrol;
pub mod export;
pub mod identity;
pub mod lockout;
mod notices;
mod parents;
pub mod recover;
pub mod renew;
pub mod revoke;
mod rotate;
mod secrets;
pub mod shares;
pub mod sync;
pub mod wipe;

use std::path::{Path, PathBuf};
use std::time::Duration;

use ed25519_dalek::Signer;
use mycase_proto::v1::operation::Body;
use mycase_proto::v1::{EntryFields, Operation, Record, RegisterRequest};
use mycase_proto::wire::register_message;
use prost::Message;
use zeroize::Zeroizing;

use crate::clock::now_ms;
use crate::crypto::passphrase::KdfParams;
use crate::device::sync::SyncError;
use crate::format::keyfile::{DeviceSecrets, KeyFileError, TrustAnchor, UnlockedKeyFile};
use crate::format::keys::{DeviceKeys, KeyError, Keyring, RecoveryKit};
use crate::format::pairing::PairingError;
use crate::format::record::{seal_record, sign_record, Head, OperationError, RecordError};
use crate::format::statement::StatementKind;
use crate::ids::{new_id, AccountId, DeviceId, EntryId};
use crate::journal::{hlc, ops, Journal, JournalError, OpId};
use crate::store::file::FileStore;
use crate::store::{LocalStore, StoreError, StoreKey};
use crate::transport::{Transport, TransportError};

/// Records per signature: a signature vouches for the chain before it, so one per
/// batch is enough; capping the batch keeps uploads aligned with signatures.
pub(crate) const MAX_RECORDS_PER_SIGNATURE: usize = 1000;

const KEY_FILE: &str = "keys";
const STORE_DIR: &str = "store";
/// How long a command waits for another MyCase process to release the store.
const STORE_WAIT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    #[error("MyCase is already set up in {0}")]
    AlreadyInitialised(PathBuf),
    #[error("MyCase is not set up in {0} (run `mycase init` or `mycase join`)")]
    NotInitialised(PathBuf),
    #[error(transparent)]
    KeyFile(#[from] KeyFileError),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("a stored record failed its check")]
    Record(#[from] RecordError),
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error(transparent)]
    Sync(#[from] SyncError),
    #[error(transparent)]
    Pairing(#[from] PairingError),
    #[error(transparent)]
    Transport(TransportError),
    /// A device of the journal revoked this one, and signed it (checked here).
    /// Worded for whoever holds the device, who may not be the survivor.
    #[error("MyCase on this device has been signed out of its journal")]
    Revoked { by: DeviceId },
    /// The server refuses this device as revoked, but showed no statement signed
    /// by a device of the journal: only the server's word, so nothing is erased.
    #[error(
        "the server refuses this device as revoked, but showed no statement signed by one of          this journal's devices, so nothing on this device was erased or changed; if you did          not expect this, the server may be misconfigured or hostile"
    )]
    RevocationUnproven(#[source] TransportError),
    /// The journal's owner erased the account from one of its devices (checked).
    #[error("this journal was deleted from the server by one of its devices")]
    AccountDeleted { by: DeviceId },
    #[error(
        "the server says this account was deleted, but showed no statement signed by one of          this journal's devices, so nothing on this device was erased or changed"
    )]
    DeletionUnproven(#[source] TransportError),
    #[error(
        "this server no longer holds this journal (removed after a long time unused, or          lost); nothing on this device was changed: it still works offline, and          `mycase export` takes everything out"
    )]
    AccountNotOnServer,
    #[error("a device cannot revoke itself; to remove MyCase from this device use `mycase wipe`")]
    CannotRevokeSelf,
    #[error("no device of this journal has that id")]
    UnknownDevice,
    #[error(transparent)]
    Epoch(#[from] crate::format::epoch_keys::EpochError),
    #[error("the server answered for a different account: refusing it")]
    WrongAccount,
    #[error(
        "the server does not accept this recovery kit: check it was typed correctly and that \
         this is the server the journal was set up on; nothing was set up here"
    )]
    RecoveryRefused,
    #[error("wrong passphrase{}", wait_hint(*wait_secs))]
    WrongPassphrase { wait_secs: u64 },
    #[error(
        "too many wrong passphrases: wait {wait_secs} s before the next try \
         (nothing was tried, so this did not count)"
    )]
    TryLater { wait_secs: u64 },
    #[error("a stored operation could not be read")]
    BadOperation,
    #[error(
        "the server's copy of the keys for the recovery kit was not written by one of your \
         devices, so it was not used: nothing was set up here"
    )]
    RecoveryBlobUntrusted,
    #[error("I/O error on the device's files")]
    Io(#[from] std::io::Error),
}

impl DeviceError {
    /// A device of the journal deleted the account (its statement checked out):
    /// this device should erase itself, keeping what only it holds for the kit.
    pub fn is_account_deleted(&self) -> bool {
        matches!(self, DeviceError::AccountDeleted { .. })
    }

    /// A device of the journal revoked this one (its statement checked out).
    pub fn is_revoked(&self) -> bool {
        matches!(self, DeviceError::Revoked { .. })
    }
}

impl From<TransportError> for DeviceError {
    /// "Revoked" and "deleted" from the server are only its word until
    /// [`Device::judge_refusal`] has checked the signed statement they carry.
    fn from(e: TransportError) -> Self {
        if e.is_revoked() {
            DeviceError::RevocationUnproven(e)
        } else if e.is_account_deleted() {
            DeviceError::DeletionUnproven(e)
        } else if e.is_account_not_on_server() {
            DeviceError::AccountNotOnServer
        } else {
            DeviceError::Transport(e)
        }
    }
}

impl From<OperationError> for DeviceError {
    fn from(e: OperationError) -> Self {
        match e {
            OperationError::Record(e) => DeviceError::Record(e),
            OperationError::Undecodable(_) => DeviceError::BadOperation,
        }
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

/// What a new device needs to know about where it syncs.
#[derive(Debug, Clone)]
pub struct DeviceSetup {
    pub server_url: String,
    pub ca_cert_pem: Option<String>,
    pub device_name: String,
}

pub struct Device<S: LocalStore> {
    pub(crate) secrets: DeviceSecrets,
    /// Where the key file lives and the key that reseals it; `None` for devices
    /// kept only in memory (tests and benchmarks).
    key_file: Option<(PathBuf, UnlockedKeyFile)>,
    pub(crate) store: S,
    pub(crate) journal: Journal,
    /// Logs the last sync round could not apply, and why (see [`crate::device::sync::verify`]).
    pub(crate) quarantine: Vec<crate::device::sync::Quarantine>,
    /// Ciphertext bytes one pull may buffer before it is verified and applied.
    pub(crate) pull_buffer_bytes: usize,
}

impl<S: LocalStore> std::fmt::Debug for Device<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Device")
            .field("journal", &self.journal)
            .finish_non_exhaustive()
    }
}

/// The paths of a device home.
pub fn key_file_path(home: &Path) -> PathBuf {
    home.join(KEY_FILE)
}

/// True if `home` holds a MyCase device.
pub fn is_initialised(home: &Path) -> bool {
    key_file_path(home).exists()
}

fn create_home(home: &Path) -> Result<(), DeviceError> {
    std::fs::create_dir_all(home)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(home, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Writes a file atomically (temp file, fsync, rename) with owner-only access.
fn write_private_atomic(path: &Path, bytes: &[u8]) -> Result<(), std::io::Error> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

impl Device<FileStore> {
    /// Sets up a new account with this as its first device, in `home`. Returns the
    /// recovery kit, which must be shown to the survivor once and never stored.
    pub fn create(
        home: &Path,
        passphrase: &[u8],
        params: KdfParams,
        setup: DeviceSetup,
    ) -> Result<(Self, RecoveryKit), DeviceError> {
        if is_initialised(home) {
            return Err(DeviceError::AlreadyInitialised(home.to_path_buf()));
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

    /// Unlocks the device in `home` with its passphrase.
    pub fn open(home: &Path, passphrase: &[u8]) -> Result<Self, DeviceError> {
        let path = key_file_path(home);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(DeviceError::NotInitialised(home.to_path_buf()))
            }
            Err(e) => return Err(e.into()),
        };
        let (unlocked, secrets) = UnlockedKeyFile::open(&bytes, passphrase)?;
        let store_key = StoreKey::for_device(&secrets.keys);
        let store = FileStore::open_waiting(&home.join(STORE_DIR), &store_key, STORE_WAIT)?;
        let mut device = Device::from_parts(secrets, store)?;
        device.key_file = Some((path, unlocked));
        Ok(device)
    }

    /// Unlocks the device in `home`, rate-limited (see [`crate::device::lockout`]): while
    /// the delay after earlier wrong passphrases runs, refuses without trying;
    /// counts a wrong passphrase; forgets the count after a right one.
    pub fn unlock(home: &Path, passphrase: &[u8]) -> Result<Self, DeviceError> {
        if !is_initialised(home) {
            return Err(DeviceError::NotInitialised(home.to_path_buf()));
        }
        let wait = lockout::load(home).wait_at(now_ms());
        if !wait.is_zero() {
            return Err(DeviceError::TryLater {
                wait_secs: whole_seconds(wait),
            });
        }
        match Device::open(home, passphrase) {
            Ok(device) => {
                lockout::reset(home)?;
                Ok(device)
            }
            Err(DeviceError::KeyFile(KeyFileError::WrongPassphrase)) => {
                let attempts = lockout::record_failure(home, now_ms())?;
                Err(DeviceError::WrongPassphrase {
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
    ) -> Result<Self, DeviceError> {
        if is_initialised(home) {
            return Err(DeviceError::AlreadyInitialised(home.to_path_buf()));
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
        let ops = secrets::decode_all_learning_keys(&mut device.secrets, device.store.logs())?;
        for (id, op) in ops {
            device.journal.insert(id, op);
        }
        device.refresh_write_epoch();
        Ok(device)
    }

    /// Folds a verified operation into the journal. Call
    /// [`Self::refresh_write_epoch`] after a batch.
    pub(crate) fn apply(&mut self, id: OpId, op: Operation) {
        self.journal.insert(id, op);
    }

    /// New records are sealed under the highest epoch whose rotation counts (see
    /// [`crate::journal::rotations`]) and whose key this device holds: a key learned
    /// from a rotation that does not count opens what was sealed under it, and is
    /// never written under.
    pub(crate) fn refresh_write_epoch(&mut self) {
        let counting = self.journal.counting_epochs();
        let epoch = self
            .secrets
            .keyring
            .epochs()
            .filter(|e| counting.contains(e))
            .max();
        self.secrets.keyring.set_write_epoch(epoch);
    }

    /// For a journal older than derived account ids: whether a `RecoveryKeySet`
    /// at `idx` of `author`'s log is the founding device's. The founding device is
    /// the first trust anchor of every device (each device hands its anchors on in
    /// order, and the founding device's own first anchor is itself), at the start
    /// of its log.
    pub(crate) fn is_legacy_founder(&self, author: &DeviceId, idx: u64) -> bool {
        idx <= 2
            && self
                .secrets
                .trust_anchors
                .first()
                .is_some_and(|a| &a.device_id == author)
    }

    /// Whether `device` was set up with the recovery kit: it added itself with the
    /// kit's certificate and is not the journal's founding device (which the kit
    /// certifies at creation). Someone who holds the kit could make a device look
    /// like a founder; renewing the kit is the answer to a kit in other hands.
    pub fn set_up_with_kit(&self, device: &crate::journal::DeviceView) -> bool {
        device.recovery_certified && !self.founders().contains(&device.device_id)
    }

    pub(crate) fn founders(&self) -> Vec<DeviceId> {
        self.journal
            .recovery(|author, idx| self.is_legacy_founder(author, idx))
            .founders
    }

    /// The journal's recovery key (see [`crate::journal::recovery`]): for an
    /// account from before derived ids, a `RecoveryKeySet` counts only at the start
    /// of a trust anchor's log (the founding device, which every paired device got
    /// as an anchor).
    pub fn recovery_state(&self) -> crate::journal::RecoveryState {
        self.journal
            .recovery(|author, idx| self.is_legacy_founder(author, idx))
            .state
    }

    /// Every operation a trust rule refused ([`Journal::rejections`], and the
    /// recovery-key operations that do not count), in the journal's order.
    pub fn rejections(&self) -> Vec<crate::journal::Rejection> {
        let mut out = self.journal.rejections();
        let fold = self
            .journal
            .recovery(|author, idx| self.is_legacy_founder(author, idx));
        out.extend(
            fold.refused
                .into_iter()
                .map(|(op, why)| crate::journal::Rejection {
                    op,
                    reason: crate::journal::RejectionReason::Recovery(why),
                }),
        );
        out
    }

    /// The journal's current recovery public key; `None` until the founding
    /// `RecoveryKeySet` is here, or while two keys contest it.
    pub fn recovery_public_key(&self) -> Option<[u8; 32]> {
        self.recovery_state().current().map(|k| k.public_key)
    }

    /// The current recovery kit's X25519 public key, if the journal carries it
    /// (journals begun before key rotation existed do not).
    pub fn recovery_dh_public_key(&self) -> Option<[u8; 32]> {
        self.recovery_state()
            .current()
            .filter(|k| k.has_dh_key())
            .map(|k| k.dh_public_key)
    }

    pub(crate) fn persist_secrets(&self) -> Result<(), DeviceError> {
        if let Some((path, unlocked)) = &self.key_file {
            write_private_atomic(path, &unlocked.seal(&self.secrets))?;
        }
        Ok(())
    }

    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    pub fn account_id(&self) -> &AccountId {
        &self.secrets.account_id
    }

    pub fn device_id(&self) -> &DeviceId {
        &self.secrets.device_id
    }

    pub fn device_name(&self) -> &str {
        &self.secrets.device_name
    }

    pub fn server_url(&self) -> &str {
        &self.secrets.server_url
    }

    pub fn ca_cert_pem(&self) -> Option<&str> {
        self.secrets.ca_cert_pem.as_deref()
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    /// The devices this device trusts without the journal's word.
    pub fn trust_anchors(&self) -> &[TrustAnchor] {
        &self.secrets.trust_anchors
    }

    /// Own records not yet acknowledged by the server.
    pub fn pending_upload(&self) -> u64 {
        let own = self.store.log(&self.secrets.device_id).len() as u64;
        own.saturating_sub(self.store.sync_state().acked_own)
    }

    /// The head of `device`'s log in the local store.
    pub(crate) fn head_of(&self, device: &DeviceId) -> Head {
        self.store
            .log(device)
            .last()
            .map(|r| Head::after(&self.secrets.account_id, r))
            .unwrap_or(Head::GENESIS)
    }

    /// Writes operations to this device's log: one sealed record each, signed at
    /// the end of each batch, durable before this returns, then folded in.
    pub fn commit(&mut self, bodies: Vec<Body>) -> Result<Vec<OpId>, DeviceError> {
        self.commit_timed(bodies.into_iter().map(|b| (b, None)).collect())
    }

    /// [`Self::commit`], with the device time of some operations given: for
    /// entries brought back from a revoked device's kept records, whose recorded
    /// time is when they were first written.
    pub(crate) fn commit_timed(
        &mut self,
        bodies: Vec<(Body, Option<i64>)>,
    ) -> Result<Vec<OpId>, DeviceError> {
        let me = self.secrets.device_id;
        let mut head = self.head_of(&me);
        let mut deps = self.store.vector();
        let mut last_hlc = self.journal.max_hlc();
        let mut ids = Vec::with_capacity(bodies.len());
        let mut pending: Vec<(OpId, Operation)> = Vec::with_capacity(bodies.len());
        let mut records: Vec<Record> = Vec::with_capacity(bodies.len());
        let count = bodies.len();
        let mut parents = parents::BatchParents::default();
        for (i, (mut body, recorded_at)) in bodies.into_iter().enumerate() {
            let subject = parents.fill(self, &mut body);
            let now = now_ms();
            let clock = hlc::next(&last_hlc, now.max(0) as u64);
            last_hlc = clock;
            let op = ops::operation(clock, deps.to_proto(), recorded_at.unwrap_or(now), body);
            let bytes = Zeroizing::new(op.encode_to_vec());
            let mut record = seal_record(
                &self.secrets.account_id,
                &me,
                &head,
                &self.secrets.keyring,
                &bytes,
            )?;
            if (i + 1) % MAX_RECORDS_PER_SIGNATURE == 0 || i + 1 == count {
                sign_record(&self.secrets.keys, &self.secrets.account_id, &mut record);
            }
            head = Head::after(&self.secrets.account_id, &record);
            parents.sealed(subject, head.hash);
            deps.set(me, head.idx);
            let id = OpId {
                device: me,
                idx: head.idx,
            };
            ids.push(id);
            pending.push((id, op));
            records.push(record);
        }
        self.store.append(&me, &records)?;
        for (id, op) in pending {
            self.apply(id, op);
        }
        self.refresh_write_epoch();
        Ok(ids)
    }

    /// Records a new entry; returns its id.
    pub fn add_entry(&mut self, fields: EntryFields) -> Result<EntryId, DeviceError> {
        let id = new_id();
        self.commit(vec![ops::create_entry(id, fields)])?;
        Ok(id)
    }

    /// Adds an amendment; the entry's earlier values stay in its history.
    pub fn amend_entry(&mut self, id: EntryId, fields: EntryFields) -> Result<(), DeviceError> {
        if self.journal.entry(&id).is_none() {
            return Err(JournalError::NotFound.into());
        }
        self.commit(vec![ops::amend_entry(id, fields)])?;
        Ok(())
    }

    pub fn delete_entry(&mut self, id: EntryId) -> Result<(), DeviceError> {
        if self.journal.entry(&id).is_none() {
            return Err(JournalError::NotFound.into());
        }
        self.commit(vec![ops::delete_entry(id)])?;
        Ok(())
    }

    pub fn restore_entry(&mut self, id: EntryId) -> Result<(), DeviceError> {
        if self.journal.entry(&id).is_none() {
            return Err(JournalError::NotFound.into());
        }
        self.commit(vec![ops::restore_entry(id)])?;
        Ok(())
    }

    /// Proves possession of the device key and keeps the session in `transport`.
    /// A refusal as revoked or deleted is judged here (see [`Self::judge_refusal`]).
    pub async fn authenticate<T: Transport>(&self, transport: &T) -> Result<(), DeviceError> {
        self.authenticate_unjudged(transport)
            .await
            .map_err(|e| self.judge_refusal(e))
    }

    async fn authenticate_unjudged<T: Transport>(&self, transport: &T) -> Result<(), DeviceError> {
        let device_id = self.secrets.device_id.to_vec();
        let challenge = transport.challenge(device_id.clone()).await?;
        let signature = self
            .secrets
            .keys
            .sign(&mycase_proto::wire::auth_message(&device_id, &challenge));
        let resp = transport
            .authenticate(mycase_proto::v1::AuthenticateRequest {
                device_id,
                challenge,
                signature: signature.to_vec(),
            })
            .await?;
        if resp.account_id != self.secrets.account_id {
            return Err(DeviceError::WrongAccount);
        }
        transport.set_session(Some(resp.session_token));
        Ok(())
    }

    /// Turns the server's word that this device is revoked, or its account deleted,
    /// into the checked fact, when the statement it carries is signed by a device
    /// this device trusts (from its own roster, not revoked before; its own key
    /// counts, for a copy of this device that retired itself). Before returning a
    /// checked refusal, what exists only on this device is sealed for the recovery
    /// kit ([`crate::format::leftovers`]), so the erasure that follows loses nothing the
    /// survivor cannot bring back. Anything else is returned unchanged.
    pub fn judge_refusal(&self, e: DeviceError) -> DeviceError {
        use crate::format::statement::{verify, StatementKind};
        let (kind, unproven) = match &e {
            DeviceError::RevocationUnproven(t) => (StatementKind::DeviceRevoked, t),
            DeviceError::DeletionUnproven(t) => (StatementKind::AccountDeleted, t),
            _ => return e,
        };
        let revocations = self.journal.revocations();
        let author_key = |author: &DeviceId| {
            if author == &self.secrets.device_id {
                return Some(self.secrets.keys.sign_public());
            }
            if revocations.contains_key(author) {
                return None;
            }
            self.trusted_key(author)
        };
        let Ok(checked) = verify(
            unproven.statement(),
            kind,
            &self.secrets.account_id,
            &self.secrets.device_id,
            author_key,
        ) else {
            return e;
        };
        if let Err(io) = self.keep_leftovers() {
            return DeviceError::Io(io);
        }
        match kind {
            StatementKind::DeviceRevoked => DeviceError::Revoked { by: checked.author },
            StatementKind::AccountDeleted => DeviceError::AccountDeleted { by: checked.author },
        }
    }

    /// Seals this device's records the server never acknowledged for the recovery
    /// kit, into the home (kept by the wipe that follows). Nothing to do for a
    /// device kept only in memory, or with nothing unsent.
    fn keep_leftovers(&self) -> Result<(), std::io::Error> {
        let Some((key_path, _)) = &self.key_file else {
            return Ok(());
        };
        let Some(home) = key_path.parent() else {
            return Ok(());
        };
        let Some(recovery_dh) = self.recovery_dh_public_key() else {
            return Ok(());
        };
        let me = self.secrets.device_id;
        let acked = self.store.sync_state().acked_own;
        let unsent: Vec<(u64, Operation)> = self
            .store
            .log(&me)
            .iter()
            .filter(|r| r.idx > acked)
            .filter_map(|r| self.secrets.open_operation(r).ok().map(|op| (r.idx, op)))
            .collect();
        if unsent.is_empty() {
            return Ok(());
        }
        let sealed =
            crate::format::leftovers::seal(&recovery_dh, &self.secrets.account_id, &me, &unsent);
        write_private_atomic(&crate::format::leftovers::path_in(home), &sealed)
    }

    /// Erases this account on the server: every device, record, attachment and
    /// share. The caller then wipes this device (`crate::device::wipe::wipe`).
    pub async fn delete_account<T: Transport>(&self, transport: &T) -> Result<(), DeviceError> {
        self.authenticate(transport).await?;
        let statement = self.sign_statement(StatementKind::AccountDeleted, None);
        transport.delete_account(statement).await?;
        Ok(())
    }

    /// This device's signed statement that `target` is revoked (what
    /// [`Transport::revoke_device`] carries to the server).
    pub fn revocation_statement(&self, target: &DeviceId) -> mycase_proto::v1::DeviceStatement {
        self.sign_statement(StatementKind::DeviceRevoked, Some(target))
    }

    /// A statement about the account signed by this device (see
    /// [`crate::format::statement`]): what makes another device erase itself.
    pub(crate) fn sign_statement(
        &self,
        kind: StatementKind,
        subject: Option<&DeviceId>,
    ) -> mycase_proto::v1::DeviceStatement {
        crate::format::statement::sign(
            &self.secrets.keys,
            kind,
            &self.secrets.account_id,
            subject,
            &self.secrets.device_id,
        )
    }

    /// Registers the account and this first device on the server, with the
    /// recovery kit's public key and the vault keys sealed under its wrap key.
    pub async fn register<T: Transport>(
        &self,
        transport: &T,
        kit: &RecoveryKit,
        invite_code: Option<String>,
    ) -> Result<(), DeviceError> {
        let s = &self.secrets;
        let recovery_public_key = kit.signing_key().verifying_key().to_bytes().to_vec();
        let recovery_blob =
            crate::format::recovery_blob::seal_v1(kit, &s.account_id, &s.keyring, &s.trust_anchors);
        let recovery_proof =
            kit.signing_key()
                .sign(&mycase_proto::wire::recovery_registration_message(
                    &s.account_id,
                    &s.device_id,
                    &s.keys.sign_public(),
                    &s.keys.dh_public(),
                ));
        let proof = s.keys.sign(&register_message(
            &s.account_id,
            &s.device_id,
            &s.keys.sign_public(),
            &s.keys.dh_public(),
            &recovery_public_key,
            &recovery_blob,
        ));
        transport
            .register(RegisterRequest {
                account_id: s.account_id.to_vec(),
                device_id: s.device_id.to_vec(),
                sign_public_key: s.keys.sign_public().to_vec(),
                dh_public_key: s.keys.dh_public().to_vec(),
                recovery_public_key,
                recovery_blob,
                invite_code: invite_code.unwrap_or_default(),
                proof: proof.to_vec(),
                recovery_proof: recovery_proof.to_bytes().to_vec(),
            })
            .await?;
        Ok(())
    }

    /// The signing key trusted for `device`: an anchor, or the journal's roster;
    /// for a contested device (two key pairs claim its id), the candidate under
    /// which its own stored log verifies, if it wrote any.
    pub(crate) fn trusted_key(&self, device: &DeviceId) -> Option<[u8; 32]> {
        self.secrets
            .trust_anchors
            .iter()
            .find(|a| &a.device_id == device)
            .map(|a| a.sign_public_key)
            .or_else(|| self.journal.device_key(device))
            .or_else(|| self.settled_by_own_log(device))
    }

    /// Of a contested device's candidate keys, the one its stored log is signed
    /// with: only the device itself can sign its log, so that settles it.
    fn settled_by_own_log(&self, device: &DeviceId) -> Option<[u8; 32]> {
        let log = self.store.log(device);
        if log.is_empty() {
            return None;
        }
        let view = self
            .journal
            .devices()
            .into_iter()
            .find(|d| &d.device_id == device)?;
        view.candidate_keys
            .iter()
            .map(|(sign, _)| *sign)
            .find(|key| {
                crate::format::record::verify_run(
                    &self.secrets.account_id,
                    device,
                    key,
                    &Head::GENESIS,
                    log,
                )
                .is_ok_and(|run| run.covered > 0)
            })
    }

    /// Buffers at most `bytes` of a pull before verifying and applying it (a
    /// phone may want less than the default 32 MiB); a longer pull goes on in
    /// further rounds of the same sync.
    pub fn limit_pull_buffer(&mut self, bytes: usize) {
        self.pull_buffer_bytes = bytes.max(1);
    }

    /// Logs the last sync round quarantined (not applied), and why.
    pub fn quarantined(&self) -> &[crate::device::sync::Quarantine] {
        &self.quarantine
    }
}
