//! MyCase client core: keys, crypto, log records, merge, local store, sync engine
//! and the journal model. No printing and no terminal: the CLI (and later phone
//! apps) are thin shells over this crate.

pub mod attachment;
pub mod crypto;
pub mod device;
pub mod device_attachments;
pub mod enrol;
pub mod epoch_keys;
pub mod evidence;
pub mod export;
pub mod identity;
pub mod ids;
pub mod journal;
pub mod keyfile;
pub mod keys;
pub mod leftovers;
pub mod lockout;
pub mod pairing;
pub mod patterns;
pub mod photo_metadata;
pub mod query;
pub mod receipts;
pub mod record;
pub mod recover;
pub mod recovery_blob;
pub mod renew;
pub mod revoke;
pub mod share;
pub mod statement;
pub mod store;
pub mod sync;
pub mod transport;
pub mod vector;
pub mod wipe;

pub use device::{Device, DeviceError, DeviceSetup};
