//! Field length checks shared by every RPC: the server refuses malformed input
//! before it touches the store.

use ed25519_dalek::{Signature, VerifyingKey};
use mycase_proto::wire::{HASH_LEN, ID_LEN};

use crate::error::{ServerError, ServerResult};
use crate::store::Id;

pub const KEY_LEN: usize = 32;
pub const NONCE_LEN: usize = 24;
pub const SIGNATURE_LEN: usize = 64;
pub const MAX_CIPHERTEXT: usize = 1024 * 1024;
pub const MAX_RECORDS_PER_APPEND: usize = 10_000;
pub const MAX_SEALED_BLOB: usize = 64 * 1024;

pub fn fixed<const N: usize>(field: &'static str, bytes: &[u8]) -> ServerResult<[u8; N]> {
    bytes.try_into().map_err(|_| ServerError::BadLength {
        field,
        expected: N,
        got: bytes.len(),
    })
}

pub fn id(field: &'static str, bytes: &[u8]) -> ServerResult<Id> {
    fixed::<ID_LEN>(field, bytes)
}

pub fn hash(field: &'static str, bytes: &[u8]) -> ServerResult<[u8; HASH_LEN]> {
    fixed::<HASH_LEN>(field, bytes)
}

pub fn at_most(field: &'static str, bytes: &[u8], max: usize) -> ServerResult<()> {
    if bytes.len() > max {
        return Err(ServerError::TooLarge {
            field,
            max,
            got: bytes.len(),
        });
    }
    Ok(())
}

/// An Ed25519 public key that is a valid curve point.
pub fn verifying_key(field: &'static str, bytes: &[u8]) -> ServerResult<VerifyingKey> {
    let raw = fixed::<KEY_LEN>(field, bytes)?;
    VerifyingKey::from_bytes(&raw).map_err(|_| {
        ServerError::InvalidArgument(format!("{field} is not a valid Ed25519 public key"))
    })
}

pub fn signature(field: &'static str, bytes: &[u8]) -> ServerResult<Signature> {
    Ok(Signature::from_bytes(&fixed::<SIGNATURE_LEN>(
        field, bytes,
    )?))
}
