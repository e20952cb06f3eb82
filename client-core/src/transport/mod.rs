//! How the sync engine talks to a server. The tonic client implements it
//! ([`grpc::GrpcTransport`], which alone knows gRPC status codes); tests wrap it to play a hostile server.
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

/// The words of a [`TransportError::Connect`] when the server's certificate is not one this
/// device trusts: the server's CA certificate is needed (a shell says how to give it).
pub const UNTRUSTED_CERTIFICATE: &str =
    "certificate not trusted: this device needs the server's CA certificate";

/// A failure talking to the server, in MyCase's terms: the gRPC transport maps
/// the wire's status codes into these, and nothing else looks at the wire.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TransportError {
    /// No answer: a bad address, a refused or timed-out connection, TLS.
    #[error("cannot reach the server: {0}")]
    Connect(String),
    /// The server answered, and refused.
    #[error("the server refused the request ({refusal}): {message}")]
    Refused {
        /// What kind of refusal.
        refusal: Refusal,
        /// The server's own words (never trusted for a decision).
        message: String,
    },
}

/// Why the server refused a request. "Revoked" and "account deleted" are only
/// the server's word until a device checks the statement they carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No valid session, or a signature that does not verify.
    Unauthenticated,
    /// The thing asked for is not there (or not this account's).
    NotFound,
    /// The thing to create exists already (a pairing slot that took its request).
    AlreadyExists,
    /// Not allowed for this caller.
    PermissionDenied,
    /// Not allowed in the current state.
    FailedPrecondition,
    /// A limit was reached (size, count, rate).
    ResourceExhausted,
    /// The request is malformed.
    InvalidArgument,
    /// Unavailable for now (overloaded, timed out, cancelled): worth retrying.
    Unavailable,
    /// The server failed, or answered in a way a MyCase server never does.
    ServerBroken,
    /// An answer this client does not know what to do with (an unimplemented
    /// call on an older server, for example).
    Unexpected,
    /// This device is refused as revoked; `statement` is what the server showed
    /// for it (a signed `DeviceStatement`, or nothing).
    Revoked {
        /// The encoded statement, unchecked.
        statement: Vec<u8>,
    },
    /// The account was deleted by one of its devices, says the server;
    /// `statement` is what it showed for it.
    AccountDeleted {
        /// The encoded statement, unchecked.
        statement: Vec<u8>,
    },
    /// The server no longer holds this account, and no device asked for that
    /// (retention policy, or a server that lost it).
    AccountNotOnServer,
    /// A share link's share has ended, for the reason given.
    ShareEnded {
        /// The server's reason, in the words the viewer uses.
        reason: String,
    },
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Refusal::Unauthenticated => "Unauthenticated",
            Refusal::NotFound => "NotFound",
            Refusal::AlreadyExists => "AlreadyExists",
            Refusal::PermissionDenied => "PermissionDenied",
            Refusal::FailedPrecondition => "FailedPrecondition",
            Refusal::ResourceExhausted => "ResourceExhausted",
            Refusal::InvalidArgument => "InvalidArgument",
            Refusal::Unavailable => "Unavailable",
            Refusal::ServerBroken => "ServerBroken",
            Refusal::Unexpected => "Unexpected",
            Refusal::Revoked { .. } => "Revoked",
            Refusal::AccountDeleted { .. } => "AccountDeleted",
            Refusal::AccountNotOnServer => "AccountNotOnServer",
            Refusal::ShareEnded { .. } => "ShareEnded",
        })
    }
}

impl TransportError {
    /// The connection failed because the server's certificate is not trusted.
    pub fn is_untrusted_certificate(&self) -> bool {
        matches!(self, TransportError::Connect(m) if m.starts_with(UNTRUSTED_CERTIFICATE))
    }

    /// A refusal made here, not by the server: an answer that breaks the protocol.
    pub fn server_broken(message: impl Into<String>) -> Self {
        TransportError::Refused {
            refusal: Refusal::ServerBroken,
            message: message.into(),
        }
    }

    /// The kind of refusal, if the server answered at all.
    pub fn refusal(&self) -> Option<&Refusal> {
        match self {
            TransportError::Refused { refusal, .. } => Some(refusal),
            TransportError::Connect(_) => None,
        }
    }

    /// The server says this device's account was erased (by `account delete` on
    /// another device, or by the operator's retention policy): the device should
    /// wipe itself once the statement checks out.
    pub fn is_account_deleted(&self) -> bool {
        matches!(self.refusal(), Some(Refusal::AccountDeleted { .. }))
    }

    /// The server says it no longer holds this account, and no device asked for
    /// that: not an order to wipe.
    pub fn is_account_not_on_server(&self) -> bool {
        matches!(self.refusal(), Some(Refusal::AccountNotOnServer))
    }

    /// The server refused this device as revoked. Only the server's word: the
    /// statement ([`TransportError::statement`]) is what a device may act on.
    pub fn is_revoked(&self) -> bool {
        matches!(self.refusal(), Some(Refusal::Revoked { .. }))
    }

    /// The statement a revocation or deletion refusal carried (empty if none).
    pub fn statement(&self) -> &[u8] {
        match self.refusal() {
            Some(Refusal::Revoked { statement } | Refusal::AccountDeleted { statement }) => {
                statement
            }
            _ => &[],
        }
    }
}

/// The result of a call to the server.
pub type TransportResult<T> = Result<T, TransportError>;
/// Records pulled, page by page.
pub type PullStream = BoxStream<'static, TransportResult<PullResponse>>;
/// The server's vector each time it changes.
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

    /// Registers a new account with its first device.
    fn register(&self, req: RegisterRequest) -> impl Future<Output = TransportResult<()>> + Send;
    /// A challenge for the device key to sign.
    fn challenge(
        &self,
        device_id: Vec<u8>,
    ) -> impl Future<Output = TransportResult<Vec<u8>>> + Send;
    /// Trades a signed challenge for a session token.
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
    /// The account's devices as the server knows them (authenticated).
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
    /// Registers a paired device's keys (authenticated).
    fn add_device(
        &self,
        device_id: Vec<u8>,
        sign_public_key: Vec<u8>,
        dh_public_key: Vec<u8>,
    ) -> impl Future<Output = TransportResult<()>> + Send;

    /// Opens a pairing slot for `ttl_seconds`; returns when it expires.
    fn open_pairing(
        &self,
        pairing_id: Vec<u8>,
        ttl_seconds: u32,
    ) -> impl Future<Output = TransportResult<u64>> + Send;
    /// The new device's sealed request, into the slot.
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
    /// The existing device's sealed answer, into the slot.
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

    /// Appends own records (authenticated).
    fn append(
        &self,
        records: Vec<Record>,
    ) -> impl Future<Output = TransportResult<AppendResponse>> + Send;
    /// The server's version vector for the account (authenticated).
    fn get_vector(&self) -> impl Future<Output = TransportResult<VersionVector>> + Send;
    /// Streams every record after `since`, `page_size` per message (authenticated).
    fn pull(
        &self,
        since: VersionVector,
        page_size: u32,
    ) -> impl Future<Output = TransportResult<PullStream>> + Send;
    /// Streams the vector whenever it changes (authenticated).
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
