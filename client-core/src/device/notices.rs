//! The notice a device shows when another device was added to its journal: each
//! new device is told once, and the acknowledgement is kept in the key file.

use std::collections::BTreeSet;

use crate::device::{Device, DeviceError};
use crate::ids::DeviceId;
use crate::journal::DeviceView;
use crate::store::LocalStore;

impl<S: LocalStore> Device<S> {
    /// Devices added since this device last told the survivor, oldest first; each
    /// is returned once (the acknowledgement is kept in the key file). The first
    /// call on a device acknowledges the roster as it is, silently.
    pub fn take_new_device_notices(&mut self) -> Result<Vec<DeviceView>, DeviceError> {
        let me = self.secrets.device_id;
        let roster = self.journal.devices();
        let known: BTreeSet<DeviceId> = self
            .secrets
            .notes
            .acknowledged_devices
            .iter()
            .copied()
            .collect();
        let first_time = known.is_empty();
        let mut new: Vec<DeviceView> = roster
            .into_iter()
            .filter(|d| d.device_id != me && !known.contains(&d.device_id))
            .collect();
        if new.is_empty() && !first_time {
            return Ok(Vec::new());
        }
        self.acknowledge_devices(new.iter().map(|d| d.device_id).chain([me]))?;
        if first_time {
            return Ok(Vec::new());
        }
        new.retain(|d| d.revoked.is_none());
        let founders = self.founders();
        for d in &mut new {
            d.recovery_certified &= !founders.contains(&d.device_id);
        }
        new.sort_by_key(|d| (d.added_at_ms, d.device_id));
        Ok(new)
    }

    /// Notes devices as told about (e.g. the one this device just paired).
    pub(crate) fn acknowledge_devices(
        &mut self,
        ids: impl IntoIterator<Item = DeviceId>,
    ) -> Result<(), DeviceError> {
        let notes = &mut self.secrets.notes;
        if notes.acknowledged_devices.is_empty() {
            notes.acknowledged_devices =
                self.journal.devices().iter().map(|d| d.device_id).collect();
        }
        for id in ids {
            if !notes.acknowledged_devices.contains(&id) {
                notes.acknowledged_devices.push(id);
            }
        }
        self.persist_secrets()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use crate::device::{Device, DeviceSetup};
    use crate::format::keys::DeviceKeys;
    use crate::journal::ops;
    use crate::store::memory::MemoryStore;

    fn setup() -> DeviceSetup {
        DeviceSetup {
            server_url: "https://127.0.0.1:1".into(),
            ca_cert_pem: None,
            device_name: "laptop".into(),
        }
    }

    #[test]
    fn notices_come_once_and_not_for_the_first_roster() {
        let (mut a, _kit) = Device::create_in(MemoryStore::new(), setup()).unwrap();
        let early = DeviceKeys::generate();
        a.commit(vec![ops::device_added(
            [5; 16],
            early.sign_public(),
            early.dh_public(),
            "early",
        )])
        .unwrap();
        // The first look acknowledges the roster as it is.
        assert!(a.take_new_device_notices().unwrap().is_empty());
        let later = DeviceKeys::generate();
        a.commit(vec![ops::device_added(
            [6; 16],
            later.sign_public(),
            later.dh_public(),
            "later",
        )])
        .unwrap();
        let notices = a.take_new_device_notices().unwrap();
        assert_eq!(notices.len(), 1);
        assert_eq!(notices[0].name, "later");
        assert!(a.take_new_device_notices().unwrap().is_empty());
    }
}
