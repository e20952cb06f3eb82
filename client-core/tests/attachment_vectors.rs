//! Frozen attachment vectors: chunks sealed by this version of MyCase, committed to
//! the repository. Every future version must open them and find them at the same
//! addresses, or every attachment already stored becomes unreadable.
//!
//! `MYCASE_WRITE_VECTORS=1 cargo test -p mycase-core --test attachment_vectors -- --ignored`
//! writes them (only for a new format version, never to make a failing test pass).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use mycase_core::attachment::{chunk_address, file_key, nonce_prefix, open_chunk, seal_chunk};
use mycase_core::crypto::kdf::{ATTACHMENTS, BLOB_ADDRESS};
use mycase_core::keys::VaultKey;
use sha2::{Digest, Sha256};

const VAULT_KEY: [u8; 32] = [0x33; 32];
const FIRST: &[u8] = b"MyCase attachment vector, chunk 0 of 2. ";
const SECOND: &[u8] = b"Chunk 1, the last.";

fn vectors_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/attachments-v1.txt")
}

fn load() -> BTreeMap<String, Vec<u8>> {
    let text = std::fs::read_to_string(vectors_path()).expect("vectors file");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (k, v) = l.split_once(" = ").expect("name = hex");
            (k.to_string(), hex::decode(v.trim()).expect("hex"))
        })
        .collect()
}

/// A two-chunk "file" with a chunk size of 40 (the format stores its chunk size).
fn file() -> ([u8; 32], [u8; 32], [u8; 32]) {
    let vault = VaultKey::from_bytes(VAULT_KEY);
    let mut h = Sha256::new();
    h.update(FIRST);
    h.update(SECOND);
    (
        *vault.subkey(ATTACHMENTS),
        *vault.subkey(BLOB_ADDRESS),
        h.finalize().into(),
    )
}

#[test]
fn attachment_chunks_v1_open_at_their_addresses() {
    let v = load();
    let (attachments_key, address_key, sha) = file();
    assert_eq!(v["sha256"], sha);
    let key = file_key(&attachments_key, &sha);
    let prefix = nonce_prefix(&key);
    assert_eq!(v["chunk0_address"], chunk_address(&address_key, &sha, 0));
    assert_eq!(v["chunk1_address"], chunk_address(&address_key, &sha, 1));
    assert_eq!(
        &open_chunk(&key, &prefix, 0, false, &v["chunk0"]).unwrap()[..],
        FIRST
    );
    assert_eq!(
        &open_chunk(&key, &prefix, 1, true, &v["chunk1"]).unwrap()[..],
        SECOND
    );
    // Deterministic: sealing again gives the committed bytes (dedup relies on it).
    assert_eq!(seal_chunk(&key, &prefix, 0, false, FIRST), v["chunk0"]);
}

#[test]
#[ignore]
fn write_vectors() {
    if std::env::var("MYCASE_WRITE_VECTORS").as_deref() != Ok("1") {
        return;
    }
    let (attachments_key, address_key, sha) = file();
    let key = file_key(&attachments_key, &sha);
    let prefix = nonce_prefix(&key);
    let lines = [
        "# MyCase attachment format v1 test vectors (see client-core/tests/attachment_vectors.rs). Do not edit.".to_string(),
        format!("sha256 = {}", hex::encode(sha)),
        format!("chunk0_address = {}", hex::encode(chunk_address(&address_key, &sha, 0))),
        format!("chunk1_address = {}", hex::encode(chunk_address(&address_key, &sha, 1))),
        format!("chunk0 = {}", hex::encode(seal_chunk(&key, &prefix, 0, false, FIRST))),
        format!("chunk1 = {}", hex::encode(seal_chunk(&key, &prefix, 1, true, SECOND))),
    ];
    std::fs::write(vectors_path(), lines.join("\n") + "\n").unwrap();
}
