//! A device, unlocked: its secrets, its local store and the journal folded from
//! every verified record. Writing to the journal appends signed, sealed records to
//! this device's own log; [`Device::sync`] (in `sync`) exchanges them.

pub(crate) mod attachments;
mod commit;
mod drafts;
mod error;
pub(crate) mod export;
pub(crate) mod home;
pub(crate) mod identity;
pub(crate) mod lockout;
mod notices;
pub(crate) mod open;
pub(crate) mod pairing;
mod parents;
pub(crate) mod recover;
mod refused;
pub(crate) mod renew;
pub(crate) mod revoke;
mod roster;
mod rotate;
mod secrets;
mod session;
pub(crate) mod shares;
pub(crate) mod sync;
mod trust;
pub(crate) mod wipe;

pub use error::DeviceError;
pub use home::{is_initialised, key_file_path};
pub use refused::Refused;
pub use roster::DeviceStatus;

use std::path::PathBuf;

use crate::format::keyfile::{DeviceSecrets, TrustAnchor, UnlockedKeyFile};
use crate::ids::{AccountId, DeviceId};
use crate::journal::Journal;
use crate::store::LocalStore;

/// Records per signature: a signature vouches for the chain before it, so one per
/// batch is enough; capping the batch keeps uploads aligned with signatures.
pub(crate) const MAX_RECORDS_PER_SIGNATURE: usize = 1000;

/// What a new device needs to know about where it syncs.
#[derive(Debug, Clone)]
pub struct DeviceSetup {
    /// The server this device syncs with (`https://` only).
    pub server_url: String,
    /// The CA certificate (PEM) to trust for it, for a server with its own CA.
    pub ca_cert_pem: Option<String>,
    /// The name the journal shows for this device.
    pub device_name: String,
}

/// An unlocked device: its secrets, its local store and the journal folded from every verified
/// record. Every flow that does I/O is a method on it.
// Its fields are private to `device`: the flows (its submodules) reach them, the
// pure modules cannot.
pub struct Device<S: LocalStore> {
    secrets: DeviceSecrets,
    /// Where the key file lives and the key that reseals it; `None` for devices
    /// kept only in memory (tests and benchmarks).
    key_file: Option<(PathBuf, UnlockedKeyFile)>,
    store: S,
    journal: Journal,
    /// Logs the last sync round could not apply, and why (see [`crate::device::sync::verify`]).
    quarantine: Vec<crate::device::sync::Quarantine>,
    /// Ciphertext bytes one pull may buffer before it is verified and applied.
    pull_buffer_bytes: usize,
}

impl<S: LocalStore> std::fmt::Debug for Device<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Device")
            .field("journal", &self.journal)
            .finish_non_exhaustive()
    }
}

impl<S: LocalStore> Device<S> {
    /// The journal as folded from every verified record this device holds.
    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    /// The account (journal) this device belongs to.
    pub fn account_id(&self) -> &AccountId {
        &self.secrets.account_id
    }

    /// This device's id.
    pub fn device_id(&self) -> &DeviceId {
        &self.secrets.device_id
    }

    /// This device's name.
    pub fn device_name(&self) -> &str {
        &self.secrets.device_name
    }

    /// The server this device syncs with.
    pub fn server_url(&self) -> &str {
        &self.secrets.server_url
    }

    /// The CA certificate it trusts for that server, if any.
    pub fn ca_cert_pem(&self) -> Option<&str> {
        self.secrets.ca_cert_pem.as_deref()
    }

    /// The local store holding every log this device has.
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
}
