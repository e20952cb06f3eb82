//! The layout of a device home: the key file, the store, and how files in it are
//! written (owner-only, atomically).

use std::path::{Path, PathBuf};

use crate::device::DeviceError;

const KEY_FILE: &str = "keys";
pub(crate) const STORE_DIR: &str = "store";

/// The paths of a device home.
pub fn key_file_path(home: &Path) -> PathBuf {
    home.join(KEY_FILE)
}

/// True if `home` holds a MyCase device.
pub fn is_initialised(home: &Path) -> bool {
    key_file_path(home).exists()
}

pub(crate) fn create_home(home: &Path) -> Result<(), DeviceError> {
    std::fs::create_dir_all(home)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(home, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Writes a file atomically (temp file, fsync, rename) with owner-only access.
pub(crate) fn write_private_atomic(path: &Path, bytes: &[u8]) -> Result<(), std::io::Error> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}
