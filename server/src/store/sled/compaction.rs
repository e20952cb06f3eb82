//! Rewriting the database so erased bytes leave the disk, and finishing a
//! rewrite that a crash interrupted.

use std::path::Path;

use super::{open_db, SledStore, Trees};
use crate::store::{StoreError, StoreResult};

impl SledStore {
    /// Rewrites the database into a fresh one and swaps it in. sled is
    /// log-structured: removed keys and values stay in its files until segments
    /// are rewritten, so after an erasure this is what makes the account's bytes
    /// actually leave the disk. Blocks every other call while it runs.
    pub(super) fn compact(&self) -> StoreResult<()> {
        let mut guard = self
            .trees
            .write()
            .map_err(|_| StoreError::Backend("sled store lock poisoned".into()))?;
        let Some(old) = guard.take() else {
            return Err(StoreError::Closed);
        };
        let fresh_dir = self.dir.with_extension("compacting");
        let old_dir = self.dir.with_extension("old");
        let io = |what: &'static str| {
            move |e: std::io::Error| StoreError::Backend(format!("compacting: {what}: {e}"))
        };
        if fresh_dir.exists() {
            std::fs::remove_dir_all(&fresh_dir).map_err(io("clearing a stale copy"))?;
        }
        let result = (|| -> StoreResult<()> {
            let fresh = open_db(&fresh_dir, self.cache_bytes)?;
            copy_db(&old.db, &fresh)?;
            fresh.flush()?;
            drop(fresh);
            wait_for_lock(&fresh_dir)
        })();
        old.db.flush()?;
        drop(old);
        wait_for_lock(&self.dir)?;
        if let Err(e) = result {
            // Keep serving the old database rather than none.
            *guard = Some(Trees::open(open_db(&self.dir, self.cache_bytes)?)?);
            return Err(e);
        }
        std::fs::rename(&self.dir, &old_dir).map_err(io("moving the old database"))?;
        std::fs::rename(&fresh_dir, &self.dir).map_err(io("moving the new database"))?;
        std::fs::remove_dir_all(&old_dir).map_err(io("removing the old database"))?;
        *guard = Some(Trees::open(open_db(&self.dir, self.cache_bytes)?)?);
        Ok(())
    }
}

/// The file beside the database that says an erasure's bytes are still in it: a
/// crash before the compaction that removes them leaves it, and `open` then
/// compacts at the next chance instead of keeping the bytes indefinitely.
pub(super) fn due_marker(dir: &Path) -> std::path::PathBuf {
    dir.with_extension("compaction-due")
}

pub(super) fn mark_due(dir: &Path) -> StoreResult<()> {
    let io = |e: std::io::Error| StoreError::Backend(format!("marking a compaction due: {e}"));
    std::fs::File::create(due_marker(dir))
        .and_then(|f| f.sync_all())
        .map_err(io)
}

pub(super) fn clear_due(dir: &Path) -> StoreResult<()> {
    match std::fs::remove_file(due_marker(dir)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(StoreError::Backend(format!(
            "clearing the compaction marker: {e}"
        ))),
        _ => Ok(()),
    }
}

/// `compact` swaps directories in steps: (1) the copy is written and flushed,
/// (2) `db` becomes `db.old`, (3) the copy becomes `db`, (4) `db.old` goes.
/// A crash between steps leaves a state this completes (never an empty `db`).
pub(super) fn finish_interrupted_compaction(dir: &Path) -> StoreResult<()> {
    let fresh = dir.with_extension("compacting");
    let old = dir.with_extension("old");
    let io = |what: &'static str| {
        move |e: std::io::Error| StoreError::Backend(format!("finishing a compaction: {what}: {e}"))
    };
    if !dir.exists() && old.exists() {
        if !fresh.exists() {
            // Cannot happen with the steps above; keep the data rather than guess.
            std::fs::rename(&old, dir).map_err(io("restoring the old database"))?;
            return Ok(());
        }
        // Between (2) and (3): the copy was complete before (2) began.
        std::fs::rename(&fresh, dir).map_err(io("moving the new database"))?;
    }
    if dir.exists() && fresh.exists() {
        // Crashed during (1): the old database is intact; drop the partial copy.
        std::fs::remove_dir_all(&fresh).map_err(io("removing a partial copy"))?;
    }
    if dir.exists() && old.exists() {
        // Between (3) and (4): the old files still hold erased data.
        std::fs::remove_dir_all(&old).map_err(io("removing the old database"))?;
    }
    Ok(())
}

/// Every tree of `from`, key for key, into `to`.
pub(super) fn copy_db(from: &sled::Db, to: &sled::Db) -> StoreResult<()> {
    for name in from.tree_names() {
        let src = from.open_tree(&name)?;
        let dst = to.open_tree(&name)?;
        for kv in src.iter() {
            let (k, v) = kv?;
            dst.insert(k, v)?;
        }
    }
    Ok(())
}

/// Blocks until sled's flusher thread has let go of the database file lock in
/// `dir` (after the last handle was dropped), so the directory can be reused.
pub(super) fn wait_for_lock(dir: &Path) -> StoreResult<()> {
    let lock_file = std::fs::File::open(dir.join("db"))
        .map_err(|e| StoreError::Backend(format!("reopening the database file: {e}")))?;
    lock_file
        .lock()
        .map_err(|e| StoreError::Backend(format!("waiting for the database lock: {e}")))
}
