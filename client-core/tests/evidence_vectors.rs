//! Frozen evidence vectors: the subkey an export discloses for the frozen v1
//! record (tests/vectors/v1.txt), and that it opens that record alone to the
//! frozen operation. A change here breaks every export already handed to a court.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use mycase_core::evidence::disclose::{open_operation, open_with_subkey, record_subkey};
use mycase_core::keys::{Keyring, VaultKey};
use mycase_core::record::open_record;
use mycase_proto::v1::operation::Body;
use mycase_proto::v1::Record;
use prost::Message;

// The same inputs as tests/frozen_vectors.rs.
const ACCOUNT: [u8; 16] = [0x11; 16];
const VAULT_KEY: [u8; 32] = [0x33; 32];

fn load(name: &str) -> BTreeMap<String, Vec<u8>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors")
        .join(name);
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (k, v) = l.split_once(" = ").unwrap();
            (k.to_string(), hex::decode(v.trim()).unwrap())
        })
        .collect()
}

#[test]
fn the_frozen_record_opens_with_its_frozen_subkey_alone() {
    let v1 = load("v1.txt");
    let evidence = load("evidence-v1.txt");
    let record = Record::decode(v1["record"].as_slice()).unwrap();
    let mut ring = Keyring::default();
    ring.insert(1, VaultKey::from_bytes(VAULT_KEY));

    let subkey = record_subkey(&ring, &record).unwrap();
    assert_eq!(
        subkey.to_vec(),
        evidence["subkey"],
        "the disclosed subkey is frozen"
    );

    let frozen: [u8; 32] = evidence["subkey"].as_slice().try_into().unwrap();
    let opened = open_with_subkey(&ACCOUNT, &record, &frozen).unwrap();
    assert_eq!(&*opened, &*open_record(&ACCOUNT, &ring, &record).unwrap());
    let op = open_operation(&ACCOUNT, &record, &frozen).unwrap();
    match op.body {
        Some(Body::EntryCreated(created)) => {
            assert_eq!(created.entry_id, vec![0x66; 16]);
            assert_eq!(
                created.fields.unwrap().text.as_deref(),
                Some("Frozen text: the original words.")
            );
        }
        other => panic!("unexpected operation {other:?}"),
    }
    // The subkey is not the journal key, and opens nothing when moved.
    assert_ne!(frozen, VAULT_KEY);
    let mut moved = record.clone();
    moved.idx += 1;
    assert!(open_with_subkey(&ACCOUNT, &moved, &frozen).is_err());
}
