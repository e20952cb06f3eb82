//! Share ciphertexts as files: `<root>/<share id hex>`. Received into a
//! temporary file in `root` (see `ShareUpload`), synced, then renamed into
//! place, so a bundle appears whole or not at all. Deleting one is final:
//! nothing else holds the bytes.

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use super::{Id, ShareUpload, StoreError, StoreResult};

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

    /// Where uploads are received (beside the finished files, so the rename
    /// into place never crosses a file system).
    pub fn begin(&self) -> StoreResult<ShareUpload> {
        ShareUpload::in_dir(&self.root)
    }

    /// Moves a received upload into place. Durable on return.
    pub fn put(&self, share_id: &Id, upload: ShareUpload) -> StoreResult<()> {
        let tmp = upload.into_synced_file()?;
        tmp.persist(self.path(share_id))
            .map_err(|e| io_err("renaming")(e.error))?;
        self.sync_dir()
    }

    /// The open file, if stored (it keeps reading after `remove`).
    pub fn open_bundle(&self, share_id: &Id) -> StoreResult<Option<fs::File>> {
        match fs::File::open(self.path(share_id)) {
            Ok(file) => Ok(Some(file)),
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
