//! Runs the Python suite (`ffi/tests/python`, pytest) against the bindings
//! generated from this build: the phone's journey end to end with a real server
//! and the `mycase` client as the survivor's other device, the typed errors, the
//! callbacks and dropped handles, the keystore. pytest is installed in a virtual
//! environment under `target/` the first time (from PyPI, pinned).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::bindings;

fn suite_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python")
}

/// A Python with pytest: `target/ffi-python`, made once.
fn python() -> PathBuf {
    let venv = bindings::target_dir().parent().unwrap().join("ffi-python");
    let python = venv.join("bin/python");
    let has_pytest = |python: &Path| {
        Command::new(python)
            .args(["-c", "import pytest"])
            .status()
            .is_ok_and(|s| s.success())
    };
    if !has_pytest(&python) {
        let made = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .unwrap();
        assert!(made.success(), "python3 -m venv failed");
        let installed = Command::new(&python)
            .args(["-m", "pip", "install", "--quiet", "-r"])
            .arg(suite_dir().join("requirements.txt"))
            .status()
            .unwrap();
        assert!(installed.success(), "installing pytest failed");
    }
    python
}

#[test]
fn the_python_suite_passes_against_a_real_server() {
    let bindings_dir = tempfile::tempdir().unwrap();
    bindings::generate("python", bindings_dir.path());
    let mycase = bindings::workspace_binary("mycase-cli", "mycase");
    let server = bindings::workspace_binary("mycase-tests", "mycase-test-server");
    let output = Command::new(python())
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider", "-x"])
        .arg(suite_dir())
        .current_dir(suite_dir())
        .env("MYCASE_FFI_BINDINGS", bindings_dir.path())
        .env("MYCASE_BIN", &mycase)
        .env("MYCASE_TEST_SERVER", &server)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap();
    let stdout = bindings::passed("Python", &output);
    println!("{stdout}");
    // A suite that collected nothing must not pass.
    assert!(stdout.contains(" passed"), "{stdout}");
}
