//! Test harness: a real server and client devices.
//!
//! - [`TestServer`]: `mycase-server` on `127.0.0.1:0` over TLS in a temporary data
//!   directory, restartable on the same directory (and the same address, so open
//!   transports reconnect).
//! - [`new_account_device`], [`pair_device`]: devices in memory over real transports.
//! - [`HostileTransport`]: forwards to a real transport but can play a malicious
//!   server by altering what it relays.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use mycase_core::pairing::{MatchingCode, PairingCode};
use mycase_core::store::memory::MemoryStore;
use mycase_core::store::LocalStore;
use mycase_core::transport::grpc::GrpcTransport;
use mycase_core::transport::{PullStream, Transport, TransportResult, WatchStream};
use mycase_core::PairedDevice;
use mycase_core::{Device, DeviceSetup};
use mycase_proto::v1::{
    AppendResponse, AuthenticateRequest, AuthenticateResponse, DeviceRecord, EntryFields,
    PullResponse, Receipt, Record, RegisterRequest, VectorEntry, VersionVector,
};
use mycase_server::{RunningServer, ServerConfig};

pub mod abuser;
pub mod chromium;

pub use mycase_core;
pub use mycase_proto;
pub use mycase_server;

/// A real server on loopback TLS, in a temporary data directory.
pub struct TestServer {
    dir: tempfile::TempDir,
    running: Option<RunningServer>,
    url: String,
    ca_pem: String,
    addr: std::net::SocketAddr,
    clock: mycase_server::clock::Clock,
}

impl TestServer {
    pub async fn start() -> TestServer {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = ServerConfig::new(dir.path());
        config.listen = "127.0.0.1:0".parse().unwrap();
        // Short long-polls keep failing pairing tests quick.
        config.pairing_wait = Duration::from_secs(2);
        let clock = config.clock.clone();
        let running = mycase_server::start(config).await.expect("server starts");
        TestServer {
            clock,
            url: running.url(),
            ca_pem: running.ca_cert_pem().to_string(),
            addr: running.addr(),
            running: Some(running),
            dir,
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The server's clock for share expiry: tests move it forward rather than wait.
    pub fn clock(&self) -> &mycase_server::clock::Clock {
        &self.clock
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// The server's receipt signing key (hex), as `mycase verify --server-key` takes it.
    pub fn server_key_hex(&self) -> String {
        hex::encode(self.server_public_key())
    }

    pub fn server_public_key(&self) -> [u8; 32] {
        self.running
            .as_ref()
            .expect("server running")
            .server_public_key()
    }

    /// The sled database directory.
    pub fn db_dir(&self) -> PathBuf {
        self.dir.path().join("db")
    }

    /// Stops the server; returns after its store is closed.
    pub async fn stop(&mut self) {
        if let Some(running) = self.running.take() {
            running.shutdown().await.expect("clean shutdown");
        }
    }

    /// Starts again on the same data directory and address.
    pub async fn start_again(&mut self) {
        assert!(self.running.is_none(), "stop the server first");
        let mut config = ServerConfig::new(self.dir.path());
        config.listen = self.addr;
        config.pairing_wait = Duration::from_secs(2);
        config.clock = self.clock.clone();
        let running = mycase_server::start(config).await.expect("server restarts");
        assert_eq!(
            running.ca_cert_pem(),
            self.ca_pem,
            "the certificate survives a restart"
        );
        self.running = Some(running);
    }

    pub async fn restart(&mut self) {
        self.stop().await;
        self.start_again().await;
    }

    pub fn setup(&self, name: &str) -> DeviceSetup {
        DeviceSetup {
            server_url: self.url.clone(),
            ca_cert_pem: Some(self.ca_pem.clone()),
            device_name: name.into(),
        }
    }

    pub async fn transport(&self) -> GrpcTransport {
        GrpcTransport::connect(&self.url, Some(&self.ca_pem))
            .await
            .expect("connect")
    }
}

/// A new account's first device (in memory), registered; and its transport.
pub async fn new_account_device(server: &TestServer) -> (Device<MemoryStore>, GrpcTransport) {
    let t = server.transport().await;
    let (device, kit) =
        Device::create_in(MemoryStore::new(), server.setup("laptop")).expect("create");
    device.register(&t, &kit, None).await.expect("register");
    (device, t)
}

/// Pairs a new in-memory device to `existing` over the given transports (the new
/// device's transport is `t_new`, which it keeps).
pub async fn pair_over<S: LocalStore, TA: Transport, TB: Transport>(
    server: &TestServer,
    existing: &mut Device<S>,
    t_existing: &TA,
    t_new: &TB,
    name: &str,
) -> (
    Result<PairedDevice, mycase_core::DeviceError>,
    Result<Device<MemoryStore>, mycase_core::DeviceError>,
) {
    let code = PairingCode::generate();
    existing
        .begin_pairing(t_existing, &code)
        .await
        .expect("begin pairing");
    let (show, shown) = matching_code_channel();
    tokio::join!(
        confirm_as_survivor(existing, t_existing, &code, shown),
        Device::join_in(MemoryStore::new(), t_new, &code, server.setup(name), show),
    )
}

/// What the new device shows (its matching code), sent to the survivor's side;
/// the receiver sees the channel closed if the new device never showed one.
pub fn matching_code_channel() -> (
    impl FnOnce(&MatchingCode) + Send,
    tokio::sync::oneshot::Receiver<String>,
) {
    let (tx, rx) = tokio::sync::oneshot::channel();
    (
        move |code: &MatchingCode| {
            let _ = tx.send(code.as_digits());
        },
        rx,
    )
}

/// The existing device's half of a pairing, with the survivor typing exactly what
/// the new device showed (`shown`); refuses when it showed nothing.
pub async fn confirm_as_survivor<S: LocalStore, T: Transport>(
    existing: &mut Device<S>,
    t_existing: &T,
    code: &PairingCode,
    shown: tokio::sync::oneshot::Receiver<String>,
) -> Result<PairedDevice, mycase_core::DeviceError> {
    let deadline = Instant::now() + Duration::from_secs(30);
    let request = existing
        .await_join_request(t_existing, code, deadline)
        .await?;
    match shown.await {
        Ok(typed) => {
            existing
                .accept_join(t_existing, code, request, &typed, deadline)
                .await
        }
        Err(_) => {
            existing.refuse_join(t_existing, code, &request).await;
            Err(mycase_core::pairing::PairingError::Refused.into())
        }
    }
}

/// Pairs a new in-memory device to `existing`; returns it with its own transport.
pub async fn pair_device<S: LocalStore>(
    server: &TestServer,
    existing: &mut Device<S>,
    t_existing: &GrpcTransport,
    name: &str,
) -> (Device<MemoryStore>, GrpcTransport) {
    let t_new = server.transport().await;
    let (a, b) = pair_over(server, existing, t_existing, &t_new, name).await;
    a.expect("finish pairing");
    (b.expect("join"), t_new)
}

/// Entry fields with a title and text.
pub fn fields(title: &str, text: &str) -> EntryFields {
    EntryFields {
        title: Some(title.into()),
        text: Some(text.into()),
        ..Default::default()
    }
}

/// Text-only amendment.
pub fn text(text: &str) -> EntryFields {
    EntryFields {
        text: Some(text.into()),
        ..Default::default()
    }
}

/// How a [`HostileTransport`] misbehaves. Record positions index the pulled
/// records in the order the server sent them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Tamper {
    /// Relay faithfully.
    #[default]
    None,
    /// Flip one ciphertext byte of the `n`th pulled record.
    FlipCiphertext(usize),
    /// Flip one byte of the last pulled signature.
    FlipSignature,
    /// Give the `n`th pulled record another idx (keeps the record count).
    MoveIdx(usize),
    /// Relabel the `n`th pulled record as another (known) device's, keeping the
    /// count of each device's records (swapping it with that device's last record).
    SwapDevices,
    /// Add a copy of a pulled record labelled with a device nobody added.
    InjectUnknownDevice,
    /// Flip one byte of the `n`th pulled record's receipt signature.
    FlipReceipt(usize),
    /// Flip one byte of the first receipt an append returns.
    FlipAppendReceipt,
    /// Serve another receipt key than the server's.
    WrongServerKey,
    /// Drop the last pulled record but keep announcing it in the target.
    DropLast,
    /// Report every other device's log one shorter than it is (GetVector and Pull
    /// target), serving records only up to that: a rollback to an older state.
    Rollback,
    /// Like `Rollback` but only in the Pull target and records (GetVector honest).
    RollbackTarget,
    /// Send a vector with a malformed device id from GetVector.
    MalformedVector,
    /// Send a pulled record with a malformed device id.
    MalformedRecordDevice,
    /// Replace the sealed join the existing device receives with a flipped one.
    SwapJoin,
    /// Replace the sealed grant the new device receives with a flipped one.
    SwapGrant,
    /// Pass the first `n` chunks of an upload to the server, then cut the upload
    /// off, as a lost connection would (deterministically, unlike a timed drop).
    CutUploadAfter(usize),
    /// Add these records to every pull, announcing them in the target (a server
    /// that accepted records the real one refused).
    InjectRecords(Vec<Record>),
    /// Send pulled records without their receipts (a server hiding when it
    /// stored them).
    StripReceipts,
    /// Hide `device`'s records from `from_idx` on from this device, consistently:
    /// GetVector and the Pull target say its log ends before them (a server showing
    /// this device less than it shows others).
    HideFrom { device: Vec<u8>, from_idx: u64 },
}

/// A transport that forwards to `inner` but can alter what the server sends.
pub struct HostileTransport<T: Transport> {
    inner: T,
    tamper: Mutex<Tamper>,
    last_session: Mutex<Option<Vec<u8>>>,
    own_device: Mutex<Option<Vec<u8>>>,
}

impl<T: Transport> HostileTransport<T> {
    pub fn new(inner: T) -> Self {
        HostileTransport {
            inner,
            tamper: Mutex::new(Tamper::None),
            last_session: Mutex::new(None),
            own_device: Mutex::new(None),
        }
    }

    pub fn set(&self, tamper: Tamper) {
        *self.tamper.lock().unwrap() = tamper;
    }

    fn mode(&self) -> Tamper {
        self.tamper.lock().unwrap().clone()
    }

    /// The last session token set on this transport (to look for it in logs).
    pub fn session_token(&self) -> Option<Vec<u8>> {
        self.last_session.lock().unwrap().clone()
    }

    pub fn inner(&self) -> &T {
        &self.inner
    }
}

fn flip(bytes: &mut [u8]) {
    let i = bytes.len() / 2;
    bytes[i] ^= 0x40;
}

fn tamper_pull(mode: &Tamper, records: &mut Vec<Record>, target: &mut VersionVector) {
    match mode {
        Tamper::FlipCiphertext(n) => flip(&mut records[*n].ciphertext),
        Tamper::FlipSignature => {
            let r = records
                .iter_mut()
                .rev()
                .find(|r| !r.signature.is_empty())
                .expect("a signed record");
            flip(&mut r.signature);
        }
        Tamper::MoveIdx(n) => records[*n].idx += 1000,
        Tamper::SwapDevices => {
            let first = records[0].device_id.clone();
            let j = records
                .iter()
                .rposition(|r| r.device_id != first)
                .expect("records of two devices");
            let other = records[j].device_id.clone();
            records[0].device_id = other;
            records[j].device_id = first;
        }
        Tamper::InjectUnknownDevice => {
            let mut copy = records[0].clone();
            copy.device_id = vec![0xAB; 16];
            copy.idx = 1;
            records.push(copy);
        }
        Tamper::DropLast => {
            records.pop();
        }
        Tamper::Rollback | Tamper::RollbackTarget => lower(records, target),
        Tamper::MalformedRecordDevice => records[0].device_id = vec![1; 15],
        Tamper::HideFrom { device, from_idx } => {
            records.retain(|r| &r.device_id != device || r.idx < *from_idx);
            hide_from(target, device, *from_idx);
        }
        Tamper::InjectRecords(extra) => {
            for r in extra {
                match target
                    .entries
                    .iter_mut()
                    .find(|e| e.device_id == r.device_id)
                {
                    Some(e) => e.idx = e.idx.max(r.idx),
                    None => target.entries.push(VectorEntry {
                        device_id: r.device_id.clone(),
                        idx: r.idx,
                    }),
                }
                records.push(r.clone());
            }
        }
        _ => {}
    }
}

/// Says `device`'s log ends before `from_idx`.
fn hide_from(vector: &mut VersionVector, device: &[u8], from_idx: u64) {
    for e in &mut vector.entries {
        if e.device_id == device {
            e.idx = e.idx.min(from_idx.saturating_sub(1));
        }
    }
}

/// Rolls a pull back by one record per device.
fn lower(records: &mut Vec<Record>, target: &mut VersionVector) {
    for e in &mut target.entries {
        e.idx = e.idx.saturating_sub(1);
        let (dev, idx) = (e.device_id.clone(), e.idx);
        records.retain(|r| r.device_id != dev || r.idx <= idx);
    }
}

impl<T: Transport> Transport for HostileTransport<T> {
    fn set_session(&self, token: Option<Vec<u8>>) {
        self.last_session.lock().unwrap().clone_from(&token);
        self.inner.set_session(token);
    }

    fn register(
        &self,
        req: RegisterRequest,
    ) -> impl std::future::Future<Output = TransportResult<()>> + Send {
        self.inner.register(req)
    }

    fn challenge(
        &self,
        device_id: Vec<u8>,
    ) -> impl std::future::Future<Output = TransportResult<Vec<u8>>> + Send {
        *self.own_device.lock().unwrap() = Some(device_id.clone());
        self.inner.challenge(device_id)
    }

    fn authenticate(
        &self,
        req: AuthenticateRequest,
    ) -> impl std::future::Future<Output = TransportResult<AuthenticateResponse>> + Send {
        self.inner.authenticate(req)
    }

    fn recovery_challenge(
        &self,
        recovery_public_key: Vec<u8>,
    ) -> impl std::future::Future<Output = TransportResult<Vec<u8>>> + Send {
        self.inner.recovery_challenge(recovery_public_key)
    }

    fn recover(
        &self,
        req: mycase_proto::v1::RecoverRequest,
    ) -> impl std::future::Future<Output = TransportResult<mycase_proto::v1::RecoverResponse>> + Send
    {
        self.inner.recover(req)
    }

    fn list_devices(
        &self,
    ) -> impl std::future::Future<Output = TransportResult<Vec<DeviceRecord>>> + Send {
        self.inner.list_devices()
    }

    fn revoke_device(
        &self,
        device_id: Vec<u8>,
        statement: mycase_proto::v1::DeviceStatement,
    ) -> impl std::future::Future<Output = TransportResult<()>> + Send {
        self.inner.revoke_device(device_id, statement)
    }

    fn renew_recovery_key(
        &self,
        req: mycase_proto::v1::RenewRecoveryKeyRequest,
    ) -> impl std::future::Future<Output = TransportResult<()>> + Send {
        self.inner.renew_recovery_key(req)
    }

    fn update_recovery_blob(
        &self,
        recovery_blob: Vec<u8>,
    ) -> impl std::future::Future<Output = TransportResult<()>> + Send {
        self.inner.update_recovery_blob(recovery_blob)
    }

    fn add_device(
        &self,
        device_id: Vec<u8>,
        sign_public_key: Vec<u8>,
        dh_public_key: Vec<u8>,
    ) -> impl std::future::Future<Output = TransportResult<()>> + Send {
        self.inner
            .add_device(device_id, sign_public_key, dh_public_key)
    }

    fn open_pairing(
        &self,
        pairing_id: Vec<u8>,
        ttl_seconds: u32,
    ) -> impl std::future::Future<Output = TransportResult<u64>> + Send {
        self.inner.open_pairing(pairing_id, ttl_seconds)
    }

    fn submit_join(
        &self,
        pairing_id: Vec<u8>,
        sealed_join: Vec<u8>,
    ) -> impl std::future::Future<Output = TransportResult<()>> + Send {
        self.inner.submit_join(pairing_id, sealed_join)
    }

    fn await_join(
        &self,
        pairing_id: Vec<u8>,
    ) -> impl std::future::Future<Output = TransportResult<Vec<u8>>> + Send {
        let mode = self.mode();
        async move {
            let mut sealed = self.inner.await_join(pairing_id).await?;
            if mode == Tamper::SwapJoin && !sealed.is_empty() {
                flip(&mut sealed);
            }
            Ok(sealed)
        }
    }

    fn complete_pairing(
        &self,
        pairing_id: Vec<u8>,
        sealed_grant: Vec<u8>,
    ) -> impl std::future::Future<Output = TransportResult<()>> + Send {
        self.inner.complete_pairing(pairing_id, sealed_grant)
    }

    fn await_pairing(
        &self,
        pairing_id: Vec<u8>,
    ) -> impl std::future::Future<Output = TransportResult<Vec<u8>>> + Send {
        let mode = self.mode();
        async move {
            let mut sealed = self.inner.await_pairing(pairing_id).await?;
            if mode == Tamper::SwapGrant && !sealed.is_empty() {
                flip(&mut sealed);
            }
            Ok(sealed)
        }
    }

    fn append(
        &self,
        records: Vec<Record>,
    ) -> impl std::future::Future<Output = TransportResult<AppendResponse>> + Send {
        let mode = self.mode();
        async move {
            let mut resp = self.inner.append(records).await?;
            if mode == Tamper::FlipAppendReceipt {
                if let Some(r) = resp.receipts.first_mut() {
                    flip(&mut r.signature);
                }
            }
            Ok(resp)
        }
    }

    fn get_server_key(&self) -> impl std::future::Future<Output = TransportResult<Vec<u8>>> + Send {
        let mode = self.mode();
        async move {
            let mut key = self.inner.get_server_key().await?;
            if mode == Tamper::WrongServerKey {
                key = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng)
                    .verifying_key()
                    .to_bytes()
                    .to_vec();
            }
            Ok(key)
        }
    }

    fn get_vector(
        &self,
    ) -> impl std::future::Future<Output = TransportResult<VersionVector>> + Send {
        let mode = self.mode();
        let own = self.own_device.lock().unwrap().clone();
        async move {
            let mut v = self.inner.get_vector().await?;
            match mode {
                Tamper::Rollback => {
                    for e in &mut v.entries {
                        if Some(&e.device_id) != own.as_ref() {
                            e.idx = e.idx.saturating_sub(1);
                        }
                    }
                }
                Tamper::MalformedVector => v.entries.push(VectorEntry {
                    device_id: vec![7; 5],
                    idx: 1,
                }),
                Tamper::HideFrom { device, from_idx } => hide_from(&mut v, &device, from_idx),
                _ => {}
            }
            Ok(v)
        }
    }

    fn pull(
        &self,
        since: VersionVector,
        page_size: u32,
    ) -> impl std::future::Future<Output = TransportResult<PullStream>> + Send {
        let mode = self.mode();
        async move {
            let stream = self.inner.pull(since, page_size).await?;
            if mode == Tamper::None {
                return Ok(stream);
            }
            let pages: Vec<TransportResult<PullResponse>> = stream.collect().await;
            let mut records = Vec::new();
            let mut receipts = std::collections::HashMap::new();
            let mut target = None;
            for page in pages {
                let page = page?;
                target = page.target.or(target);
                for (r, receipt) in page.records.iter().zip(page.receipts) {
                    receipts.insert((r.device_id.clone(), r.idx), receipt);
                }
                records.extend(page.records);
            }
            let mut target = target.unwrap_or_default();
            tamper_pull(&mode, &mut records, &mut target);
            // Receipts follow their records through the tampering.
            let mut receipts: Vec<Receipt> = records
                .iter()
                .map(|r| {
                    receipts
                        .get(&(r.device_id.clone(), r.idx))
                        .cloned()
                        .unwrap_or_default()
                })
                .collect();
            if let Tamper::FlipReceipt(n) = mode {
                flip(&mut receipts[n].signature);
            }
            if mode == Tamper::StripReceipts {
                receipts.clear();
            }
            let one = PullResponse {
                records,
                target: Some(target),
                receipts,
            };
            Ok(futures_util::stream::iter(vec![Ok(one)]).boxed())
        }
    }

    fn watch(&self) -> impl std::future::Future<Output = TransportResult<WatchStream>> + Send {
        self.inner.watch()
    }

    fn have_chunks(
        &self,
        addresses: Vec<Vec<u8>>,
    ) -> impl std::future::Future<Output = TransportResult<Vec<bool>>> + Send {
        self.inner.have_chunks(addresses)
    }

    fn put_chunks(
        &self,
        chunks: mycase_core::transport::ChunkUpload,
    ) -> impl std::future::Future<Output = TransportResult<u64>> + Send {
        let chunks = match self.mode() {
            Tamper::CutUploadAfter(n) => {
                let (tx, rx) = tokio::sync::mpsc::channel(1);
                tokio::spawn(async move {
                    let mut from_client = chunks.take(n);
                    while let Some(chunk) = from_client.next().await {
                        if tx.send(chunk).await.is_err() {
                            break;
                        }
                    }
                    // Dropping both ends here ends the server's stream after `n`
                    // chunks and makes the client's next send fail.
                });
                tokio_stream::wrappers::ReceiverStream::new(rx)
            }
            _ => chunks,
        };
        self.inner.put_chunks(chunks)
    }

    fn get_chunks(
        &self,
        addresses: Vec<Vec<u8>>,
    ) -> impl std::future::Future<Output = TransportResult<mycase_core::transport::ChunkStream>> + Send
    {
        self.inner.get_chunks(addresses)
    }
}

/// What a test compares before and after a failed sync: the visible journal and
/// the store's logs and bookkeeping.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub entries: Vec<mycase_core::journal::EntryView>,
    pub ops: usize,
    pub vector: mycase_core::vector::Vector,
    pub sync_state: mycase_core::store::SyncState,
    pub logs: std::collections::BTreeMap<[u8; 16], Vec<Record>>,
    pub receipts: std::collections::BTreeMap<
        mycase_core::store::RecordPosition,
        mycase_core::store::StoredReceipt,
    >,
}

pub fn snapshot<S: LocalStore>(d: &Device<S>) -> Snapshot {
    Snapshot {
        entries: d.journal().entries(),
        ops: d.journal().len(),
        vector: d.store().vector(),
        sync_state: d.store().sync_state().clone(),
        logs: d.store().logs().clone(),
        receipts: d.store().receipts().clone(),
    }
}

/// Every regular file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir") {
            let p = e.expect("dir entry").path();
            if p.is_dir() {
                stack.push(p);
            } else if p.is_file() {
                out.push(p);
            }
        }
    }
    out
}

/// True if `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// A random alphanumeric marker.
pub fn marker(len: usize) -> String {
    use rand::Rng;
    rand::thread_rng()
        .sample_iter(rand::distributions::Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
pub struct CaptureWriter(pub Arc<Mutex<Vec<u8>>>);

impl std::io::Write for CaptureWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for CaptureWriter {
    type Writer = CaptureWriter;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}
