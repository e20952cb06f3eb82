//! [`GrpcTransport`]: the [`Transport`] over tonic, TLS only.
//!
//! Records are sealed before they get here, but the session token is not, and
//! traffic metadata is nobody else's business: plain `http://` is refused.

use std::sync::RwLock;
use std::time::Duration;

use futures_util::StreamExt;
use mycase_proto::v1::account_client::AccountClient;
use mycase_proto::v1::blobs_client::BlobsClient;
use mycase_proto::v1::server_info_client::ServerInfoClient;
use mycase_proto::v1::shares_client::SharesClient;
use mycase_proto::v1::sync_client::SyncClient;
use mycase_proto::v1::{
    AddDeviceRequest, AppendRequest, AppendResponse, AuthenticateRequest, AuthenticateResponse,
    AwaitJoinRequest, AwaitPairingRequest, ChallengeRequest, CompletePairingRequest, DeviceRecord,
    GetVectorRequest, ListDevicesRequest, OpenPairingRequest, PullRequest, Record, RecoverRequest,
    RecoverResponse, RecoveryChallengeRequest, RegisterRequest, SubmitJoinRequest, VersionVector,
    WatchRequest,
};
use mycase_proto::v1::{DeviceStatement, RenewRecoveryKeyRequest};
use mycase_proto::v1::{GetChunksRequest, GetServerKeyRequest, HaveChunksRequest};
use mycase_proto::v1::{RevokeDeviceRequest, UpdateRecoveryBlobRequest};
use tonic::metadata::MetadataValue;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};
use tonic::Request;
use zeroize::Zeroizing;

use crate::transport::{
    ChunkStream, ChunkUpload, PullStream, Refusal, Transport, TransportError, TransportResult,
    WatchStream,
};

mod shares;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
// Pings keep a long `watch` honest: a dead connection surfaces as an error
// instead of a silent stall.
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(30);
const KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(20);

/// A connection to a MyCase server. Cheap to share by reference; calls may run
/// concurrently.
pub struct GrpcTransport {
    account: AccountClient<Channel>,
    sync: SyncClient<Channel>,
    blobs: BlobsClient<Channel>,
    shares: SharesClient<Channel>,
    server_info: ServerInfoClient<Channel>,
    session: RwLock<Option<Zeroizing<Vec<u8>>>>,
}

impl std::fmt::Debug for GrpcTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the token itself.
        f.debug_struct("GrpcTransport")
            .field("has_session", &self.has_session())
            .finish_non_exhaustive()
    }
}

impl GrpcTransport {
    /// Connects to `url` (`https://` only). With `ca_cert_pem`, trusts exactly
    /// that certificate authority (a charity's self-signed server); without, the
    /// system's roots.
    pub async fn connect(
        url: &str,
        ca_cert_pem: Option<&str>,
    ) -> Result<GrpcTransport, TransportError> {
        // rustls wants one process-wide crypto provider; tonic falls back to ring
        // when none is installed, installing it makes every user agree.
        let _ = rustls::crypto::ring::default_provider().install_default();

        let endpoint = Endpoint::from_shared(url.to_string())
            .map_err(|_| TransportError::Connect("the server address is not a valid URL".into()))?;
        match endpoint.uri().scheme_str() {
            Some("https") => {}
            Some("http") => {
                return Err(TransportError::Connect(
                    "refusing an unencrypted http:// server address: MyCase only talks to a server over https://"
                        .into(),
                ))
            }
            _ => return Err(TransportError::Connect("the server address must start with https://".into())),
        }
        if endpoint.uri().host().is_none() {
            return Err(TransportError::Connect(
                "the server address has no host".into(),
            ));
        }

        let tls = match ca_cert_pem {
            Some(pem) => {
                check_pem(pem)?;
                ClientTlsConfig::new().ca_certificate(Certificate::from_pem(pem))
            }
            None => ClientTlsConfig::new().with_native_roots(),
        }
        .timeout(CONNECT_TIMEOUT);

        let channel = endpoint
            .tls_config(tls)
            .map_err(|e| TransportError::Connect(describe(&e)))?
            .connect_timeout(CONNECT_TIMEOUT)
            .http2_keep_alive_interval(KEEPALIVE_INTERVAL)
            .keep_alive_timeout(KEEPALIVE_TIMEOUT)
            .keep_alive_while_idle(true)
            .connect()
            .await
            .map_err(|e| TransportError::Connect(describe(&e)))?;

        let max = mycase_proto::MAX_MESSAGE_BYTES;
        Ok(GrpcTransport {
            account: AccountClient::new(channel.clone())
                .max_decoding_message_size(max)
                .max_encoding_message_size(max),
            sync: SyncClient::new(channel.clone())
                .max_decoding_message_size(max)
                .max_encoding_message_size(max),
            blobs: BlobsClient::new(channel.clone())
                .max_decoding_message_size(max)
                .max_encoding_message_size(max),
            shares: SharesClient::new(channel.clone())
                .max_decoding_message_size(max)
                .max_encoding_message_size(max),
            server_info: ServerInfoClient::new(channel),
            session: RwLock::new(None),
        })
    }

    /// Whether a session token is set.
    pub fn has_session(&self) -> bool {
        self.session
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
    }

    /// Wraps a message, adding the bearer token when a session is set.
    pub(super) fn request<T>(&self, msg: T) -> Request<T> {
        let mut req = Request::new(msg);
        let guard = self.session.read().unwrap_or_else(|p| p.into_inner());
        if let Some(token) = guard.as_ref() {
            let header = Zeroizing::new(format!("Bearer {}", hex::encode(token.as_slice())));
            // Hex is always a valid header value; `sensitive` keeps it out of
            // HPACK's table and out of Debug output.
            if let Ok(mut value) = MetadataValue::try_from(header.as_str()) {
                value.set_sensitive(true);
                req.metadata_mut().insert("authorization", value);
            }
        }
        req
    }
}

impl Transport for GrpcTransport {
    fn set_session(&self, token: Option<Vec<u8>>) {
        let mut guard = self.session.write().unwrap_or_else(|p| p.into_inner());
        *guard = token.map(Zeroizing::new);
    }

    async fn register(&self, req: RegisterRequest) -> TransportResult<()> {
        let req = self.request(req);
        self.account.clone().register(req).await?;
        Ok(())
    }

    async fn challenge(&self, device_id: Vec<u8>) -> TransportResult<Vec<u8>> {
        let req = self.request(ChallengeRequest { device_id });
        Ok(self
            .account
            .clone()
            .challenge(req)
            .await?
            .into_inner()
            .challenge)
    }

    async fn authenticate(
        &self,
        req: AuthenticateRequest,
    ) -> TransportResult<AuthenticateResponse> {
        let req = self.request(req);
        Ok(self.account.clone().authenticate(req).await?.into_inner())
    }

    async fn recovery_challenge(&self, recovery_public_key: Vec<u8>) -> TransportResult<Vec<u8>> {
        let req = self.request(RecoveryChallengeRequest {
            recovery_public_key,
        });
        Ok(self
            .account
            .clone()
            .recovery_challenge(req)
            .await?
            .into_inner()
            .challenge)
    }

    async fn recover(&self, req: RecoverRequest) -> TransportResult<RecoverResponse> {
        let req = self.request(req);
        Ok(self.account.clone().recover(req).await?.into_inner())
    }

    async fn delete_account(&self, statement: DeviceStatement) -> TransportResult<()> {
        let req = self.request(mycase_proto::v1::DeleteAccountRequest {
            statement: Some(statement),
        });
        self.account.clone().delete_account(req).await?;
        Ok(())
    }

    async fn list_devices(&self) -> TransportResult<Vec<DeviceRecord>> {
        let req = self.request(ListDevicesRequest {});
        Ok(self
            .account
            .clone()
            .list_devices(req)
            .await?
            .into_inner()
            .devices)
    }

    async fn add_device(
        &self,
        device_id: Vec<u8>,
        sign_public_key: Vec<u8>,
        dh_public_key: Vec<u8>,
    ) -> TransportResult<()> {
        let req = self.request(AddDeviceRequest {
            device_id,
            sign_public_key,
            dh_public_key,
        });
        self.account.clone().add_device(req).await?;
        Ok(())
    }

    async fn revoke_device(
        &self,
        device_id: Vec<u8>,
        statement: DeviceStatement,
    ) -> TransportResult<()> {
        let req = self.request(RevokeDeviceRequest {
            device_id,
            statement: Some(statement),
        });
        self.account.clone().revoke_device(req).await?;
        Ok(())
    }

    async fn renew_recovery_key(&self, req: RenewRecoveryKeyRequest) -> TransportResult<()> {
        let req = self.request(req);
        self.account.clone().renew_recovery_key(req).await?;
        Ok(())
    }

    async fn update_recovery_blob(&self, recovery_blob: Vec<u8>) -> TransportResult<()> {
        let req = self.request(UpdateRecoveryBlobRequest { recovery_blob });
        self.account.clone().update_recovery_blob(req).await?;
        Ok(())
    }

    async fn open_pairing(&self, pairing_id: Vec<u8>, ttl_seconds: u32) -> TransportResult<u64> {
        let req = self.request(OpenPairingRequest {
            pairing_id,
            ttl_seconds,
        });
        Ok(self
            .account
            .clone()
            .open_pairing(req)
            .await?
            .into_inner()
            .expires_at_unix)
    }

    async fn submit_join(&self, pairing_id: Vec<u8>, sealed_join: Vec<u8>) -> TransportResult<()> {
        let req = self.request(SubmitJoinRequest {
            pairing_id,
            sealed_join,
        });
        self.account.clone().submit_join(req).await?;
        Ok(())
    }

    async fn await_join(&self, pairing_id: Vec<u8>) -> TransportResult<Vec<u8>> {
        let req = self.request(AwaitJoinRequest { pairing_id });
        Ok(self
            .account
            .clone()
            .await_join(req)
            .await?
            .into_inner()
            .sealed_join)
    }

    async fn complete_pairing(
        &self,
        pairing_id: Vec<u8>,
        sealed_grant: Vec<u8>,
    ) -> TransportResult<()> {
        let req = self.request(CompletePairingRequest {
            pairing_id,
            sealed_grant,
        });
        self.account.clone().complete_pairing(req).await?;
        Ok(())
    }

    async fn await_pairing(&self, pairing_id: Vec<u8>) -> TransportResult<Vec<u8>> {
        let req = self.request(AwaitPairingRequest { pairing_id });
        Ok(self
            .account
            .clone()
            .await_pairing(req)
            .await?
            .into_inner()
            .sealed_grant)
    }

    async fn get_server_key(&self) -> TransportResult<Vec<u8>> {
        let req = Request::new(GetServerKeyRequest {});
        Ok(self
            .server_info
            .clone()
            .get_server_key(req)
            .await?
            .into_inner()
            .public_key)
    }

    async fn append(&self, records: Vec<Record>) -> TransportResult<AppendResponse> {
        let req = self.request(AppendRequest { records });
        Ok(self.sync.clone().append(req).await?.into_inner())
    }

    async fn get_vector(&self) -> TransportResult<VersionVector> {
        let req = self.request(GetVectorRequest {});
        Ok(self
            .sync
            .clone()
            .get_vector(req)
            .await?
            .into_inner()
            .vector
            .unwrap_or_default())
    }

    async fn pull(&self, since: VersionVector, page_size: u32) -> TransportResult<PullStream> {
        let req = self.request(PullRequest {
            since: Some(since),
            page_size,
        });
        let stream = self.sync.clone().pull(req).await?.into_inner();
        Ok(stream
            .map(|item| item.map_err(TransportError::from))
            .boxed())
    }

    async fn have_chunks(&self, addresses: Vec<Vec<u8>>) -> TransportResult<Vec<bool>> {
        self.have_chunks_call(addresses).await
    }

    fn put_chunks(
        &self,
        chunks: ChunkUpload,
    ) -> impl std::future::Future<Output = TransportResult<u64>> + Send {
        let req = self.request(chunks);
        let mut client = self.blobs.clone();
        async move { Ok(client.put_chunks(req).await?.into_inner().stored) }
    }

    async fn get_chunks(&self, addresses: Vec<Vec<u8>>) -> TransportResult<ChunkStream> {
        self.get_chunks_call(addresses).await
    }

    async fn watch(&self) -> TransportResult<WatchStream> {
        let req = self.request(WatchRequest {});
        let stream = self.sync.clone().watch(req).await?.into_inner();
        Ok(stream
            .map(|item| {
                item.map(|w| w.vector.unwrap_or_default())
                    .map_err(TransportError::from)
            })
            .boxed())
    }
}

impl GrpcTransport {
    // Kept apart from the trait impl above so the Blobs calls read as one unit.
    async fn have_chunks_call(&self, addresses: Vec<Vec<u8>>) -> TransportResult<Vec<bool>> {
        let req = self.request(HaveChunksRequest { addresses });
        Ok(self
            .blobs
            .clone()
            .have_chunks(req)
            .await?
            .into_inner()
            .present)
    }

    async fn get_chunks_call(&self, addresses: Vec<Vec<u8>>) -> TransportResult<ChunkStream> {
        let req = self.request(GetChunksRequest { addresses });
        let stream = self.blobs.clone().get_chunks(req).await?.into_inner();
        Ok(stream
            .map(|item| item.map_err(TransportError::from))
            .boxed())
    }
}

impl From<tonic::Status> for TransportError {
    /// The one place gRPC status codes (and the words the server pairs with them,
    /// `mycase_proto::DEVICE_REVOKED` and the like) become MyCase's kinds.
    fn from(s: tonic::Status) -> Self {
        use tonic::Code;
        let message = s.message();
        let refusal = match s.code() {
            Code::PermissionDenied if message == mycase_proto::DEVICE_REVOKED => Refusal::Revoked {
                statement: s.details().to_vec(),
            },
            Code::NotFound if message == mycase_proto::ACCOUNT_DELETED => Refusal::AccountDeleted {
                statement: s.details().to_vec(),
            },
            Code::NotFound if message == mycase_proto::ACCOUNT_NOT_ON_SERVER => {
                Refusal::AccountNotOnServer
            }
            Code::Unauthenticated => Refusal::Unauthenticated,
            Code::NotFound => Refusal::NotFound,
            Code::AlreadyExists => Refusal::AlreadyExists,
            Code::PermissionDenied => Refusal::PermissionDenied,
            Code::FailedPrecondition => Refusal::FailedPrecondition,
            Code::ResourceExhausted => Refusal::ResourceExhausted,
            Code::InvalidArgument => Refusal::InvalidArgument,
            Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled | Code::Aborted => {
                Refusal::Unavailable
            }
            Code::Unknown | Code::Internal => Refusal::ServerBroken,
            Code::Ok | Code::OutOfRange | Code::Unimplemented | Code::DataLoss => {
                Refusal::Unexpected
            }
        };
        TransportError::Refused {
            refusal,
            message: message.to_string(),
        }
    }
}

/// Refuses a CA file without a certificate up front: tonic would silently skip
/// it and every connection would then fail as "not trusted".
fn check_pem(pem: &str) -> Result<(), TransportError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateDer;
    let mut certs = CertificateDer::pem_slice_iter(pem.as_bytes());
    match certs.next() {
        Some(Ok(_)) => Ok(()),
        _ => Err(TransportError::Connect(
            "the CA certificate is not a PEM certificate".into(),
        )),
    }
}

/// A human description of a connection failure. TLS verification failures get
/// a hint, since a charity's self-signed server is the common case.
fn describe(err: &(dyn std::error::Error + 'static)) -> String {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    let mut deepest = err.to_string();
    while let Some(e) = source {
        // tokio-rustls wraps rustls errors in io::Error, whose `source()` skips
        // the wrapped error itself, so look inside explicitly.
        let inner = e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .map(|i| i as &(dyn std::error::Error + 'static));
        for candidate in [Some(e), inner].into_iter().flatten() {
            if let Some(tls) = candidate.downcast_ref::<rustls::Error>() {
                return describe_tls(tls);
            }
            if let Some(io) = candidate.downcast_ref::<std::io::Error>() {
                match io.kind() {
                    std::io::ErrorKind::ConnectionRefused => {
                        return "connection refused: is the server running at that address?".into()
                    }
                    std::io::ErrorKind::TimedOut => {
                        return "timed out connecting to the server".into()
                    }
                    _ => {}
                }
            }
        }
        let text = e.to_string();
        if !text.is_empty() {
            deepest = text;
        }
        source = inner.or_else(|| e.source());
    }
    if deepest.contains("invalid peer certificate") {
        return crate::transport::UNTRUSTED_CERTIFICATE.into();
    }
    if deepest.contains("timed out") || deepest.contains("elapsed") {
        return "timed out connecting to the server".into();
    }
    deepest
}

fn describe_tls(err: &rustls::Error) -> String {
    match err {
        rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForName)
        | rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForNameContext {
            ..
        }) => "the server's certificate is for a different address".into(),
        rustls::Error::InvalidCertificate(rustls::CertificateError::Expired)
        | rustls::Error::InvalidCertificate(rustls::CertificateError::ExpiredContext { .. }) => {
            "the server's certificate has expired".into()
        }
        rustls::Error::InvalidCertificate(_) => crate::transport::UNTRUSTED_CERTIFICATE.into(),
        other => format!("TLS handshake failed: {other}"),
    }
}
