//! What the app tells its shells as it happens: sync state, changes that arrived
//! from other devices, new-device notices, locking and erasure. Plain values; none
//! carries entry content.

/// One thing that happened, for a shell to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppEvent {
    /// The journal was unlocked on this device.
    Unlocked,
    /// The journal was locked (keys dropped from memory).
    Locked,
    /// The sync state changed.
    Sync(SyncStatus),
    /// Changes arrived from other devices and are in the journal now.
    JournalChanged {
        /// How many records arrived.
        records: u64,
    },
    /// This device changed the journal (an entry recorded, amended, deleted...).
    LocalChange,
    /// Devices were added to the journal since this device last said so.
    NewDevices(Vec<DeviceNotice>),
    /// MyCase was removed from this device (revoked or the account deleted by a
    /// device of the journal, checked); the shell should show the words and stop.
    Erased {
        /// Why: revoked, or the account deleted.
        reason: ErasedReason,
    },
}

/// Why MyCase removed itself from this device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErasedReason {
    /// Another device of the journal revoked this one.
    Revoked,
    /// A device of the journal deleted the account.
    AccountDeleted,
}

/// Where syncing stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncStatus {
    /// The state in one word.
    pub state: SyncState,
    /// Own changes not yet acknowledged by the server.
    pub pending_upload: u64,
    /// When the last sync round finished well (this device's clock, Unix ms).
    pub last_synced_ms: Option<i64>,
    /// What went wrong last, in plain words (no content), when `state` is
    /// `Offline` or `Failed`.
    pub problem: Option<String>,
}

/// The state of syncing, in one word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncState {
    /// Not running (locked, or not started).
    Stopped,
    /// Exchanging changes now.
    Syncing,
    /// Everything is sent and received; listening for more.
    UpToDate,
    /// The server cannot be reached; changes stay on this device and go later.
    Offline,
    /// The server's answer was refused (see `problem`); retried later.
    Failed,
}

impl SyncState {
    /// A stable lower-case name (for JSON and CSS).
    pub fn as_str(self) -> &'static str {
        match self {
            SyncState::Stopped => "stopped",
            SyncState::Syncing => "syncing",
            SyncState::UpToDate => "up-to-date",
            SyncState::Offline => "offline",
            SyncState::Failed => "failed",
        }
    }
}

impl Default for SyncStatus {
    fn default() -> Self {
        SyncStatus {
            state: SyncState::Stopped,
            pending_upload: 0,
            last_synced_ms: None,
            problem: None,
        }
    }
}

/// A device added to the journal, to tell the survivor about once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceNotice {
    /// Its id, hex.
    pub device_id: String,
    /// Its name.
    pub name: String,
    /// When it was added (the adding device's clock, Unix ms).
    pub added_at_ms: i64,
    /// It was set up with the recovery kit (someone else may hold the kit).
    pub with_recovery_kit: bool,
}

impl From<&crate::journal::DeviceView> for DeviceNotice {
    fn from(d: &crate::journal::DeviceView) -> Self {
        DeviceNotice {
            device_id: hex::encode(d.device_id),
            name: d.name.clone(),
            added_at_ms: d.added_at_ms,
            with_recovery_kit: d.recovery_certified,
        }
    }
}
