//! Writing in `$EDITOR` without leaving the words behind.
//!
//! The draft is a 0600 file with a random name inside the 0700 device home (not
//! /tmp, which other users and backups may see), held by a lock file for as long
//! as the editor runs. When the editor closes, the draft is overwritten and
//! removed. A draft left by a crash (the lock is gone with its process) is swept,
//! overwritten first, at the next start of any command. Editors MyCase knows are
//! started with their swap, backup, undo and history files off:
//!
//! - vim, nvim, gvim: `-n` (no swap file), `-i NONE` (no viminfo/shada, which
//!   would keep registers holding the text), and after the user's vimrc
//!   `nobackup nowritebackup noundofile`;
//! - nano: `--ignorercfiles` (a nanorc may turn on backups and position history);
//! - emacs: no backup, auto-save or lock files.
//!
//! Other editors run as given; their own leftovers are theirs (README says so).
//! Overwriting before unlinking defeats undelete tools on simple file systems;
//! on copy-on-write file systems and SSDs the old blocks may survive anyway,
//! which is why the home's encryption, not this, is what protects the journal.

use std::ffi::{OsStr, OsString};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{IsTerminal, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// Every draft file's name starts with this; editors' leftovers contain it.
const DRAFT_MARK: &str = ".draft-";

/// The editor to open, if a person is at the terminal and `$EDITOR` is set (a pipe
/// or script gives text on standard input instead).
pub fn wanted() -> Option<OsString> {
    if !std::io::stdin().is_terminal() {
        return None;
    }
    std::env::var_os("EDITOR").filter(|e| !e.is_empty())
}

/// The options that keep `editor` from writing copies of the draft elsewhere, as
/// shell words (constants: nothing of the user's is put in a shell string).
fn private_options(editor: &OsStr) -> &'static str {
    let command = editor.to_string_lossy();
    let program = command.split_whitespace().next().unwrap_or("");
    let name = Path::new(program)
        .file_name()
        .and_then(OsStr::to_str)
        .unwrap_or("");
    match name {
        "vim" | "nvim" | "gvim" | "mvim" | "vimx" => {
            // `silent!`: a small vim without persistent undo has no 'undofile'.
            "-n -i NONE -c 'set nobackup nowritebackup' -c 'silent! set noundofile'"
        }
        "nano" | "rnano" => "--ignorercfiles",
        "emacs" => {
            "--eval '(setq make-backup-files nil auto-save-default nil create-lockfiles nil)'"
        }
        _ => "",
    }
}

/// A draft being edited: its file and the lock that tells a sweep it is alive.
struct Draft {
    path: PathBuf,
    lock_path: PathBuf,
    _lock: File,
}

impl Draft {
    fn create(home: &Path, template: &str) -> Result<Draft> {
        // A random name: the file name must say nothing about the content.
        let id = hex::encode(mycase_core::ids::new_id());
        let lock_path = home.join(format!("{DRAFT_MARK}{id}.lock"));
        let lock = private_file(&lock_path).context("could not create the draft's lock")?;
        lock.try_lock()
            .map_err(|e| anyhow::anyhow!("could not lock the draft: {e}"))?;
        let path = home.join(format!("{DRAFT_MARK}{id}.txt"));
        let draft = Draft {
            path,
            lock_path,
            _lock: lock,
        };
        let mut file = private_file(&draft.path).context("could not create the draft file")?;
        file.write_all(template.as_bytes())
            .and_then(|()| file.sync_all())
            .context("could not write the draft file")?;
        Ok(draft)
    }
}

impl Drop for Draft {
    fn drop(&mut self) {
        shred(&self.path);
        remove_leftovers(&self.path);
        let _ = std::fs::remove_file(&self.lock_path);
    }
}

fn private_file(path: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

/// Opens `editor` on a draft holding `template` and returns what was written,
/// without the lines starting with `#`; the draft is shredded whatever happens.
pub fn edit(home: &Path, editor: &OsStr, template: &str) -> Result<String> {
    let draft = Draft::create(home, template)?;
    // $EDITOR may carry arguments ("code --wait"): run it through the shell, with
    // the path as a positional argument so it is never parsed as shell text.
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "{} {} \"$1\"",
            editor.to_string_lossy(),
            private_options(editor)
        ))
        .arg("mycase-editor")
        .arg(&draft.path)
        .status()
        .context("could not start $EDITOR")?;
    if !status.success() {
        bail!("the editor did not finish cleanly; nothing was saved");
    }
    let written = std::fs::read_to_string(&draft.path).context("could not read the draft file")?;
    drop(draft);
    let kept: Vec<&str> = written
        .lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .collect();
    Ok(kept.join("\n").trim().to_string())
}

/// Overwrites a file with zeros, to the disk, before unlinking it, so its words
/// are not left in freed blocks of a simple file system. Best effort: the
/// removal is what must happen.
fn shred(path: &Path) {
    // Never follow a link: only the file itself is ours to overwrite.
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if meta.is_file() {
            if let Ok(mut file) = OpenOptions::new().write(true).open(path) {
                let zeros = vec![0u8; usize::try_from(meta.len()).unwrap_or(0)];
                let _ = file.write_all(&zeros).and_then(|()| file.sync_all());
            }
        }
    }
    let _ = std::fs::remove_file(path);
}

/// What editors may leave beside a draft (vim swap files, `~` backups, emacs
/// auto-save and lock files), shredded too.
fn remove_leftovers(draft: &Path) {
    let (Some(dir), Some(name)) = (draft.parent(), draft.file_name().and_then(OsStr::to_str))
    else {
        return;
    };
    for other in [
        format!(".{name}.swp"),
        format!(".{name}.swo"),
        format!("{name}~"),
        format!("#{name}#"),
        format!(".#{name}"),
    ] {
        shred(&dir.join(other));
    }
}

/// Shreds the drafts (and editor leftovers) in `home` whose lock no running
/// MyCase holds: what a crash or a killed terminal left. Returns how many drafts
/// were swept.
pub fn sweep(home: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(home) else {
        return 0;
    };
    let mut ids = std::collections::BTreeSet::new();
    let mut names = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if let Some(id) = draft_id(name) {
            ids.insert(id.to_string());
            names.push(name.to_string());
        }
    }
    let mut swept = 0;
    for id in ids {
        let lock_path = home.join(format!("{DRAFT_MARK}{id}.lock"));
        // Held: a `mycase` is editing it right now. Absent or free: orphaned.
        let lock = OpenOptions::new().write(true).open(&lock_path);
        let _held_here = match lock {
            Ok(file) => match file.try_lock() {
                Ok(()) => Some(file),
                Err(TryLockError::WouldBlock) => continue,
                Err(TryLockError::Error(_)) => continue,
            },
            Err(_) => None,
        };
        let mut had_draft = false;
        for name in names.iter().filter(|n| n.contains(&id)) {
            if name.ends_with(".lock") {
                continue;
            }
            had_draft |= *name == format!("{DRAFT_MARK}{id}.txt");
            shred(&home.join(name));
        }
        let _ = std::fs::remove_file(&lock_path);
        if had_draft {
            swept += 1;
        }
    }
    swept
}

/// The random id in a draft's, a lock's or an editor leftover's file name.
fn draft_id(name: &str) -> Option<&str> {
    let at = name.find(DRAFT_MARK)? + DRAFT_MARK.len();
    let id = name.get(at..at + 32)?;
    id.bytes().all(|b| b.is_ascii_hexdigit()).then_some(id)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn known_editors_get_their_copies_turned_off() {
        assert!(private_options(OsStr::new("vim")).contains("-n"));
        assert!(private_options(OsStr::new("/usr/bin/nvim -p")).contains("-i NONE"));
        assert!(private_options(OsStr::new("nano")).contains("--ignorercfiles"));
        assert!(private_options(OsStr::new("emacs -nw")).contains("make-backup-files nil"));
        assert_eq!(private_options(OsStr::new("code --wait")), "");
    }

    #[test]
    fn ids_come_from_drafts_locks_and_leftovers() {
        let id = "0123456789abcdef0123456789abcdef";
        for name in [
            format!(".draft-{id}.txt"),
            format!(".draft-{id}.lock"),
            format!("..draft-{id}.txt.swp"),
            format!("#.draft-{id}.txt#"),
            format!(".draft-{id}.txt~"),
        ] {
            assert_eq!(draft_id(&name), Some(id), "{name}");
        }
        assert_eq!(draft_id("key"), None);
        assert_eq!(draft_id(".draft-short.txt"), None);
    }

    #[test]
    fn a_swept_draft_is_overwritten_and_a_live_one_is_kept() {
        let home = tempfile::tempdir().unwrap();
        let dead = "0123456789abcdef0123456789abcdef";
        let draft = home.path().join(format!(".draft-{dead}.txt"));
        std::fs::write(&draft, b"He waited outside the school.").unwrap();
        let swap = home.path().join(format!("..draft-{dead}.txt.swp"));
        std::fs::write(&swap, b"swap").unwrap();
        // A second name for the same file shows what the sweep wrote into it.
        let witness = home.path().join("witness");
        std::fs::hard_link(&draft, &witness).unwrap();

        let live = Draft::create(home.path(), "being written").unwrap();
        assert_eq!(sweep(home.path()), 1);
        assert!(!draft.exists() && !swap.exists());
        let left = std::fs::read(&witness).unwrap();
        assert!(left.iter().all(|&b| b == 0) && !left.is_empty(), "{left:?}");
        assert!(live.path.exists(), "a draft being edited is not swept");
        let live_path = live.path.clone();
        drop(live);
        assert!(!live_path.exists());
    }
}
