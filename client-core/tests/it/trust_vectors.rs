//! Frozen test vectors for the formats issue 10 introduced: recovery kits bound to
//! their account (a first kit's labelled check digits, a renewed kit carrying its
//! account), the founding `RecoveryKeySet` signed by its kit, the signed recovery
//! blob (`MCR3`), what a refused device keeps for the kit (`MCK1`) and a device
//! statement. Sealed once by this version and committed; every later version must
//! open them.
//!
//! `MYCASE_WRITE_VECTORS=1 cargo test -p mycase-core --test it trust_vectors -- --ignored`
//! writes fresh ones (only when introducing a new format version).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use mycase_core::crypto::grouped_base32::encode_grouped;
use mycase_core::journal::{Journal, OpId, RecoveryState};
use mycase_core::keyfile::TrustAnchor;
use mycase_core::keys::{DeviceKeys, Keyring, KitAccount, RecoveryKit, VaultKey};
use mycase_core::recovery_blob::{self, BlobAuthor};
use mycase_core::statement::{self, StatementKind};
use mycase_core::{founding_recovery_key, leftovers};
use mycase_proto::v1::operation::Body;
use mycase_proto::v1::Operation;
use prost::Message;
use sha2::{Digest, Sha256};

const ACCOUNT: [u8; 16] = [0x11; 16];
const AUTHOR: [u8; 16] = [0x66; 16];
const RECIPIENT: [u8; 16] = [0x22; 16];
const KIT_SECRET: [u8; 32] = [0x5a; 32];
const SIGN_SEED: [u8; 32] = [0x44; 32];
const DH_SECRET: [u8; 32] = [0x55; 32];
const VAULT_KEY: [u8; 32] = [0x33; 32];

fn vectors_path() -> PathBuf {
    mycase_tests::vectors::client_core_dir().join("trust-v1.txt")
}

fn load() -> BTreeMap<String, String> {
    mycase_tests::vectors::read(&vectors_path())
}

fn bytes(v: &BTreeMap<String, String>, name: &str) -> Vec<u8> {
    hex::decode(&v[name]).expect("hex")
}

/// A kit as people copy it, from its secret: `account` for a renewed kit.
fn kit_text(account: Option<[u8; 16]>) -> String {
    let mut raw = KIT_SECRET.to_vec();
    raw.extend(account.iter().flatten());
    let mut h = Sha256::new();
    h.update(b"mycase/v1/recovery-kit");
    h.update(&raw);
    raw.extend_from_slice(&h.finalize()[..2]);
    encode_grouped(&raw).to_string()
}

fn author_keys() -> DeviceKeys {
    DeviceKeys::from_bytes(&SIGN_SEED, &DH_SECRET).unwrap()
}

fn keyring() -> Keyring {
    let mut ring = Keyring::default();
    ring.insert(1, VaultKey::from_bytes(VAULT_KEY));
    ring
}

fn kept_operation() -> Operation {
    Operation {
        recorded_at_ms: 1_700_000_000_000,
        body: Some(mycase_core::journal::ops::create_entry(
            [0x77; 16],
            mycase_proto::v1::EntryFields {
                text: Some("kept for the kit".into()),
                ..Default::default()
            },
        )),
        ..Default::default()
    }
}

#[test]
fn kits_are_bound_to_their_account() {
    let v = load();
    let first = RecoveryKit::parse(&v["kit_first"]).unwrap();
    assert_eq!(hex::encode(first.public_key()), v["kit_first_public_key"]);
    let derived = mycase_core::ids::account_id_for_kit_key(&first.public_key());
    assert_eq!(hex::encode(derived), v["kit_first_account_id"]);
    assert_eq!(first.account(), KitAccount::Bound(derived));
    let renewed = RecoveryKit::parse(&v["kit_renewed"]).unwrap();
    assert_eq!(renewed.account(), KitAccount::Bound(ACCOUNT));
    assert_eq!(renewed.public_key(), first.public_key());
    // A kit written before kits were bound (rotation-v1's) reads as such.
    let legacy =
        RecoveryKit::parse("GEZD-GNBV-GY3T-QMJS-GM2D-KNRX-HAYT-EMZU-GU3D-OOBR-GIZT-INJW-G44P-5WI")
            .unwrap();
    assert_eq!(legacy.account(), KitAccount::Legacy);
}

#[test]
fn the_founding_recovery_key_certifies_itself() {
    let v = load();
    let kit = RecoveryKit::parse(&v["kit_first"]).unwrap();
    let account = mycase_core::ids::account_id_for_kit_key(&kit.public_key());
    let set =
        mycase_proto::v1::RecoveryKeySet::decode(bytes(&v, "founding_recovery_key_set").as_slice())
            .unwrap();
    let op = Operation {
        body: Some(Body::RecoveryKeySet(set.clone())),
        ..Default::default()
    };
    let mut j = Journal::for_account(account);
    j.insert(
        OpId {
            device: AUTHOR,
            idx: 2,
        },
        op.clone(),
    );
    let RecoveryState::Current(k) = j.recovery(|_, _| false).state else {
        panic!("the frozen founding key does not count");
    };
    assert_eq!(k.public_key, kit.public_key());
    assert_eq!(k.dh_public_key, kit.dh_public());
    // Its X25519 key swapped: it no longer counts.
    let mut swapped = set;
    swapped.recovery_dh_public_key = vec![9; 32];
    let mut j = Journal::for_account(account);
    j.insert(
        OpId {
            device: AUTHOR,
            idx: 2,
        },
        Operation {
            body: Some(Body::RecoveryKeySet(swapped)),
            ..Default::default()
        },
    );
    assert_eq!(j.recovery(|_, _| false).state, RecoveryState::Unknown);
}

#[test]
fn signed_recovery_blob_v3_opens_and_names_its_writer() {
    let v = load();
    let kit = RecoveryKit::parse(&v["kit_first"]).unwrap();
    let opened = recovery_blob::open(&kit, &ACCOUNT, &bytes(&v, "recovery_blob_v3")).unwrap();
    assert_eq!(opened.keys.keyring.get(1).unwrap().as_bytes(), &VAULT_KEY);
    assert_eq!(opened.keys.trust_anchors[0].device_id, RECIPIENT);
    let BlobAuthor::Device { device_id, .. } = opened.author else {
        panic!("not signed");
    };
    assert_eq!(device_id, AUTHOR);
    assert!(recovery_blob::signed_by(
        &opened.author,
        &ACCOUNT,
        &author_keys().sign_public()
    ));
    assert!(recovery_blob::open(&kit, &[0; 16], &bytes(&v, "recovery_blob_v3")).is_err());
}

#[test]
fn what_a_refused_device_kept_opens_with_the_kit_only() {
    let v = load();
    let kit = RecoveryKit::parse(&v["kit_first"]).unwrap();
    let kept = leftovers::open(&kit, &ACCOUNT, &bytes(&v, "kept_for_recovery")).unwrap();
    assert_eq!(kept.device, AUTHOR);
    assert_eq!(kept.operations, vec![(7, kept_operation())]);
    assert!(leftovers::open(
        &RecoveryKit::generate(),
        &ACCOUNT,
        &bytes(&v, "kept_for_recovery")
    )
    .is_err());
}

#[test]
fn device_statements_are_frozen() {
    let v = load();
    let keys = author_keys();
    let encoded = bytes(&v, "statement_revoked");
    // Ed25519 is deterministic: the same statement signs to the same bytes.
    let again = statement::sign(
        &keys,
        StatementKind::DeviceRevoked,
        &ACCOUNT,
        Some(&RECIPIENT),
        &AUTHOR,
    );
    assert_eq!(again.encode_to_vec(), encoded);
    let checked = statement::verify(
        &encoded,
        StatementKind::DeviceRevoked,
        &ACCOUNT,
        &RECIPIENT,
        |d| (d == &AUTHOR).then(|| keys.sign_public()),
    )
    .unwrap();
    assert_eq!(checked.author, AUTHOR);
}

#[test]
#[ignore = "writes new vectors; run only when introducing a new format version"]
fn write_vectors() {
    if std::env::var("MYCASE_WRITE_VECTORS").as_deref() != Ok("1") {
        return;
    }
    let first_text = kit_text(None);
    let kit = RecoveryKit::parse(&first_text).unwrap();
    let account = mycase_core::ids::account_id_for_kit_key(&kit.public_key());
    let keys = author_keys();
    let anchor = TrustAnchor {
        device_id: RECIPIENT,
        sign_public_key: keys.sign_public(),
        dh_public_key: keys.dh_public(),
    };
    let blob = recovery_blob::seal_v3(
        &kit.dh_public(),
        &ACCOUNT,
        &keyring(),
        &[anchor],
        &AUTHOR,
        &keys,
    );
    let kept = leftovers::seal(
        &kit.dh_public(),
        &ACCOUNT,
        &AUTHOR,
        &[(7, kept_operation())],
    );
    let set = founding_recovery_key(&kit, &account);
    let statement = statement::sign(
        &keys,
        StatementKind::DeviceRevoked,
        &ACCOUNT,
        Some(&RECIPIENT),
        &AUTHOR,
    );
    let text = format!(
        "# Trust formats of issue 10, v1. Frozen: never regenerate to make a test pass.\n\
         kit_first = {first_text}\n\
         kit_first_public_key = {}\n\
         kit_first_account_id = {}\n\
         kit_renewed = {}\n\
         founding_recovery_key_set = {}\n\
         recovery_blob_v3 = {}\n\
         kept_for_recovery = {}\n\
         statement_revoked = {}\n",
        hex::encode(kit.public_key()),
        hex::encode(account),
        kit_text(Some(ACCOUNT)),
        hex::encode(set.encode_to_vec()),
        hex::encode(blob),
        hex::encode(kept),
        hex::encode(statement.encode_to_vec()),
    );
    std::fs::write(vectors_path(), text).unwrap();
}
