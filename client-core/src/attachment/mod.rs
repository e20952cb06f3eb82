//! Attachment chunks: the STREAM construction over XChaCha20-Poly1305, keyed
//! content-derived addresses, and the streaming hash of a file.
//!
//! For a file with SHA-256 `sha256` under one key epoch:
//! - file key = HKDF-SHA256(ikm = attachments key, salt = sha256,
//!   info = "mycase/v1/attachment-file") ([`file_key`]);
//! - nonce prefix = the first 19 bytes of HKDF-SHA256(ikm = file key,
//!   info = "mycase/v1/attachment-nonce-prefix") ([`nonce_prefix`]);
//! - chunk `i` (of `chunk_size` = 1 MiB plaintext bytes, the last may be shorter;
//!   an empty file is one empty chunk) is sealed with nonce
//!   = prefix ‖ i u32be ‖ last (1 on the final chunk, else 0), and associated data
//!   "mycase/v1/attachment-chunk" ‖ i u32be ‖ last ([`seal_chunk`]);
//! - it is stored at HMAC-SHA256(blob-address key, sha256 ‖ i u64be)
//!   ([`chunk_address`]).
//!
//! The keys depend on the account's secret keys, so the server cannot test for a
//! known file; identical files within the account give identical chunks, which is
//! what makes dedup and resume work (a nonce repeats only with its plaintext).
//! Index and last flag in the nonce and associated data make truncation,
//! reordering and swapping fail to authenticate.

use std::io::Read;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::crypto::aead::{xchacha_open, xchacha_seal_with_nonce, NONCE_LEN, TAG_LEN};
use crate::crypto::kdf::hkdf_sha256;

/// Plaintext bytes per chunk.
pub const CHUNK_SIZE: usize = 1024 * 1024;
/// The largest sealed chunk.
pub const MAX_SEALED_CHUNK: usize = CHUNK_SIZE + TAG_LEN;
/// Bytes of the nonce prefix; the rest of the nonce is index (4) and flag (1).
pub const NONCE_PREFIX_LEN: usize = 19;

const FILE_KEY_LABEL: &str = "mycase/v1/attachment-file";
const NONCE_PREFIX_LABEL: &str = "mycase/v1/attachment-nonce-prefix";
const CHUNK_AD_LABEL: &[u8] = b"mycase/v1/attachment-chunk";

/// A chunk that did not open, said as precisely as the evidence allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ChunkError {
    #[error("chunk {index} is marked as the end of the file, but more chunks were expected: the file was cut short")]
    EndsEarly { index: u32 },
    #[error("chunk {index} was expected to end the file but does not: the file was cut short or extended")]
    NotTheEnd { index: u32 },
    #[error("chunk {index} failed its check: it was altered, or swapped or reordered with another chunk")]
    Altered { index: u32 },
}

/// The key that seals the chunks of one file.
pub fn file_key(attachments_key: &[u8; 32], sha256: &[u8; 32]) -> Zeroizing<[u8; 32]> {
    hkdf_sha256(attachments_key, sha256, FILE_KEY_LABEL)
}

/// The 19-byte nonce prefix of one file, derived from its file key.
pub fn nonce_prefix(file_key: &[u8; 32]) -> [u8; NONCE_PREFIX_LEN] {
    let full = hkdf_sha256(file_key, &[], NONCE_PREFIX_LABEL);
    let mut out = [0u8; NONCE_PREFIX_LEN];
    out.copy_from_slice(&full[..NONCE_PREFIX_LEN]);
    out
}

/// Where chunk `index` of the file with this hash lives on the server.
pub fn chunk_address(blob_address_key: &[u8; 32], sha256: &[u8; 32], index: u64) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(blob_address_key) {
        Ok(m) => m,
        Err(_) => return [0; 32],
    };
    mac.update(sha256);
    mac.update(&index.to_be_bytes());
    mac.finalize().into_bytes().into()
}

fn chunk_nonce(prefix: &[u8; NONCE_PREFIX_LEN], index: u32, last: bool) -> [u8; NONCE_LEN] {
    let mut n = [0u8; NONCE_LEN];
    n[..NONCE_PREFIX_LEN].copy_from_slice(prefix);
    n[NONCE_PREFIX_LEN..NONCE_PREFIX_LEN + 4].copy_from_slice(&index.to_be_bytes());
    n[NONCE_LEN - 1] = u8::from(last);
    n
}

fn chunk_ad(index: u32, last: bool) -> Vec<u8> {
    let mut ad = Vec::with_capacity(CHUNK_AD_LABEL.len() + 5);
    ad.extend_from_slice(CHUNK_AD_LABEL);
    ad.extend_from_slice(&index.to_be_bytes());
    ad.push(u8::from(last));
    ad
}

/// Seals chunk `index` of a file; `last` on its final chunk.
pub fn seal_chunk(
    key: &[u8; 32],
    nonce_prefix: &[u8; NONCE_PREFIX_LEN],
    index: u32,
    last: bool,
    plaintext: &[u8],
) -> Vec<u8> {
    xchacha_seal_with_nonce(
        key,
        &chunk_nonce(nonce_prefix, index, last),
        &chunk_ad(index, last),
        plaintext,
    )
}

/// Opens chunk `index`, which must be the final one exactly when `last`.
pub fn open_chunk(
    key: &[u8; 32],
    nonce_prefix: &[u8; NONCE_PREFIX_LEN],
    index: u32,
    last: bool,
    sealed: &[u8],
) -> Result<Zeroizing<Vec<u8>>, ChunkError> {
    let open = |flag: bool| {
        xchacha_open(
            key,
            &chunk_nonce(nonce_prefix, index, flag),
            &chunk_ad(index, flag),
            sealed,
        )
    };
    match open(last) {
        Ok(p) => Ok(p),
        // Only on failure: is it the right chunk with the wrong end marker?
        Err(_) => Err(match (open(!last).is_ok(), last) {
            (true, false) => ChunkError::EndsEarly { index },
            (true, true) => ChunkError::NotTheEnd { index },
            (false, _) => ChunkError::Altered { index },
        }),
    }
}

/// How many chunks a file of `size` bytes has (an empty file has one).
pub fn chunk_count(size: u64, chunk_size: u32) -> u64 {
    let cs = u64::from(chunk_size.max(1));
    size.div_ceil(cs).max(1)
}

/// A file's digest as the upload needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDigest {
    /// Of the whole file: it names the file's key and chunk addresses.
    pub sha256: [u8; 32],
    pub size: u64,
    /// Of each `CHUNK_SIZE` piece, so the upload pass can check every chunk it
    /// seals is what was hashed: content changed in between would otherwise be
    /// stored for good under addresses derived from the old hash.
    pub chunk_sha256: Vec<[u8; 32]>,
}

/// Hashes everything `reader` yields, in chunk-sized pieces (never the whole file
/// in memory).
pub fn digest_reader<R: Read>(mut reader: R) -> std::io::Result<FileDigest> {
    let mut whole = Sha256::new();
    let mut buf = vec![0u8; CHUNK_SIZE];
    let mut size = 0u64;
    let mut chunk_sha256 = Vec::new();
    loop {
        let n = read_full(&mut reader, &mut buf)?;
        if n == 0 && !chunk_sha256.is_empty() {
            break;
        }
        whole.update(&buf[..n]);
        chunk_sha256.push(Sha256::digest(&buf[..n]).into());
        size += n as u64;
        if n < CHUNK_SIZE {
            break;
        }
    }
    Ok(FileDigest {
        sha256: whole.finalize().into(),
        size,
        chunk_sha256,
    })
}

/// Fills `buf` from `reader` as far as it goes; returns the bytes read (less than
/// `buf.len()` only at the end of the input).
pub fn read_full<R: Read>(reader: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// A media type guessed from the file name's extension (never from the content:
/// the bytes are kept exactly as they are).
pub fn guess_media_type(name: &str) -> &'static str {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "heic" => "image/heic",
        "heif" => "image/heif",
        "bmp" => "image/bmp",
        "tif" | "tiff" => "image/tiff",
        "mp3" => "audio/mpeg",
        "m4a" => "audio/mp4",
        "aac" => "audio/aac",
        "wav" => "audio/wav",
        "ogg" | "oga" => "audio/ogg",
        "opus" => "audio/opus",
        "amr" => "audio/amr",
        "mp4" | "m4v" => "video/mp4",
        "mov" => "video/quicktime",
        "webm" => "video/webm",
        "3gp" => "video/3gpp",
        "avi" => "video/x-msvideo",
        "mkv" => "video/x-matroska",
        "pdf" => "application/pdf",
        "txt" | "text" | "log" => "text/plain",
        "csv" => "text/csv",
        "html" | "htm" => "text/html",
        "json" => "application/json",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls" => "application/vnd.ms-excel",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "odt" => "application/vnd.oasis.opendocument.text",
        "rtf" => "application/rtf",
        "eml" => "message/rfc822",
        "zip" => "application/zip",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn keys() -> (Zeroizing<[u8; 32]>, [u8; NONCE_PREFIX_LEN]) {
        let key = file_key(&[3; 32], &[4; 32]);
        let prefix = nonce_prefix(&key);
        (key, prefix)
    }

    #[test]
    fn round_trip_and_determinism() {
        let (k, p) = keys();
        let a = seal_chunk(&k, &p, 0, false, b"evidence");
        assert_eq!(a, seal_chunk(&k, &p, 0, false, b"evidence"));
        assert_eq!(a.len(), 8 + TAG_LEN);
        assert_eq!(&open_chunk(&k, &p, 0, false, &a).unwrap()[..], b"evidence");
        let empty = seal_chunk(&k, &p, 0, true, b"");
        assert!(open_chunk(&k, &p, 0, true, &empty).unwrap().is_empty());
    }

    #[test]
    fn truncation_reordering_and_swaps_are_named() {
        let (k, p) = keys();
        let c0 = seal_chunk(&k, &p, 0, false, b"one");
        let c1 = seal_chunk(&k, &p, 1, true, b"two");
        // Chunk 1 is the end; reading it as a middle chunk means the file was cut.
        assert_eq!(
            open_chunk(&k, &p, 1, false, &c1),
            Err(ChunkError::EndsEarly { index: 1 })
        );
        // Chunk 0 read as the last: a missing final chunk.
        assert_eq!(
            open_chunk(&k, &p, 0, true, &c0),
            Err(ChunkError::NotTheEnd { index: 0 })
        );
        // Swapped positions.
        assert_eq!(
            open_chunk(&k, &p, 0, false, &c1),
            Err(ChunkError::Altered { index: 0 })
        );
        let mut bad = c0.clone();
        bad[0] ^= 1;
        assert_eq!(
            open_chunk(&k, &p, 0, false, &bad),
            Err(ChunkError::Altered { index: 0 })
        );
        // Another file's key.
        let other = file_key(&[3; 32], &[5; 32]);
        assert!(open_chunk(&other, &nonce_prefix(&other), 0, false, &c0).is_err());
    }

    #[test]
    fn addresses_and_keys_are_distinct() {
        let a0 = chunk_address(&[1; 32], &[2; 32], 0);
        assert_ne!(a0, chunk_address(&[1; 32], &[2; 32], 1));
        assert_ne!(a0, chunk_address(&[9; 32], &[2; 32], 0));
        assert_ne!(*file_key(&[1; 32], &[2; 32]), *file_key(&[1; 32], &[3; 32]));
        assert_eq!(chunk_count(0, 1024), 1);
        assert_eq!(chunk_count(1024, 1024), 1);
        assert_eq!(chunk_count(1025, 1024), 2);
    }

    #[test]
    fn hashing_streams() {
        let data = vec![7u8; CHUNK_SIZE * 2 + 5];
        let d = digest_reader(&data[..]).unwrap();
        assert_eq!(d.size, data.len() as u64);
        assert_eq!(d.sha256, <[u8; 32]>::from(Sha256::digest(&data)));
        assert_eq!(
            d.chunk_sha256.len() as u64,
            chunk_count(d.size, CHUNK_SIZE as u32)
        );
        assert_eq!(
            d.chunk_sha256[2],
            <[u8; 32]>::from(Sha256::digest(&data[2 * CHUNK_SIZE..]))
        );
        // An exact multiple of the chunk size has no empty trailing chunk; an
        // empty file has one empty chunk.
        let exact = vec![1u8; CHUNK_SIZE];
        assert_eq!(digest_reader(&exact[..]).unwrap().chunk_sha256.len(), 1);
        assert_eq!(digest_reader(&[][..]).unwrap().chunk_sha256.len(), 1);
        assert_eq!(guess_media_type("Photo.JPG"), "image/jpeg");
        assert_eq!(guess_media_type("noext"), "application/octet-stream");
    }
}
