//! An abuser's kit: an insider device that was legitimately paired into the
//! survivor's journal (it holds the vault keys, its own signing key and a session
//! on the server) but runs a modified client. It writes records with whatever
//! clock, deps and body it likes, seals and signs them as a real device would
//! ([`mycase_core::record::seal_record`], [`mycase_core::record::sign_record`]),
//! and appends them to its own log on the real server with [`Transport::append`].
//! It can also register a ghost device on the server that no trusted device added.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use mycase_core::epoch_keys::open_epoch_key;
use mycase_core::ids::{id_from_slice, new_id, AccountId, DeviceId};
use mycase_core::journal::hlc;
use mycase_core::journal::order::map_to_vector;
use mycase_core::journal::OpId;
use mycase_core::keys::{DeviceKeys, Keyring, RecoveryKit};
use mycase_core::pairing::PairingCode;
use mycase_core::record::{open_record, seal_record, sign_record, Head};
use mycase_core::request_grant;
use mycase_core::store::LocalStore;
use mycase_core::transport::grpc::GrpcTransport;
use mycase_core::transport::Transport;
use mycase_core::Device;
use mycase_proto::v1::operation::Body;
use mycase_proto::v1::{
    AppendResponse, AuthenticateRequest, Hlc, Operation, Record, VersionVector,
};
use prost::Message;

use crate::{confirm_as_survivor, matching_code_channel, TestServer};

/// The clock a forged record claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// (0, 0): sorts before everything.
    Zero,
    /// After everything the insider has seen, as an honest client would pick.
    Plausible,
    /// Exactly this one.
    At(Hlc),
}

/// What the insider sees on the server: every record it can open.
#[derive(Debug, Default, Clone)]
pub struct Seen {
    /// Every operation it could decrypt, by id.
    pub ops: BTreeMap<OpId, Operation>,
    /// How far each log goes on the server (own log included).
    pub vector: BTreeMap<DeviceId, u64>,
    /// The greatest clock among them.
    pub max_hlc: Hlc,
}

impl Seen {
    /// The first operation whose body matches.
    pub fn find(&self, matches: impl Fn(&Body) -> bool) -> Option<(OpId, &Operation)> {
        self.ops
            .iter()
            .find(|(_, op)| op.body.as_ref().is_some_and(&matches))
            .map(|(id, op)| (*id, op))
    }
}

/// A paired device running a modified client.
pub struct Insider {
    pub account_id: AccountId,
    pub device_id: DeviceId,
    keys: DeviceKeys,
    /// The vault keys it was given (and any it learned since).
    pub keyring: Keyring,
    pub transport: GrpcTransport,
    head: Head,
    /// What its last record's `deps` admitted to: the least it can claim next
    /// (deps never go back along a log).
    admitted: BTreeMap<DeviceId, u64>,
}

fn copy_keys(keys: &DeviceKeys) -> DeviceKeys {
    DeviceKeys::from_bytes(
        keys.sign_seed().as_slice(),
        keys.dh_secret_bytes().as_slice(),
    )
    .expect("device keys copy")
}

impl Insider {
    /// Pairs a new device to `existing` the way the real client does (the
    /// survivor types the matching code), keeping its secrets for the kit.
    pub async fn pair<S: LocalStore>(
        server: &TestServer,
        existing: &mut Device<S>,
        t_existing: &GrpcTransport,
        name: &str,
    ) -> Insider {
        let transport = server.transport().await;
        let code = PairingCode::generate();
        existing
            .begin_pairing(t_existing, &code)
            .await
            .expect("begin pairing");
        let (show, shown) = matching_code_channel();
        let setup = server.setup(name);
        let deadline = Instant::now() + Duration::from_secs(60);
        let (accepted, granted) = tokio::join!(
            confirm_as_survivor(existing, t_existing, &code, shown),
            request_grant(&transport, &code, &setup, deadline, show),
        );
        accepted.expect("the survivor's device accepts the pairing");
        let secrets = granted.expect("the insider gets its grant");
        let insider = Insider {
            account_id: secrets.account_id,
            device_id: secrets.device_id,
            keys: copy_keys(&secrets.keys),
            keyring: secrets.keyring.clone(),
            transport,
            head: Head::GENESIS,
            admitted: BTreeMap::new(),
        };
        insider.authenticate().await;
        insider
    }

    /// Registers, from this insider's session, a device on the server that no
    /// trusted device added to the journal, and signs in as it. It holds the
    /// insider's vault keys, so its records decrypt.
    pub async fn add_ghost(&self, server: &TestServer) -> Insider {
        self.add_ghost_with(server, new_id(), DeviceKeys::generate())
            .await
    }

    /// [`Self::add_ghost`] with a chosen id and keys.
    pub async fn add_ghost_with(
        &self,
        server: &TestServer,
        device_id: DeviceId,
        keys: DeviceKeys,
    ) -> Insider {
        self.transport
            .add_device(
                device_id.to_vec(),
                keys.sign_public().to_vec(),
                keys.dh_public().to_vec(),
            )
            .await
            .expect("the server registers the ghost");
        let ghost = Insider {
            account_id: self.account_id,
            device_id,
            keys,
            keyring: self.keyring.clone(),
            transport: server.transport().await,
            head: Head::GENESIS,
            admitted: BTreeMap::new(),
        };
        ghost.authenticate().await;
        ghost
    }

    /// Signs in (again) with the device key.
    pub async fn authenticate(&self) {
        let device_id = self.device_id.to_vec();
        let challenge = self
            .transport
            .challenge(device_id.clone())
            .await
            .expect("challenge");
        let signature = self
            .keys
            .sign(&mycase_proto::wire::auth_message(&device_id, &challenge));
        let resp = self
            .transport
            .authenticate(AuthenticateRequest {
                device_id,
                challenge,
                signature: signature.to_vec(),
            })
            .await
            .expect("the insider signs in");
        self.transport.set_session(Some(resp.session_token));
    }

    /// This device adding itself with a recovery certificate from `kit` (what a
    /// device recovered from the kit writes; here a kit of the abuser's own).
    pub fn certified_self_addition(&self, kit: &RecoveryKit, name: &str) -> Body {
        Body::DeviceAdded(mycase_core::certified_addition(
            kit,
            &self.account_id,
            &self.device_id,
            &self.keys,
            name,
        ))
    }

    pub fn sign_public_key(&self) -> [u8; 32] {
        self.keys.sign_public()
    }

    /// Starts its log again from the first record: for records a hostile server
    /// delivers instead of the real one, never appended.
    pub fn restart_log(&mut self) {
        self.head = Head::GENESIS;
        self.admitted.clear();
    }

    /// The idx of the last record this insider wrote.
    pub fn last_idx(&self) -> u64 {
        self.head.idx
    }

    /// Pulls every record of the account and opens what it can, learning epoch
    /// keys sealed to it on the way.
    pub async fn observe(&mut self) -> Seen {
        let mut stream = self
            .transport
            .pull(VersionVector::default(), 1000)
            .await
            .expect("pull");
        let mut records: Vec<Record> = Vec::new();
        while let Some(page) = stream.next().await {
            records.extend(page.expect("pull page").records);
        }
        let mut seen = Seen::default();
        // Rotations come before what they open in causal order, but not always in
        // pull order: go over the records until nothing new opens.
        loop {
            let before = seen.ops.len();
            for r in &records {
                let Some(device) = id_from_slice(&r.device_id) else {
                    continue;
                };
                let id = OpId { device, idx: r.idx };
                if seen.ops.contains_key(&id) {
                    continue;
                }
                let idx = seen.vector.entry(device).or_default();
                *idx = (*idx).max(r.idx);
                let Ok(bytes) = open_record(&self.account_id, &self.keyring, r) else {
                    continue;
                };
                let Ok(op) = Operation::decode(bytes.as_slice()) else {
                    continue;
                };
                self.learn(&device, &op);
                seen.max_hlc = hlc::max(seen.max_hlc, op.hlc.unwrap_or_default());
                seen.ops.insert(id, op);
            }
            if seen.ops.len() == before {
                break;
            }
        }
        seen
    }

    fn learn(&mut self, author: &DeviceId, op: &Operation) {
        let Some(Body::KeyRotated(rotated)) = &op.body else {
            return;
        };
        for sealed in &rotated.sealed_keys {
            if sealed.device_id.as_slice() != self.device_id.as_slice() {
                continue;
            }
            if let Ok(key) = open_epoch_key(
                &self.account_id,
                rotated.key_epoch,
                author,
                &self.device_id,
                self.keys.dh_secret(),
                &sealed.sealed,
            ) {
                if self.keyring.get(rotated.key_epoch).is_err() {
                    self.keyring.insert(rotated.key_epoch, key);
                }
            }
        }
    }

    /// What an honest client would put in `deps`: everything seen, and its own log.
    pub fn deps_seeing_all(&self, seen: &Seen) -> BTreeMap<DeviceId, u64> {
        let mut deps = seen.vector.clone();
        deps.remove(&self.device_id);
        if self.head.idx > 0 {
            deps.insert(self.device_id, self.head.idx);
        }
        deps
    }

    /// `deps` that claim to have seen nothing but its own log and what its last
    /// record already admitted (the least a log may claim: `deps` never go back).
    pub fn deps_seeing_nothing(&self) -> BTreeMap<DeviceId, u64> {
        let mut deps = self.admitted.clone();
        if self.head.idx > 0 {
            deps.insert(self.device_id, self.head.idx);
        }
        deps
    }

    /// An operation with the clock, deps and body it chooses.
    pub fn operation(
        &self,
        clock: Clock,
        seen: &Seen,
        deps: &BTreeMap<DeviceId, u64>,
        body: Body,
    ) -> Operation {
        let now = u64::try_from(mycase_core::now_ms()).unwrap_or(0);
        let hlc = match clock {
            Clock::Zero => Hlc::default(),
            Clock::Plausible => hlc::next(&seen.max_hlc, now),
            Clock::At(at) => at,
        };
        Operation {
            hlc: Some(hlc),
            deps: Some(map_to_vector(deps)),
            recorded_at_ms: i64::try_from(hlc.wall_ms).unwrap_or(i64::MAX),
            body: Some(body),
            sealed_texts: Vec::new(),
        }
    }

    /// Seals and signs `op` as the next record of its log.
    pub fn seal(&mut self, op: &Operation) -> Record {
        let keyring = self.keyring.clone();
        self.seal_bytes(&op.encode_to_vec(), &keyring)
    }

    /// Seals any bytes (not necessarily an operation) under `keyring`'s current
    /// epoch as the next record of its log, signed.
    pub fn seal_bytes(&mut self, bytes: &[u8], keyring: &Keyring) -> Record {
        let mut record = seal_record(
            &self.account_id,
            &self.device_id,
            &self.head,
            keyring,
            bytes,
        )
        .expect("seal");
        sign_record(&self.keys, &self.account_id, &mut record);
        self.head = Head::after(&self.account_id, &record);
        record
    }

    /// Appends records to its own log on the server.
    pub async fn append(&self, records: Vec<Record>) -> AppendResponse {
        self.transport
            .append(records)
            .await
            .expect("the server takes the insider's records")
    }

    /// Seals `body` with `clock` and `deps` and appends it; returns its id.
    pub async fn write(
        &mut self,
        clock: Clock,
        seen: &Seen,
        deps: &BTreeMap<DeviceId, u64>,
        body: Body,
    ) -> OpId {
        let op = self.operation(clock, seen, deps, body);
        let record = self.seal(&op);
        self.append(vec![record]).await;
        for (device, &idx) in deps {
            let slot = self.admitted.entry(*device).or_insert(0);
            *slot = (*slot).max(idx);
        }
        OpId {
            device: self.device_id,
            idx: self.head.idx,
        }
    }
}
