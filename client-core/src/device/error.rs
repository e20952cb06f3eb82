//! What can go wrong in a device's flows.

use crate::device::refused::Refused;
use crate::device::sync::SyncError;
use crate::format::keyfile::KeyFileError;
use crate::format::keys::KeyError;
use crate::format::record::{OperationError, RecordError};
use crate::journal::JournalError;
use crate::store::StoreError;
use crate::transport::TransportError;

/// What can go wrong in the device under any flow (its key file, keys, store,
/// journal, a sync round, the server session), and the error of the flows that
/// have none of their own (writing to the journal, syncing, the session). Flows
/// with failures of their own wrap it: [`crate::SetupError`],
/// [`crate::PairingFlowError`], [`crate::RecoverError`], [`crate::RevokeError`],
/// and the others beside them. Each message names what happened, never which
/// command to run.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
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
    /// Talking to the server failed (not a revocation or deletion: those have their own variants).
    #[error(transparent)]
    Transport(TransportError),
    /// The server refused this device as revoked or deleted (checked or only its word),
    /// or no longer holds the account. Its own words, and its own link in the chain.
    #[error("{0}")]
    Refused(#[source] Refused),
    /// The account cannot move to another key epoch (the numbering is exhausted).
    #[error(transparent)]
    Epoch(#[from] crate::format::epoch_keys::EpochError),
    /// The server answered for another account than this device's.
    #[error("the server answered for a different account: refusing it")]
    WrongAccount,
    /// A stored operation does not decode.
    #[error("a stored operation could not be read")]
    BadOperation,
    /// The device's files could not be read or written.
    #[error("I/O error on the device's files")]
    Io(#[from] std::io::Error),
}

impl DeviceError {
    /// The server's refusal this error is, if any.
    pub fn refusal(&self) -> Option<&Refused> {
        match self {
            DeviceError::Refused(r) => Some(r),
            _ => None,
        }
    }

    /// A device of the journal deleted the account (its statement checked out):
    /// this device should erase itself, keeping what only it holds for the kit.
    pub fn is_account_deleted(&self) -> bool {
        self.refusal().is_some_and(Refused::is_account_deleted)
    }

    /// A device of the journal revoked this one (its statement checked out).
    pub fn is_revoked(&self) -> bool {
        self.refusal().is_some_and(Refused::is_revoked)
    }
}

impl From<TransportError> for DeviceError {
    /// "Revoked" and "deleted" from the server are only its word until
    /// [`crate::Device::judge_refusal`] has checked the signed statement they carry.
    fn from(e: TransportError) -> Self {
        match Refused::from_transport(e) {
            Ok(refused) => DeviceError::Refused(refused),
            Err(e) => DeviceError::Transport(e),
        }
    }
}

impl From<OperationError> for DeviceError {
    fn from(e: OperationError) -> Self {
        match e {
            OperationError::Record(e) => DeviceError::Record(e),
            OperationError::Undecodable(_) => DeviceError::BadOperation,
            OperationError::Texts { .. } => DeviceError::BadOperation,
        }
    }
}
