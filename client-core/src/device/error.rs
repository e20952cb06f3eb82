//! What can go wrong in a device's flows.

use std::path::PathBuf;

use crate::device::sync::SyncError;
use crate::format::keyfile::KeyFileError;
use crate::format::keys::KeyError;
use crate::format::pairing::PairingError;
use crate::format::record::{OperationError, RecordError};
use crate::ids::DeviceId;
use crate::journal::JournalError;
use crate::store::StoreError;
use crate::transport::TransportError;

/// What can go wrong in a device's flows that have no error of their own (set-up, pairing,
/// recovery, revocation, the server session); each message names what happened, never which command
/// to run.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    /// A device is already set up in that home; nothing was changed.
    #[error("MyCase is already set up in {0}")]
    AlreadyInitialised(PathBuf),
    /// The key file could not be opened or written.
    #[error(transparent)]
    KeyFile(#[from] KeyFileError),
    /// A key is malformed or missing (for example an epoch key this device lacks).
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The local store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stored record failed its check.
    #[error("a stored record failed its check")]
    Record(#[from] RecordError),
    /// The journal refused the change (for example an unknown entry).
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// A sync round refused what the server sent.
    #[error(transparent)]
    Sync(#[from] SyncError),
    /// Pairing failed.
    #[error(transparent)]
    Pairing(#[from] PairingError),
    /// Talking to the server failed (not a revocation or deletion: those have their own variants).
    #[error(transparent)]
    Transport(TransportError),
    /// A device of the journal revoked this one, and signed it (checked here).
    /// Worded for whoever holds the device, who may not be the survivor.
    #[error("MyCase on this device has been signed out of its journal")]
    Revoked {
        /// The device that signed the revocation.
        by: DeviceId,
    },
    /// The server refuses this device as revoked, but showed no statement signed
    /// by a device of the journal: only the server's word, so nothing is erased.
    #[error(
        "the server refuses this device as revoked, but showed no statement signed by one of \
         this journal's devices, so nothing on this device was erased or changed; if you did \
         not expect this, the server may be misconfigured or hostile"
    )]
    RevocationUnproven(#[source] TransportError),
    /// The journal's owner erased the account from one of its devices (checked).
    #[error("this journal was deleted from the server by one of its devices")]
    AccountDeleted {
        /// The device that signed the deletion.
        by: DeviceId,
    },
    /// The server says the account was deleted, without a statement a trusted device signed: only
    /// its word, so nothing is erased.
    #[error(
        "the server says this account was deleted, but showed no statement signed by one of \
         this journal's devices, so nothing on this device was erased or changed"
    )]
    DeletionUnproven(#[source] TransportError),
    /// The server no longer holds this account, and no device asked for that (retention, or a lost
    /// server); nothing local changes.
    #[error(
        "this server no longer holds this journal (removed after a long time unused, or \
         lost); nothing on this device was changed: it still works offline, and `mycase \
         export` takes everything out"
    )]
    AccountNotOnServer,
    /// A device asked to revoke itself (wiping is how a device leaves).
    #[error("a device cannot revoke itself")]
    CannotRevokeSelf,
    /// No device of this journal has that id.
    #[error("no device of this journal has that id")]
    UnknownDevice,
    /// The account cannot move to another key epoch (the numbering is exhausted).
    #[error(transparent)]
    Epoch(#[from] crate::format::epoch_keys::EpochError),
    /// The server answered for another account than this device's.
    #[error("the server answered for a different account: refusing it")]
    WrongAccount,
    /// The server does not accept the recovery kit.
    #[error(
        "the server does not accept this recovery kit: check it was typed correctly and that \
         this is the server the journal was set up on; nothing was set up here"
    )]
    RecoveryRefused,
    /// A stored operation does not decode.
    #[error("a stored operation could not be read")]
    BadOperation,
    /// The recovery blob was not written by a device of the journal, so it was not used.
    #[error(
        "the server's copy of the keys for the recovery kit was not written by one of your \
         devices, so it was not used: nothing was set up here"
    )]
    RecoveryBlobUntrusted,
    /// The device's files could not be read or written.
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
    /// [`crate::Device::judge_refusal`] has checked the signed statement they carry.
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
