//! A device the server reports as revoked erases itself, whatever command found
//! out: another of the survivor's devices cut it off, so it may be in the wrong
//! hands. The journal stays with the survivor's other devices.

use std::path::Path;

use mycase_core::wipe::{wipe, Wiped};
use mycase_core::DeviceError;

/// True if `err` (anywhere in its chain) is the server's "device revoked".
pub fn is_revoked(err: &anyhow::Error) -> bool {
    err.chain()
        .any(|c| matches!(c.downcast_ref::<DeviceError>(), Some(DeviceError::Revoked)))
}

/// Wipes `home` if `err` says this device was revoked, and says so plainly.
pub fn wipe_if_revoked(home: &Path, err: &anyhow::Error) {
    if !is_revoked(err) {
        return;
    }
    match wipe(home) {
        Ok(Wiped::Removed) => crate::say!(
            "This device was revoked from another of your devices, so MyCase has erased its data \
             from this device. Your journal is still on your other devices."
        ),
        Ok(Wiped::NothingThere) => {}
        Err(e) => crate::say!(
            "This device was revoked, but erasing its data did not finish ({e}); \
             run `mycase wipe --yes`."
        ),
    }
}
