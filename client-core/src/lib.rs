//! MyCase client core: keys, crypto, log records, merge, local store, sync engine
//! and the journal model. No printing and no terminal: the CLI (and later phone
//! apps) are thin shells over this crate.
//!
//! The layers, from the bottom:
//! - [`crypto`]: primitives from maintained crates, one labelled use each.
//! - [`format`](mod@format): pure, versioned byte formats (records, keys and the key file,
//!   pairing messages, epoch keys, recovery blobs, statements, receipts,
//!   attachment chunks, version vectors). No clock, no file, no network.
//! - [`journal`] (with [`query`] and [`patterns`]): the deterministic fold of
//!   verified operations into entries, people and devices, and what is read from it.
//! - [`share`], [`evidence`], [`export`], [`photo_metadata`]: content
//!   processing, pure.
//! - [`store`] (the [`LocalStore`](store::LocalStore) trait, file and memory) and
//!   [`transport`] (the [`Transport`](transport::Transport) trait and gRPC).
//! - [`Device`]: the flows that do I/O (set-up and unlock, pairing, recovery,
//!   revocation and key rotation, sync, attachments, shares, export, wipe), the
//!   only place a `Device` is implemented.
//!
//! The public surface is what a shell needs: `Device` and its setups, reports and
//! per-flow errors at the root; the formats, journal, store and transport as
//! modules (tests decode the formats directly).
#![warn(unreachable_pub, missing_docs)]

pub mod app;
mod clock;
pub mod crypto;
mod device;
pub mod evidence;
pub mod export;
pub mod format;
pub mod ids;
pub mod journal;
pub mod patterns;
pub mod photo_metadata;
pub mod query;
pub mod safety;
pub mod share;
pub mod store;
pub mod transport;
pub mod words;

pub use clock::now_ms;
pub use device::attachments::{AttachOutcome, AttachmentError};
pub use device::export::ExportError;
pub use device::identity::NewIdentity;
pub use device::open::{SetupError, UnlockError};
pub use device::pairing::{
    request_grant, JoinRequest, PairedDevice, PairingFlowError, PAIRING_TTL,
};
pub use device::recover::{certified_addition, founding_recovery_key, RecoverError};
pub use device::renew::RenewError;
pub use device::revoke::{RevokeError, RevokeReport};
pub use device::shares::{
    ended_message, fetch_bundle, CreatedShare, FetchError, ShareDeviceError, ShareRequest,
    DEFAULT_SHARE_EXPIRY, MAX_SHARE_BUNDLE_BYTES, MAX_SHARE_EXPIRY,
};
pub use device::sync::{Quarantine, SyncError, SyncReport};
pub use device::wipe::{wipe, wipe_keeping_leftovers, WipeError, Wiped};
pub use device::{
    is_initialised, key_file_path, Device, DeviceError, DeviceSetup, DeviceStatus, Refused,
};
pub use format::{
    attachment, epoch_keys, keyfile, keys, leftovers, pairing, receipts, record, recovery_blob,
    statement, vector,
};
