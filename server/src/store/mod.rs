//! Persistence behind traits, so the sled backend can be swapped (a distributed
//! database for replicas, memory for tests) without touching the service.
//!
//! The store holds only what the server is allowed to know: random ids, public
//! keys, hashed session tokens, log heads and opaque encoded records.
//!
//! This file holds the traits, one per concern ([`AccountStore`],
//! [`SessionStore`], [`LogStore`], [`ChunkStore`], [`ShareStore`],
//! [`OperatorStore`]; [`Store`] is all of them), and the rows they exchange.
//! Each backend has its own folder (`sled/`, `memory/`) with one file per trait;
//! the pieces a backend may share sit beside them: share rows and uploads
//! (`shares`), tombstones (`tombstone`), chunk and share files on disk
//! (`chunk_files`, `share_files`). A new backend implements the six traits and
//! runs `conformance`.

use mycase_proto::wire::{HASH_LEN, ID_LEN};

/// The suite every backend must pass (for a backend outside this crate: the
/// `conformance` feature).
#[cfg(any(test, feature = "conformance"))]
pub mod conformance;

mod chunk_files;
mod share_files;
pub mod shares;
pub mod tombstone;

pub mod memory;
pub mod sled;

pub use self::memory::MemoryStore;
pub use self::shares::{
    ShareBundle, ShareEnd, ShareOpen, ShareRow, ShareState, ShareStats, ShareUpload,
};
pub use self::sled::SledStore;
pub use self::tombstone::{erased_account_tag, erased_device_tag};

/// A random 16-byte account or device id.
pub type Id = [u8; ID_LEN];
/// A SHA-256 hash (record hashes, token hashes).
pub type Hash = [u8; HASH_LEN];

/// What the server keeps about an account: the recovery key and the sealed copy of
/// the vault keys that only the recovery kit opens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountRow {
    pub recovery_public_key: [u8; 32],
    pub recovery_blob: Vec<u8>,
    pub created_at_unix: u64,
}

/// A device's public keys and the account it belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceRow {
    pub account_id: Id,
    pub device_id: Id,
    pub sign_public_key: [u8; 32],
    pub dh_public_key: [u8; 32],
    pub registered_at_unix: u64,
    pub revoked: bool,
    /// When the device last authenticated, rounded down to the hour (0 = never).
    pub last_seen_unix: u64,
    /// When it was revoked (0 = not revoked).
    pub revoked_at_unix: u64,
    /// The encoded `DeviceStatement` a device of the account signed to revoke it,
    /// handed back to the revoked device (rows from before statements have none).
    pub revocation: Option<Vec<u8>>,
}

/// A session, stored under SHA-256 of its bearer token (never the token itself).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionRow {
    pub account_id: Id,
    pub device_id: Id,
    /// Milliseconds since the Unix epoch.
    pub expires_at_ms: u64,
}

/// The last record of a device's log: its idx and its record hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Head {
    pub idx: u64,
    pub hash: Hash,
}

/// One record to store: its idx and its encoded protobuf bytes (kept verbatim so a
/// retry can be compared byte for byte).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRecord {
    pub idx: u64,
    pub bytes: Vec<u8>,
    /// The server's signed receipt, stored with the record in the same step.
    pub receipt: StoredReceipt,
}

/// A record's receipt as stored: the server's time and its signature over
/// `wire::receipt_message`. Kept so a re-sent record gets the original back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoredReceipt {
    pub server_time_ms: u64,
    pub signature: [u8; 64],
}

impl StoredReceipt {
    pub const LEN: usize = 8 + 64;

    pub fn encode(&self) -> [u8; Self::LEN] {
        let mut out = [0u8; Self::LEN];
        out[..8].copy_from_slice(&self.server_time_ms.to_be_bytes());
        out[8..].copy_from_slice(&self.signature);
        out
    }

    pub fn decode(bytes: &[u8]) -> StoreResult<Self> {
        if bytes.len() != Self::LEN {
            return Err(StoreError::Corrupt("receipt row has the wrong length"));
        }
        let mut time = [0u8; 8];
        time.copy_from_slice(&bytes[..8]);
        let mut signature = [0u8; 64];
        signature.copy_from_slice(&bytes[8..]);
        Ok(StoredReceipt {
            server_time_ms: u64::from_be_bytes(time),
            signature,
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("account already exists")]
    AccountExists,
    #[error("device id already registered")]
    DeviceExists,
    #[error("account does not exist")]
    UnknownAccount,
    #[error("device does not exist")]
    UnknownDevice,
    /// The log's head is not what the caller checked; another append won the race.
    #[error("the log moved during the append")]
    HeadMoved,
    #[error("the store is closed")]
    Closed,
    /// Other bytes are already stored at this chunk address.
    #[error("a different chunk is already stored at this address")]
    ChunkConflict,
    #[error("a share with this id already exists")]
    ShareExists,
    /// Another account already registered this recovery key.
    #[error("this recovery key is already in use")]
    RecoveryKeyInUse,
    /// A renewal named a key that is not the account's current recovery key.
    #[error("the account's recovery key is not the one named")]
    RecoveryKeyChanged,
    /// The invite code is unknown, already used or expired.
    #[error("the invite code is unknown, used or expired")]
    InviteInvalid,
    #[error("stored data is malformed: {0}")]
    Corrupt(&'static str),
    #[error("storage backend failed: {0}")]
    Backend(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Anonymous counts for the operator (`mycase-server stats`): nothing that
/// identifies an account.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StoreStats {
    pub accounts: u64,
    /// Accounts whose devices authenticated on or after the day asked for.
    pub active_accounts: u64,
    /// Devices not revoked.
    pub devices: u64,
    /// Record and chunk bytes held for all accounts.
    pub stored_bytes: u64,
}

/// What an erasure tombstone keeps: the owner's signed statement (encoded
/// `DeviceStatement`), or none when the account went without one (the retention
/// policy, or a tombstone from before statements).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Erasure {
    pub statement: Option<Vec<u8>>,
}

/// Days since the Unix epoch: activity is kept at this granularity, no finer.
pub fn day_of(unix_seconds: u64) -> u32 {
    u32::try_from(unix_seconds / 86_400).unwrap_or(u32::MAX)
}

/// Everything the service needs from persistence: one trait per concern, and
/// `Store` for a backend that implements them all. Methods are synchronous and
/// short; the service runs the durable ones (`append`, `flush`) off the async
/// runtime with `spawn_blocking`.
pub trait Store:
    AccountStore + SessionStore + LogStore + ChunkStore + ShareStore + OperatorStore
{
}

impl<T> Store for T where
    T: AccountStore + SessionStore + LogStore + ChunkStore + ShareStore + OperatorStore
{
}

/// Accounts and their devices, recovery keys, invites, activity and usage.
pub trait AccountStore: Send + Sync + 'static {
    /// Creates an account with its first device, atomically. `AccountExists`,
    /// `DeviceExists` or `RecoveryKeyInUse` (another account's recovery key)
    /// change nothing.
    fn create_account(
        &self,
        account_id: &Id,
        account: &AccountRow,
        first_device: &DeviceRow,
    ) -> StoreResult<()>;
    /// Like `create_account`, consuming the invite in the same atomic step;
    /// `InviteInvalid` (and nothing stored or consumed) when it is unknown, used or
    /// expired at `now_unix`. Nothing links the code to the account afterwards.
    fn create_account_with_invite(
        &self,
        account_id: &Id,
        account: &AccountRow,
        first_device: &DeviceRow,
        code_hash: &Hash,
        now_unix: u64,
    ) -> StoreResult<()>;
    fn account(&self, account_id: &Id) -> StoreResult<Option<AccountRow>>;
    /// Adds a device to an existing account (`device.account_id`).
    fn add_device(&self, device: &DeviceRow) -> StoreResult<()>;
    fn device(&self, device_id: &Id) -> StoreResult<Option<DeviceRow>>;
    /// The account's devices, sorted by device id.
    fn account_devices(&self, account_id: &Id) -> StoreResult<Vec<DeviceRow>>;
    /// The account registered with this recovery public key, if any. An index
    /// kept with every write: no two accounts ever hold the same key
    /// (`create_account` refuses a key in use with `RecoveryKeyInUse`).
    fn account_by_recovery_key(
        &self,
        recovery_public_key: &[u8; 32],
    ) -> StoreResult<Option<(Id, AccountRow)>>;
    /// Notes that the device authenticated at `seen_unix` (kept only if later than
    /// what is stored). Unknown devices are ignored.
    fn touch_device(&self, device_id: &Id, seen_unix: u64) -> StoreResult<()>;
    /// Marks the device revoked at `at_unix` with the signed `statement` that
    /// revoked it, and deletes its sessions. Returns `false`, changing nothing (the
    /// first statement stays), if it was already revoked; `UnknownDevice` if it is
    /// not stored.
    fn revoke_device(&self, device_id: &Id, at_unix: u64, statement: &[u8]) -> StoreResult<bool>;
    /// Replaces the account's sealed recovery blob.
    fn set_recovery_blob(&self, account_id: &Id, blob: &[u8]) -> StoreResult<()>;
    /// Replaces the account's recovery key `old` with `new` and its blob, with the
    /// index, in one atomic step. `RecoveryKeyChanged` if `old` is not the
    /// account's key, `RecoveryKeyInUse` if any account holds `new`; either
    /// changes nothing. From then on `old` finds no account.
    fn renew_recovery_key(
        &self,
        account_id: &Id,
        old: &[u8; 32],
        new: &[u8; 32],
        blob: &[u8],
    ) -> StoreResult<()>;
    /// Stores the hash of a new single-use invite code valid until `expires_at_unix`.
    fn add_invite(&self, code_hash: &Hash, expires_at_unix: u64) -> StoreResult<()>;
    /// Deletes invites that expired before `now_unix`; returns how many.
    fn purge_invites(&self, now_unix: u64) -> StoreResult<usize>;
    /// Notes that the account was used on `day` (see `day_of`).
    fn touch_account(&self, account_id: &Id, day: u32) -> StoreResult<()>;
    /// Accounts last used before `day` (never-used ones count from creation).
    fn inactive_accounts(&self, before_day: u32) -> StoreResult<Vec<Id>>;
    /// Record and chunk bytes stored for the account (a counter kept with the
    /// writes, so quota checks cost one read).
    fn account_usage(&self, account_id: &Id) -> StoreResult<u64>;
}

/// Bearer sessions, stored under the hash of their token.
pub trait SessionStore: Send + Sync + 'static {
    fn put_session(&self, token_hash: &Hash, session: &SessionRow) -> StoreResult<()>;
    fn session(&self, token_hash: &Hash) -> StoreResult<Option<SessionRow>>;
    fn delete_session(&self, token_hash: &Hash) -> StoreResult<()>;
    /// Deletes sessions that expired at or before `now_ms`; returns how many.
    fn purge_sessions(&self, now_ms: u64) -> StoreResult<usize>;
}

/// Each device's append-only log: heads, records and their receipts.
pub trait LogStore: Send + Sync + 'static {
    /// The head of a device's log, `None` while it is empty.
    fn head(&self, account_id: &Id, device_id: &Id) -> StoreResult<Option<Head>>;
    /// Every device of the account with a non-empty log and its head idx, sorted by
    /// device id.
    fn vector(&self, account_id: &Id) -> StoreResult<Vec<(Id, u64)>>;
    /// The encoded record at `idx`, if stored.
    fn record(&self, account_id: &Id, device_id: &Id, idx: u64) -> StoreResult<Option<Vec<u8>>>;
    /// Encoded records with `after < idx <= up_to`, in idx order, at most
    /// `max_count` of them, stopping once `max_bytes` is reached (always at least
    /// one record when there is one).
    fn records(
        &self,
        account_id: &Id,
        device_id: &Id,
        after: u64,
        up_to: u64,
        max_count: usize,
        max_bytes: usize,
    ) -> StoreResult<Vec<(u64, Vec<u8>)>>;
    /// The receipt stored with the record at `idx`; `None` if the record is not
    /// stored or was stored before receipts existed.
    fn receipt(
        &self,
        account_id: &Id,
        device_id: &Id,
        idx: u64,
    ) -> StoreResult<Option<StoredReceipt>>;
    /// Writes `records` (with their receipts) and moves the head to `new_head` in one atomic step, only if
    /// the head idx is still `expected_head` (0 = empty log); `HeadMoved` otherwise.
    fn append(
        &self,
        account_id: &Id,
        device_id: &Id,
        expected_head: u64,
        records: &[NewRecord],
        new_head: Head,
    ) -> StoreResult<()>;
}

/// Sealed attachment chunks, per account, under client-derived addresses.
pub trait ChunkStore: Send + Sync + 'static {
    /// Stores a sealed attachment chunk of the account at `address`. Returns
    /// `true` when newly stored, `false` when these exact bytes were already there;
    /// other bytes at the address fail with `ChunkConflict` and change nothing.
    /// Not durable until `flush`.
    fn put_chunk(&self, account_id: &Id, address: &Hash, sealed: &[u8]) -> StoreResult<bool>;
    /// Whether the account holds a chunk at `address`.
    fn has_chunk(&self, account_id: &Id, address: &Hash) -> StoreResult<bool>;
    /// The sealed chunk of the account at `address`, if stored.
    fn chunk(&self, account_id: &Id, address: &Hash) -> StoreResult<Option<Vec<u8>>>;
}

/// Share links: their rows and their ciphertext, streamed in and out.
pub trait ShareStore: Send + Sync + 'static {
    /// A place to receive a share's ciphertext as it arrives (on disk for a
    /// backend with files), so no bundle is ever held whole in memory.
    fn begin_share(&self) -> StoreResult<ShareUpload>;
    /// Stores a new share: its received ciphertext first (durably), then its row.
    /// Fails with `ShareExists` for a used id, leaving the existing share as it was.
    fn put_share(&self, share_id: &Id, row: &ShareRow, bundle: ShareUpload) -> StoreResult<()>;
    /// A share's row, ended or not.
    fn share(&self, share_id: &Id) -> StoreResult<Option<ShareRow>>;
    /// The account's shares, sorted by share id.
    fn account_shares(&self, account_id: &Id) -> StoreResult<Vec<(Id, ShareRow)>>;
    /// Counts one view of an active share at `now_unix` and returns a reader of its
    /// ciphertext (which keeps reading after the view that reaches the limit
    /// deletes it). An ended share is
    /// marked ended (its ciphertext deleted) and its reason returned.
    fn open_share(&self, share_id: &Id, now_unix: u64) -> StoreResult<ShareOpen>;
    /// Ends a share of `account_id` at once (revocation) and deletes its
    /// ciphertext. `false` if the account holds no share with this id.
    fn revoke_share(&self, account_id: &Id, share_id: &Id) -> StoreResult<bool>;
    /// Marks shares expired at `now_unix` as ended and deletes the ciphertext of
    /// every ended share (and any ciphertext without a share, left by a crash).
    /// Returns how many ciphertexts were deleted.
    fn purge_shares(&self, now_unix: u64) -> StoreResult<usize>;
    /// Deletes every share of the account, rows and ciphertext (account erasure).
    /// Returns how many.
    fn delete_account_shares(&self, account_id: &Id) -> StoreResult<usize>;
    /// Content-free counters for the operator: shares ever created and opened.
    fn share_stats(&self) -> StoreResult<ShareStats>;
}

/// What the operator and the retention policy need: counts, erasure and its
/// tombstones, backup, durability and closing.
pub trait OperatorStore: Send + Sync + 'static {
    /// Counts for the operator; "active" means used on or after `active_since_day`.
    fn stats(&self, active_since_day: u32) -> StoreResult<StoreStats>;
    /// Erases everything of the account in one step: devices, sessions, log
    /// records, heads, chunks, the recovery row and its index entry, counters.
    /// Leaves only the content-free tags of `erased_account_tag` /
    /// `erased_device_tag`, each keeping `statement` (the owner's signed
    /// `DeviceStatement`, or none for the retention policy) sealed under the
    /// erased id (`tombstone::seal`).
    /// (Stores that hold more per account, such as shares, erase it here too.)
    fn erase_account(&self, account_id: &Id, statement: Option<&[u8]>) -> StoreResult<()>;
    /// Makes the bytes of accounts erased since the last call leave the disk, if
    /// the backend keeps removed data in its files (sled rewrites the database:
    /// it blocks every other call while it runs, so the server calls this on a
    /// timer, not per erasure). `close` does it too when erasures are pending.
    fn reclaim_erased(&self) -> StoreResult<()> {
        Ok(())
    }
    /// The raw value of the tombstone with this tag (see `tombstone`), if an
    /// account or device with it was erased.
    fn tombstone(&self, tag: &Hash) -> StoreResult<Option<Vec<u8>>>;
    /// Whether an account or device with this tag was erased.
    fn is_erased(&self, tag: &Hash) -> StoreResult<bool> {
        Ok(self.tombstone(tag)?.is_some())
    }
    /// The erasure of the account this device belonged to, with the statement
    /// its tombstone keeps (opened with the device's id).
    fn erased_device(&self, device_id: &Id) -> StoreResult<Option<Erasure>> {
        let tag = erased_device_tag(device_id);
        self.tombstone(&tag)?
            .map(|v| {
                Ok(Erasure {
                    statement: tombstone::open(device_id, &tag, &v)?,
                })
            })
            .transpose()
    }
    /// The erasure of this account, with the statement its tombstone keeps.
    fn erased_account(&self, account_id: &Id) -> StoreResult<Option<Erasure>> {
        let tag = erased_account_tag(account_id);
        self.tombstone(&tag)?
            .map(|v| {
                Ok(Erasure {
                    statement: tombstone::open(account_id, &tag, &v)?,
                })
            })
            .transpose()
    }
    /// Writes everything but sessions in the backup format (`crate::operator::backup`).
    /// The caller pauses writes for a consistent snapshot.
    fn write_backup(&self, out: &mut dyn std::io::Write) -> StoreResult<()>;
    /// Makes every completed write durable.
    fn flush(&self) -> StoreResult<()>;
    /// Flushes and releases the backend (for sled: its files and lock). Later calls
    /// fail with `Closed`.
    fn close(&self) -> StoreResult<()>;
}
