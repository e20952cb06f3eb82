//! The service's one error type, and the one place errors become gRPC statuses.
//!
//! Messages are written for a human but never carry an id, token, key or content.

use tonic::{Code, Status};

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("{field} must be {expected} bytes, got {got}")]
    BadLength {
        field: &'static str,
        expected: usize,
        got: usize,
    },
    #[error("{field} is too large: {got} bytes, at most {max}")]
    TooLarge {
        field: &'static str,
        max: usize,
        got: usize,
    },
    #[error("{0}")]
    InvalidArgument(String),
    #[error("{0}")]
    BadSignature(String),
    #[error("{0}")]
    Unauthenticated(&'static str),
    #[error("{0}")]
    PermissionDenied(&'static str),
    #[error("{0}")]
    AlreadyExists(&'static str),
    #[error("a different record is already stored at idx {idx}")]
    RecordConflict { idx: u64 },
    #[error("append must continue the log at idx {expected}, got {got}")]
    Gap { expected: u64, got: u64 },
    #[error("record at idx {idx} does not continue the log: its prev_hash is not the hash of the stored record before it")]
    ChainMismatch { idx: u64 },
    #[error("{0}")]
    FailedPrecondition(&'static str),
    #[error("pairing code expired or unknown")]
    PairingUnknown,
    #[error("{0}")]
    NotFound(&'static str),
    #[error("{0}")]
    ResourceExhausted(&'static str),
    #[error("the share is too large: {got} bytes, this server accepts at most {max}")]
    ShareTooLarge { max: u64, got: u64 },
    /// The reason is one of `api::shares::end_reason`'s.
    #[error("share ended: {0}")]
    ShareEnded(&'static str),
    #[error("share ended: unknown")]
    ShareUnknown,
    /// A fetch without the link's access token (or with another link's).
    #[error(
        "this link's key does not open this share: copy the whole link, including the part after #"
    )]
    ShareAccessDenied,
    /// A quota or rate limit of this server (RESOURCE_EXHAUSTED).
    #[error("{0}")]
    Limit(String),
    /// The caller's device is revoked. `statement` is the encoded
    /// `DeviceStatement` that revoked it (empty for a revocation from before
    /// statements), sent as the status details: the device acts only on that.
    #[error("{}", mycase_proto::DEVICE_REVOKED)]
    DeviceRevoked { statement: Vec<u8> },
    /// The caller's account was erased by its owner; `statement` is the owner's
    /// signed `DeviceStatement`, sent as the status details.
    #[error("{}", mycase_proto::ACCOUNT_DELETED)]
    AccountDeleted { statement: Vec<u8> },
    /// The account is gone without its owner's statement (the retention policy,
    /// or an erasure from before statements): not an order to wipe anything.
    #[error("{}", mycase_proto::ACCOUNT_NOT_ON_SERVER)]
    AccountNotOnServer,
    #[error("the server is shutting down")]
    ShuttingDown,
    #[error("storage error")]
    Store(#[source] StoreError),
    #[error("internal error")]
    Internal(&'static str),
}

impl From<StoreError> for ServerError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::AccountExists => {
                ServerError::AlreadyExists("account id already registered")
            }
            StoreError::DeviceExists => ServerError::AlreadyExists("device id already registered"),
            StoreError::UnknownAccount => ServerError::Unauthenticated("account no longer exists"),
            StoreError::UnknownDevice => ServerError::NotFound("no such device in this account"),
            StoreError::HeadMoved => {
                ServerError::FailedPrecondition("the log moved during the append; pull and retry")
            }
            StoreError::Closed => ServerError::ShuttingDown,
            StoreError::InviteInvalid => ServerError::PermissionDenied(
                "the invite code is unknown, already used or expired: ask the service for a new one",
            ),
            StoreError::ChunkConflict => {
                ServerError::AlreadyExists("a different chunk is already stored at this address")
            }
            StoreError::ShareExists => ServerError::AlreadyExists("a share with this id exists"),
            StoreError::RecoveryKeyInUse => {
                ServerError::AlreadyExists("this recovery key is already in use on this server")
            }
            StoreError::RecoveryKeyChanged => ServerError::FailedPrecondition(
                "the old recovery key named is not this account's current recovery key",
            ),
            other => ServerError::Store(other),
        }
    }
}

impl From<ServerError> for Status {
    fn from(e: ServerError) -> Self {
        let code = match &e {
            ServerError::BadLength { .. }
            | ServerError::TooLarge { .. }
            | ServerError::InvalidArgument(_)
            | ServerError::BadSignature(_) => Code::InvalidArgument,
            ServerError::Unauthenticated(_) => Code::Unauthenticated,
            ServerError::PermissionDenied(_) => Code::PermissionDenied,
            ServerError::AlreadyExists(_) | ServerError::RecordConflict { .. } => {
                Code::AlreadyExists
            }
            ServerError::Gap { .. }
            | ServerError::ChainMismatch { .. }
            | ServerError::FailedPrecondition(_) => Code::FailedPrecondition,
            ServerError::PairingUnknown | ServerError::NotFound(_) | ServerError::ShareUnknown => {
                Code::NotFound
            }
            ServerError::ShareEnded(_) => Code::FailedPrecondition,
            ServerError::ShareAccessDenied => Code::PermissionDenied,
            ServerError::ResourceExhausted(_)
            | ServerError::ShareTooLarge { .. }
            | ServerError::Limit(_) => Code::ResourceExhausted,
            ServerError::DeviceRevoked { .. } => Code::PermissionDenied,
            ServerError::AccountDeleted { .. } | ServerError::AccountNotOnServer => Code::NotFound,
            ServerError::ShuttingDown => Code::Unavailable,
            ServerError::Store(inner) => {
                // The backend's message names no user data (sled reports I/O and
                // corruption), and the operator needs it.
                tracing::error!(error = %inner, "storage failure");
                Code::Internal
            }
            ServerError::Internal(what) => {
                tracing::error!(what, "internal failure");
                Code::Internal
            }
        };
        match e {
            // The signed statement travels with the refusal, so the device can
            // check it itself instead of trusting the status.
            ServerError::DeviceRevoked { ref statement }
            | ServerError::AccountDeleted { ref statement } => Status::with_details(
                code,
                e.to_string(),
                prost::bytes::Bytes::from(statement.clone()),
            ),
            _ => Status::new(code, e.to_string()),
        }
    }
}

impl ServerError {
    /// The refusal for a revoked device, with the statement that revoked it.
    pub fn revoked(device: &crate::store::DeviceRow) -> Self {
        ServerError::DeviceRevoked {
            statement: device.revocation.clone().unwrap_or_default(),
        }
    }

    /// The refusal for a device of an erased account: deleted by its owner (with
    /// the owner's statement), or simply not here.
    pub fn erased(erasure: crate::store::Erasure) -> Self {
        match erasure.statement {
            Some(statement) => ServerError::AccountDeleted { statement },
            None => ServerError::AccountNotOnServer,
        }
    }
}

pub type ServerResult<T> = Result<T, ServerError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revocations_and_deletions_carry_their_statement_as_details() {
        let s = Status::from(ServerError::DeviceRevoked {
            statement: b"signed".to_vec(),
        });
        assert_eq!(
            (s.code(), s.message(), s.details()),
            (
                Code::PermissionDenied,
                mycase_proto::DEVICE_REVOKED,
                &b"signed"[..]
            )
        );
        let s = Status::from(ServerError::AccountDeleted {
            statement: b"by the owner".to_vec(),
        });
        assert_eq!(
            (s.code(), s.message(), s.details()),
            (
                Code::NotFound,
                mycase_proto::ACCOUNT_DELETED,
                &b"by the owner"[..]
            )
        );
        let s = Status::from(ServerError::AccountNotOnServer);
        assert_eq!(
            (s.code(), s.message(), s.details()),
            (
                Code::NotFound,
                mycase_proto::ACCOUNT_NOT_ON_SERVER,
                &b""[..]
            )
        );
    }
}
