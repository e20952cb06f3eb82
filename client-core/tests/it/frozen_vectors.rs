//! Frozen test vectors: blobs sealed by this version of MyCase and committed to
//! the repository. Every future version must still open them; a change that breaks
//! one breaks every journal already stored on devices and servers.
//!
//! `MYCASE_WRITE_VECTORS=1 cargo test -p mycase-core --test it frozen_vectors -- --ignored`
//! writes fresh vectors (only when a new format version is introduced, never to
//! make a failing test pass).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use mycase_core::crypto::passphrase::KdfParams;
use mycase_core::keyfile::{DeviceSecrets, TrustAnchor, UnlockedKeyFile};
use mycase_core::keys::{DeviceKeys, Keyring, RecoveryKit, VaultKey};
use mycase_core::pairing::{open_grant, seal_grant, PairingCode};
use mycase_core::record::{open_record, seal_record, sign_record, verify_run, Head};
use mycase_core::recovery_blob::{self, BlobAuthor};
use mycase_proto::v1::{operation::Body, Operation, PairingGrant, PairingJoin, Record};
use mycase_proto::wire::record_hash;
use prost::Message;

const ACCOUNT: [u8; 16] = [0x11; 16];
const DEVICE: [u8; 16] = [0x22; 16];
const VAULT_KEY: [u8; 32] = [0x33; 32];
const SIGN_SEED: [u8; 32] = [0x44; 32];
const DH_SECRET: [u8; 32] = [0x55; 32];
const PASSPHRASE: &str = "correct horse battery staple";
const PAIRING_CODE: &str = "AAAQ-EAYE-AUDA-OCAJ-BIFQ-YDIO-B4IB-CEQT";
const RECOVERY_KIT: &str = "GEZD-GNBV-GY3T-QMJS-GM2D-KNRX-HAYT-EMZU-GU3D-OOBR-GIZT-INJW-G44P-5WI";

fn vectors_path() -> PathBuf {
    mycase_tests::vectors::client_core_dir().join("v1.txt")
}

/// `name = hex` lines.
fn load() -> BTreeMap<String, Vec<u8>> {
    mycase_tests::vectors::read_hex(&vectors_path())
}

fn keyring() -> Keyring {
    let mut k = Keyring::default();
    k.insert(1, VaultKey::from_bytes(VAULT_KEY));
    k
}

fn device_keys() -> DeviceKeys {
    DeviceKeys::from_bytes(&SIGN_SEED, &DH_SECRET).unwrap()
}

fn operation() -> Operation {
    use mycase_core::journal::ops;
    use mycase_proto::v1::{EntryFields, Hlc, VersionVector};
    let fields = EntryFields {
        title: Some("Frozen title".into()),
        text: Some("Frozen text: the original words.".into()),
        ..Default::default()
    };
    ops::operation(
        Hlc {
            wall_ms: 1_700_000_000_000,
            counter: 0,
        },
        VersionVector::default(),
        1_700_000_000_000,
        ops::create_entry([0x66; 16], fields),
    )
}

fn join() -> PairingJoin {
    let keys = device_keys();
    PairingJoin {
        device_id: DEVICE.to_vec(),
        sign_public_key: keys.sign_public().to_vec(),
        dh_public_key: keys.dh_public().to_vec(),
        device_name: "phone".into(),
        // The v1 grant covers only the ids and keys, so it still opens.
        protocol: 0,
    }
}

#[test]
fn record_v1_opens_and_verifies() {
    let v = load();
    let record = Record::decode(v["record"].as_slice()).unwrap();
    assert_eq!(record_hash(&ACCOUNT, &record).to_vec(), v["record_hash"]);
    let run = verify_run(
        &ACCOUNT,
        &DEVICE,
        &device_keys().sign_public(),
        &Head::GENESIS,
        std::slice::from_ref(&record),
    )
    .unwrap();
    assert_eq!(run.covered, 1);
    let plain = open_record(&ACCOUNT, &keyring(), &record).unwrap();
    let op = Operation::decode(plain.as_slice()).unwrap();
    assert_eq!(op, operation());
    let Some(Body::EntryCreated(created)) = op.body else {
        panic!("not a creation")
    };
    assert_eq!(
        created.fields.unwrap().text.as_deref(),
        Some("Frozen text: the original words.")
    );
}

#[test]
fn key_file_v1_opens_with_its_passphrase_only() {
    let v = load();
    let (_, secrets) = UnlockedKeyFile::open(&v["key_file"], PASSPHRASE.as_bytes()).unwrap();
    assert_eq!(secrets.account_id, ACCOUNT);
    assert_eq!(secrets.device_id, DEVICE);
    assert_eq!(secrets.keys.sign_public(), device_keys().sign_public());
    assert_eq!(secrets.keyring.get(1).unwrap().as_bytes(), &VAULT_KEY);
    assert_eq!(secrets.device_name, "laptop");
    assert!(UnlockedKeyFile::open(&v["key_file"], b"wrong").is_err());
}

#[test]
fn pairing_grant_v1_opens_for_the_joining_device() {
    let v = load();
    let code = PairingCode::parse(PAIRING_CODE).unwrap();
    assert_eq!(code.pairing_id().to_vec(), v["pairing_id"]);
    let grant = open_grant(&code, &device_keys(), &join(), &v["pairing_grant"]).unwrap();
    assert_eq!(grant.account_id, ACCOUNT.to_vec());
    assert_eq!(grant.keyring[0].key, VAULT_KEY.to_vec());
}

#[test]
fn recovery_blob_v1_opens_with_the_kit() {
    let v = load();
    let kit = RecoveryKit::parse(RECOVERY_KIT).unwrap();
    assert_eq!(
        kit.signing_key().verifying_key().to_bytes().to_vec(),
        v["recovery_public_key"]
    );
    let opened = recovery_blob::open(&kit, &ACCOUNT, &v["recovery_blob"]).unwrap();
    assert_eq!(opened.author, BlobAuthor::Kit);
    let recovered = opened.keys;
    assert_eq!(recovered.keyring.get(1).unwrap().as_bytes(), &VAULT_KEY);
    assert!(recovered.trust_anchors.is_empty());
    assert!(recovery_blob::open(&kit, &[0; 16], &v["recovery_blob"]).is_err());
}

#[test]
#[ignore = "writes new vectors; run only when introducing a new format version"]
fn write_vectors() {
    if std::env::var("MYCASE_WRITE_VECTORS").as_deref() != Ok("1") {
        return;
    }
    // v1.txt holds format-1 blobs; records of later formats have their own file
    // (record format 2: tests/vectors/record-v2.txt, evidence_vectors.rs).
    assert_eq!(
        mycase_proto::RECORD_FORMAT_VERSION,
        1,
        "v1.txt is frozen: write new formats to a new file"
    );
    let keys = device_keys();
    let mut record = seal_record(
        &ACCOUNT,
        &DEVICE,
        &Head::GENESIS,
        &keyring(),
        &operation().encode_to_vec(),
    )
    .unwrap();
    sign_record(&keys, &ACCOUNT, &mut record);

    let anchor = TrustAnchor {
        device_id: DEVICE,
        sign_public_key: keys.sign_public(),
        dh_public_key: keys.dh_public(),
    };
    let secrets = DeviceSecrets {
        account_id: ACCOUNT,
        device_id: DEVICE,
        keys: device_keys(),
        keyring: keyring(),
        trust_anchors: vec![anchor],
        server_url: "https://127.0.0.1:7443".into(),
        ca_cert_pem: None,
        device_name: "laptop".into(),
        notes: Default::default(),
    };
    let key_file = UnlockedKeyFile::create(PASSPHRASE.as_bytes(), KdfParams::MINIMUM)
        .unwrap()
        .seal(&secrets);

    let code = PairingCode::parse(PAIRING_CODE).unwrap();
    let grant = PairingGrant {
        account_id: ACCOUNT.to_vec(),
        inviter_device_id: [0x77; 16].to_vec(),
        roster: vec![],
        keyring: keyring().to_proto(),
    };
    let sealed_grant = seal_grant(&code, &join(), &grant).unwrap();

    let kit = RecoveryKit::parse(RECOVERY_KIT).unwrap();
    let blob = recovery_blob::seal_v1(&kit, &ACCOUNT, &keyring(), &[]);

    let lines = [
        "# MyCase format v1 test vectors (see client-core/tests/it/frozen_vectors.rs). Do not edit."
            .to_string(),
        format!("record = {}", hex::encode(record.encode_to_vec())),
        format!(
            "record_hash = {}",
            hex::encode(record_hash(&ACCOUNT, &record))
        ),
        format!("key_file = {}", hex::encode(key_file)),
        format!("pairing_id = {}", hex::encode(code.pairing_id())),
        format!("pairing_grant = {}", hex::encode(sealed_grant)),
        format!(
            "recovery_public_key = {}",
            hex::encode(kit.signing_key().verifying_key().to_bytes())
        ),
        format!("recovery_blob = {}", hex::encode(blob)),
    ];
    std::fs::write(vectors_path(), lines.join("\n") + "\n").unwrap();
}
