//! What this device does when the server refuses it as revoked, or says its
//! account was deleted.
//!
//! Only a statement signed by a device of the journal, which mycase-core checked
//! ([`Refused::Revoked`], [`Refused::AccountDeleted`]), makes it erase itself;
//! the server's bare word never does ([`Refused::RevocationUnproven`] and the
//! others erase nothing). Every command's error carries the [`Refused`] in its
//! chain, so whichever command met the refusal erases the device. Before erasing, what only this device held was
//! sealed for the recovery kit, and that one file stays in the home.
//!
//! The words are for whoever holds the device, who may not be the survivor: they
//! say what happened to this device, never who did it or what else exists.

use std::path::Path;

use mycase_core::Refused;
use mycase_core::{wipe_keeping_leftovers, Wiped};

/// The checked refusal in `err`'s chain, if any.
fn checked_refusal(err: &anyhow::Error) -> Option<&Refused> {
    err.chain()
        .find_map(|c| c.downcast_ref::<Refused>().filter(|r| r.is_checked()))
}

/// Erases `home` if `err` carries a checked revocation or deletion, and says so
/// plainly. Anything else (including the server's unchecked word) leaves it as it is.
pub fn wipe_if_revoked(home: &Path, err: &anyhow::Error) {
    if checked_refusal(err).is_none() {
        return;
    }
    let kept = mycase_core::leftovers::path_in(home).exists();
    match wipe_keeping_leftovers(home) {
        Ok(Wiped::Removed) if kept => crate::say!(
            "MyCase has been removed from this device. Changes that had not been sent are \
             sealed in {} so that only the journal's recovery kit can open them.",
            mycase_core::leftovers::path_in(home).display()
        ),
        Ok(Wiped::Removed) => crate::say!("MyCase has been removed from this device."),
        Ok(Wiped::NothingThere) => {}
        Err(e) => crate::say!(
            "Removing MyCase from this device did not finish ({e}); run `mycase wipe --yes`."
        ),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use mycase_core::transport::{Refusal, TransportError};
    use mycase_core::{AttachmentError, DeviceError, ShareDeviceError, UnlockError};

    fn revoked() -> DeviceError {
        DeviceError::Refused(Refused::Revoked { by: [1; 16] })
    }

    fn home_with_data() -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        std::fs::create_dir_all(home.join("store")).unwrap();
        std::fs::write(mycase_core::key_file_path(&home), b"keys").unwrap();
        (dir, home)
    }

    #[test]
    fn only_a_checked_statement_erases_the_device() {
        let bare = || TransportError::Refused {
            refusal: Refusal::Revoked {
                statement: Vec::new(),
            },
            message: mycase_proto::DEVICE_REVOKED.into(),
        };
        // The server's bare word (or anyone holding its certificate): nothing erased.
        for unproven in [
            DeviceError::Refused(Refused::RevocationUnproven(bare())),
            DeviceError::Refused(Refused::DeletionUnproven(bare())),
            DeviceError::Refused(Refused::AccountNotOnServer),
        ] {
            let (_dir, home) = home_with_data();
            wipe_if_revoked(&home, &anyhow::Error::new(unproven));
            assert!(mycase_core::key_file_path(&home).exists());
        }
        // A checked revocation: erased, and what was kept for the kit stays.
        let (_dir, home) = home_with_data();
        std::fs::write(mycase_core::leftovers::path_in(&home), b"sealed").unwrap();
        let checked = anyhow::Error::new(DeviceError::Refused(Refused::Revoked { by: [1; 16] }))
            .context("sync failed");
        wipe_if_revoked(&home, &checked);
        assert!(!mycase_core::key_file_path(&home).exists());
        // Found whichever flow's error carries it, however it wraps the device's.
        for from_a_flow in [
            anyhow::Error::new(ShareDeviceError::Device(revoked())),
            anyhow::Error::new(AttachmentError::Device(revoked())),
            anyhow::Error::new(UnlockError::Device(revoked())).context("could not open"),
        ] {
            let (_dir, home) = home_with_data();
            wipe_if_revoked(&home, &from_a_flow);
            assert!(
                !mycase_core::key_file_path(&home).exists(),
                "{from_a_flow:#}"
            );
        }
        assert!(!home.join("store").exists());
        assert_eq!(
            std::fs::read(mycase_core::leftovers::path_in(&home)).unwrap(),
            b"sealed"
        );
    }
}
