//! MyCase client core: keys, crypto, log records, merge, local store, sync engine
//! and the journal model. No printing and no terminal: the CLI (and later phone
//! apps) are thin shells over this crate.

pub mod crypto;
pub mod ids;
pub mod journal;
pub mod keyfile;
pub mod keys;
pub mod record;
pub mod store;
pub mod transport;
pub mod vector;
pub mod device;
pub mod enrol;
pub mod pairing;
pub mod sync;

pub use device::{Device, DeviceError, DeviceSetup};
