//! The MyCase protocol: gRPC services and messages (`mycase.v1`).
//!
//! `sync.proto` is what crosses the wire; `journal.proto` is the plaintext that is
//! only ever seen sealed inside a record or a pairing payload.

#[allow(clippy::all, clippy::unwrap_used, clippy::expect_used, clippy::panic)]
pub mod v1 {
    tonic::include_proto!("mycase.v1");
    include!(concat!(env!("OUT_DIR"), "/server/mycase.v1.rs"));
}

pub mod codec;

/// The standard `grpc.health.v1.Health` server over tonic-health's messages,
/// answering malformed requests as every other service does (see `codec`).
#[allow(clippy::all, clippy::unwrap_used, clippy::expect_used, clippy::panic)]
pub mod health {
    include!(concat!(env!("OUT_DIR"), "/server/grpc.health.v1.rs"));
}

/// The compiled `mycase.v1` protocol (an encoded `google.protobuf.FileDescriptorSet`):
/// tests enumerate every service and method from it.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/mycase_descriptor.bin"));

/// The largest gRPC message either side accepts (decoding and encoding).
pub const MAX_MESSAGE_BYTES: usize = 4 * 1024 * 1024;

/// Record format version sealed into every record's associated data. Version 2
/// starts the ciphertext with a commitment to the record's key (see
/// `mycase_core::record`), so a disclosed key opens a record one way only.
/// Version 3 seals an entry's withholdable texts apart, behind commitments, so an
/// export can withhold a field or a passage and still prove the rest
/// (`mycase_core::withholdable`).
pub const RECORD_FORMAT_VERSION: u32 = 3;

/// The oldest record format still read, and still accepted from devices that
/// wrote records before they were upgraded.
pub const OLDEST_RECORD_FORMAT_VERSION: u32 = 1;

/// Whether `version` is a record format this version of MyCase reads.
pub fn is_known_record_format(version: u32) -> bool {
    (OLDEST_RECORD_FORMAT_VERSION..=RECORD_FORMAT_VERSION).contains(&version)
}

pub mod wire;

/// The message of the PERMISSION_DENIED status a revoked device gets on every
/// call; clients compare it exactly to tell "revoked" from other refusals.
pub const DEVICE_REVOKED: &str = "device revoked";

/// The message of the NOT_FOUND status a device of an account its owner erased
/// gets; the status details carry the signed `DeviceStatement`.
pub const ACCOUNT_DELETED: &str = "this account was deleted";

/// The message of the NOT_FOUND status a device of an account the server no longer
/// holds gets when no device asked for the erasure (the operator's retention
/// policy, or a server that lost it). Not an order to wipe anything.
pub const ACCOUNT_NOT_ON_SERVER: &str = "this account is not on this server";
