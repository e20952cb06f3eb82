//! A half-written entry kept across a lock: sealed under this device's own key
//! (see [`crate::format::draft`]) in the home, never plaintext on disk.

use std::path::PathBuf;

use zeroize::Zeroizing;

use super::{App, AppError};
use crate::format::draft;

const FILE: &str = "draft";

impl App {
    fn draft_path(&self) -> PathBuf {
        self.home().join(FILE)
    }

    /// Keeps the form's bytes (whatever the shell serialises), replacing any kept
    /// before. Needs the journal unlocked: the key is the device's.
    pub async fn save_draft(&self, bytes: &[u8]) -> Result<(), AppError> {
        let key = self.device().await?.draft_key();
        let sealed =
            draft::seal(&key, bytes).map_err(|e| AppError::invalid("draft", e.to_string()))?;
        crate::device::home::write_private_atomic(&self.draft_path(), &sealed)
            .map_err(|e| AppError::Storage(Box::new(e)))
    }

    /// The kept draft, if any. One that no longer opens (from before new keys, or
    /// damaged) is discarded and reported as none.
    pub async fn draft(&self) -> Result<Option<Zeroizing<Vec<u8>>>, AppError> {
        let key = self.device().await?.draft_key();
        let sealed = match std::fs::read(self.draft_path()) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(AppError::Storage(Box::new(e))),
        };
        match draft::open(&key, &sealed) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(_) => {
                self.discard_draft()?;
                Ok(None)
            }
        }
    }

    /// Forgets the kept draft (after the entry was saved, or when the survivor
    /// throws it away).
    pub fn discard_draft(&self) -> Result<(), AppError> {
        match std::fs::remove_file(self.draft_path()) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(AppError::Storage(Box::new(e))),
        }
    }
}
