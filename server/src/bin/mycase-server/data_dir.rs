//! The rule for the offline operator commands (stats, invite, backup, restore,
//! public-key), which are often run as root on a directory the service user can
//! write: they refuse a data directory that is a symlink, holds one, or holds
//! anything owned by a user other than the one running the command. Root is
//! not an exception: a root process following paths that the service user can
//! change (even between our check and its use) could be made to create or
//! delete files anywhere, so root is told to run the command as the owner.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// Checks `data_dir` and everything under it; an absent directory passes (a
/// restore creates it, the other commands then say there is nothing there).
pub(crate) fn check(data_dir: &Path) -> anyhow::Result<()> {
    let me = rustix::process::geteuid().as_raw();
    let meta = match std::fs::symlink_metadata(data_dir) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(anyhow::anyhow!("reading {}: {e}", data_dir.display())),
    };
    check_entry(data_dir, &meta, me)?;
    walk(data_dir, me)
}

fn walk(dir: &Path, me: u32) -> anyhow::Result<()> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| anyhow::anyhow!("reading {}: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| anyhow::anyhow!("reading {}: {e}", dir.display()))?;
        let path = entry.path();
        let meta = std::fs::symlink_metadata(&path)
            .map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
        check_entry(&path, &meta, me)?;
        if meta.is_dir() {
            walk(&path, me)?;
        }
    }
    Ok(())
}

fn check_entry(path: &Path, meta: &std::fs::Metadata, me: u32) -> anyhow::Result<()> {
    if meta.file_type().is_symlink() {
        anyhow::bail!(
            "{} is a symbolic link: the data directory must hold only the server's own files \
             (remove the link; nothing was done)",
            path.display()
        );
    }
    if meta.uid() != me {
        anyhow::bail!(
            "{} belongs to user {}, not to the user running this command ({me}): run it as \
             the service user (for example `sudo -u '#{}' mycase-server ...`); nothing was done",
            path.display(),
            meta.uid(),
            meta.uid()
        );
    }
    Ok(())
}
