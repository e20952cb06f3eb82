//! Sealed attachment chunks as files, beside the database rather than in it: a
//! chunk is up to 1 MiB and an account may hold gigabytes of them, which sled
//! would keep in memory. Layout: `<root>/<account hex>/<first address byte hex>/<address hex>`.
//!
//! A chunk is written to a temporary file, synced, then hard-linked into place, so
//! it appears whole or not at all, and an existing chunk is never replaced.

use std::fs;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use super::{Hash, Id, StoreError, StoreResult};

pub struct ChunkFiles {
    root: PathBuf,
}

fn io_err(what: &'static str) -> impl FnOnce(std::io::Error) -> StoreError {
    move |e| StoreError::Backend(format!("chunk storage: {what}: {e}"))
}

impl ChunkFiles {
    pub fn open(root: &Path) -> StoreResult<Self> {
        fs::create_dir_all(root).map_err(io_err("creating the directory"))?;
        Ok(ChunkFiles {
            root: root.to_path_buf(),
        })
    }

    fn account_dir(&self, account_id: &Id) -> PathBuf {
        self.root.join(hex::encode(account_id))
    }

    fn path(&self, account_id: &Id, address: &Hash) -> PathBuf {
        self.account_dir(account_id)
            .join(hex::encode(&address[..1]))
            .join(hex::encode(address))
    }

    /// `true` when newly stored, `false` when these bytes were already there;
    /// other bytes at the address fail with `ChunkConflict`. Durable on return.
    pub fn put(&self, account_id: &Id, address: &Hash, sealed: &[u8]) -> StoreResult<bool> {
        let path = self.path(account_id, address);
        if let Some(existing) = self.get_path(&path)? {
            return if existing == sealed {
                Ok(false)
            } else {
                Err(StoreError::ChunkConflict)
            };
        }
        let dir = path
            .parent()
            .ok_or_else(|| StoreError::Backend("chunk path".into()))?;
        fs::create_dir_all(dir).map_err(io_err("creating a directory"))?;
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io_err("creating a file"))?;
        tmp.write_all(sealed).map_err(io_err("writing"))?;
        tmp.as_file().sync_all().map_err(io_err("syncing"))?;
        match fs::hard_link(tmp.path(), &path) {
            Ok(()) => {}
            // Another upload of the same address won the race: compare with it.
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                return match self.get_path(&path)? {
                    Some(existing) if existing == sealed => Ok(false),
                    _ => Err(StoreError::ChunkConflict),
                };
            }
            Err(e) => return Err(io_err("linking")(e)),
        }
        fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io_err("syncing the directory"))?;
        Ok(true)
    }

    /// Removes every chunk of the account (its whole directory).
    pub fn remove_account(&self, account_id: &Id) -> StoreResult<()> {
        match fs::remove_dir_all(self.account_dir(account_id)) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(io_err("removing an account's chunks")(e)),
        }
        fs::File::open(&self.root)
            .and_then(|d| d.sync_all())
            .map_err(io_err("syncing the directory"))
    }

    /// The accounts that have a chunk directory.
    pub fn accounts(&self) -> StoreResult<Vec<Id>> {
        let mut out = Vec::new();
        for entry in fs::read_dir(&self.root).map_err(io_err("listing"))? {
            let entry = entry.map_err(io_err("listing"))?;
            let name = entry.file_name();
            let parsed = name
                .to_str()
                .and_then(|n| hex::decode(n).ok())
                .and_then(|b| Id::try_from(b.as_slice()).ok());
            if let Some(id) = parsed {
                out.push(id);
            }
        }
        Ok(out)
    }

    /// Every stored chunk as (account, address, path), for backups.
    pub fn all(&self) -> StoreResult<Vec<(Id, Hash, PathBuf)>> {
        let mut out = Vec::new();
        for account_id in self.accounts()? {
            let dir = self.account_dir(&account_id);
            for fan in fs::read_dir(&dir).map_err(io_err("listing"))? {
                let fan = fan.map_err(io_err("listing"))?.path();
                if !fan.is_dir() {
                    continue;
                }
                for file in fs::read_dir(&fan).map_err(io_err("listing"))? {
                    let path = file.map_err(io_err("listing"))?.path();
                    let address = path
                        .file_name()
                        .and_then(|n| n.to_str())
                        .and_then(|n| hex::decode(n).ok())
                        .and_then(|b| Hash::try_from(b.as_slice()).ok());
                    // Temporary files of an upload in progress have other names.
                    if let Some(address) = address {
                        out.push((account_id, address, path));
                    }
                }
            }
        }
        Ok(out)
    }

    pub fn has(&self, account_id: &Id, address: &Hash) -> StoreResult<bool> {
        Ok(self.path(account_id, address).is_file())
    }

    pub fn get(&self, account_id: &Id, address: &Hash) -> StoreResult<Option<Vec<u8>>> {
        self.get_path(&self.path(account_id, address))
    }

    fn get_path(&self, path: &Path) -> StoreResult<Option<Vec<u8>>> {
        match fs::read(path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err("reading")(e)),
        }
    }
}
