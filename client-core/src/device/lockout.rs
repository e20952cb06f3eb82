//! Local rate limiting of wrong passphrases, with growing delays.
//!
//! The policy is a pure function ([`delay_after`]); the count lives in a small
//! `attempts` file in the device home that holds no secret (a count and a time).
//! Argon2 already makes each guess slow; the delay makes a long run of guesses on
//! a seized device slower still. Deleting the file resets the count, so this slows
//! casual guessing at the keyboard; it is not a substitute for a strong passphrase.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// Wrong passphrases allowed before any delay.
pub(crate) const FREE_ATTEMPTS: u32 = 3;
/// The longest delay between attempts.
pub(crate) const MAX_DELAY: Duration = Duration::from_secs(5 * 60);

const ATTEMPTS_FILE: &str = "attempts";

/// How long to wait after `failures` wrong passphrases in a row before the next
/// try: nothing for the first [`FREE_ATTEMPTS`], then 1 s, 2 s, 4 s, … capped at
/// [`MAX_DELAY`].
pub(crate) fn delay_after(failures: u32) -> Duration {
    if failures < FREE_ATTEMPTS {
        return Duration::ZERO;
    }
    let exp = (failures - FREE_ATTEMPTS).min(16);
    Duration::from_secs(1u64 << exp).min(MAX_DELAY)
}

/// The failures so far and when the last one happened (Unix milliseconds).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Attempts {
    pub failures: u32,
    pub last_failure_ms: i64,
}

impl Attempts {
    /// How long the caller must still wait at `now_ms` (zero if it may try now).
    pub(crate) fn wait_at(&self, now_ms: i64) -> Duration {
        let delay = delay_after(self.failures);
        let ready_at = self
            .last_failure_ms
            .saturating_add(i64::try_from(delay.as_millis()).unwrap_or(i64::MAX));
        Duration::from_millis(u64::try_from(ready_at.saturating_sub(now_ms)).unwrap_or(0))
            .min(MAX_DELAY)
    }
}

fn path(home: &Path) -> PathBuf {
    home.join(ATTEMPTS_FILE)
}

/// Reads the attempts file; a missing or unreadable one counts as no failures.
pub(crate) fn load(home: &Path) -> Attempts {
    let Ok(text) = std::fs::read_to_string(path(home)) else {
        return Attempts::default();
    };
    let mut parts = text.split_whitespace();
    match (
        parts.next().and_then(|s| s.parse().ok()),
        parts.next().and_then(|s| s.parse().ok()),
    ) {
        (Some(failures), Some(last_failure_ms)) => Attempts {
            failures,
            last_failure_ms,
        },
        _ => Attempts::default(),
    }
}

/// Counts one more wrong passphrase at `now_ms`. The file is owner-only (0600)
/// like everything else in the home: its count and time say when someone tried.
pub(crate) fn record_failure(home: &Path, now_ms: i64) -> std::io::Result<Attempts> {
    use std::io::Write;
    let mut a = load(home);
    a.failures = a.failures.saturating_add(1);
    a.last_failure_ms = now_ms;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let path = path(home);
    let mut file = options.open(&path)?;
    // A file left by an older version keeps its mode when reopened: tighten it.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(format!("{} {}\n", a.failures, a.last_failure_ms).as_bytes())?;
    Ok(a)
}

/// Forgets the failures (after a right passphrase).
pub(crate) fn reset(home: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path(home)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn delays_grow_and_cap() {
        assert_eq!(delay_after(0), Duration::ZERO);
        assert_eq!(delay_after(2), Duration::ZERO);
        assert_eq!(delay_after(3), Duration::from_secs(1));
        assert_eq!(delay_after(4), Duration::from_secs(2));
        assert_eq!(delay_after(6), Duration::from_secs(8));
        assert_eq!(delay_after(20), MAX_DELAY);
        assert_eq!(delay_after(u32::MAX), MAX_DELAY);
    }

    #[test]
    fn file_counts_and_resets() {
        let dir = tempfile::tempdir().unwrap();
        for _ in 0..4 {
            record_failure(dir.path(), 10_000).unwrap();
        }
        let a = load(dir.path());
        assert_eq!(a.failures, 4);
        assert_eq!(a.wait_at(10_500), Duration::from_millis(1_500));
        assert_eq!(a.wait_at(20_000), Duration::ZERO);
        reset(dir.path()).unwrap();
        assert_eq!(load(dir.path()), Attempts::default());
        reset(dir.path()).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn the_file_is_owner_only_even_if_it_was_not() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let mode = || {
            std::fs::metadata(path(dir.path()))
                .unwrap()
                .permissions()
                .mode()
                & 0o777
        };
        record_failure(dir.path(), 1).unwrap();
        assert_eq!(mode(), 0o600);
        // As an older version left it.
        std::fs::set_permissions(path(dir.path()), std::fs::Permissions::from_mode(0o644)).unwrap();
        record_failure(dir.path(), 2).unwrap();
        assert_eq!(mode(), 0o600);
        assert_eq!(load(dir.path()).failures, 2);
    }
}
