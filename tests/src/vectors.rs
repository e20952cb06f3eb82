//! The committed frozen vectors: where they are and how their files read.
//!
//! A vector file holds `name = value` lines (hex for bytes); lines starting with
//! `#` and blank lines are comments. The folders stay where other documents link
//! to them: `client-core/tests/vectors`, `server/tests/vectors`, `tests/fixtures`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The workspace's root directory.
fn workspace() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// `client-core/tests/vectors`: the client's formats.
pub fn client_core_dir() -> PathBuf {
    workspace().join("client-core/tests/vectors")
}

/// `server/tests/vectors`: the server's formats (backups).
pub fn server_dir() -> PathBuf {
    workspace().join("server/tests/vectors")
}

/// `tests/fixtures`: whole journals as an older version left them.
pub fn fixtures_dir() -> PathBuf {
    workspace().join("tests/fixtures")
}

/// Every `name = value` line of the file at `path`.
pub fn read(path: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("vectors file {}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (k, v) = l.split_once(" = ").expect("name = value");
            (k.to_string(), v.trim().to_string())
        })
        .collect()
}

/// Every `name = hex` line of the file at `path`, decoded.
pub fn read_hex(path: &Path) -> BTreeMap<String, Vec<u8>> {
    read(path)
        .into_iter()
        .map(|(k, v)| {
            let bytes = hex::decode(&v).unwrap_or_else(|e| panic!("{k} is not hex: {e}"));
            (k, bytes)
        })
        .collect()
}

/// The value of the first `name = value` line of the file at `path`.
pub fn param(path: &Path, name: &str) -> String {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("vectors file {}: {e}", path.display()));
    let prefix = format!("{name} = ");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix).map(|v| v.trim().to_string()))
        .unwrap_or_else(|| panic!("{name} in {}", path.display()))
}

/// Copies the folder `from` into `to` (made if missing), files and subfolders:
/// a fixture is altered or written to only in a copy.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("{}: {e}", to.display()));
    for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display())) {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target)
                .unwrap_or_else(|e| panic!("{}: {e}", entry.path().display()));
        }
    }
}
