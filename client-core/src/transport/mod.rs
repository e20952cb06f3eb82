//! How the sync engine talks to a server. The tonic client implements it
//! ([`grpc::GrpcTransport`]); tests wrap it to play a hostile server.
//!
//! Messages are the protocol's own types: a transport moves bytes and adds the
//! session token, it decides nothing.

use std::future::Future;

use futures_util::stream::BoxStream;
use mycase_proto::v1::{
    AppendResponse, AuthenticateRequest, AuthenticateResponse, DeviceRecord, PullResponse, Record,
    RecoverRequest, RecoverResponse, RegisterRequest, VersionVector,
};
use mycase_proto::v1::{DeviceStatement, RenewRecoveryKeyRequest};
use mycase_proto::v1::{GetChunkResponse, PutChunkRequest};

pub mod grpc;
pub mod shares;

/// A failure talking to the server. `code` follows gRPC status codes.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TransportError {
    #[error("cannot reach the server: {0}")]
    Connect(String),
    #[error("the server refused the request ({code:?}): {message}")]
    Status {
        code: tonic::Code,
        message: String,
        /// The status details: for "device revoked" and "account deleted", the
        /// encoded `DeviceStatement` a device signed (the client checks it itself).
        details: Vec<u8>,
    },
}

impl TransportError {
    pub fn code(&self) -> Option<tonic::Code> {
        match self {
            TransportError::Status { code, .. } => Some(*code),
            TransportError::Connect(_) => None,
        }
    }

    /// The server says this device's account was erased (by `account delete` on
    /// another device, or by the operator's retention policy): the device should
    /// wipe itself.
    pub fn is_account_deleted(&self) -> bool {
        matches!(self, TransportError::Status { code: tonic::Code::NotFound, message, .. }
            if message == mycase_proto::ACCOUNT_DELETED)
    }

    /// The server says it no longer holds this account, and no device asked for
    /// that (retention policy, or a server that lost it): not an order to wipe.
    pub fn is_account_not_on_server(&self) -> bool {
        matches!(self, TransportError::Status { code: tonic::Code::NotFound, message, .. }
            if message == mycase_proto::ACCOUNT_NOT_ON_SERVER)
    }

    /// The server refused this device as revoked. Only the server's word: the
    /// statement in [`TransportError::details`] is what a device may act on.
    pub fn is_revoked(&self) -> bool {
        matches!(
            self,
            TransportError::Status { code: tonic::Code::PermissionDenied, message, .. }
                if message == mycase_proto::DEVICE_REVOKED
        )
    }

    /// The status details the server sent (empty if none).
    pub fn details(&self) -> &[u8] {
        match self {
            TransportError::Status { details, .. } => details,
            TransportError::Connect(_) => &[],
        }
    }
}

impl From<tonic::Status> for TransportError {
    fn from(s: tonic::Status) -> Self {
        TransportError::Status {
            code: s.code(),
            message: s.message().to_string(),
            details: s.details().to_vec(),
        }
    }
}

pub type TransportResult<T> = Result<T, TransportError>;
pub type PullStream = BoxStream<'static, TransportResult<PullResponse>>;
pub type WatchStream = BoxStream<'static, TransportResult<VersionVector>>;
/// Sealed chunks to upload, produced as they are read and sealed (a bounded
/// channel, so a slow network holds back the reader instead of filling memory).
pub type ChunkUpload = tokio_stream::wrappers::ReceiverStream<PutChunkRequest>;
/// Sealed chunks as the server sends them, in the order asked.
pub type ChunkStream = BoxStream<'static, TransportResult<GetChunkResponse>>;

/// The server's API as the client sees it. Calls after [`Transport::set_session`]
/// carry the session token.
pub trait Transport: Send + Sync {
    /// Sets (or clears) the bearer token sent with authenticated calls.
    fn set_session(&self, token: Option<Vec<u8>>);

    fn register(&self, req: RegisterRequest) -> impl Future<Output = TransportResult<()>> + Send;
    fn challenge(
        &self,
        device_id: Vec<u8>,
    ) -> impl Future<Output = TransportResult<Vec<u8>>> + Send;
    fn authenticate(
        &self,
        req: AuthenticateRequest,
    ) -> impl Future<Output = TransportResult<AuthenticateResponse>> + Send;
    /// A challenge for the recovery key (issued whether or not an account uses it).
    fn recovery_challenge(
        &self,
        recovery_public_key: Vec<u8>,
    ) -> impl Future<Output = TransportResult<Vec<u8>>> + Send;
    /// Registers a new device with the recovery key's signature; returns the
    /// account id and the sealed recovery blob.
    fn recover(
        &self,
        req: RecoverRequest,
    ) -> impl Future<Output = TransportResult<RecoverResponse>> + Send;
    fn list_devices(&self) -> impl Future<Output = TransportResult<Vec<DeviceRecord>>> + Send;
    /// Revokes a device of the account (authenticated), with the caller's signed
    /// statement, which the server hands to the revoked device.
    fn revoke_device(
        &self,
        device_id: Vec<u8>,
        statement: DeviceStatement,
    ) -> impl Future<Output = TransportResult<()>> + Send;
    /// Replaces the account's recovery key on the old kit's authority (authenticated).
    fn renew_recovery_key(
        &self,
        req: RenewRecoveryKeyRequest,
    ) -> impl Future<Output = TransportResult<()>> + Send;
    /// Replaces the account's sealed recovery blob (authenticated).
    fn update_recovery_blob(
        &self,
        recovery_blob: Vec<u8>,
    ) -> impl Future<Output = TransportResult<()>> + Send;
    fn add_device(
        &self,
        device_id: Vec<u8>,
        sign_public_key: Vec<u8>,
        dh_public_key: Vec<u8>,
    ) -> impl Future<Output = TransportResult<()>> + Send;

    fn open_pairing(
        &self,
        pairing_id: Vec<u8>,
        ttl_seconds: u32,
    ) -> impl Future<Output = TransportResult<u64>> + Send;
    fn submit_join(
        &self,
        pairing_id: Vec<u8>,
        sealed_join: Vec<u8>,
    ) -> impl Future<Output = TransportResult<()>> + Send;
    /// Empty while nobody has joined (after a bounded wait on the server).
    fn await_join(
        &self,
        pairing_id: Vec<u8>,
    ) -> impl Future<Output = TransportResult<Vec<u8>>> + Send;
    fn complete_pairing(
        &self,
        pairing_id: Vec<u8>,
        sealed_grant: Vec<u8>,
    ) -> impl Future<Output = TransportResult<()>> + Send;
    /// Empty while the existing device has not answered (after a bounded wait).
    fn await_pairing(
        &self,
        pairing_id: Vec<u8>,
    ) -> impl Future<Output = TransportResult<Vec<u8>>> + Send;

    fn append(
        &self,
        records: Vec<Record>,
    ) -> impl Future<Output = TransportResult<AppendResponse>> + Send;
    fn get_vector(&self) -> impl Future<Output = TransportResult<VersionVector>> + Send;
    fn pull(
        &self,
        since: VersionVector,
        page_size: u32,
    ) -> impl Future<Output = TransportResult<PullStream>> + Send;
    fn watch(&self) -> impl Future<Output = TransportResult<WatchStream>> + Send;

    /// Which of these chunk addresses (at most 4096) the account already holds.
    fn have_chunks(
        &self,
        addresses: Vec<Vec<u8>>,
    ) -> impl Future<Output = TransportResult<Vec<bool>>> + Send;
    /// Streams sealed chunks up; returns how many were newly stored.
    fn put_chunks(&self, chunks: ChunkUpload) -> impl Future<Output = TransportResult<u64>> + Send;
    /// Streams the chunks at these addresses (at most 4096) down, in order.
    fn get_chunks(
        &self,
        addresses: Vec<Vec<u8>>,
    ) -> impl Future<Output = TransportResult<ChunkStream>> + Send;

    /// Erases the caller's whole account on the server (authenticated).
    /// Transports that cannot (test wrappers) refuse.
    fn delete_account(
        &self,
        statement: DeviceStatement,
    ) -> impl Future<Output = TransportResult<()>> + Send {
        let _ = statement;
        async {
            Err(TransportError::Connect(
                "this connection cannot delete an account".into(),
            ))
        }
    }
    /// The server's receipt signing key (ServerInfo.GetServerKey, unauthenticated).
    fn get_server_key(&self) -> impl Future<Output = TransportResult<Vec<u8>>> + Send;
}
