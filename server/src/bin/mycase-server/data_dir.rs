//! The rule for the operator commands (stats, invite, backup, restore,
//! public-key), which are often run as root on a directory the service user can
//! write. Nothing inside the data directory may be a symbolic link, and
//! everything in it must belong to the user running the command, or, when that
//! is root, to the data directory's owner (the service user; systemd's
//! `DynamicUser` leaves no account to `sudo -u` into while the server is stopped).
//! The data directory's own path may be a symbolic link (systemd makes
//! `/var/lib/mycase` one) only if the link belongs to the caller or root, so the
//! service user cannot plant it; it is resolved once and the commands then use
//! the resolved path.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Checks `data_dir` and everything under it and returns the path to use; an
/// absent directory passes (a restore creates it, the other commands then say
/// there is nothing there).
pub(crate) fn check(data_dir: &Path) -> anyhow::Result<PathBuf> {
    let me = rustix::process::geteuid().as_raw();
    let link = match std::fs::symlink_metadata(data_dir) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(data_dir.to_path_buf()),
        Err(e) => return Err(anyhow::anyhow!("reading {}: {e}", data_dir.display())),
    };
    let dir = if link.file_type().is_symlink() {
        if link.uid() != me && link.uid() != 0 {
            anyhow::bail!(
                "{} is a symbolic link made by user {}, not by you or root: refusing to follow \
                 it; nothing was done",
                data_dir.display(),
                link.uid()
            );
        }
        std::fs::canonicalize(data_dir)
            .map_err(|e| anyhow::anyhow!("resolving {}: {e}", data_dir.display()))?
    } else {
        data_dir.to_path_buf()
    };
    let meta = std::fs::symlink_metadata(&dir)
        .map_err(|e| anyhow::anyhow!("reading {}: {e}", dir.display()))?;
    if !meta.is_dir() {
        anyhow::bail!("{} is not a directory", dir.display());
    }
    let allowed = Owners {
        me,
        service: meta.uid(),
    };
    allowed.check(&dir, &meta)?;
    walk(&dir, &allowed)?;
    Ok(dir)
}

/// Who may own what the commands open or remove.
struct Owners {
    me: u32,
    /// The data directory's owner, accepted only when the caller is root.
    service: u32,
}

impl Owners {
    fn check(&self, path: &Path, meta: &std::fs::Metadata) -> anyhow::Result<()> {
        if meta.file_type().is_symlink() {
            anyhow::bail!(
                "{} is a symbolic link: the data directory must hold only the server's own \
                 files (remove the link; nothing was done)",
                path.display()
            );
        }
        let owner = meta.uid();
        if owner != self.me && !(self.me == 0 && owner == self.service) {
            anyhow::bail!(
                "{} belongs to user {owner}, neither the user running this command ({}) nor \
                 the data directory's owner: remove it or run the command as its owner; \
                 nothing was done",
                path.display(),
                self.me
            );
        }
        Ok(())
    }
}

fn walk(dir: &Path, allowed: &Owners) -> anyhow::Result<()> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| anyhow::anyhow!("reading {}: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| anyhow::anyhow!("reading {}: {e}", dir.display()))?;
        let path = entry.path();
        let meta = std::fs::symlink_metadata(&path)
            .map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
        allowed.check(&path, &meta)?;
        if meta.is_dir() {
            walk(&path, allowed)?;
        }
    }
    Ok(())
}
