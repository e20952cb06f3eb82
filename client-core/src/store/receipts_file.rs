//! The store's `receipts` file: verified server receipts, sealed at rest under
//! the [`StoreKey`], so a copy of the device home taken without the passphrase
//! tells neither when records reached the server nor which devices wrote them.
//!
//! Format v1 (`MCRCPTS1`):
//! - header: `b"MCRCPTS1" || 24-byte file nonce || 16-byte tag`, the tag being
//!   XChaCha20-Poly1305 under the store key with the file nonce over the empty
//!   message, AD = the magic. It proves the key before anything else is read, so
//!   a wrong key is told apart from damage.
//! - then batch frames, one per [`append`](ReceiptsFile::append):
//!   `u32 BE n || 24-byte nonce || ciphertext` (`n` = 24 + ciphertext length),
//!   the ciphertext being XChaCha20-Poly1305 with AD = `magic || file nonce ||
//!   u64 BE frame number (0-based)` (a frame belongs to one file at one place)
//!   over the Padmé framing of [`crate::crypto::padme`] (`u32 BE length || data
//!   || zeros`) padded to `padme_len(max(4 + length, MIN_BODY))`, where data is
//!   receipts of `16-byte device id || u64 BE idx || u64 BE server_time_ms ||
//!   64-byte signature`. A batch of 1 to 16 receipts looks the same; larger ones
//!   leak only Padmé's O(log log n) bits of their count.
//!
//! An open that finds more than one frame (or a torn tail) rewrites the file as
//! one frame, atomically, so the file shows the size of all receipts kept, not
//! the history of sync rounds that brought them.
//!
//! A torn tail (a frame running past the end of the file, an all-zero
//! remainder, or a final frame that does not open and holds a run of zero bytes,
//! which is where an interrupted write's data did not land) is dropped: it was
//! never reported as kept. A frame that does not open anywhere else is
//! [`StoreError::Corrupt`] and nothing is touched.
//!
//! The format before this one (plain `16 + 8 + 8 + 64`-byte frames, no magic) is
//! read and rewritten sealed on open, atomically (temp file, fsync, rename), so a
//! crash leaves either the old file or the new one. A file is taken for the plain
//! format only if it is not a sealed one with a damaged magic and every frame
//! holds a plausible idx and server time; anything else is corrupt, untouched.
//!
//! Moving to a new key ([`ReceiptsFile::rekey`]) writes `receipts.next` under
//! the new key before the caller switches the home's key and renames it over
//! `receipts` after. An open resolves a crash in between by the key it is given:
//! a `receipts.next` that opens under it is the current file; one that does not
//! is left over from a switch that never happened, and is removed.

use std::collections::BTreeMap;
use std::fs;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::file::{private_options, sync_dir};
use super::key::StoreKey;
use super::{RecordPosition, StoreError, StoredReceipt};
use crate::crypto::aead::{xchacha_open, xchacha_seal, NONCE_LEN, TAG_LEN};
use crate::crypto::padme::{padme_len, unpad};
use crate::crypto::random_bytes;
use crate::ids::DeviceId;

pub(super) type Receipts = BTreeMap<RecordPosition, StoredReceipt>;

const FILE: &str = "receipts";
const NEXT: &str = "receipts.next";
const TMP: &str = "receipts.tmp";

/// The sealed format's magic, version 1. A file of the plain format starts with
/// a random device id, which matches this with probability 2^-64.
pub const MAGIC: &[u8; 8] = b"MCRCPTS1";
const HEADER_LEN: usize = MAGIC.len() + NONCE_LEN + TAG_LEN;
const RECEIPT_LEN: usize = 16 + 8 + 8 + 64;
/// The smallest padded body: batches of up to 16 receipts all look like this.
const MIN_BODY: usize = 4 + 16 * RECEIPT_LEN;
/// A frame's nonce and tag; anything shorter cannot be a frame.
const MIN_FRAME: usize = NONCE_LEN + TAG_LEN;
/// A run of this many zero bytes in a frame that does not open marks a write
/// that never finished (sealed bytes hold one with probability ~2^-128).
const TORN_ZERO_RUN: usize = 16;

/// Why a sealed file could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReadError {
    /// The header does not authenticate under the key given.
    WrongKey,
    Corrupt(&'static str),
}

/// The receipts of a sealed file, and where it stands.
struct SealedFile {
    receipts: Receipts,
    file_nonce: [u8; NONCE_LEN],
    frames: u64,
    /// Bytes of the header and the whole frames; anything after is a torn tail.
    whole_len: usize,
}

/// Where the sealed file on disk stands, for appends.
#[derive(Debug, Clone, Copy)]
struct Written {
    file_nonce: [u8; NONCE_LEN],
    frames: u64,
    len: u64,
}

/// The `receipts` file of one store directory.
#[derive(Debug)]
pub(super) struct ReceiptsFile {
    dir: PathBuf,
    key: StoreKey,
    /// `None` while no sealed file exists (nothing kept yet).
    written: Option<Written>,
}

impl ReceiptsFile {
    /// Reads the receipts in `dir` with `key`: resolves an interrupted key
    /// switch, migrates the plain format, compacts frames and drops a torn tail.
    /// A file that does not open (wrong key, damage) is an error and is left as
    /// it was; every change made is an atomic replacement.
    pub(super) fn open(dir: &Path, key: StoreKey) -> Result<(ReceiptsFile, Receipts), StoreError> {
        let mut file = ReceiptsFile {
            dir: dir.to_path_buf(),
            key,
            written: None,
        };
        let wrong_key = || {
            StoreError::Corrupt(
                "the receipts file does not open with this device's key (it was written \
                 under other keys, or altered); nothing was changed"
                    .into(),
            )
        };
        let mut stale_next = false;
        let mut current = None;
        if let Some(next) = read_if_present(&file.path(NEXT))? {
            match read_sealed(&file.key, &next) {
                // The key switch happened: this file is the current one.
                Ok(sealed) => current = Some((next, Some(sealed))),
                // A switch that never happened left it.
                Err(ReadError::WrongKey) => stale_next = true,
                Err(ReadError::Corrupt(what)) => return Err(corrupt(what)),
            }
        }
        let from_next = current.is_some();
        if current.is_none() {
            current = read_if_present(&file.path(FILE))?.map(|bytes| (bytes, None));
        }
        let receipts = match current {
            None => Receipts::new(),
            Some((bytes, parsed)) if bytes.starts_with(MAGIC) => {
                let sealed = match parsed {
                    Some(sealed) => sealed,
                    None => read_sealed(&file.key, &bytes).map_err(|e| match e {
                        ReadError::WrongKey => wrong_key(),
                        ReadError::Corrupt(what) => corrupt(what),
                    })?,
                };
                if from_next {
                    fs::rename(file.path(NEXT), file.path(FILE))?;
                    sync_dir(&file.dir)?;
                }
                if sealed.frames > 1 || sealed.whole_len < bytes.len() {
                    file.rewrite(&sealed.receipts)?;
                } else {
                    file.written = Some(Written {
                        file_nonce: sealed.file_nonce,
                        frames: sealed.frames,
                        len: sealed.whole_len as u64,
                    });
                }
                sealed.receipts
            }
            Some((bytes, _)) => {
                if header_opens_ignoring_magic(&file.key, &bytes) {
                    return Err(corrupt("has a damaged header"));
                }
                let receipts = read_plain(&bytes)
                    .ok_or_else(|| corrupt("is neither sealed nor in the older plain format"))?;
                tracing::info!("sealing the local receipts file (written by an older MyCase)");
                file.rewrite(&receipts)?;
                receipts
            }
        };
        if stale_next {
            fs::remove_file(file.path(NEXT))?;
            sync_dir(&file.dir)?;
        }
        match fs::remove_file(file.path(TMP)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
        Ok((file, receipts))
    }

    /// Adds `fresh` receipts (none of them in `kept`), durably.
    pub(super) fn append(
        &mut self,
        kept: &Receipts,
        fresh: &[(RecordPosition, StoredReceipt)],
    ) -> Result<(), StoreError> {
        if fresh.is_empty() {
            return Ok(());
        }
        let Some(written) = self.written else {
            let mut all = kept.clone();
            all.extend(fresh.iter().copied());
            return self.rewrite(&all);
        };
        let frame = seal_frame(&self.key, &written.file_nonce, written.frames, fresh)?;
        let mut f = private_options()
            .write(true)
            .truncate(false)
            .open(self.path(FILE))?;
        let end = written.len + frame.len() as u64;
        let result = (|| {
            f.seek(SeekFrom::Start(written.len))?;
            f.write_all(&frame)?;
            // Leftovers of an earlier failed append must not follow the new frame.
            f.set_len(end)?;
            f.sync_data()
        })();
        if let Err(e) = result {
            // Best effort; an open drops a torn tail anyway.
            let _ = f.set_len(written.len);
            return Err(e.into());
        }
        self.written = Some(Written {
            frames: written.frames + 1,
            len: end,
            ..written
        });
        Ok(())
    }

    /// Moves `kept` to `new_key` around `switch`, which makes `new_key` the one
    /// the next open is given (it writes the key file). Crash-safe both sides of
    /// `switch` (see the module doc). If `switch` fails, the old key stays in use
    /// and the written `receipts.next` is left for the next open to judge, since
    /// only the key given then says whether the switch took effect.
    pub(super) fn rekey<E: From<StoreError>>(
        &mut self,
        kept: &Receipts,
        new_key: StoreKey,
        switch: impl FnOnce() -> Result<(), E>,
    ) -> Result<(), E> {
        if new_key == self.key {
            return switch();
        }
        let (bytes, written) = sealed_file(&new_key, kept)?;
        self.write_atomic(NEXT, &bytes)?;
        switch()?;
        fs::rename(self.path(NEXT), self.path(FILE)).map_err(StoreError::from)?;
        sync_dir(&self.dir)?;
        self.key = new_key;
        self.written = Some(written);
        Ok(())
    }

    /// Replaces the file by one frame holding `receipts`, atomically.
    fn rewrite(&mut self, receipts: &Receipts) -> Result<(), StoreError> {
        let (bytes, written) = sealed_file(&self.key, receipts)?;
        self.write_atomic(FILE, &bytes)?;
        self.written = Some(written);
        Ok(())
    }

    /// Temp file, fsync, rename over `name`, fsync the directory.
    fn write_atomic(&self, name: &str, bytes: &[u8]) -> Result<(), StoreError> {
        let tmp = self.path(TMP);
        {
            let mut f = private_options().write(true).truncate(true).open(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
        }
        fs::rename(&tmp, self.path(name))?;
        sync_dir(&self.dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("the receipts file {what}"))
}

fn read_if_present(path: &Path) -> Result<Option<Vec<u8>>, StoreError> {
    match fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(StoreError::Io(e)),
    }
}

/// A whole sealed file: header, then one frame if there is anything to keep.
fn sealed_file(key: &StoreKey, receipts: &Receipts) -> Result<(Vec<u8>, Written), StoreError> {
    let file_nonce = random_bytes::<NONCE_LEN>();
    let mut bytes = header(key, &file_nonce);
    let mut frames = 0;
    if !receipts.is_empty() {
        let all: Vec<_> = receipts.iter().map(|(p, r)| (*p, *r)).collect();
        bytes.extend_from_slice(&seal_frame(key, &file_nonce, 0, &all)?);
        frames = 1;
    }
    let len = bytes.len() as u64;
    Ok((
        bytes,
        Written {
            file_nonce,
            frames,
            len,
        },
    ))
}

fn header(key: &StoreKey, file_nonce: &[u8; NONCE_LEN]) -> Vec<u8> {
    let tag = crate::crypto::aead::xchacha_seal_with_nonce(key.bytes(), file_nonce, MAGIC, &[]);
    let mut out = Vec::with_capacity(HEADER_LEN);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(file_nonce);
    out.extend_from_slice(&tag);
    out
}

fn frame_ad(file_nonce: &[u8; NONCE_LEN], number: u64) -> Vec<u8> {
    let mut ad = Vec::with_capacity(MAGIC.len() + NONCE_LEN + 8);
    ad.extend_from_slice(MAGIC);
    ad.extend_from_slice(file_nonce);
    ad.extend_from_slice(&number.to_be_bytes());
    ad
}

/// One batch frame (length prefix included).
fn seal_frame(
    key: &StoreKey,
    file_nonce: &[u8; NONCE_LEN],
    number: u64,
    receipts: &[(RecordPosition, StoredReceipt)],
) -> Result<Vec<u8>, StoreError> {
    let data_len = receipts.len() * RECEIPT_LEN;
    let too_big = || StoreError::Corrupt("too many receipts for one frame".into());
    let framed_len = u32::try_from(data_len).map_err(|_| too_big())?;
    let padded_len = padme_len((4 + data_len).max(MIN_BODY));
    let mut body = zeroize::Zeroizing::new(Vec::with_capacity(padded_len));
    body.extend_from_slice(&framed_len.to_be_bytes());
    for ((device, idx), receipt) in receipts {
        body.extend_from_slice(device);
        body.extend_from_slice(&idx.to_be_bytes());
        body.extend_from_slice(&receipt.server_time_ms.to_be_bytes());
        body.extend_from_slice(&receipt.signature);
    }
    body.resize(padded_len, 0);
    let (nonce, ciphertext) = xchacha_seal(key.bytes(), &frame_ad(file_nonce, number), &body);
    let n = u32::try_from(NONCE_LEN + ciphertext.len()).map_err(|_| too_big())?;
    let mut out = Vec::with_capacity(4 + n as usize);
    out.extend_from_slice(&n.to_be_bytes());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ciphertext);
    Ok(out)
}

fn read_sealed(key: &StoreKey, bytes: &[u8]) -> Result<SealedFile, ReadError> {
    let header = bytes
        .get(..HEADER_LEN)
        .filter(|h| h.starts_with(MAGIC))
        .ok_or(ReadError::Corrupt("has a damaged header"))?;
    let file_nonce: [u8; NONCE_LEN] = header[MAGIC.len()..MAGIC.len() + NONCE_LEN]
        .try_into()
        .map_err(|_| ReadError::Corrupt("has a damaged header"))?;
    xchacha_open(
        key.bytes(),
        &file_nonce,
        MAGIC,
        &header[MAGIC.len() + NONCE_LEN..],
    )
    .map_err(|_| ReadError::WrongKey)?;
    let mut receipts = Receipts::new();
    let mut frames = 0u64;
    let mut pos = HEADER_LEN;
    while pos < bytes.len() {
        let rest = &bytes[pos..];
        if rest.iter().all(|&b| b == 0) {
            break; // zeros where an interrupted write never landed
        }
        let Some(n) = rest
            .get(..4)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_be_bytes)
        else {
            break; // a torn length prefix
        };
        let n = n as usize;
        if n < MIN_FRAME {
            return Err(ReadError::Corrupt("has an impossible frame length"));
        }
        let Some(frame) = rest.get(4..4 + n) else {
            break; // runs past the end: its write never finished
        };
        let (nonce, ciphertext) = frame.split_at(NONCE_LEN);
        let body = match xchacha_open(
            key.bytes(),
            nonce,
            &frame_ad(&file_nonce, frames),
            ciphertext,
        ) {
            Ok(body) => body,
            Err(_) if 4 + n == rest.len() && has_zero_run(frame) => break,
            Err(_) => return Err(ReadError::Corrupt("has a frame that does not open")),
        };
        let data = unpad(&body).ok_or(ReadError::Corrupt("has a badly padded frame"))?;
        if data.len() % RECEIPT_LEN != 0 {
            return Err(ReadError::Corrupt("has a frame of the wrong size"));
        }
        for chunk in data.chunks_exact(RECEIPT_LEN) {
            let (position, receipt) = decode_receipt(chunk);
            receipts.entry(position).or_insert(receipt);
        }
        frames += 1;
        pos += 4 + n;
    }
    Ok(SealedFile {
        receipts,
        file_nonce,
        frames,
        whole_len: pos.min(bytes.len()),
    })
}

fn has_zero_run(bytes: &[u8]) -> bool {
    let mut run = 0;
    for &b in bytes {
        run = if b == 0 { run + 1 } else { 0 };
        if run >= TORN_ZERO_RUN {
            return true;
        }
    }
    false
}

/// True if `bytes` carry a valid header for `key` under a damaged magic: a
/// sealed file, not one of the plain format (whose bytes there are a device id
/// and an idx).
fn header_opens_ignoring_magic(key: &StoreKey, bytes: &[u8]) -> bool {
    let Some(header) = bytes.get(MAGIC.len()..HEADER_LEN) else {
        return false;
    };
    let (nonce, tag) = header.split_at(NONCE_LEN);
    xchacha_open(key.bytes(), nonce, MAGIC, tag).is_ok()
}

/// Server times a receipt of the plain format can hold: 2017 to 2286, in
/// milliseconds. Sealed or damaged bytes fall outside with overwhelming odds.
const PLAIN_TIMES_MS: std::ops::Range<u64> = 1_500_000_000_000..10_000_000_000_000;
/// Record positions a receipt of the plain format can hold.
const PLAIN_IDX: std::ops::Range<u64> = 1..1 << 48;

/// Reads the plain format (before v1); a torn final frame is dropped. `None` if
/// a frame is not a plausible receipt, so damage is never taken for the old
/// format and "migrated" away.
fn read_plain(bytes: &[u8]) -> Option<Receipts> {
    let mut out = Receipts::new();
    for chunk in bytes.chunks_exact(RECEIPT_LEN) {
        let (position, receipt) = decode_receipt(chunk);
        if !PLAIN_IDX.contains(&position.1) || !PLAIN_TIMES_MS.contains(&receipt.server_time_ms) {
            return None;
        }
        out.entry(position).or_insert(receipt);
    }
    Some(out)
}

/// One `RECEIPT_LEN`-byte receipt.
fn decode_receipt(chunk: &[u8]) -> (RecordPosition, StoredReceipt) {
    let mut device: DeviceId = [0; 16];
    device.copy_from_slice(&chunk[..16]);
    let u64_at = |at: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&chunk[at..at + 8]);
        u64::from_be_bytes(b)
    };
    let idx = u64_at(16);
    let server_time_ms = u64_at(24);
    let mut signature = [0u8; 64];
    signature.copy_from_slice(&chunk[32..96]);
    (
        (device, idx),
        StoredReceipt {
            server_time_ms,
            signature,
        },
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn receipts(n: u64) -> Vec<(RecordPosition, StoredReceipt)> {
        (1..=n)
            .map(|i| {
                (
                    ([i as u8; 16], i),
                    StoredReceipt {
                        server_time_ms: 1_700_000_000_000 + i,
                        signature: [i as u8; 64],
                    },
                )
            })
            .collect()
    }

    #[test]
    fn small_batches_look_alike_and_larger_ones_grow_in_steps() {
        let key = StoreKey::from_bytes([1; 32]);
        let nonce = [2; NONCE_LEN];
        let len = |n| seal_frame(&key, &nonce, 0, &receipts(n)).unwrap().len();
        assert_eq!(len(1), len(16));
        assert!(len(17) > len(16));
        // 40 and 41 receipts pad to the same size: not one step per record.
        assert_eq!(len(40), len(41));
    }

    #[test]
    fn a_frame_opens_only_at_its_place_in_its_file() {
        let key = StoreKey::from_bytes([1; 32]);
        let nonce = [2; NONCE_LEN];
        let mut file = header(&key, &nonce);
        file.extend_from_slice(&seal_frame(&key, &nonce, 1, &receipts(2)).unwrap());
        file.extend_from_slice(&[0xff; 8]);
        assert_eq!(
            read_sealed(&key, &file).err(),
            Some(ReadError::Corrupt("has a frame that does not open"))
        );
        let other = header(&key, &[3; NONCE_LEN]);
        let mut moved = other.clone();
        moved.extend_from_slice(&seal_frame(&key, &nonce, 0, &receipts(2)).unwrap());
        moved.extend_from_slice(&[0xff; 8]);
        assert!(read_sealed(&key, &moved).is_err());
    }

    #[test]
    fn wrong_key_is_told_apart_from_damage() {
        let key = StoreKey::from_bytes([1; 32]);
        let (bytes, _) = sealed_file(&key, &receipts(3).into_iter().collect()).unwrap();
        assert_eq!(read_sealed(&key, &bytes).unwrap().receipts.len(), 3);
        assert_eq!(
            read_sealed(&StoreKey::from_bytes([9; 32]), &bytes).err(),
            Some(ReadError::WrongKey)
        );
    }

    #[test]
    fn a_final_frame_with_unwritten_zeros_is_torn_and_one_flipped_byte_is_not() {
        let key = StoreKey::from_bytes([1; 32]);
        let (bytes, _) = sealed_file(&key, &receipts(3).into_iter().collect()).unwrap();
        let mut torn = bytes.clone();
        let n = torn.len();
        torn[n - 600..n - 100].fill(0);
        let read = read_sealed(&key, &torn).unwrap();
        assert_eq!((read.frames, read.whole_len), (0, HEADER_LEN));
        let mut flipped = bytes;
        flipped[n - 300] ^= 1;
        assert!(matches!(
            read_sealed(&key, &flipped),
            Err(ReadError::Corrupt(_))
        ));
    }
}
