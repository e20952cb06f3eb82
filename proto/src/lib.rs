//! The MyCase protocol: gRPC services and messages (`mycase.v1`).
//!
//! `sync.proto` is what crosses the wire; `journal.proto` is the plaintext that is
//! only ever seen sealed inside a record or a pairing payload.

#[allow(clippy::all, clippy::unwrap_used, clippy::expect_used, clippy::panic)]
pub mod v1 {
    tonic::include_proto!("mycase.v1");
}

/// The largest gRPC message either side accepts (decoding and encoding).
pub const MAX_MESSAGE_BYTES: usize = 4 * 1024 * 1024;

/// Record format version sealed into every record's associated data.
pub const RECORD_FORMAT_VERSION: u32 = 1;

pub mod wire;

/// The message of the PERMISSION_DENIED status a revoked device gets on every
/// call; clients compare it exactly to tell "revoked" from other refusals.
pub const DEVICE_REVOKED: &str = "device revoked";
