//! Wiping a device: the key material first, then everything else.
//!
//! The key file is the only thing that makes the rest of the home readable (the
//! store is sealed under keys it holds), so it is overwritten with random bytes,
//! flushed, unlinked and its directory flushed before anything else is touched. An
//! interrupted wipe therefore leaves nothing readable; a completed one leaves no
//! home directory at all, as if MyCase had never been set up there. No passphrase
//! is needed: the survivor may need this fast, and without the key file the rest is
//! unreadable anyway. The journal stays on the server (the recovery kit brings it
//! back).

use std::io::Write;
use std::path::Path;

use rand::rngs::OsRng;
use rand::RngCore;

use crate::device::key_file_path;

/// What a wipe did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wiped {
    /// The home held MyCase and is gone.
    Removed,
    /// There was nothing at `home`.
    NothingThere,
}

/// Why a wipe did not finish.
#[derive(Debug, thiserror::Error)]
pub enum WipeError {
    /// The key file could not be destroyed (nothing else was touched).
    #[error("could not destroy the key file: {0}")]
    Keys(#[source] std::io::Error),
    /// The keys are destroyed, but removing the rest failed.
    #[error("the keys are destroyed, but removing the rest of the data failed: {0}")]
    Rest(#[source] std::io::Error),
}

/// Overwrites a file with random bytes, flushes it, then unlinks it.
fn shred(path: &Path) -> std::io::Result<()> {
    let len = match std::fs::metadata(path) {
        Ok(m) => m.len(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    let mut f = std::fs::OpenOptions::new().write(true).open(path)?;
    let mut noise = vec![0u8; usize::try_from(len).unwrap_or(0).clamp(1, 1 << 20)];
    OsRng.fill_bytes(&mut noise);
    let mut left = len.max(1);
    while left > 0 {
        let n = left.min(noise.len() as u64) as usize;
        f.write_all(&noise[..n])?;
        left -= n as u64;
    }
    f.sync_all()?;
    drop(f);
    std::fs::remove_file(path)
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

/// [`wipe`], keeping only the file of records sealed for the recovery kit
/// ([`crate::format::leftovers`]) if there is one: what a revoked device, or one whose
/// account was deleted, does. The home then holds that one file.
pub fn wipe_keeping_leftovers(home: &Path) -> Result<Wiped, WipeError> {
    let kept_path = crate::format::leftovers::path_in(home);
    let kept = match std::fs::read(&kept_path) {
        Ok(bytes) => Some(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(WipeError::Keys(e)),
    };
    let wiped = wipe(home)?;
    if let Some(bytes) = kept {
        write_owner_only(home, &kept_path, &bytes).map_err(WipeError::Rest)?;
    }
    Ok(wiped)
}

fn write_owner_only(home: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(home)?;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        std::fs::set_permissions(home, std::fs::Permissions::from_mode(0o700))?;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    sync_dir(home)
}

/// Destroys the device in `home`: keys first, then the store and the home itself.
pub fn wipe(home: &Path) -> Result<Wiped, WipeError> {
    if !home.exists() {
        return Ok(Wiped::NothingThere);
    }
    let key = key_file_path(home);
    shred(&key).map_err(WipeError::Keys)?;
    // A key file being rewritten when the wipe began (passphrase change).
    shred(&key.with_extension("tmp")).map_err(WipeError::Keys)?;
    sync_dir(home).map_err(WipeError::Keys)?;
    std::fs::remove_dir_all(home).map_err(WipeError::Rest)?;
    if let Some(parent) = home.parent().filter(|p| !p.as_os_str().is_empty()) {
        // Best effort: the removal is already done; this only makes it durable sooner.
        let _ = sync_dir(parent);
    }
    Ok(Wiped::Removed)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn removes_everything_and_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("mycase");
        std::fs::create_dir_all(home.join("store/sub")).unwrap();
        std::fs::write(key_file_path(&home), b"secret key material").unwrap();
        std::fs::write(home.join("store/sub/log"), vec![1u8; 100_000]).unwrap();
        assert_eq!(wipe(&home).unwrap(), Wiped::Removed);
        assert!(!home.exists());
        assert_eq!(wipe(&home).unwrap(), Wiped::NothingThere);
    }
}
