//! Pure, versioned byte formats: what a device writes to its log, its key file,
//! the server and the recovery kit. Nothing here reads a clock, a file or the
//! network, and nothing here knows a `Device`: each format is bytes in, checked
//! values out, with a frozen vector under `client-core/tests/vectors`.

pub mod attachment;
pub mod draft;
pub mod epoch_keys;
pub mod keyfile;
pub mod keys;
pub mod leftovers;
pub mod pairing;
pub mod receipts;
pub mod record;
pub mod recovery_blob;
pub mod share_bundle;
pub mod statement;
pub mod vector;
pub mod withholdable;
