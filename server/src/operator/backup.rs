//! The backup file: everything the server holds (the database's trees and the
//! chunk files), in one file of simple frames ending with a SHA-256 over all
//! that precedes it.
//!
//! Why a format of our own rather than tar: the content is key/value pairs and
//! (account, address, bytes) chunks, not files with names and modes; the frames
//! below say exactly that, and the checksum lets `restore` refuse a truncated or
//! damaged file before it touches the data directory.
//!
//! ```text
//! "MYCASE-BACKUP-2\n"   (or "MYCASE-BACKUP-1\n", still restored)
//! 'T' name_len u16be name key_len u32be key value_len u32be value   (a tree entry)
//! 'C' account_id[16] address[32] len u32be sealed                    (a chunk)
//! 'E' sha256[32]   (over every byte before this frame's tag)
//! ```
//!
//! Version 2 has the same frames; what changed is what the trees hold: a revoked
//! device's row ends with the signed statement that revoked it, erasure
//! tombstones keep the owner's signed statement, and a `recovery_keys` tree
//! indexes accounts by recovery key. A version 1 file restores as it always did
//! (its revocations and erasures have no statement; the index is rebuilt), and
//! the new magic makes an older server refuse a version 2 file instead of
//! misreading its rows.
//!
//! Sessions are left out: a restored server asks every device to authenticate
//! again. Restore never trusts the file for that: the checksum only says it is
//! whole, so it takes only the trees the store knows, decodes every row first
//! (refusing the whole file on the first bad one, see `restore_rows`), and
//! skips sessions, challenges and share rows even if an edited file has them. Everything in the file is what the server already holds: ciphertext,
//! ids, public keys, hashes. Keep it as safe as the data directory.

use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::store::sled::restore_rows::{check_row, RowRefusal, RowUse};
use crate::store::{Hash, Id, OperatorStore, SledStore, StoreError, StoreResult};

/// What this version writes.
pub const MAGIC: &[u8; 16] = b"MYCASE-BACKUP-2\n";
/// Files from before statements and the recovery-key index; still restored.
pub const MAGIC_V1: &[u8; 16] = b"MYCASE-BACKUP-1\n";
const TAG_TREE: u8 = b'T';
const TAG_CHUNK: u8 = b'C';
const TAG_END: u8 = b'E';
/// Trees a backup leaves out: sessions (clients authenticate again), and share
/// rows, whose ciphertext lives in files a backup does not copy: shares are
/// short-lived links, and after a restore they have ended.
pub const SKIPPED_TREES: &[&str] = &["sessions", "shares", "account_shares"];
/// The largest value a frame may claim (a record or chunk is at most ~1 MiB).
const MAX_FRAME: usize = 64 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("reading or writing the backup: {0}")]
    Io(#[from] io::Error),
    #[error("this is not a MyCase backup file")]
    NotABackup,
    #[error("the backup file is damaged or incomplete ({0}); nothing was restored")]
    Damaged(&'static str),
    #[error("the data directory's database is in use: stop the server before restoring")]
    InUse(#[source] StoreError),
    #[error("the backup holds a tree this server does not keep (`{tree}`, row {row}); nothing was restored")]
    UnknownTree { tree: String, row: u64 },
    #[error(
        "row {row} of the backup's `{tree}` tree is not valid ({reason}); nothing was restored"
    )]
    BadRow {
        tree: String,
        row: u64,
        reason: &'static str,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Writes frames and keeps the running checksum.
pub struct BackupWriter<W: Write> {
    out: W,
    hash: Sha256,
}

impl<W: Write> BackupWriter<W> {
    pub fn new(mut out: W) -> io::Result<Self> {
        out.write_all(MAGIC)?;
        let mut hash = Sha256::new();
        hash.update(MAGIC);
        Ok(Self { out, hash })
    }

    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.hash.update(bytes);
        self.out.write_all(bytes)
    }

    fn len_u32(n: usize) -> io::Result<[u8; 4]> {
        u32::try_from(n)
            .map(u32::to_be_bytes)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "value too large"))
    }

    pub fn tree_entry(&mut self, tree: &[u8], key: &[u8], value: &[u8]) -> io::Result<()> {
        let name_len = u16::try_from(tree.len())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "tree name too long"))?;
        self.put(&[TAG_TREE])?;
        self.put(&name_len.to_be_bytes())?;
        self.put(tree)?;
        self.put(&Self::len_u32(key.len())?)?;
        self.put(key)?;
        self.put(&Self::len_u32(value.len())?)?;
        self.put(value)
    }

    pub fn chunk(&mut self, account_id: &Id, address: &Hash, sealed: &[u8]) -> io::Result<()> {
        self.put(&[TAG_CHUNK])?;
        self.put(account_id)?;
        self.put(address)?;
        self.put(&Self::len_u32(sealed.len())?)?;
        self.put(sealed)
    }

    pub fn finish(mut self) -> io::Result<W> {
        let digest: [u8; 32] = self.hash.clone().finalize().into();
        self.out.write_all(&[TAG_END])?;
        self.out.write_all(&digest)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// One item read back from a backup.
pub enum Item {
    TreeEntry {
        tree: Vec<u8>,
        key: Vec<u8>,
        value: Vec<u8>,
    },
    Chunk {
        account_id: Id,
        address: Hash,
        sealed: Vec<u8>,
    },
}

/// Reads a backup's items, checking the checksum at the end. Callers must treat
/// what they read as provisional until `next` returns `Ok(None)`.
pub struct BackupReader<R: Read> {
    input: R,
    hash: Sha256,
    done: bool,
}

impl<R: Read> BackupReader<R> {
    pub fn new(mut input: R) -> Result<Self, BackupError> {
        let mut magic = [0u8; 16];
        input
            .read_exact(&mut magic)
            .map_err(|_| BackupError::NotABackup)?;
        if &magic != MAGIC && &magic != MAGIC_V1 {
            return Err(BackupError::NotABackup);
        }
        let mut hash = Sha256::new();
        hash.update(magic);
        Ok(Self {
            input,
            hash,
            done: false,
        })
    }

    fn take(&mut self, n: usize) -> Result<Vec<u8>, BackupError> {
        let mut buf = vec![0u8; n];
        self.input
            .read_exact(&mut buf)
            .map_err(|_| BackupError::Damaged("it ends too early"))?;
        self.hash.update(&buf);
        Ok(buf)
    }

    fn take_array<const N: usize>(&mut self) -> Result<[u8; N], BackupError> {
        let v = self.take(N)?;
        v.try_into()
            .map_err(|_| BackupError::Damaged("a field has the wrong length"))
    }

    fn take_len(&mut self) -> Result<usize, BackupError> {
        let n = u32::from_be_bytes(self.take_array::<4>()?) as usize;
        if n > MAX_FRAME {
            return Err(BackupError::Damaged("a frame claims an impossible size"));
        }
        Ok(n)
    }

    pub fn next_item(&mut self) -> Result<Option<Item>, BackupError> {
        if self.done {
            return Ok(None);
        }
        let mut tag = [0u8; 1];
        self.input
            .read_exact(&mut tag)
            .map_err(|_| BackupError::Damaged("it ends too early"))?;
        match tag[0] {
            TAG_END => {
                let mut digest = [0u8; 32];
                self.input
                    .read_exact(&mut digest)
                    .map_err(|_| BackupError::Damaged("it ends too early"))?;
                let expected: [u8; 32] = self.hash.clone().finalize().into();
                if digest != expected {
                    return Err(BackupError::Damaged("the checksum does not match"));
                }
                let mut extra = [0u8; 1];
                if self.input.read(&mut extra)? != 0 {
                    return Err(BackupError::Damaged("bytes follow the end"));
                }
                self.done = true;
                Ok(None)
            }
            TAG_TREE => {
                self.hash.update(tag);
                let name_len = u16::from_be_bytes(self.take_array::<2>()?) as usize;
                let tree = self.take(name_len)?;
                let key_len = self.take_len()?;
                let key = self.take(key_len)?;
                let value_len = self.take_len()?;
                let value = self.take(value_len)?;
                Ok(Some(Item::TreeEntry { tree, key, value }))
            }
            TAG_CHUNK => {
                self.hash.update(tag);
                let account_id = self.take_array::<16>()?;
                let address = self.take_array::<32>()?;
                let len = self.take_len()?;
                let sealed = self.take(len)?;
                Ok(Some(Item::Chunk {
                    account_id,
                    address,
                    sealed,
                }))
            }
            _ => Err(BackupError::Damaged("an unknown frame")),
        }
    }
}

/// Reads a whole backup file and checks it, writing nothing.
pub fn verify(path: &Path) -> Result<(), BackupError> {
    let mut reader = BackupReader::new(BufReader::new(std::fs::File::open(path)?))?;
    while reader.next_item()?.is_some() {}
    Ok(())
}

/// Writes a backup of a store that no server is running on.
pub fn backup_offline(data_dir: &Path, out: &Path, cache_bytes: u64) -> Result<(), BackupError> {
    let store =
        SledStore::open_with_cache(&data_dir.join("db"), &data_dir.join("chunks"), cache_bytes)
            .map_err(BackupError::InUse)?;
    let result = write_file(out, |w| store.write_backup(w));
    store.close()?;
    result
}

/// Writes `out` through a temporary file beside it, renamed into place only
/// once complete and synced, so a failed backup never leaves a half file
/// under the asked name.
pub fn write_file(
    out: &Path,
    fill: impl FnOnce(&mut dyn Write) -> StoreResult<()>,
) -> Result<(), BackupError> {
    let dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = tempfile::NamedTempFile::new_in(&dir)?;
    {
        let mut w = BufWriter::new(tmp.as_file());
        fill(&mut w)?;
        w.flush()?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(out).map_err(|e| BackupError::Io(e.error))?;
    Ok(())
}

/// Restores `file` into `data_dir` (the server must be stopped). The backup is
/// read into a staging copy first and swapped in only once its checksum
/// matched, so a bad file leaves the data directory as it was. Accounts that
/// were erased, according to the erasure tombstones in the backup or in the data
/// directory's current database, are erased again before the swap.
/// Returns how many accounts the tombstones erased.
pub fn restore(file: &Path, data_dir: &Path, cache_bytes: u64) -> Result<usize, BackupError> {
    let db_dir = data_dir.join("db");
    let chunks_dir = data_dir.join("chunks");
    let staging_db = data_dir.join("restoring-db");
    let staging_chunks = data_dir.join("restoring-chunks");

    let old_db = data_dir.join("db.before-restore");
    let old_chunks = data_dir.join("chunks.before-restore");

    // The whole file is read and every row checked before anything is written:
    // a refused backup leaves the data directory (or its absence) as it was.
    check_file(file)?;

    // Tombstones the current database knows (it may be newer than the backup);
    // also those of a database an interrupted restore had already set aside.
    let mut tombstones = Vec::new();
    for (db, chunks) in [(&db_dir, &chunks_dir), (&old_db, &old_chunks)] {
        if db.exists() {
            let current =
                SledStore::open_with_cache(db, chunks, cache_bytes).map_err(BackupError::InUse)?;
            tombstones.extend(current.erased_tags()?);
            current.close()?;
        }
    }

    for stale in [&staging_db, &staging_chunks] {
        if stale.exists() {
            std::fs::remove_dir_all(stale)?;
        }
    }
    if !data_dir.exists() {
        std::fs::create_dir_all(data_dir)?;
        set_private(data_dir)?;
    }
    let staged = SledStore::open_with_cache(&staging_db, &staging_chunks, cache_bytes)?;
    let filled = (|| -> Result<usize, BackupError> {
        let mut reader = BackupReader::new(BufReader::new(std::fs::File::open(file)?))?;
        while let Some(item) = reader.next_item()? {
            match item {
                Item::TreeEntry { tree, key, value } => {
                    if check_row(&tree, &key, &value) == Ok(RowUse::Restore) {
                        staged.restore_entry(&tree, &key, &value)?
                    }
                }
                Item::Chunk {
                    account_id,
                    address,
                    sealed,
                } => {
                    staged.restore_chunk(&account_id, &address, &sealed)?;
                }
            }
        }
        staged.add_erased_tags(&tombstones)?;
        let mut erased = 0;
        for account_id in staged.account_ids()? {
            if let Some(erasure) = staged.erased_account(&account_id)? {
                staged.erase_account(&account_id, erasure.statement.as_deref())?;
                erased += 1;
            }
        }
        // A backup from before the recovery-key index (or one edited by hand)
        // does not say which account holds which key: work it out again.
        staged.rebuild_recovery_index()?;
        staged.flush()?;
        Ok(erased)
    })();
    staged.close()?;
    let filled = filled.and_then(|n| {
        set_private_tree(&staging_db)?;
        set_private_tree(&staging_chunks)?;
        // The store keeps share files beside its chunks; a restore leaves it empty.
        let shares = data_dir.join("shares");
        if shares.is_dir() {
            set_private_tree(&shares)?;
        }
        Ok(n)
    });
    let erased = match filled {
        Ok(n) => n,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging_db);
            let _ = std::fs::remove_dir_all(&staging_chunks);
            return Err(e);
        }
    };

    // Swap: the old state goes only once the new one is in place. (What an
    // interrupted restore set aside was read for tombstones above; it goes now.)
    for (stale, current) in [(&old_db, &db_dir), (&old_chunks, &chunks_dir)] {
        if stale.exists() && current.exists() {
            std::fs::remove_dir_all(stale)?;
        } else if stale.exists() {
            std::fs::rename(stale, current)?;
        }
    }
    if db_dir.exists() {
        std::fs::rename(&db_dir, &old_db)?;
    }
    if chunks_dir.exists() {
        std::fs::rename(&chunks_dir, &old_chunks)?;
    }
    std::fs::rename(&staging_db, &db_dir)?;
    std::fs::rename(&staging_chunks, &chunks_dir)?;
    for old in [&old_db, &old_chunks] {
        if old.exists() {
            std::fs::remove_dir_all(old)?;
        }
    }
    Ok(erased)
}

/// Reads a whole backup, checksum and every row, writing nothing.
fn check_file(file: &Path) -> Result<(), BackupError> {
    let mut reader = BackupReader::new(BufReader::new(std::fs::File::open(file)?))?;
    let mut rows: std::collections::HashMap<Vec<u8>, u64> = std::collections::HashMap::new();
    while let Some(item) = reader.next_item()? {
        if let Item::TreeEntry { tree, key, value } = item {
            let row = rows.entry(tree.clone()).or_insert(0);
            *row += 1;
            let row = *row;
            let name = || String::from_utf8_lossy(&tree).into_owned();
            match check_row(&tree, &key, &value) {
                Ok(_) => {}
                Err(RowRefusal::UnknownTree) => {
                    return Err(BackupError::UnknownTree { tree: name(), row })
                }
                Err(RowRefusal::Malformed(reason)) => {
                    return Err(BackupError::BadRow {
                        tree: name(),
                        row,
                        reason,
                    })
                }
            }
        }
    }
    Ok(())
}

/// Restored data is the service's alone, whatever the operator's umask.
fn set_private(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
}

/// Directories 0700 and files 0600 under `root` (symlinks left alone: a
/// restore creates none, and following one could change a file elsewhere).
fn set_private_tree(root: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::symlink_metadata(root)?;
    if meta.file_type().is_symlink() {
        return Ok(());
    }
    if meta.is_dir() {
        set_private(root)?;
        for entry in std::fs::read_dir(root)? {
            set_private_tree(&entry?.path())?;
        }
    } else {
        std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn sample() -> Vec<u8> {
        let mut w = BackupWriter::new(Vec::new()).unwrap();
        w.tree_entry(b"records", b"k1", b"v1").unwrap();
        w.chunk(&[1; 16], &[2; 32], b"sealed").unwrap();
        w.finish().unwrap()
    }

    #[test]
    fn round_trips() {
        let bytes = sample();
        let mut r = BackupReader::new(bytes.as_slice()).unwrap();
        assert!(
            matches!(r.next_item().unwrap(), Some(Item::TreeEntry { ref key, .. }) if key == b"k1")
        );
        assert!(
            matches!(r.next_item().unwrap(), Some(Item::Chunk { ref sealed, .. }) if sealed == b"sealed")
        );
        assert!(r.next_item().unwrap().is_none());
    }

    fn read_all(bytes: &[u8]) -> Result<(), BackupError> {
        let mut r = BackupReader::new(bytes)?;
        while r.next_item()?.is_some() {}
        Ok(())
    }

    #[test]
    fn any_flipped_or_missing_byte_is_refused() {
        let bytes = sample();
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 0x01;
            assert!(read_all(&bad).is_err(), "flipped byte {i} accepted");
            assert!(read_all(&bytes[..i]).is_err(), "truncation at {i} accepted");
        }
        assert!(read_all(&bytes).is_ok());
        let mut extra = bytes.clone();
        extra.push(0);
        assert!(read_all(&extra).is_err());
    }
}
