//! A backup file is not trusted because its checksum matches: anyone who can
//! edit it can recompute that. These tests edit the frozen v2 vector the way an
//! attacker would (rewriting it through `BackupWriter`, so the checksum is
//! right) and show restore refuses or drops what was added.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use mycase_server::operator::backup::{self, BackupError, BackupReader, BackupWriter, Item};
use mycase_server::store::{AccountStore, SessionStore, SledStore};
use sha2::{Digest, Sha256};

const VICTIM: [u8; 16] = [0x11; 16];

fn vector() -> PathBuf {
    mycase_tests::vectors::server_dir().join("backup-v2.bin")
}

/// The v2 vector with `extra` tree entries appended, checksum recomputed.
fn tampered(dir: &Path, extra: &[(&[u8], &[u8], &[u8])]) -> PathBuf {
    let bytes = std::fs::read(vector()).unwrap();
    let mut reader = BackupReader::new(bytes.as_slice()).unwrap();
    let mut w = BackupWriter::new(Vec::new()).unwrap();
    while let Some(item) = reader.next_item().unwrap() {
        match item {
            Item::TreeEntry { tree, key, value } => w.tree_entry(&tree, &key, &value).unwrap(),
            Item::Chunk {
                account_id,
                address,
                sealed,
            } => w.chunk(&account_id, &address, &sealed).unwrap(),
        }
    }
    for (tree, key, value) in extra {
        w.tree_entry(tree, key, value).unwrap();
    }
    let path = dir.join("tampered.bin");
    std::fs::write(&path, w.finish().unwrap()).unwrap();
    backup::verify(&path).unwrap();
    path
}

fn planted_session() -> ([u8; 32], Vec<u8>) {
    let token_hash: [u8; 32] = Sha256::digest(b"the attacker's chosen token").into();
    let mut row = Vec::new();
    row.extend_from_slice(&VICTIM);
    row.extend_from_slice(&[3; 16]);
    row.extend_from_slice(&u64::MAX.to_be_bytes());
    (token_hash, row)
}

#[test]
fn a_planted_session_is_not_restored() {
    let work = tempfile::tempdir().unwrap();
    let (token_hash, row) = planted_session();
    let file = tampered(work.path(), &[(b"sessions", &token_hash, &row)]);
    let data = work.path().join("data");
    // Sessions are ephemeral, so the row is skipped (not refused): the rest restores.
    backup::restore(&file, &data, 8 << 20).unwrap();
    let s = SledStore::open(&data.join("db"), &data.join("chunks")).unwrap();
    assert!(s.account(&VICTIM).unwrap().is_some());
    assert_eq!(s.session(&token_hash).unwrap(), None);
}

#[test]
fn an_unknown_tree_is_refused_and_nothing_written() {
    let work = tempfile::tempdir().unwrap();
    let file = tampered(work.path(), &[(b"backdoor", b"k", b"v")]);
    let data = work.path().join("data");
    let err = backup::restore(&file, &data, 8 << 20).unwrap_err();
    assert!(
        matches!(&err, BackupError::UnknownTree { tree, row: 1 } if tree == "backdoor"),
        "{err}"
    );
    assert!(err.to_string().contains("backdoor"), "{err}");
    assert!(
        !data.exists(),
        "a refused restore created the data directory"
    );
}

#[test]
fn a_malformed_row_is_refused_naming_its_tree_and_the_old_data_stays() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    backup::restore(&vector(), &data, 8 << 20).unwrap();
    // The database directory is swapped on a restore: its inode says whether it was.
    use std::os::unix::fs::MetadataExt;
    let before = std::fs::metadata(data.join("db")).unwrap().ino();

    // A second devices row, too short to be one.
    let file = tampered(work.path(), &[(b"devices", &[7; 16], &[1, 2, 3])]);
    let err = backup::restore(&file, &data, 8 << 20).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("`devices`") && message.contains("row 3"),
        "{message}"
    );
    let s = SledStore::open(&data.join("db"), &data.join("chunks")).unwrap();
    assert!(s.account(&VICTIM).unwrap().is_some());
    assert_eq!(s.device(&[7; 16]).unwrap(), None);
    drop(s);
    assert_eq!(std::fs::metadata(data.join("db")).unwrap().ino(), before);
    assert!(!data.join("restoring-db").exists());
}

fn modes_under(root: &Path, out: &mut Vec<(PathBuf, u32, bool)>) {
    let meta = std::fs::symlink_metadata(root).unwrap();
    out.push((
        root.to_path_buf(),
        meta.permissions().mode() & 0o777,
        meta.is_dir(),
    ));
    if meta.is_dir() {
        for e in std::fs::read_dir(root).unwrap() {
            modes_under(&e.unwrap().path(), out);
        }
    }
}

#[test]
fn restored_files_are_private_under_umask_000() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    // umask is per process: run the binary under umask 000, not this test binary.
    let out = Command::new("sh")
        .arg("-c")
        .arg(r#"umask 000 && exec "$0" restore "$1""#)
        .arg(env!("CARGO_BIN_EXE_mycase-server"))
        .arg(vector())
        .env_remove("MYCASE_CONFIG")
        .env("MYCASE_DATA_DIR", &data)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut modes = Vec::new();
    modes_under(&data.join("db"), &mut modes);
    modes_under(&data.join("chunks"), &mut modes);
    modes_under(&data.join("shares"), &mut modes);
    assert!(modes.iter().any(|(_, _, dir)| !dir), "no files restored");
    for (path, mode, dir) in modes {
        let want = if dir { 0o700 } else { 0o600 };
        assert_eq!(mode, want, "{} has mode {mode:o}", path.display());
    }
    let data_mode = std::fs::metadata(&data).unwrap().permissions().mode() & 0o777;
    assert_eq!(data_mode, 0o700);
}
