//! The server's refusals that end a device's use of the account: as revoked, or
//! as deleted (checked against a signed statement, or only the server's word),
//! and an account the server no longer holds.
//!
//! Every network flow's error carries one as its `#[source]` (never
//! `#[error(transparent)]`), so a shell finds a checked refusal in any command's
//! error chain and erases the device whichever command met it.

use crate::ids::DeviceId;
use crate::transport::TransportError;

/// The server refused this device's session for good, or no longer holds its account.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
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
         lost); nothing on this device was changed: it still works offline, and an export \
         takes everything out"
    )]
    AccountNotOnServer,
}

impl Refused {
    /// The server's refusal in `e`, if it is one of these (unchecked: "revoked" and
    /// "deleted" are only its word until [`crate::Device::judge_refusal`] has
    /// checked the signed statement they carry).
    pub fn from_transport(e: TransportError) -> Result<Self, TransportError> {
        if e.is_revoked() {
            Ok(Refused::RevocationUnproven(e))
        } else if e.is_account_deleted() {
            Ok(Refused::DeletionUnproven(e))
        } else if e.is_account_not_on_server() {
            Ok(Refused::AccountNotOnServer)
        } else {
            Err(e)
        }
    }

    /// A device of the journal revoked this one (its statement checked out).
    pub fn is_revoked(&self) -> bool {
        matches!(self, Refused::Revoked { .. })
    }

    /// A device of the journal deleted the account (its statement checked out):
    /// this device should erase itself, keeping what only it holds for the kit.
    pub fn is_account_deleted(&self) -> bool {
        matches!(self, Refused::AccountDeleted { .. })
    }

    /// Checked by a signed statement, so the device should erase itself; the
    /// server's bare word never is.
    pub fn is_checked(&self) -> bool {
        self.is_revoked() || self.is_account_deleted()
    }
}
