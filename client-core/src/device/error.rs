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

#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    #[error("MyCase is already set up in {0}")]
    AlreadyInitialised(PathBuf),
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
    #[error("a device cannot revoke itself")]
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
