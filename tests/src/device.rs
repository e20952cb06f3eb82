//! Devices for tests: a new account's first device, pairing (with the survivor
//! typing the matching code the new device shows), entry fields, and snapshots
//! of what a device holds to compare before and after a refused sync.

use std::time::{Duration, Instant};

use mycase_core::pairing::{MatchingCode, PairingCode};
use mycase_core::store::memory::MemoryStore;
use mycase_core::store::LocalStore;
use mycase_core::transport::grpc::GrpcTransport;
use mycase_core::transport::Transport;
use mycase_core::Device;
use mycase_core::PairedDevice;
use mycase_proto::v1::{EntryFields, Record};

use crate::server::TestServer;

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
    Result<PairedDevice, mycase_core::PairingFlowError>,
    Result<Device<MemoryStore>, mycase_core::PairingFlowError>,
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
) -> Result<PairedDevice, mycase_core::PairingFlowError> {
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
