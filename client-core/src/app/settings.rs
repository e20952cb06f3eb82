//! The app's settings on this device (no secret, no content): how long it stays
//! unlocked without use. Kept in `app-settings.json` in the home, owner-only.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::AppError;

/// Minutes without use before the app locks itself, unless changed.
pub const DEFAULT_IDLE_LOCK_MINUTES: u32 = 5;
/// The longest idle time allowed: a forgotten open journal must lock itself.
pub const MAX_IDLE_LOCK_MINUTES: u32 = 240;

const FILE: &str = "app-settings.json";

/// The settings as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// Minutes without use before locking (1..=[`MAX_IDLE_LOCK_MINUTES`]).
    pub idle_lock_minutes: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            idle_lock_minutes: DEFAULT_IDLE_LOCK_MINUTES,
        }
    }
}

fn path(home: &Path) -> PathBuf {
    home.join(FILE)
}

/// The stored settings; missing or unreadable ones are the defaults (a damaged
/// settings file must never keep the journal unlocked longer).
pub(crate) fn load(home: &Path) -> Settings {
    std::fs::read(path(home))
        .ok()
        .and_then(|b| serde_json::from_slice::<Settings>(&b).ok())
        .filter(|s| (1..=MAX_IDLE_LOCK_MINUTES).contains(&s.idle_lock_minutes))
        .unwrap_or_default()
}

/// Checks and stores `settings`.
pub(crate) fn store(home: &Path, settings: &Settings) -> Result<(), AppError> {
    if !(1..=MAX_IDLE_LOCK_MINUTES).contains(&settings.idle_lock_minutes) {
        return Err(AppError::invalid(
            "idle_lock_minutes",
            format!("Choose between 1 and {MAX_IDLE_LOCK_MINUTES} minutes"),
        ));
    }
    let bytes = serde_json::to_vec(settings).map_err(|e| AppError::Other(Box::new(e)))?;
    crate::device::home::write_private_atomic(&path(home), &bytes)
        .map_err(|e| AppError::Storage(Box::new(e)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn defaults_when_missing_or_damaged_and_refuses_out_of_range() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(dir.path()).idle_lock_minutes, 5);
        store(
            dir.path(),
            &Settings {
                idle_lock_minutes: 15,
            },
        )
        .unwrap();
        assert_eq!(load(dir.path()).idle_lock_minutes, 15);
        for bad in [0, MAX_IDLE_LOCK_MINUTES + 1] {
            assert!(store(
                dir.path(),
                &Settings {
                    idle_lock_minutes: bad
                }
            )
            .is_err());
        }
        assert_eq!(load(dir.path()).idle_lock_minutes, 15);
        std::fs::write(dir.path().join(FILE), br#"{"idle_lock_minutes": 100000}"#).unwrap();
        assert_eq!(load(dir.path()).idle_lock_minutes, 5);
        std::fs::write(dir.path().join(FILE), b"not json").unwrap();
        assert_eq!(load(dir.path()).idle_lock_minutes, 5);
    }
}
