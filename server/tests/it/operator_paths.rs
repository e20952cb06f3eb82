//! The offline operator commands are run by hand, often as root, on a data
//! directory the service user can write. These tests plant what that user could
//! plant (a symlink, a file of its own, a config file) and show the commands
//! refuse it and touch nothing, and that `stats` writes nothing at all.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn server(data: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mycase-server"));
    cmd.args(args).stdin(Stdio::null());
    for var in [
        "MYCASE_CONFIG",
        "MYCASE_LISTEN",
        "MYCASE_CACHE_CAPACITY_BYTES",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("MYCASE_DATA_DIR", data).output().unwrap()
}

/// A stopped server's data directory, from the frozen backup.
fn data_dir(work: &Path) -> PathBuf {
    let data = work.join("data");
    let vector = mycase_tests::vectors::server_dir().join("backup-v2.bin");
    mycase_server::operator::backup::restore(&vector, &data, 8 << 20).unwrap();
    data
}

/// Every path under `root` (not following links) with its size and mtime.
fn snapshot(root: &Path) -> BTreeMap<PathBuf, (u64, i64, i64)> {
    let mut out = BTreeMap::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let path = e.unwrap().path();
            let m = std::fs::symlink_metadata(&path).unwrap();
            out.insert(path.clone(), (m.len(), m.mtime(), m.mtime_nsec()));
            if m.is_dir() {
                todo.push(path);
            }
        }
    }
    out
}

fn refused(out: &Output, needle: &str) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "the command ran: {stderr}");
    assert!(stderr.contains(needle), "{stderr}");
    stderr
}

#[test]
fn offline_stats_writes_nothing() {
    let work = tempfile::tempdir().unwrap();
    let data = data_dir(work.path());
    let before = snapshot(&data);
    let out = server(&data, &["stats", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let counts: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(counts["accounts"], "<5");
    assert_eq!(snapshot(&data), before);

    // And with no database there, it says so rather than creating one.
    let empty = work.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    refused(&server(&empty, &["stats"]), "nothing to count");
    assert_eq!(std::fs::read_dir(&empty).unwrap().count(), 0);
}

#[test]
fn a_symlink_in_the_data_directory_is_refused_and_its_target_untouched() {
    let work = tempfile::tempdir().unwrap();
    let data = data_dir(work.path());
    let elsewhere = work.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    std::fs::create_dir(elsewhere.join("precious")).unwrap();
    std::fs::write(elsewhere.join("precious").join("file"), b"keep me").unwrap();
    std::os::unix::fs::symlink(&elsewhere, data.join("chunks").join("planted")).unwrap();
    let target_before = snapshot(&elsewhere);
    let data_before = snapshot(&data);

    for args in [
        &["stats"][..],
        &["invite", "create"],
        &["public-key"],
        &[
            "backup",
            "--out",
            work.path().join("b.bin").to_str().unwrap(),
        ],
        &[
            "restore",
            mycase_tests::vectors::server_dir()
                .join("backup-v2.bin")
                .to_str()
                .unwrap(),
        ],
    ] {
        let stderr = refused(&server(&data, args), "is a symbolic link");
        assert!(stderr.contains("planted"), "{args:?}: {stderr}");
        assert_eq!(snapshot(&elsewhere), target_before, "{args:?}");
        assert_eq!(snapshot(&data), data_before, "{args:?}");
    }
    assert!(!work.path().join("b.bin").exists());
}

fn chown_tree(root: &Path, uid: u32) {
    std::os::unix::fs::lchown(root, Some(uid), Some(uid)).unwrap();
    if std::fs::symlink_metadata(root).unwrap().is_dir() {
        for e in std::fs::read_dir(root).unwrap() {
            chown_tree(&e.unwrap().path(), uid);
        }
    }
}

fn ran(out: &Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_data_directory_link_is_followed_only_if_the_service_user_did_not_make_it() {
    let work = tempfile::tempdir().unwrap();
    let data = data_dir(work.path());
    let link = work.path().join("link");
    std::os::unix::fs::symlink(&data, &link).unwrap();
    // The caller's own link (systemd's /var/lib/mycase is root's) is followed.
    ran(&server(&link, &["stats"]));
    if rustix::process::geteuid().is_root() {
        std::os::unix::fs::lchown(&link, Some(65534), Some(65534)).unwrap();
        let before = snapshot(&data);
        refused(
            &server(&link, &["stats"]),
            "symbolic link made by user 65534",
        );
        assert_eq!(snapshot(&data), before);
    }
}

#[test]
fn root_accepts_the_service_users_files_but_not_a_third_users() {
    let work = tempfile::tempdir().unwrap();
    let data = data_dir(work.path());
    let planted = data.join("db").join("planted");
    std::fs::write(&planted, b"").unwrap();
    if !rustix::process::geteuid().is_root() {
        // Only root can give a file away; as anyone else everything here is the caller's.
        ran(&server(&data, &["stats"]));
        return;
    }
    // The whole directory the service user's: root may work on it.
    chown_tree(&data, 65534);
    ran(&server(&data, &["stats"]));
    // One file of a third user: refused, named, left alone.
    std::os::unix::fs::chown(&planted, Some(65533), Some(65533)).unwrap();
    let stderr = refused(&server(&data, &["stats"]), "belongs to user 65533");
    assert!(stderr.contains("planted"), "{stderr}");
    assert!(planted.exists());
    // In a root-owned data directory, another user's file is refused too.
    chown_tree(&data, 0);
    std::os::unix::fs::chown(&planted, Some(65534), Some(65534)).unwrap();
    refused(&server(&data, &["stats"]), "belongs to user 65534");
}

#[test]
fn operator_commands_do_not_read_the_data_directorys_config() {
    let work = tempfile::tempdir().unwrap();
    let data = data_dir(work.path());
    // Were it read, this file would make every command fail.
    std::fs::write(data.join("mycase-server.toml"), "quota = 5\n").unwrap();
    let out = server(&data, &["stats", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("not reading"));
    // The server itself still reads it.
    refused(&server(&data, &["show-config"]), "quota");
}
