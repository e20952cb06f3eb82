//! [`FileStore`]: the local store on disk.
//!
//! Layout under the store directory (0700; files 0600 on unix):
//!
//! - `lock`: an exclusive OS file lock held for the store's lifetime, so two
//!   MyCase processes never write the same logs.
//! - `logs/<32 lower-case hex device id>`: one append-only file per device log,
//!   a sequence of frames:
//!   - record frame: `u32 BE length (> 0) || prost-encoded Record`;
//!   - commit frame: `u32 BE 0 || u32 BE n`, written after the `n` record frames
//!     of each appended batch, in the same write.
//!
//!   Records after the last commit frame belong to a batch whose write never
//!   finished (so was never acknowledged) and are dropped on open: a crash cannot
//!   leave half a batch, whose signature may be in the half that is missing.
//!   A torn tail (a frame running past the end, an undecodable final frame,
//!   an all-zero remainder) is cut off the same way. Anything bad with more
//!   data after it, a length above `MAX_MESSAGE_BYTES` or a commit count that
//!   does not match (an interrupted write cannot produce those) is reported as
//!   [`StoreError::Corrupt`] and nothing is touched.
//! - `state`: the [`SyncState`]: `b"MCS2" || u64 BE acked_own || u8 has_key ||
//!   [32-byte server key if has_key = 1] || prost-encoded VersionVector
//!   (highest_seen)`, replaced atomically (write `state.tmp`, fsync, rename,
//!   fsync the directory). Missing = default. The older `b"MCS1" || acked_own ||
//!   vector` (no pinned key) still reads.
//! - `receipts` (and briefly `receipts.next`, `receipts.tmp`): verified server
//!   receipts, sealed under the [`StoreKey`] in padded batch frames (format v1
//!   and its migration from the plain frames of before: `receipts_file.rs`). A
//!   receipt is only kept, never needed to read the logs.
//!
//! Everything stored is already sealed; file names carry only random ids.
//!
//! # What a copy of the store shows without the passphrase
//!
//! The records' content, authors' names, entry times and the server's receipt
//! times are sealed. What stays readable (and why it is accepted for now):
//!
//! - Which devices have written to the journal: the log file names, and each
//!   record's `device_id` inside, are device ids (random, but the same ids the
//!   server holds, so they link this home to an account on a seized server).
//! - How much each device wrote: a log's size, its frame count, each record's
//!   `idx`, and which records carry a signature (one per uploaded batch), so the
//!   number of records and of write sessions per device. Records are padded
//!   (Padmé) but not hidden. Sealing the logs as a whole would need a new log
//!   format; the key epoch of each record is readable too.
//! - When: file modification times. A log's mtime is the last time records of
//!   that device were stored here (the own log: the last entry written on this
//!   device); `state`'s and `receipts`' mtimes are the last sync that changed
//!   them; the `logs` directory's mtime is when a device first appeared. They are
//!   not faked: backup tools compare mtimes, so faking them could leave a backup
//!   silently stale, and the inode change time cannot be set anyway.
//! - `state`: how far this device's own log was acknowledged and the highest
//!   vector seen (record counts per device again), and the server's receipt key,
//!   which names the server.
//! - `receipts`: its size, in Padmé steps with a floor of 16 receipts, and the
//!   number of frames appended since the store was last opened (each open
//!   compacts the file to one frame).

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mycase_proto::v1::{Record, VersionVector};
use prost::Message;

use super::key::StoreKey;
use super::memory::check_batch;
use super::receipts_file::{Receipts, ReceiptsFile};
use super::{LocalStore, RecordPosition, StoreError, StoredReceipt, SyncState};
use crate::format::vector::Vector;
use crate::ids::{id_from_slice, DeviceId};

const LOCK_FILE: &str = "lock";
const LOGS_DIR: &str = "logs";
const STATE_FILE: &str = "state";
const STATE_TMP: &str = "state.tmp";
const STATE_MAGIC_V1: &[u8; 4] = b"MCS1";
const STATE_MAGIC: &[u8; 4] = b"MCS2";

/// One device's log file, kept open for appends.
#[derive(Debug)]
struct LogFile {
    file: File,
    /// Bytes of committed frames; appends write here, so leftovers of a failed
    /// write are overwritten rather than built upon.
    len: u64,
}

/// The on-disk [`LocalStore`]. Holds the directory's lock until dropped.
#[derive(Debug)]
pub struct FileStore {
    dir: PathBuf,
    logs: BTreeMap<DeviceId, Vec<Record>>,
    files: BTreeMap<DeviceId, LogFile>,
    state: SyncState,
    receipts: Receipts,
    receipts_file: ReceiptsFile,
    // Dropping the file releases the lock.
    _lock: File,
}

impl FileStore {
    /// Opens (creating if needed) the store in `dir`, its receipts sealed under
    /// `key`. [`StoreError::Busy`] if another process (or another `FileStore`)
    /// has it open; [`StoreError::Corrupt`] (and nothing changed) if the receipts
    /// do not open under `key`.
    pub fn open(dir: &Path, key: &StoreKey) -> Result<FileStore, StoreError> {
        let dir = dir.to_path_buf();
        create_private_dir(&dir)?;
        let lock = private_options()
            .read(true)
            .write(true)
            .truncate(false)
            .open(dir.join(LOCK_FILE))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Err(StoreError::Busy),
            Err(TryLockError::Error(e)) => return Err(StoreError::Io(e)),
        }
        let logs_dir = dir.join(LOGS_DIR);
        if !logs_dir.exists() {
            create_private_dir(&logs_dir)?;
            sync_dir(&dir)?;
        }
        // Receipts first: a wrong key is refused before anything else is touched.
        let (receipts_file, receipts) = ReceiptsFile::open(&dir, key.clone())?;
        let mut store = FileStore {
            dir,
            logs: BTreeMap::new(),
            files: BTreeMap::new(),
            state: SyncState::default(),
            receipts,
            receipts_file,
            _lock: lock,
        };
        store.load_logs()?;
        store.state = load_state(&store.dir)?;
        Ok(store)
    }

    /// Like [`FileStore::open`], but while the store is busy keeps retrying until
    /// `timeout` has passed, so a command can wait for `sync --watch` to finish
    /// a round.
    pub fn open_waiting(
        dir: &Path,
        key: &StoreKey,
        timeout: Duration,
    ) -> Result<FileStore, StoreError> {
        let deadline = Instant::now() + timeout;
        let mut pause = Duration::from_millis(10);
        loop {
            match FileStore::open(dir, key) {
                Err(StoreError::Busy) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return Err(StoreError::Busy);
                    }
                    std::thread::sleep(pause.min(deadline - now));
                    pause = (pause * 2).min(Duration::from_millis(250));
                }
                other => return other,
            }
        }
    }

    /// The store's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Moves the sealed receipts to `new_key` around `switch`, the step that
    /// makes `new_key` the one the next [`FileStore::open`] is given (writing the
    /// key file with the device's new keys). A crash on either side of `switch`
    /// leaves receipts that open under whichever key the home then holds.
    pub fn rekey<E: From<StoreError>>(
        &mut self,
        new_key: StoreKey,
        switch: impl FnOnce() -> Result<(), E>,
    ) -> Result<(), E> {
        self.receipts_file.rekey(&self.receipts, new_key, switch)
    }

    fn load_logs(&mut self) -> Result<(), StoreError> {
        let logs_dir = self.dir.join(LOGS_DIR);
        for entry in fs::read_dir(&logs_dir)? {
            let entry = entry?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else {
                return Err(StoreError::Corrupt(
                    "unexpected file in the logs directory".into(),
                ));
            };
            if name.starts_with('.') {
                continue; // e.g. file manager metadata; never ours
            }
            let device = hex::decode(name)
                .ok()
                .and_then(|b| id_from_slice(&b))
                .filter(|d| hex::encode(d) == name)
                .ok_or_else(|| {
                    StoreError::Corrupt("unexpected file in the logs directory".into())
                })?;
            let mut file = private_options()
                .read(true)
                .write(true)
                .truncate(false)
                .open(entry.path())?;
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes)?;
            let parsed = parse_log(&device, &bytes)?;
            let len = parsed.committed_len as u64;
            if parsed.committed_len < bytes.len() {
                // No ids in logs: the tail was never acknowledged, so nothing is lost.
                tracing::warn!(
                    dropped_bytes = bytes.len() - parsed.committed_len,
                    "dropping the unfinished tail of a local log (interrupted write)"
                );
                file.set_len(len)?;
                file.sync_all()?;
            }
            if !parsed.records.is_empty() {
                self.logs.insert(device, parsed.records);
            }
            self.files.insert(device, LogFile { file, len });
        }
        Ok(())
    }

    fn log_file(&mut self, device: &DeviceId) -> Result<&mut LogFile, StoreError> {
        if !self.files.contains_key(device) {
            let path = self.dir.join(LOGS_DIR).join(hex::encode(device));
            let file = private_options()
                .read(true)
                .write(true)
                .truncate(false)
                .open(path)?;
            // The new directory entry must be durable too, or the log could vanish.
            sync_dir(&self.dir.join(LOGS_DIR))?;
            self.files.insert(*device, LogFile { file, len: 0 });
        }
        self.files
            .get_mut(device)
            .ok_or_else(|| StoreError::Corrupt("log file went missing".into()))
    }
}

impl LocalStore for FileStore {
    fn logs(&self) -> &BTreeMap<DeviceId, Vec<Record>> {
        &self.logs
    }

    fn append(&mut self, device: &DeviceId, records: &[Record]) -> Result<(), StoreError> {
        let current = self.logs.get(device).map_or(0, Vec::len) as u64;
        check_batch(device, current, records)?;
        if records.is_empty() {
            return Ok(());
        }
        let batch = encode_batch(records)?;
        let log = self.log_file(device)?;
        let written = write_at_end(log, &batch);
        if let Err(e) = written {
            // Best effort: cut what was written so the file ends at its last commit.
            // If that fails too, the next append overwrites from `len` anyway, and
            // an open drops the uncommitted tail.
            let _ = log.file.set_len(log.len);
            return Err(StoreError::Io(e));
        }
        log.len += batch.len() as u64;
        self.logs
            .entry(*device)
            .or_default()
            .extend_from_slice(records);
        Ok(())
    }

    fn sync_state(&self) -> &SyncState {
        &self.state
    }

    fn set_sync_state(&mut self, state: SyncState) -> Result<(), StoreError> {
        let mut bytes = Vec::with_capacity(64);
        bytes.extend_from_slice(STATE_MAGIC);
        bytes.extend_from_slice(&state.acked_own.to_be_bytes());
        match &state.server_key {
            Some(key) => {
                bytes.push(1);
                bytes.extend_from_slice(key);
            }
            None => bytes.push(0),
        }
        state
            .highest_seen
            .to_proto()
            .encode(&mut bytes)
            .map_err(|_| StoreError::Corrupt("cannot encode sync state".into()))?;
        let tmp = self.dir.join(STATE_TMP);
        {
            let mut f = private_options().write(true).truncate(true).open(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
        }
        fs::rename(&tmp, self.dir.join(STATE_FILE))?;
        sync_dir(&self.dir)?;
        self.state = state;
        Ok(())
    }

    fn receipts(&self) -> &BTreeMap<RecordPosition, StoredReceipt> {
        &self.receipts
    }

    fn put_receipts(
        &mut self,
        receipts: &[(RecordPosition, StoredReceipt)],
    ) -> Result<(), StoreError> {
        let mut fresh = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (position, receipt) in receipts {
            if self.receipts.contains_key(position) || !seen.insert(*position) {
                continue;
            }
            fresh.push((*position, *receipt));
        }
        self.receipts_file.append(&self.receipts, &fresh)?;
        self.receipts.extend(fresh);
        Ok(())
    }
}

fn write_at_end(log: &mut LogFile, batch: &[u8]) -> std::io::Result<()> {
    log.file.seek(SeekFrom::Start(log.len))?;
    log.file.write_all(batch)?;
    log.file.sync_data()
}

/// Record frames of the batch followed by its commit frame.
fn encode_batch(records: &[Record]) -> Result<Vec<u8>, StoreError> {
    let too_big = || StoreError::Corrupt("a record is too large to store".into());
    let count = u32::try_from(records.len()).map_err(|_| too_big())?;
    let total: usize = records.iter().map(|r| 4 + r.encoded_len()).sum::<usize>() + 8;
    let mut out = Vec::with_capacity(total);
    for r in records {
        let len = u32::try_from(r.encoded_len()).map_err(|_| too_big())?;
        if len == 0 {
            // Would read back as a commit frame; a real record always has a device id.
            return Err(StoreError::Corrupt(
                "refusing to store an empty record".into(),
            ));
        }
        out.extend_from_slice(&len.to_be_bytes());
        r.encode(&mut out).map_err(|_| too_big())?;
    }
    out.extend_from_slice(&0u32.to_be_bytes());
    out.extend_from_slice(&count.to_be_bytes());
    Ok(out)
}

struct ParsedLog {
    records: Vec<Record>,
    /// Bytes up to and including the last commit frame.
    committed_len: usize,
}

/// Reads a log file's frames. A bad frame that reaches the end of the file (or
/// an all-zero remainder) is an interrupted write; one with data after it is
/// corruption.
fn parse_log(device: &DeviceId, bytes: &[u8]) -> Result<ParsedLog, StoreError> {
    let corrupt = |what: &str| Err(StoreError::Corrupt(format!("a local log {what}")));
    let mut records: Vec<Record> = Vec::new();
    let mut committed = 0usize;
    let mut committed_len = 0usize;
    let mut pos = 0usize;
    while pos < bytes.len() {
        let rest = &bytes[pos..];
        let torn_tail = rest.iter().all(|&b| b == 0);
        let Some(len) = read_u32(rest, 0) else { break }; // torn length prefix
        if len == 0 {
            let Some(n) = read_u32(rest, 4) else { break };
            if torn_tail {
                break;
            }
            // An interrupted write leaves a prefix of the right bytes or zeros
            // (caught above), never a wrong count.
            if n == 0 || n as usize != records.len() - committed {
                return corrupt("has a commit frame that does not match its batch");
            }
            committed = records.len();
            pos += 8;
            committed_len = pos;
            continue;
        }
        if len as usize > mycase_proto::MAX_MESSAGE_BYTES {
            // Not a torn write either: the length prefix is whole but impossible.
            return corrupt("has an impossible frame length");
        }
        let end = 4usize.saturating_add(len as usize);
        if end > rest.len() || torn_tail {
            break; // the frame runs past the end: its write never finished
        }
        let record = match Record::decode(&rest[4..end]) {
            Ok(r) => r,
            Err(_) if end == rest.len() => break,
            Err(_) => return corrupt("has an unreadable record"),
        };
        if record.device_id.as_slice() != device.as_slice() {
            return corrupt("holds a record of another device");
        }
        if record.idx != records.len() as u64 + 1 {
            return corrupt("is not contiguous");
        }
        records.push(record);
        pos += end;
    }
    records.truncate(committed);
    Ok(ParsedLog {
        records,
        committed_len,
    })
}

fn read_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let b: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_be_bytes(b))
}

fn load_state(dir: &Path) -> Result<SyncState, StoreError> {
    let bytes = match fs::read(dir.join(STATE_FILE)) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(SyncState::default()),
        Err(e) => return Err(StoreError::Io(e)),
    };
    let bad = || StoreError::Corrupt("the sync state file is unreadable".into());
    let magic = bytes.get(..4).ok_or_else(bad)?;
    let acked: [u8; 8] = bytes
        .get(4..12)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(bad)?;
    let (server_key, rest) = if magic == STATE_MAGIC_V1.as_slice() {
        (None, 12)
    } else if magic == STATE_MAGIC.as_slice() {
        match bytes.get(12) {
            Some(0) => (None, 13),
            Some(1) => {
                let key: [u8; 32] = bytes
                    .get(13..45)
                    .and_then(|b| b.try_into().ok())
                    .ok_or_else(bad)?;
                (Some(key), 45)
            }
            _ => return Err(bad()),
        }
    } else {
        return Err(bad());
    };
    let vector = VersionVector::decode(bytes.get(rest..).ok_or_else(bad)?).map_err(|_| bad())?;
    let highest_seen = Vector::from_proto(&vector).map_err(|_| bad())?;
    Ok(SyncState {
        acked_own: u64::from_be_bytes(acked),
        highest_seen,
        server_key,
    })
}

/// Options that create files readable by the owner only.
pub(super) fn private_options() -> OpenOptions {
    let mut o = OpenOptions::new();
    o.create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o
}

/// Creates `dir` (and parents) as 0700, and tightens an existing one: the logs
/// are sealed, but their sizes and count are nobody else's business.
fn create_private_dir(dir: &Path) -> Result<(), StoreError> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = fs::metadata(dir)?;
        if meta.permissions().mode() & 0o077 != 0 {
            fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
        }
    }
    Ok(())
}

/// Makes a directory's entries (a new or renamed file) durable.
pub(super) fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir; // directories cannot be opened for fsync on Windows; NTFS journals metadata
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn rec(idx: u64) -> Record {
        Record {
            device_id: vec![7; 16],
            idx,
            ciphertext: vec![idx as u8; 40],
            ..Default::default()
        }
    }

    #[test]
    fn uncommitted_records_are_dropped() {
        let mut bytes = encode_batch(&[rec(1), rec(2)]).unwrap();
        let committed = bytes.len();
        let second = encode_batch(&[rec(3), rec(4)]).unwrap();
        // The second batch's record frames made it to disk, its commit frame did not.
        bytes.extend_from_slice(&second[..second.len() - 8]);
        let parsed = parse_log(&[7; 16], &bytes).unwrap();
        assert_eq!(parsed.records.len(), 2);
        assert_eq!(parsed.committed_len, committed);
    }

    #[test]
    fn zero_filled_tail_is_torn() {
        let mut bytes = encode_batch(&[rec(1)]).unwrap();
        let committed = bytes.len();
        bytes.extend_from_slice(&[0; 100]);
        let parsed = parse_log(&[7; 16], &bytes).unwrap();
        assert_eq!(parsed.records.len(), 1);
        assert_eq!(parsed.committed_len, committed);
    }

    #[test]
    fn impossible_length_is_corrupt_not_torn() {
        let mut bytes = encode_batch(&[rec(1)]).unwrap();
        bytes.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 1, 2]);
        assert!(matches!(
            parse_log(&[7; 16], &bytes),
            Err(StoreError::Corrupt(_))
        ));
    }

    #[test]
    fn wrong_commit_count_in_the_middle_is_corrupt() {
        let mut bytes = encode_batch(&[rec(1), rec(2)]).unwrap();
        let n = bytes.len();
        bytes[n - 1] = 5;
        bytes.extend_from_slice(&encode_batch(&[rec(3)]).unwrap());
        assert!(matches!(
            parse_log(&[7; 16], &bytes),
            Err(StoreError::Corrupt(_))
        ));
    }
}
