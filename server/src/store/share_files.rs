//! Share ciphertexts as files: `<root>/<share id hex>`. Written to a temporary
//! file, synced, then renamed into place, so a bundle appears whole or not at all.
//! Deleting one is final: nothing else holds the bytes.

use std::fs;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use super::{Id, StoreError, StoreResult};

pub struct ShareFiles {
    root: PathBuf,
}

fn io_err(what: &'static str) -> impl FnOnce(std::io::Error) -> StoreError {
    move |e| StoreError::Backend(format!("share storage: {what}: {e}"))
}

impl ShareFiles {
    pub fn open(root: &Path) -> StoreResult<Self> {
        fs::create_dir_all(root).map_err(io_err("creating the directory"))?;
        Ok(ShareFiles {
            root: root.to_path_buf(),
        })
    }

    fn path(&self, share_id: &Id) -> PathBuf {
        self.root.join(hex::encode(share_id))
    }

    /// Durable on return.
    pub fn put(&self, share_id: &Id, bundle: &[u8]) -> StoreResult<()> {
        let mut tmp = tempfile::Builder::new()
            .prefix(".partial-")
            .tempfile_in(&self.root)
            .map_err(io_err("creating a file"))?;
        tmp.write_all(bundle).map_err(io_err("writing"))?;
        tmp.as_file().sync_all().map_err(io_err("syncing"))?;
        tmp.persist(self.path(share_id))
            .map_err(|e| io_err("renaming")(e.error))?;
        self.sync_dir()
    }

    pub fn get(&self, share_id: &Id) -> StoreResult<Option<Vec<u8>>> {
        match fs::read(self.path(share_id)) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err("reading")(e)),
        }
    }

    /// `true` if a file was deleted.
    pub fn remove(&self, share_id: &Id) -> StoreResult<bool> {
        match fs::remove_file(self.path(share_id)) {
            Ok(()) => {
                self.sync_dir()?;
                Ok(true)
            }
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
            Err(e) => Err(io_err("deleting")(e)),
        }
    }

    /// The share ids that have a file, and leftover temporary files (removed).
    pub fn ids(&self) -> StoreResult<Vec<Id>> {
        let mut ids = Vec::new();
        for item in fs::read_dir(&self.root).map_err(io_err("listing"))? {
            let item = item.map_err(io_err("listing"))?;
            let name = item.file_name();
            let name = name.to_string_lossy();
            if name.starts_with(".partial-") {
                let _ = fs::remove_file(item.path());
                continue;
            }
            if let Some(id) = hex::decode(name.as_bytes())
                .ok()
                .and_then(|b| Id::try_from(b.as_slice()).ok())
            {
                ids.push(id);
            }
        }
        Ok(ids)
    }

    fn sync_dir(&self) -> StoreResult<()> {
        fs::File::open(&self.root)
            .and_then(|d| d.sync_all())
            .map_err(io_err("syncing the directory"))
    }
}
