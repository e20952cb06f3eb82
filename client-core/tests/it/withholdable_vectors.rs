//! Frozen vectors of record format 3 (withholdable texts): the piece, salt and
//! commitment functions on fixed inputs (cross-checked with a few lines of
//! Python's hashlib and hmac, see docs/FORMATS.md), and a frozen format-3
//! record (tests/vectors/record-v3.txt) with the frozen export disclosure of
//! its text in part and its location withheld. A change here breaks every
//! journal and export already written.
//!
//! `MYCASE_WRITE_VECTORS=1 cargo test -p mycase-core --test it withholdable_vectors -- --ignored`
//! writes record-v3.txt afresh (only when introducing a format, never to make a
//! failing test pass).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use mycase_core::evidence::disclose::{open_operation as open_disclosed, record_subkey};
use mycase_core::evidence::withheld::{covered_pieces, disclose, show_texts, Choice};
use mycase_core::export::model::TextDisclosure;
use mycase_core::format::withholdable::{
    commit_text, piece_digest, piece_salt, pieces, text_commitment,
};
use mycase_core::journal::{ops, Field};
use mycase_core::keys::{DeviceKeys, Keyring, VaultKey};
use mycase_core::record::{
    open_operation, open_record_texts, seal_operation, sign_record, verify_run, Head,
};
use mycase_proto::v1::operation::Body;
use mycase_proto::v1::{EntryFields, Hlc, Operation, Record, VersionVector};
use prost::Message;

const ACCOUNT: [u8; 16] = [0x11; 16];
const DEVICE: [u8; 16] = [0x22; 16];
const VAULT_KEY: [u8; 32] = [0x33; 32];
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

fn load() -> BTreeMap<String, Vec<u8>> {
    mycase_tests::vectors::read_hex(&mycase_tests::vectors::client_core_dir().join("record-v3.txt"))
}

#[test]
fn the_piece_functions_are_frozen() {
    let seed = [0x77; 32];
    let text = "He came to 12 Elm Road, Leeds.";
    assert_eq!(
        pieces(text),
        ["He", " ", "came", " ", "to", " ", "12", " ", "Elm", " ", "Road,", " ", "Leeds."]
    );
    let salt = piece_salt(&seed, 0);
    assert_eq!(hex::encode(salt), "d5de5406f76c626eab83c595dd5d572f");
    assert_eq!(
        hex::encode(piece_digest(0, &salt, "He")),
        "8d3b3750e937a437c5d06d673e1f17dab1973f874ef28f945194a56ba2b725b3"
    );
    assert_eq!(
        hex::encode(commit_text(2, &seed, text)),
        "81db09bc45108e140f9ba8bf910c0beb4d6c7967564760b790a98314b9679c7c"
    );
    assert_eq!(
        hex::encode(text_commitment(7, &[])),
        "705631530a82466716c446b880c1a1167190e883177b8286f7d8a48fb275a7cc"
    );
}

fn operation() -> Operation {
    ops::operation(
        Hlc {
            wall_ms: 1_764_000_000_000,
            counter: 0,
        },
        VersionVector::default(),
        1_764_000_000_000,
        ops::create_entry(
            [0x66; 16],
            EntryFields {
                title: Some("At the refuge".into()),
                text: Some("He came to 12 Elm Road, Leeds and shouted.".into()),
                location: Some("12 Elm Road".into()),
                severity: Some(3),
                ..Default::default()
            },
        ),
    )
}

fn fields(op: &Operation) -> &EntryFields {
    match op.body.as_ref().unwrap() {
        Body::EntryCreated(c) => c.fields.as_ref().unwrap(),
        other => panic!("unexpected operation {other:?}"),
    }
}

#[test]
fn the_frozen_format_3_record_opens_whole_on_a_device_and_in_part_from_its_disclosure() {
    let v = load();
    let record = Record::decode(v["record"].as_slice()).unwrap();
    assert_eq!(record.format_version, 3);
    let run = verify_run(
        &ACCOUNT,
        &DEVICE,
        &device_keys().sign_public(),
        &Head::GENESIS,
        std::slice::from_ref(&record),
    )
    .unwrap();
    assert_eq!(run.covered, 1);

    // A device reads every word.
    assert_eq!(
        open_operation(&ACCOUNT, &keyring(), &record).unwrap(),
        operation()
    );

    // The disclosed subkey opens the operation with its texts still behind
    // their commitments: no word of them.
    let subkey: [u8; 32] = v["subkey"].as_slice().try_into().unwrap();
    assert_eq!(
        record_subkey(&keyring(), &record).unwrap().to_vec(),
        v["subkey"]
    );
    let outer = open_disclosed(&ACCOUNT, &record, &subkey).unwrap();
    let f = fields(&outer);
    assert_eq!((f.title.as_ref(), f.text.as_ref()), (None, None));
    assert_eq!(f.location, None);
    assert_eq!(f.severity, Some(3));
    assert_eq!(f.withholdable.len(), 3);

    // The frozen disclosure: the title whole, the address withheld from the
    // text, the location withheld.
    let shown: Vec<TextDisclosure> = serde_json::from_slice(&v["disclosure_json"]).unwrap();
    let mut op = outer.clone();
    let result = show_texts(&mut op, record.format_version, &shown).unwrap();
    let f = fields(&op);
    assert_eq!(f.title.as_deref(), Some("At the refuge"));
    assert_eq!(
        f.text.as_deref(),
        Some("He came to [withheld] Leeds and shouted.")
    );
    assert_eq!(f.location.as_deref(), Some("[withheld]"));
    assert_eq!(result.withheld.len(), 2);
    assert!(!String::from_utf8_lossy(&v["disclosure_json"]).contains("Elm"));

    // The same disclosure made afresh from the record is byte-identical: the
    // salts and digests come from the sealed seeds, not from chance.
    let (_, texts) = open_record_texts(&ACCOUNT, &keyring(), &record).unwrap();
    let again: Vec<TextDisclosure> = texts
        .iter()
        .map(|t| match t.field {
            Field::Text => disclose(
                t,
                &Choice::Pieces(covered_pieces(&t.text, "12 Elm Road").unwrap()),
            ),
            Field::Location => disclose(t, &Choice::WithholdAll),
            _ => disclose(t, &Choice::Show),
        })
        .collect();
    assert_eq!(serde_json::to_vec(&again).unwrap(), v["disclosure_json"]);
}

#[test]
#[ignore = "writes new vectors; run only when introducing a new format version"]
fn write_record_v3_vectors() {
    if std::env::var("MYCASE_WRITE_VECTORS").as_deref() != Ok("1") {
        return;
    }
    let ring = keyring();
    let mut record =
        seal_operation(&ACCOUNT, &DEVICE, &Head::GENESIS, &ring, &operation()).unwrap();
    sign_record(&device_keys(), &ACCOUNT, &mut record);
    let (_, texts) = open_record_texts(&ACCOUNT, &ring, &record).unwrap();
    let shown: Vec<TextDisclosure> = texts
        .iter()
        .map(|t| match t.field {
            Field::Text => disclose(
                t,
                &Choice::Pieces(covered_pieces(&t.text, "12 Elm Road").unwrap()),
            ),
            Field::Location => disclose(t, &Choice::WithholdAll),
            _ => disclose(t, &Choice::Show),
        })
        .collect();
    let lines = [
        "# MyCase record format 3 vectors (see client-core/tests/it/withholdable_vectors.rs). Do not edit.".to_string(),
        "# One signed entry creation whose texts are sealed apart; the export disclosure of it".to_string(),
        "# with \"12 Elm Road\" withheld from the text and the location withheld (JSON, as hex).".to_string(),
        format!("record = {}", hex::encode(record.encode_to_vec())),
        format!(
            "subkey = {}",
            hex::encode(*record_subkey(&ring, &record).unwrap())
        ),
        format!(
            "disclosure_json = {}",
            hex::encode(serde_json::to_vec(&shown).unwrap())
        ),
    ];
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/record-v3.txt");
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}
