//! Per-session opaque handles: what page addresses carry instead of ids.
//!
//! An entry's id in an address would sit in the browser's history for anyone to
//! read later. Pages link to `/…/{handle}` where a handle is a random short token
//! this table maps back to the id; the table is emptied whenever MyCase locks, so
//! an old address opens nothing. A handle names its kind, so a device's handle
//! never opens an entry.

use std::collections::HashMap;
use std::sync::Mutex;

use rand::RngCore;

use crate::error::WebError;

/// What a handle points at (one kind per thing a page can address).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HandleKind {
    Entry,
    Attachment,
    Person,
    Device,
    Share,
}

/// 80 random bits, base32 lowercase: short in an address, never guessed.
const HANDLE_BYTES: usize = 10;

#[derive(Default)]
struct Table {
    by_handle: HashMap<String, (HandleKind, String)>,
    by_id: HashMap<(HandleKind, String), String>,
}

#[derive(Default)]
pub struct Handles {
    table: Mutex<Table>,
}

impl std::fmt::Debug for Handles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Handles(redacted)")
    }
}

impl Handles {
    /// The handle for `id` (the same one for as long as the session stays unlocked,
    /// so a list and its links agree).
    pub fn handle(&self, kind: HandleKind, id: &str) -> String {
        let mut table = self.lock();
        if let Some(existing) = table.by_id.get(&(kind, id.to_owned())) {
            return existing.clone();
        }
        let handle = loop {
            let mut bytes = [0u8; HANDLE_BYTES];
            rand::rngs::OsRng.fill_bytes(&mut bytes);
            let candidate = data_encoding::BASE32_NOPAD
                .encode(&bytes)
                .to_ascii_lowercase();
            if !table.by_handle.contains_key(&candidate) {
                break candidate;
            }
        };
        table
            .by_handle
            .insert(handle.clone(), (kind, id.to_owned()));
        table.by_id.insert((kind, id.to_owned()), handle.clone());
        handle
    }

    /// The id behind a handle of this kind; an unknown, stale or other-kind handle
    /// is `WebError::StaleHandle` (the page says to find it again from the start).
    pub fn resolve(&self, kind: HandleKind, handle: &str) -> Result<String, WebError> {
        match self.lock().by_handle.get(handle) {
            Some((found, id)) if *found == kind => Ok(id.clone()),
            _ => Err(WebError::StaleHandle),
        }
    }

    /// Forgets every handle (at lock).
    pub fn clear(&self) {
        let mut table = self.lock();
        table.by_handle.clear();
        table.by_id.clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Table> {
        match self.table.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn handles_are_stable_opaque_and_typed() {
        let handles = Handles::default();
        let id = "3f2a9c1e-entry-id";
        let handle = handles.handle(HandleKind::Entry, id);
        assert_eq!(handle, handles.handle(HandleKind::Entry, id));
        assert!(!handle.contains(id) && handle.len() == 16, "{handle}");
        assert_eq!(handles.resolve(HandleKind::Entry, &handle).unwrap(), id);
        assert!(matches!(
            handles.resolve(HandleKind::Device, &handle),
            Err(WebError::StaleHandle)
        ));
        assert_ne!(handle, handles.handle(HandleKind::Entry, "another"));
    }

    #[test]
    fn clearing_forgets_every_handle() {
        let handles = Handles::default();
        let handle = handles.handle(HandleKind::Share, "share-1");
        handles.clear();
        assert!(matches!(
            handles.resolve(HandleKind::Share, &handle),
            Err(WebError::StaleHandle)
        ));
        assert_ne!(handle, handles.handle(HandleKind::Share, "share-1"));
    }
}
