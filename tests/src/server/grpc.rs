//! Raw gRPC clients: a minimal device that speaks the wire protocol directly
//! (registration, login, signed records, statements), for tests of what the
//! server accepts and refuses from any client, modified or not.

use std::time::Duration;

use ed25519_dalek::{Signer, SigningKey};
use mycase_proto::v1::account_client::AccountClient;
use mycase_proto::v1::sync_client::SyncClient;
use mycase_proto::v1::*;
use mycase_proto::wire::{self, GENESIS_HASH, HASH_LEN, ID_LEN};
use mycase_proto::MAX_MESSAGE_BYTES;
use mycase_server::{RunningServer, ServerConfig};
use rand::rngs::OsRng;
use rand::RngCore;
use tempfile::TempDir;
use tonic::transport::{Certificate, Channel, ClientTlsConfig};
use tonic::{Code, Request, Status};

/// A running server and the temporary directory it keeps its data in.
pub struct RawServer {
    pub server: RunningServer,
    pub dir: TempDir,
}

/// A server config over `dir` listening on `127.0.0.1:0`.
pub fn config(dir: &TempDir) -> ServerConfig {
    super::config(dir.path())
}

pub async fn start() -> RawServer {
    start_with(|_| {}).await
}

pub async fn start_with(tweak: impl FnOnce(&mut ServerConfig)) -> RawServer {
    let dir = tempfile::tempdir().unwrap();
    let server = super::start_server(dir.path(), tweak).await;
    RawServer { server, dir }
}

pub async fn channel(server: &RunningServer) -> Channel {
    let tls = ClientTlsConfig::new().ca_certificate(Certificate::from_pem(server.ca_cert_pem()));
    Channel::from_shared(server.url())
        .unwrap()
        .tls_config(tls)
        .unwrap()
        .connect()
        .await
        .unwrap()
}

pub fn random<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    OsRng.fill_bytes(&mut b);
    b
}

/// One device of one account, with its own session.
pub struct Device {
    pub account_id: [u8; ID_LEN],
    pub device_id: [u8; ID_LEN],
    pub key: SigningKey,
    pub token: Vec<u8>,
    pub account: AccountClient<Channel>,
    pub sync: SyncClient<Channel>,
}

pub fn register_request(account_id: &[u8], device_id: &[u8], key: &SigningKey) -> RegisterRequest {
    let recovery = SigningKey::generate(&mut OsRng);
    let dh: [u8; 32] = random();
    let blob = b"sealed recovery blob".to_vec();
    let msg = wire::register_message(
        account_id,
        device_id,
        key.verifying_key().as_bytes(),
        &dh,
        recovery.verifying_key().as_bytes(),
        &blob,
    );
    RegisterRequest {
        account_id: account_id.to_vec(),
        device_id: device_id.to_vec(),
        sign_public_key: key.verifying_key().to_bytes().to_vec(),
        dh_public_key: dh.to_vec(),
        recovery_public_key: recovery.verifying_key().to_bytes().to_vec(),
        recovery_blob: blob,
        invite_code: String::new(),
        proof: key.sign(&msg).to_bytes().to_vec(),
        recovery_proof: recovery
            .sign(&wire::recovery_registration_message(
                account_id,
                device_id,
                key.verifying_key().as_bytes(),
                &dh,
            ))
            .to_bytes()
            .to_vec(),
    }
}

impl Device {
    fn clients(channel: Channel) -> (AccountClient<Channel>, SyncClient<Channel>) {
        (
            AccountClient::new(channel.clone())
                .max_decoding_message_size(MAX_MESSAGE_BYTES)
                .max_encoding_message_size(usize::MAX),
            SyncClient::new(channel)
                .max_decoding_message_size(MAX_MESSAGE_BYTES)
                .max_encoding_message_size(usize::MAX),
        )
    }

    /// Registers a new account with this as its first device, and logs in.
    pub async fn register(server: &RunningServer) -> Device {
        let mut d = Self::register_without_login(server).await;
        d.login().await.unwrap();
        d
    }

    pub async fn register_without_login(server: &RunningServer) -> Device {
        let (mut account, sync) = Self::clients(channel(server).await);
        let (account_id, device_id) = (random(), random());
        let key = SigningKey::generate(&mut OsRng);
        account
            .register(register_request(&account_id, &device_id, &key))
            .await
            .unwrap();
        Device {
            account_id,
            device_id,
            key,
            token: Vec::new(),
            account,
            sync,
        }
    }

    /// Adds a second device to `self`'s account and logs it in.
    pub async fn add_device(&mut self, server: &RunningServer) -> Device {
        let (account, sync) = Self::clients(channel(server).await);
        let device_id = random();
        let key = SigningKey::generate(&mut OsRng);
        let req = self.authed(AddDeviceRequest {
            device_id: device_id.to_vec(),
            sign_public_key: key.verifying_key().to_bytes().to_vec(),
            dh_public_key: random::<32>().to_vec(),
        });
        self.account.add_device(req).await.unwrap();
        let mut d = Device {
            account_id: self.account_id,
            device_id,
            key,
            token: Vec::new(),
            account,
            sync,
        };
        d.login().await.unwrap();
        d
    }

    pub async fn login(&mut self) -> Result<AuthenticateResponse, Status> {
        let challenge = self
            .account
            .challenge(ChallengeRequest {
                device_id: self.device_id.to_vec(),
            })
            .await?
            .into_inner()
            .challenge;
        let sig = self
            .key
            .sign(&wire::auth_message(&self.device_id, &challenge));
        let resp = self
            .account
            .authenticate(AuthenticateRequest {
                device_id: self.device_id.to_vec(),
                challenge,
                signature: sig.to_bytes().to_vec(),
            })
            .await?
            .into_inner();
        self.token = resp.session_token.clone();
        Ok(resp)
    }

    /// A `DeviceStatement` of `kind` about `subject`, signed by this device.
    pub fn statement(&self, kind: device_statement::Kind, subject: &[u8]) -> DeviceStatement {
        sign_statement(&self.key, kind, &self.account_id, subject, &self.device_id)
    }

    /// DeleteAccount with this device's signed statement.
    pub fn delete_request(&self) -> Request<DeleteAccountRequest> {
        self.authed(DeleteAccountRequest {
            statement: Some(self.statement(device_statement::Kind::AccountDeleted, &[])),
        })
    }

    /// RevokeDevice of `subject` with this device's signed statement.
    pub fn revoke_request(&self, subject: &[u8]) -> Request<RevokeDeviceRequest> {
        self.authed(RevokeDeviceRequest {
            device_id: subject.to_vec(),
            statement: Some(self.statement(device_statement::Kind::DeviceRevoked, subject)),
        })
    }

    pub fn authed<T>(&self, msg: T) -> Request<T> {
        with_token(msg, &self.token)
    }

    /// `n` records continuing the log after (`after_idx`, `prev`), the last signed.
    pub fn records(&self, after_idx: u64, prev: [u8; HASH_LEN], n: usize) -> Vec<Record> {
        make_records(
            &self.account_id,
            &self.device_id,
            &self.key,
            after_idx,
            prev,
            n,
            64,
        )
    }

    pub async fn append(&mut self, records: Vec<Record>) -> Result<AppendResponse, Status> {
        let req = self.authed(AppendRequest { records });
        self.sync.append(req).await.map(|r| r.into_inner())
    }

    pub async fn vector(&mut self) -> Vec<(Vec<u8>, u64)> {
        let req = self.authed(GetVectorRequest {});
        let v = self
            .sync
            .get_vector(req)
            .await
            .unwrap()
            .into_inner()
            .vector
            .unwrap_or_default();
        v.entries
            .into_iter()
            .map(|e| (e.device_id, e.idx))
            .collect()
    }

    /// Every page of a pull from `since`.
    pub async fn pull_pages(
        &mut self,
        since: Vec<(Vec<u8>, u64)>,
        page_size: u32,
    ) -> Vec<PullResponse> {
        let since = VersionVector {
            entries: since
                .into_iter()
                .map(|(device_id, idx)| VectorEntry { device_id, idx })
                .collect(),
        };
        let req = self.authed(PullRequest {
            since: Some(since),
            page_size,
        });
        let mut stream = self.sync.pull(req).await.unwrap().into_inner();
        let mut pages = Vec::new();
        while let Some(page) = stream.message().await.unwrap() {
            pages.push(page);
        }
        pages
    }

    /// Every record stored for the account.
    pub async fn pull_all(&mut self) -> Vec<Record> {
        self.pull_pages(Vec::new(), 0)
            .await
            .into_iter()
            .flat_map(|p| p.records)
            .collect()
    }
}

/// A statement signed by `key` with the fields as given (tests forge with it).
pub fn sign_statement(
    key: &SigningKey,
    kind: device_statement::Kind,
    account_id: &[u8],
    subject: &[u8],
    author: &[u8],
) -> DeviceStatement {
    let message = wire::device_statement_message(kind as u32, account_id, subject, author);
    DeviceStatement {
        kind: kind as i32,
        account_id: account_id.to_vec(),
        subject_device_id: subject.to_vec(),
        author_device_id: author.to_vec(),
        signature: key.sign(&message).to_bytes().to_vec(),
    }
}

/// The statement a refusal carries in its details, checked against `key` (the
/// author's): what a device does before it acts on one.
pub fn verified_statement(status: &Status, key: &SigningKey) -> DeviceStatement {
    use prost::Message;
    let s = DeviceStatement::decode(status.details()).expect("a statement in the details");
    let message = wire::device_statement_message(
        s.kind as u32,
        &s.account_id,
        &s.subject_device_id,
        &s.author_device_id,
    );
    let signature = ed25519_dalek::Signature::from_slice(&s.signature).unwrap();
    key.verifying_key()
        .verify_strict(&message, &signature)
        .expect("signed by the author");
    s
}

pub fn with_token<T>(msg: T, token: &[u8]) -> Request<T> {
    let mut req = Request::new(msg);
    req.metadata_mut().insert(
        "authorization",
        format!("Bearer {}", hex::encode(token)).parse().unwrap(),
    );
    req
}

pub fn make_records(
    account_id: &[u8],
    device_id: &[u8],
    key: &SigningKey,
    after_idx: u64,
    mut prev: [u8; HASH_LEN],
    n: usize,
    ciphertext_len: usize,
) -> Vec<Record> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let mut ciphertext = vec![0u8; ciphertext_len];
        OsRng.fill_bytes(&mut ciphertext);
        let mut r = Record {
            device_id: device_id.to_vec(),
            idx: after_idx + 1 + i as u64,
            prev_hash: prev.to_vec(),
            key_epoch: 1,
            format_version: 1,
            nonce: random::<24>().to_vec(),
            ciphertext,
            signature: Vec::new(),
        };
        prev = wire::record_hash(account_id, &r);
        if i + 1 == n {
            r.signature = key.sign(&prev).to_bytes().to_vec();
        }
        out.push(r);
    }
    out
}

pub fn genesis() -> [u8; HASH_LEN] {
    GENESIS_HASH
}

pub fn hash_of(account_id: &[u8], r: &Record) -> [u8; HASH_LEN] {
    wire::record_hash(account_id, r)
}

pub fn assert_code<T: std::fmt::Debug>(result: Result<T, Status>, code: Code) -> Status {
    let status = result.expect_err("the call should fail");
    assert_eq!(status.code(), code, "unexpected status: {status:?}");
    status
}

pub const LONG: Duration = Duration::from_secs(30);
