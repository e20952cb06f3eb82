//! Persistence behind one trait, so the sled backend can be swapped (a distributed
//! database for replicas, memory for tests) without touching the service.
//!
//! The store holds only what the server is allowed to know: random ids, public
//! keys, hashed session tokens, log heads and opaque encoded records.

use mycase_proto::wire::{HASH_LEN, ID_LEN};

// Declared first: the conformance macro must be in scope for the backends' tests.
#[cfg(test)]
#[macro_use]
mod conformance;

mod chunk_files;

pub mod memory;
pub mod sled;

pub use self::memory::MemoryStore;
pub use self::sled::SledStore;

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
    /// The log's head is not what the caller checked; another append won the race.
    #[error("the log moved during the append")]
    HeadMoved,
    #[error("the store is closed")]
    Closed,
    /// Other bytes are already stored at this chunk address.
    #[error("a different chunk is already stored at this address")]
    ChunkConflict,
    #[error("stored data is malformed: {0}")]
    Corrupt(&'static str),
    #[error("storage backend failed: {0}")]
    Backend(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Everything the service needs from persistence. Methods are synchronous and
/// short; the service runs the durable ones (`append`, `flush`) off the async
/// runtime with `spawn_blocking`.
pub trait Store: Send + Sync + 'static {
    /// Creates an account with its first device, atomically.
    fn create_account(
        &self,
        account_id: &Id,
        account: &AccountRow,
        first_device: &DeviceRow,
    ) -> StoreResult<()>;
    fn account(&self, account_id: &Id) -> StoreResult<Option<AccountRow>>;
    /// Adds a device to an existing account (`device.account_id`).
    fn add_device(&self, device: &DeviceRow) -> StoreResult<()>;
    fn device(&self, device_id: &Id) -> StoreResult<Option<DeviceRow>>;
    /// The account's devices, sorted by device id.
    fn account_devices(&self, account_id: &Id) -> StoreResult<Vec<DeviceRow>>;
    /// The account registered with this recovery public key, if any. (A scan of the
    /// accounts: recovery is rare, and the key is too high in entropy to guess.)
    fn account_by_recovery_key(
        &self,
        recovery_public_key: &[u8; 32],
    ) -> StoreResult<Option<(Id, AccountRow)>>;

    fn put_session(&self, token_hash: &Hash, session: &SessionRow) -> StoreResult<()>;
    fn session(&self, token_hash: &Hash) -> StoreResult<Option<SessionRow>>;
    fn delete_session(&self, token_hash: &Hash) -> StoreResult<()>;
    /// Deletes sessions that expired at or before `now_ms`; returns how many.
    fn purge_sessions(&self, now_ms: u64) -> StoreResult<usize>;

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

    /// Stores a sealed attachment chunk of the account at `address`. Returns
    /// `true` when newly stored, `false` when these exact bytes were already there;
    /// other bytes at the address fail with `ChunkConflict` and change nothing.
    /// Not durable until `flush`.
    fn put_chunk(&self, account_id: &Id, address: &Hash, sealed: &[u8]) -> StoreResult<bool>;
    /// Whether the account holds a chunk at `address`.
    fn has_chunk(&self, account_id: &Id, address: &Hash) -> StoreResult<bool>;
    /// The sealed chunk of the account at `address`, if stored.
    fn chunk(&self, account_id: &Id, address: &Hash) -> StoreResult<Option<Vec<u8>>>;

    /// Makes every completed write durable.
    fn flush(&self) -> StoreResult<()>;
    /// Flushes and releases the backend (for sled: its files and lock). Later calls
    /// fail with `Closed`.
    fn close(&self) -> StoreResult<()>;
}
