//! The local passphrase: typed on the terminal without echo, or for scripts from
//! a file (`--passphrase-file` / `MYCASE_PASSPHRASE_FILE`, owner-only) or from
//! `MYCASE_PASSPHRASE`. A passphrase never belongs on a command line: the shell
//! keeps it in its history.

use anyhow::{bail, Context, Result};
use zeroize::Zeroizing;

const ENV: &str = "MYCASE_PASSPHRASE";

/// The `--passphrase-file` given, set once by `main` before any command runs.
static FILE: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();

/// Takes the passphrase from `path` (its first line) instead of asking.
pub fn use_file(path: std::path::PathBuf) {
    let _ = FILE.set(path);
}
const NEW_ENV: &str = "MYCASE_NEW_PASSPHRASE";
const KIT_ENV: &str = "MYCASE_RECOVERY_KIT";

/// The passphrase that unlocks this device.
pub fn unlock() -> Result<Zeroizing<String>> {
    if let Some(p) = from_env()? {
        return Ok(p);
    }
    let p = prompt("MyCase passphrase: ")?;
    if p.is_empty() {
        bail!("the passphrase is empty");
    }
    Ok(p)
}

/// The passphrase, or `None` if the survivor pressed Enter at the prompt.
pub fn unlock_optional() -> Result<Option<Zeroizing<String>>> {
    if let Some(p) = from_env()? {
        return Ok(Some(p));
    }
    let p = prompt("MyCase passphrase (Enter skips): ")?;
    Ok((!p.is_empty()).then_some(p))
}

/// The passphrase typed on the terminal, whatever `MYCASE_PASSPHRASE` says
/// (to confirm a destructive action).
pub fn retype() -> Result<Zeroizing<String>> {
    let p = prompt("Type your MyCase passphrase to confirm: ")?;
    if p.is_empty() {
        bail!("the passphrase is empty");
    }
    Ok(p)
}

/// A new passphrase, typed twice (for `init` and `join`).
pub fn choose() -> Result<Zeroizing<String>> {
    if let Some(p) = from_env()? {
        return Ok(p);
    }
    crate::say!("Choose a passphrase for MyCase on this device. It unlocks your journal here;");
    crate::say!("pick one nobody can guess, and do not reuse one the abuser may know.");
    let first = prompt("New passphrase: ")?;
    if first.is_empty() {
        bail!("the passphrase is empty");
    }
    let second = prompt("Type it again: ")?;
    if *first != *second {
        bail!("the two passphrases differ; nothing was changed");
    }
    Ok(first)
}

/// The new passphrase for `mycase passphrase`: `MYCASE_NEW_PASSPHRASE`, or typed twice.
pub fn choose_new() -> Result<Zeroizing<String>> {
    if let Some(p) = env_var(NEW_ENV)? {
        return Ok(p);
    }
    let first = prompt("New passphrase: ")?;
    if first.is_empty() {
        bail!("the passphrase is empty; nothing was changed");
    }
    let second = prompt("Type it again: ")?;
    if *first != *second {
        bail!("the two passphrases differ; nothing was changed");
    }
    Ok(first)
}

/// The recovery kit: `MYCASE_RECOVERY_KIT`, or typed without echo.
pub fn recovery_kit() -> Result<Zeroizing<String>> {
    if let Some(k) = env_var(KIT_ENV)? {
        return Ok(k);
    }
    rpassword::prompt_password("Recovery kit (as written down; spaces and dashes do not matter): ")
        .map(Zeroizing::new)
        .context("could not read the recovery kit from the terminal (or set MYCASE_RECOVERY_KIT)")
}

fn from_env() -> Result<Option<Zeroizing<String>>> {
    if let Some(path) = FILE.get() {
        return read_file(path).map(Some);
    }
    env_var(ENV)
}

/// The first line of a passphrase file, refused unless only its owner can read it.
fn read_file(path: &std::path::Path) -> Result<Zeroizing<String>> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .with_context(|| format!("could not read the passphrase file {}", path.display()))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            bail!(
                "the passphrase file {} can be read by others: make it yours alone \
                 (chmod 600 {})",
                path.display(),
                path.display()
            );
        }
    }
    let text = Zeroizing::new(
        std::fs::read_to_string(path)
            .with_context(|| format!("could not read the passphrase file {}", path.display()))?,
    );
    let line = Zeroizing::new(text.lines().next().unwrap_or("").to_string());
    if line.is_empty() {
        bail!("the passphrase file {} is empty", path.display());
    }
    Ok(line)
}

fn env_var(name: &str) -> Result<Option<Zeroizing<String>>> {
    match std::env::var(name) {
        Ok(p) if p.is_empty() => bail!("{name} is set but empty"),
        Ok(p) => Ok(Some(Zeroizing::new(p))),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => bail!("{name} is not valid UTF-8"),
    }
}

fn prompt(text: &str) -> Result<Zeroizing<String>> {
    rpassword::prompt_password(text)
        .map(Zeroizing::new)
        .context("could not read the passphrase from the terminal (or set MYCASE_PASSPHRASE)")
}
