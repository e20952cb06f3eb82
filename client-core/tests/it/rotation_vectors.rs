//! Frozen test vectors for key rotation's formats: an epoch key sealed to a device
//! (inside `KeyRotated`) and a recovery blob sealed to the recovery kit's X25519
//! key (`MCR2`). Sealed once by this version and committed; every later version
//! must open them.
//!
//! `MYCASE_WRITE_VECTORS=1 cargo test -p mycase-core --test it rotation_vectors -- --ignored`
//! writes fresh ones (only when introducing a new format version).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use mycase_core::epoch_keys::{next_epoch, open_epoch_key, seal_epoch_key};
use mycase_core::keyfile::TrustAnchor;
use mycase_core::keys::{DeviceKeys, Keyring, RecoveryKit, VaultKey};
use mycase_core::recovery_blob::seal_recovery_blob_v2;
use mycase_core::recovery_blob::{self, BlobAuthor};

const ACCOUNT: [u8; 16] = [0x11; 16];
const RECIPIENT: [u8; 16] = [0x22; 16];
const AUTHOR: [u8; 16] = [0x66; 16];
const OLD_KEY: [u8; 32] = [0x33; 32];
const NEW_KEY: [u8; 32] = [0x77; 32];
const SIGN_SEED: [u8; 32] = [0x44; 32];
const DH_SECRET: [u8; 32] = [0x55; 32];
const RECOVERY_KIT: &str = "GEZD-GNBV-GY3T-QMJS-GM2D-KNRX-HAYT-EMZU-GU3D-OOBR-GIZT-INJW-G44P-5WI";

fn vectors_path() -> PathBuf {
    mycase_tests::vectors::client_core_dir().join("rotation-v1.txt")
}

fn load() -> BTreeMap<String, Vec<u8>> {
    mycase_tests::vectors::read_hex(&vectors_path())
}

fn recipient_keys() -> DeviceKeys {
    DeviceKeys::from_bytes(&SIGN_SEED, &DH_SECRET).unwrap()
}

fn epoch() -> u32 {
    next_epoch(1, &AUTHOR).unwrap()
}

#[test]
fn epoch_numbers_are_frozen() {
    assert_eq!(epoch(), (1 << 20) | 0x06_6666);
}

#[test]
fn sealed_epoch_key_v1_opens_for_its_recipient_only() {
    let v = load();
    let keys = recipient_keys();
    let key = open_epoch_key(
        &ACCOUNT,
        epoch(),
        &AUTHOR,
        &RECIPIENT,
        keys.dh_secret(),
        &v["sealed_epoch_key"],
    )
    .unwrap();
    assert_eq!(key.as_bytes(), &NEW_KEY);
    assert!(open_epoch_key(
        &ACCOUNT,
        epoch() + 1,
        &AUTHOR,
        &RECIPIENT,
        keys.dh_secret(),
        &v["sealed_epoch_key"]
    )
    .is_err());
}

#[test]
fn recovery_blob_v2_opens_with_the_kit() {
    let v = load();
    let kit = RecoveryKit::parse(RECOVERY_KIT).unwrap();
    assert_eq!(kit.dh_public().to_vec(), v["recovery_dh_public_key"]);
    let opened = recovery_blob::open(&kit, &ACCOUNT, &v["recovery_blob_v2"]).unwrap();
    // Sealed to a public key: anyone could have written it, and it says so.
    assert_eq!(opened.author, BlobAuthor::Anonymous);
    let recovered = opened.keys;
    assert_eq!(recovered.keyring.get(1).unwrap().as_bytes(), &OLD_KEY);
    assert_eq!(recovered.keyring.get(epoch()).unwrap().as_bytes(), &NEW_KEY);
    assert_eq!(recovered.trust_anchors.len(), 1);
    assert_eq!(recovered.trust_anchors[0].device_id, RECIPIENT);
    assert!(recovery_blob::open(&kit, &[0; 16], &v["recovery_blob_v2"]).is_err());
}

#[test]
#[ignore = "writes new vectors; run only when introducing a new format version"]
fn write_vectors() {
    if std::env::var("MYCASE_WRITE_VECTORS").as_deref() != Ok("1") {
        return;
    }
    let keys = recipient_keys();
    let sealed = seal_epoch_key(
        &ACCOUNT,
        epoch(),
        &AUTHOR,
        &RECIPIENT,
        &keys.dh_public(),
        &VaultKey::from_bytes(NEW_KEY),
    );
    let kit = RecoveryKit::parse(RECOVERY_KIT).unwrap();
    let mut ring = Keyring::default();
    ring.insert(1, VaultKey::from_bytes(OLD_KEY));
    ring.insert(epoch(), VaultKey::from_bytes(NEW_KEY));
    let anchor = TrustAnchor {
        device_id: RECIPIENT,
        sign_public_key: keys.sign_public(),
        dh_public_key: keys.dh_public(),
    };
    let blob = seal_recovery_blob_v2(&kit.dh_public(), &ACCOUNT, &ring, &[anchor]);
    let text = format!(
        "# Key rotation formats, v1. Frozen: never regenerate to make a test pass.\n\
         sealed_epoch_key = {}\nrecovery_dh_public_key = {}\nrecovery_blob_v2 = {}\n",
        hex::encode(sealed),
        hex::encode(kit.dh_public()),
        hex::encode(blob)
    );
    std::fs::write(vectors_path(), text).unwrap();
}
