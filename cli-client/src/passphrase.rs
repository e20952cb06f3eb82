//! The local passphrase: from `MYCASE_PASSPHRASE` if set (scripts and tests),
//! otherwise typed on the terminal without echo.

use anyhow::{bail, Context, Result};
use zeroize::Zeroizing;

const ENV: &str = "MYCASE_PASSPHRASE";

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

/// A new passphrase, typed twice (for `init` and `join`).
pub fn choose() -> Result<Zeroizing<String>> {
    if let Some(p) = from_env()? {
        return Ok(p);
    }
    eprintln!("Choose a passphrase for MyCase on this device. It unlocks your journal here;");
    eprintln!("pick one nobody can guess, and do not reuse one the abuser may know.");
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

fn from_env() -> Result<Option<Zeroizing<String>>> {
    match std::env::var(ENV) {
        Ok(p) if p.is_empty() => bail!("{ENV} is set but empty"),
        Ok(p) => Ok(Some(Zeroizing::new(p))),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => bail!("{ENV} is not valid UTF-8"),
    }
}

fn prompt(text: &str) -> Result<Zeroizing<String>> {
    rpassword::prompt_password(text)
        .map(Zeroizing::new)
        .context("could not read the passphrase from the terminal (or set MYCASE_PASSPHRASE)")
}
