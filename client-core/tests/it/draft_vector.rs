//! The frozen vector of the app's kept draft (format v1, `MCDRAFT1`): today's
//! code must open a draft written by the first version.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use mycase_core::format::draft;
use mycase_tests::vectors;

fn vector() -> std::collections::BTreeMap<String, Vec<u8>> {
    vectors::read_hex(&vectors::client_core_dir().join("draft-v1.txt"))
}

#[test]
fn the_frozen_draft_opens_and_its_key_derivation_holds() {
    let v = vector();
    let dh: [u8; 32] = v["dh_secret"].clone().try_into().unwrap();
    let key = draft::draft_key(&dh);
    assert_eq!(
        key.as_slice(),
        v["draft_key"].as_slice(),
        "key derivation changed"
    );
    let opened = draft::open(&key, &v["sealed"]).unwrap();
    assert_eq!(opened.as_slice(), v["plaintext"].as_slice());
    let nonce: [u8; 24] = v["nonce"].clone().try_into().unwrap();
    assert_eq!(
        draft::seal_with_nonce(&key, &nonce, &v["plaintext"]),
        v["sealed"],
        "the layout changed"
    );
}
