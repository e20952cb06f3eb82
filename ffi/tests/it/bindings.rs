//! Finding what the foreign-language suites need: the built library, the
//! `mycase` client and the test server beside it, and bindings generated from the
//! library (UniFFI's library mode, as CI and a phone build generate them).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `target/debug` (or the profile this test was built in).
pub fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/it-<hash>
    exe.parent().unwrap().parent().unwrap().to_path_buf()
}

/// The built cdylib. `cargo test` builds it into `deps/` and copies it up only
/// on `cargo build`, so the newer of the two is this build's.
pub fn library() -> PathBuf {
    let dir = target_dir();
    let name = format!(
        "{}mycase_ffi{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    );
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let path = [dir.join("deps").join(&name), dir.join(&name)]
        .into_iter()
        .filter(|p| p.exists())
        .max_by_key(|p| modified(p));
    path.unwrap_or_else(|| panic!("the library {name} was not built in {dir:?}"))
}

/// A binary of another package of the workspace: `cargo test --workspace` builds
/// them before any test runs; alone, this suite builds them once.
pub fn workspace_binary(package: &str, bin: &str) -> PathBuf {
    let path = target_dir().join(format!("{bin}{}", std::env::consts::EXE_SUFFIX));
    if !path.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let status = Command::new(cargo)
            .args(["build", "-p", package, "--bin", bin])
            .status()
            .unwrap();
        assert!(status.success(), "building {bin} failed");
    }
    path
}

/// Generates the bindings for `language` from the library into `out`, the
/// library beside them (where the generated loader looks for it).
pub fn generate(language: &str, out: &Path) {
    let library = library();
    let output = Command::new(env!("CARGO_BIN_EXE_uniffi-bindgen"))
        .args(["generate", "--library"])
        .arg(&library)
        .args(["--language", language, "--out-dir"])
        .arg(out)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "uniffi-bindgen failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let beside = out.join(library.file_name().unwrap());
    if !beside.exists() {
        std::os::unix::fs::symlink(&library, &beside).unwrap();
    }
}

/// The suite's output when it passed (printed, so `cargo test` shows it); a
/// failure names the suite with all it printed.
pub fn passed(suite: &str, output: &Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    println!("{stdout}");
    assert!(
        output.status.success(),
        "the {suite} suite failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}
