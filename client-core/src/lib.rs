//! MyCase client core: keys, crypto, log records, merge, local store, sync engine
//! and the journal model. No printing and no terminal: the CLI (and later phone
//! apps) are thin shells over this crate.

pub mod clock;
pub mod crypto;
pub mod device;
pub mod evidence;
pub mod export;
pub mod format;
pub mod ids;
pub mod journal;
pub mod patterns;
pub mod photo_metadata;
pub mod query;
pub mod share;
pub mod store;
pub mod transport;

pub use clock::now_ms;
pub use device::{Device, DeviceError, DeviceSetup};

pub use device::attachments::AttachmentError;
pub use device::shares::{
    ended_message, fetch_bundle, CreatedShare, FetchError, ShareDeviceError, ShareRequest,
    DEFAULT_SHARE_EXPIRY, MAX_SHARE_BUNDLE_BYTES, MAX_SHARE_EXPIRY,
};
pub use device::{
    attachments as device_attachments, enrol, identity, lockout, recover, renew, revoke, sync, wipe,
};
pub use format::{
    attachment, epoch_keys, keyfile, keys, leftovers, pairing, receipts, record, recovery_blob,
    statement, vector,
};
