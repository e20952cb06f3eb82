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
//!
//! That is format v1 ([`ChunkFormat::V1`]), whose last chunk has the file's exact
//! remaining length, so the server learns each file's exact size. Format v2
//! ([`ChunkFormat::V2`], written from now on) differs in three ways:
//! - the last chunk's plaintext is the file's remaining bytes followed by zeros,
//!   up to [`padded_last_len`]: its Padmé length, at least [`MIN_LAST_CHUNK`] and at
//!   most `chunk_size` (every other chunk is full anyway). The exact size is in
//!   the sealed journal operation, and the zeros are checked on opening;
//! - file key info = "mycase/v2/attachment-file";
//! - address = HMAC-SHA256(blob-address key, "mycase/v2/attachment-address" ‖
//!   sha256 ‖ i u64be), so a v2 chunk never lands on (or dedups against) a v1 one.
//!
//! What the server still learns: the number of chunks (size to the MiB) and the
//! last chunk's padded length (a few bits), as with the padded log records.

use std::io::Read;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::crypto::aead::{xchacha_open, xchacha_seal_with_nonce, NONCE_LEN, TAG_LEN};
use crate::crypto::kdf::hkdf_sha256;
use crate::crypto::padme::padme_len;

/// Plaintext bytes per chunk.
pub const CHUNK_SIZE: usize = 1024 * 1024;
/// The largest sealed chunk.
pub const MAX_SEALED_CHUNK: usize = CHUNK_SIZE + TAG_LEN;
/// Bytes of the nonce prefix; the rest of the nonce is index (4) and flag (1).
pub const NONCE_PREFIX_LEN: usize = 19;

const FILE_KEY_LABEL: &str = "mycase/v1/attachment-file";
const FILE_KEY_LABEL_V2: &str = "mycase/v2/attachment-file";
const ADDRESS_DOMAIN_V2: &[u8] = b"mycase/v2/attachment-address";
/// The smallest padded last chunk: small files all look alike.
pub const MIN_LAST_CHUNK: usize = 4096;

/// How an attachment's chunks are sealed (the `chunk_format` of its operation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkFormat {
    /// The first format: an exact-length last chunk.
    V1,
    /// A zero-padded last chunk, keys and addresses apart from v1.
    V2,
}

impl ChunkFormat {
    /// What new attachments use.
    pub const CURRENT: ChunkFormat = ChunkFormat::V2;

    /// From an operation's `chunk_format`; `None` for a format this version does
    /// not know (written by a newer MyCase).
    pub fn from_wire(value: u32) -> Option<ChunkFormat> {
        match value {
            0 | 1 => Some(ChunkFormat::V1),
            2 => Some(ChunkFormat::V2),
            _ => None,
        }
    }

    /// The number the wire carries for this format.
    pub fn to_wire(self) -> u32 {
        match self {
            ChunkFormat::V1 => 0,
            ChunkFormat::V2 => 2,
        }
    }

    /// The key that seals the chunks of one file in this format.
    pub fn file_key(self, attachments_key: &[u8; 32], sha256: &[u8; 32]) -> Zeroizing<[u8; 32]> {
        match self {
            ChunkFormat::V1 => file_key(attachments_key, sha256),
            ChunkFormat::V2 => hkdf_sha256(attachments_key, sha256, FILE_KEY_LABEL_V2),
        }
    }

    /// Where chunk `index` of the file lives on the server in this format.
    pub fn chunk_address(
        self,
        blob_address_key: &[u8; 32],
        sha256: &[u8; 32],
        index: u64,
    ) -> [u8; 32] {
        match self {
            ChunkFormat::V1 => chunk_address(blob_address_key, sha256, index),
            ChunkFormat::V2 => {
                let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(blob_address_key) else {
                    return [0; 32];
                };
                mac.update(ADDRESS_DOMAIN_V2);
                mac.update(sha256);
                mac.update(&index.to_be_bytes());
                mac.finalize().into_bytes().into()
            }
        }
    }

    /// The plaintext sealed for the file's last chunk holding `data`.
    pub fn last_chunk_plaintext(self, data: &[u8], chunk_size: usize) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(data.to_vec());
        if self == ChunkFormat::V2 {
            out.resize(padded_last_len(data.len(), chunk_size), 0);
        }
        out
    }

    /// The file's bytes in an opened last chunk that must hold `expected` of them:
    /// `None` unless the length and (in v2) the zero padding are exactly right.
    pub fn last_chunk_data(
        self,
        plain: &[u8],
        expected: usize,
        chunk_size: usize,
    ) -> Option<&[u8]> {
        let want = match self {
            ChunkFormat::V1 => expected,
            ChunkFormat::V2 => padded_last_len(expected, chunk_size),
        };
        if plain.len() != want || expected > plain.len() {
            return None;
        }
        let (data, padding) = plain.split_at(expected);
        padding.iter().all(|&b| b == 0).then_some(data)
    }
}

/// The padded length of a v2 last chunk holding `len` bytes: Padmé, at least
/// [`MIN_LAST_CHUNK`], never more than `chunk_size`.
pub fn padded_last_len(len: usize, chunk_size: usize) -> usize {
    padme_len(len.max(MIN_LAST_CHUNK)).min(chunk_size.max(len))
}
const NONCE_PREFIX_LABEL: &str = "mycase/v1/attachment-nonce-prefix";
const CHUNK_AD_LABEL: &[u8] = b"mycase/v1/attachment-chunk";

/// A chunk that did not open, said as precisely as the evidence allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ChunkError {
    /// A chunk says the file ends, but more chunks were expected.
    #[error("chunk {index} is marked as the end of the file, but more chunks were expected: the file was cut short")]
    EndsEarly {
        /// The chunk.
        index: u32,
    },
    /// The last chunk expected does not say the file ends.
    #[error("chunk {index} was expected to end the file but does not: the file was cut short or extended")]
    NotTheEnd {
        /// The chunk.
        index: u32,
    },
    /// A chunk failed its check (altered, swapped or reordered).
    #[error("chunk {index} failed its check: it was altered, or swapped or reordered with another chunk")]
    Altered {
        /// The chunk.
        index: u32,
    },
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
    /// Its size in bytes.
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

    #[test]
    fn attachments_written_before_the_padded_format_still_open_as_v1() {
        // Operations without `chunk_format` (0) are the first format, unchanged.
        let v1 = ChunkFormat::from_wire(0).unwrap();
        assert_eq!(v1, ChunkFormat::V1);
        assert_eq!(ChunkFormat::from_wire(3), None);
        let (ak, sha) = ([1u8; 32], [2u8; 32]);
        assert_eq!(*v1.file_key(&ak, &sha), *file_key(&ak, &sha));
        assert_eq!(v1.chunk_address(&ak, &sha, 7), chunk_address(&ak, &sha, 7));
        assert_eq!(&v1.last_chunk_plaintext(b"abc", 40)[..], b"abc");
        assert_eq!(v1.last_chunk_data(b"abc", 3, 40), Some(&b"abc"[..]));
        assert_eq!(v1.last_chunk_data(b"abc\0", 3, 40), None);
        // v2 keys and addresses are apart from v1's.
        let v2 = ChunkFormat::CURRENT;
        assert_ne!(*v2.file_key(&ak, &sha), *v1.file_key(&ak, &sha));
        assert_ne!(
            v2.chunk_address(&ak, &sha, 0),
            v1.chunk_address(&ak, &sha, 0)
        );
    }

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
