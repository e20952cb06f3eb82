//! Frozen attachment vectors: chunks sealed by this version of MyCase, committed to
//! the repository. Every future version must open them and find them at the same
//! addresses, or every attachment already stored becomes unreadable.
//!
//! `MYCASE_WRITE_VECTORS=1 cargo test -p mycase-core --test it attachment_vectors -- --ignored`
//! writes them (only for a new format version, never to make a failing test pass).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use mycase_core::attachment::{
    chunk_address, file_key, nonce_prefix, open_chunk, padded_last_len, seal_chunk, ChunkFormat,
};
use mycase_core::crypto::kdf::{ATTACHMENTS, BLOB_ADDRESS};
use mycase_core::keys::VaultKey;
use sha2::{Digest, Sha256};

const VAULT_KEY: [u8; 32] = [0x33; 32];
const FIRST: &[u8] = b"MyCase attachment vector, chunk 0 of 2. ";
const SECOND: &[u8] = b"Chunk 1, the last.";

/// The chunk size of the vectors' "file" (the format stores its chunk size).
const CHUNK: usize = 40;

fn vectors_path(version: u32) -> PathBuf {
    mycase_tests::vectors::client_core_dir().join(format!("attachments-v{version}.txt"))
}

fn load_version(version: u32) -> BTreeMap<String, Vec<u8>> {
    mycase_tests::vectors::read_hex(&vectors_path(version))
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

fn load() -> BTreeMap<String, Vec<u8>> {
    load_version(1)
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

/// Format v2: the last chunk (18 bytes of the file) is sealed padded with zeros to
/// the chunk size (40 here; 4 KiB and more with real chunk sizes), under v2 keys
/// and addresses. A v1 reader cannot mistake it, and v1 chunks still open above.
#[test]
fn attachment_chunks_v2_open_padded_at_their_addresses() {
    let v = load_version(2);
    let (attachments_key, address_key, sha) = file();
    assert_eq!(v["sha256"], sha);
    let format = ChunkFormat::from_wire(2).unwrap();
    assert_eq!(format, ChunkFormat::V2);
    let key = format.file_key(&attachments_key, &sha);
    let prefix = nonce_prefix(&key);
    assert_eq!(
        v["chunk0_address"],
        format.chunk_address(&address_key, &sha, 0)
    );
    assert_eq!(
        v["chunk1_address"],
        format.chunk_address(&address_key, &sha, 1)
    );
    assert_ne!(v["chunk1_address"], chunk_address(&address_key, &sha, 1));
    // Both chunks are the same size on the server: the file's size does not show.
    assert_eq!(v["chunk0"].len(), v["chunk1"].len());
    let first = open_chunk(&key, &prefix, 0, false, &v["chunk0"]).unwrap();
    assert_eq!(&first[..], FIRST);
    let last = open_chunk(&key, &prefix, 1, true, &v["chunk1"]).unwrap();
    assert_eq!(last.len(), CHUNK);
    assert_eq!(
        format.last_chunk_data(&last, SECOND.len(), CHUNK),
        Some(SECOND)
    );
    // The journal's size decides where the data ends; the rest must be zeros of
    // exactly the padded length (the whole file's SHA-256 is checked after).
    let mut dirty = last.to_vec();
    dirty[CHUNK - 1] = 1;
    assert_eq!(format.last_chunk_data(&dirty, SECOND.len(), CHUNK), None);
    assert_eq!(format.last_chunk_data(SECOND, SECOND.len(), CHUNK), None);
    // The v1 key does not open a v2 chunk.
    let v1_key = file_key(&attachments_key, &sha);
    assert!(open_chunk(&v1_key, &nonce_prefix(&v1_key), 1, true, &v["chunk1"]).is_err());
    let sealed_again = seal_chunk(
        &key,
        &prefix,
        1,
        true,
        &format.last_chunk_plaintext(SECOND, CHUNK),
    );
    assert_eq!(sealed_again, v["chunk1"]);
}

#[test]
fn padded_last_chunk_lengths_are_frozen() {
    const MIB: usize = 1024 * 1024;
    assert_eq!(padded_last_len(0, MIB), 4096);
    assert_eq!(padded_last_len(1, MIB), 4096);
    assert_eq!(padded_last_len(4096, MIB), 4096);
    assert_eq!(padded_last_len(5000, MIB), 5120);
    assert_eq!(padded_last_len(600_000, MIB), 606_208);
    assert_eq!(padded_last_len(MIB - 1, MIB), MIB);
    assert_eq!(padded_last_len(MIB, MIB), MIB);
}

#[test]
#[ignore]
fn write_vectors() {
    if std::env::var("MYCASE_WRITE_VECTORS").as_deref() != Ok("1") {
        return;
    }
    let (attachments_key, address_key, sha) = file();
    let format = ChunkFormat::V2;
    let key = format.file_key(&attachments_key, &sha);
    let prefix = nonce_prefix(&key);
    let last = format.last_chunk_plaintext(SECOND, CHUNK);
    let lines = [
        "# MyCase attachment format v2 test vectors (see client-core/tests/it/attachment_vectors.rs). Do not edit.".to_string(),
        format!("sha256 = {}", hex::encode(sha)),
        format!("chunk0_address = {}", hex::encode(format.chunk_address(&address_key, &sha, 0))),
        format!("chunk1_address = {}", hex::encode(format.chunk_address(&address_key, &sha, 1))),
        format!("chunk0 = {}", hex::encode(seal_chunk(&key, &prefix, 0, false, FIRST))),
        format!("chunk1 = {}", hex::encode(seal_chunk(&key, &prefix, 1, true, &last))),
    ];
    std::fs::write(vectors_path(2), lines.join("\n") + "\n").unwrap();
}
