//! Frozen evidence vectors: the subkey an export discloses for the frozen v1
//! record (tests/vectors/v1.txt), and that it opens that record alone to the
//! frozen operation; and the record format 2 vectors (tests/vectors/record-v2.txt):
//! records that commit to their key, with an amendment naming its parent. A
//! change here breaks every journal and export already written.
//!
//! `MYCASE_WRITE_VECTORS=1 cargo test -p mycase-core --test it evidence_vectors -- --ignored`
//! writes record-v2.txt afresh (only when introducing a format, never to make a
//! failing test pass).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use mycase_core::evidence::disclose::{
    open_operation, open_with_subkey, record_subkey, weakly_bound, DiscloseError,
};
use mycase_core::journal::ops;
use mycase_core::keys::{DeviceKeys, Keyring, VaultKey};
use mycase_core::record::{
    key_commitment, open_record, seal_record, sign_record, verify_run, Head,
};
use mycase_proto::v1::operation::Body;
use mycase_proto::v1::{EntryFields, Hlc, Operation, Record, VersionVector};
use mycase_proto::wire::record_hash;
use prost::Message;

// The same inputs as tests/frozen_vectors.rs.
const ACCOUNT: [u8; 16] = [0x11; 16];
const VAULT_KEY: [u8; 32] = [0x33; 32];

fn load(name: &str) -> BTreeMap<String, Vec<u8>> {
    mycase_tests::vectors::read_hex(&mycase_tests::vectors::client_core_dir().join(name))
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

// ---- Record format 2: committed to its key (tests/vectors/record-v2.txt) ----

const DEVICE: [u8; 16] = [0x22; 16];
const SIGN_SEED: [u8; 32] = [0x44; 32];
const DH_SECRET: [u8; 32] = [0x55; 32];

fn keyring() -> Keyring {
    let mut ring = Keyring::default();
    ring.insert(1, VaultKey::from_bytes(VAULT_KEY));
    ring
}

fn device_keys() -> DeviceKeys {
    DeviceKeys::from_bytes(&SIGN_SEED, &DH_SECRET).unwrap()
}

/// The two frozen operations: the v1 vector's creation, then an amendment that
/// names the creation's record as its parent.
fn v2_operations(creation_hash: &[u8]) -> [Operation; 2] {
    let at = |ms| Hlc {
        wall_ms: ms,
        counter: 0,
    };
    let created = ops::operation(
        at(1_700_000_000_000),
        VersionVector::default(),
        1_700_000_000_000,
        ops::create_entry(
            [0x66; 16],
            EntryFields {
                title: Some("Frozen title".into()),
                text: Some("Frozen text: the original words.".into()),
                ..Default::default()
            },
        ),
    );
    let mut amendment = ops::amend_entry([0x66; 16], text_fields("Frozen amendment."));
    if let Body::EntryAmended(a) = &mut amendment {
        a.parents = vec![creation_hash.to_vec()];
    }
    let amended = ops::operation(
        at(1_700_000_060_000),
        VersionVector::default(),
        1_700_000_060_000,
        amendment,
    );
    [created, amended]
}

fn text_fields(text: &str) -> EntryFields {
    EntryFields {
        text: Some(text.into()),
        ..Default::default()
    }
}

#[test]
fn record_v2_opens_verifies_and_commits_to_its_disclosed_key() {
    let v = load("record-v2.txt");
    let records = [
        Record::decode(v["record_1"].as_slice()).unwrap(),
        Record::decode(v["record_2"].as_slice()).unwrap(),
    ];
    let ring = keyring();
    assert!(records.iter().all(|r| r.format_version == 2));
    assert_eq!(
        record_hash(&ACCOUNT, &records[0]).to_vec(),
        v["record_1_hash"]
    );
    let run = verify_run(
        &ACCOUNT,
        &DEVICE,
        &device_keys().sign_public(),
        &Head::GENESIS,
        &records,
    )
    .unwrap();
    assert_eq!(run.covered, 2);

    let expected = v2_operations(&v["record_1_hash"]);
    for (i, record) in records.iter().enumerate() {
        let n = i + 1;
        let subkey = record_subkey(&ring, record).unwrap();
        assert_eq!(
            subkey.to_vec(),
            v[&format!("subkey_{n}")],
            "frozen subkey {n}"
        );
        // The ciphertext starts with the commitment to exactly that subkey.
        assert_eq!(
            record.ciphertext[..32].to_vec(),
            v[&format!("commitment_{n}")]
        );
        assert_eq!(
            key_commitment(&subkey).to_vec(),
            v[&format!("commitment_{n}")]
        );
        let journal =
            Operation::decode(open_record(&ACCOUNT, &ring, record).unwrap().as_slice()).unwrap();
        assert_eq!(journal, expected[i]);
        assert_eq!(
            open_operation(&ACCOUNT, record, &subkey).unwrap(),
            expected[i]
        );
        // Another key is refused as not committed, whatever it would open to.
        let mut other = *subkey;
        other[0] ^= 1;
        assert_eq!(
            open_with_subkey(&ACCOUNT, record, &other),
            Err(DiscloseError::NotCommitted)
        );
        assert!(!weakly_bound(record));
    }
    // The frozen v1 record has no commitment and still opens.
    let v1 = load("v1.txt");
    let old = Record::decode(v1["record"].as_slice()).unwrap();
    assert!(weakly_bound(&old));
    assert!(open_record(&ACCOUNT, &ring, &old).is_ok());
}

#[test]
#[ignore = "writes new vectors; run only when introducing a new format version"]
fn write_record_v2_vectors() {
    if std::env::var("MYCASE_WRITE_VECTORS").as_deref() != Ok("1") {
        return;
    }
    let ring = keyring();
    let first = v2_operations(&[])[0].encode_to_vec();
    let r1 = seal_record(&ACCOUNT, &DEVICE, &Head::GENESIS, &ring, &first).unwrap();
    let h1 = record_hash(&ACCOUNT, &r1);
    let second = v2_operations(&h1)[1].encode_to_vec();
    let mut r2 = seal_record(
        &ACCOUNT,
        &DEVICE,
        &Head::after(&ACCOUNT, &r1),
        &ring,
        &second,
    )
    .unwrap();
    sign_record(&device_keys(), &ACCOUNT, &mut r2);
    let mut lines = vec![
        "# MyCase record format 2 vectors (see client-core/tests/it/evidence_vectors.rs). Do not edit.".to_string(),
        "# Two records of one log, same inputs as v1.txt; the second names the first as its parent.".to_string(),
        format!("record_1 = {}", hex::encode(r1.encode_to_vec())),
        format!("record_1_hash = {}", hex::encode(h1)),
        format!("record_2 = {}", hex::encode(r2.encode_to_vec())),
    ];
    for (n, r) in [(1, &r1), (2, &r2)] {
        let subkey = record_subkey(&ring, r).unwrap();
        lines.push(format!("subkey_{n} = {}", hex::encode(*subkey)));
        lines.push(format!(
            "commitment_{n} = {}",
            hex::encode(key_commitment(&subkey))
        ));
    }
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/record-v2.txt");
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

/// The disclosed proof of `record` with a receipt signed by `server`.
fn proof_of(
    record: &Record,
    ring: &Keyring,
    server: &ed25519_dalek::SigningKey,
) -> mycase_core::export::model::RecordProof {
    use ed25519_dalek::Signer;
    use mycase_core::export::model::{rfc3339, ExportReceipt, ExportRecord, RecordProof};
    let hash = record_hash(&ACCOUNT, record);
    let time = 1_700_000_100_000u64 + record.idx;
    let message = mycase_proto::wire::receipt_message(&ACCOUNT, &DEVICE, record.idx, &hash, time);
    RecordProof {
        record: ExportRecord::from_record(record),
        record_hash: hex::encode(hash),
        subkey: hex::encode(*record_subkey(ring, record).unwrap()),
        device_public_key: hex::encode(device_keys().sign_public()),
        chain: Vec::new(),
        receipt: Some(ExportReceipt {
            server_time_ms: time,
            server_time: rfc3339(time as i64),
            signature: hex::encode(server.sign(&message).to_bytes()),
        }),
        texts: Vec::new(),
    }
}

#[test]
fn an_export_of_a_frozen_v1_record_verifies_and_says_its_key_is_not_committed() {
    use mycase_core::evidence::verify::verify_document;
    use mycase_core::export::model::{self, *};
    use mycase_core::journal::{Journal, OpId};

    // The frozen v1 creation, then (format 2) the device adding itself.
    let ring = keyring();
    let v1 = load("v1.txt");
    let created = Record::decode(v1["record"].as_slice()).unwrap();
    let keys = device_keys();
    let adds_itself = ops::operation(
        Hlc {
            wall_ms: 1_700_000_000_001,
            counter: 0,
        },
        VersionVector::default(),
        1_700_000_000_001,
        ops::device_added(DEVICE, keys.sign_public(), keys.dh_public(), "laptop"),
    );
    let mut added = seal_record(
        &ACCOUNT,
        &DEVICE,
        &Head::after(&ACCOUNT, &created),
        &ring,
        &adds_itself.encode_to_vec(),
    )
    .unwrap();
    sign_record(&keys, &ACCOUNT, &mut added);
    let server = ed25519_dalek::SigningKey::from_bytes(&[0x77; 32]);

    let mut journal = Journal::new();
    for r in [&created, &added] {
        let op = Operation::decode(open_record(&ACCOUNT, &ring, r).unwrap().as_slice()).unwrap();
        journal.insert(
            OpId {
                device: DEVICE,
                idx: r.idx,
            },
            op,
        );
    }
    let view = journal.entry(&[0x66; 16]).unwrap();
    let entry_proof = proof_of(&created, &ring, &server);
    let mut known = Provenances::new();
    known.insert(
        OpId {
            device: DEVICE,
            idx: 1,
        },
        (
            entry_proof.record_hash.clone(),
            entry_proof.receipt.as_ref().map(|r| r.server_time_ms),
        ),
    );
    let (first_day, last_day) = model::day_range(std::slice::from_ref(&view));
    let doc = ExportDocument {
        format: EXPORT_FORMAT.into(),
        generated_at: rfc3339(1_700_000_200_000),
        generated_by: hex::encode(DEVICE),
        filter: ExportFilter::default(),
        first_day,
        last_day,
        entries: vec![model::entry(&view, &known)],
        people: Vec::new(),
        categories: model::categories(),
        devices: journal.devices().iter().map(model::device).collect(),
        patterns_as_of: None,
        attachment_copies: Vec::new(),
        presentation: Default::default(),
        manifest: Manifest {
            account_id: hex::encode(ACCOUNT),
            server_key: None,
            operations: vec![ManifestOperation {
                entry_id: hex::encode([0x66; 16]),
                proof: entry_proof,
            }],
            person_operations: Vec::new(),
            device_additions: vec![DeviceAddition {
                device_id: hex::encode(DEVICE),
                proof: proof_of(&added, &ring, &server),
            }],
        },
    };
    let report = verify_document(&doc, &server.verifying_key().to_bytes());
    assert!(report.ok(), "{report:?}");
    let limits = &report.entries[0].checks.limits;
    assert!(
        limits
            .iter()
            .any(|l| l.contains("older MyCase (record format 1)") && l.contains("two ways")),
        "{limits:?}"
    );
    // A format-2 record carries no such note.
    assert!(!report.devices[0]
        .checks
        .limits
        .iter()
        .any(|l| l.contains("record format")));
}
