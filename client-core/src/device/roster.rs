//! The account's devices as this device sees them: the journal's signed roster
//! joined with the server's list, so a device the server knows but no trusted
//! device added stands out.

use crate::device::{Device, DeviceError};
use crate::ids::{id_from_slice, DeviceId};
use crate::store::LocalStore;
use crate::transport::Transport;

/// A device as `mycase devices` shows it: the journal's roster joined with the
/// server's list, so a device the server knows but no trusted device added stands out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceStatus {
    /// The device's id.
    pub device_id: DeviceId,
    /// From the journal (sealed); `None` for a device the journal does not know.
    pub name: Option<String>,
    /// When it was added, by the journal (the adding device's clock).
    pub added_at_ms: Option<i64>,
    /// When the server registered it (Unix seconds, the server's clock).
    pub registered_at_unix: Option<u64>,
    /// It is the device asking.
    pub this_device: bool,
    /// Added by a trusted device (in the journal's signed roster).
    pub trusted: bool,
    /// The server knows it.
    pub on_server: bool,
    /// It is revoked, by the journal or by the server.
    pub revoked: bool,
    /// When the server last saw it authenticate (to the hour).
    pub last_seen_unix: Option<u64>,
    /// When it was revoked: the journal's revocation, else the server's.
    pub revoked_at_ms: Option<i64>,
    /// The device that revoked it, from the journal.
    pub revoked_by: Option<DeviceId>,
    /// The device that added it (itself, for one set up with the recovery kit).
    pub added_by: Option<DeviceId>,
    /// It was set up with the recovery kit (it certified itself with the kit).
    pub set_up_with_kit: bool,
    /// Two key pairs claim its id (someone tried to give it other keys): nothing
    /// is sealed to it until its own signature settles which is its own.
    pub contested: bool,
    /// Additions that tried to change its keys, refused.
    pub key_change_attempts: usize,
    /// Its log is quarantined from this record on (the last sync could not
    /// apply it), with the reason.
    pub quarantined: Option<(u64, String)>,
}

impl<S: LocalStore> Device<S> {
    fn quarantine_of(&self, device: &DeviceId) -> Option<(u64, String)> {
        self.quarantined()
            .iter()
            .find(|q| &q.device == device)
            .map(|q| (q.from_idx, q.reason.to_string()))
    }
}

fn nonzero(v: u64) -> Option<u64> {
    (v != 0).then_some(v)
}

fn server_revoked_at_ms(s: &mycase_proto::v1::DeviceRecord) -> Option<i64> {
    (s.revoked && s.revoked_at_unix != 0)
        .then(|| i64::try_from(s.revoked_at_unix.saturating_mul(1000)).unwrap_or(i64::MAX))
}

impl<S: LocalStore> Device<S> {
    /// The account's devices: the journal's roster joined with the server's list.
    pub async fn devices<T: Transport>(
        &self,
        transport: &T,
    ) -> Result<Vec<DeviceStatus>, DeviceError> {
        self.authenticate(transport).await?;
        let on_server = transport.list_devices().await?;
        let roster = self.journal.devices();
        let mut out: Vec<DeviceStatus> = roster
            .iter()
            .map(|d| {
                let server = on_server.iter().find(|s| s.device_id == d.device_id);
                DeviceStatus {
                    device_id: d.device_id,
                    name: Some(d.name.clone()),
                    added_at_ms: Some(d.added_at_ms),
                    registered_at_unix: server.map(|s| s.registered_at_unix),
                    this_device: d.device_id == self.secrets.device_id,
                    trusted: true,
                    on_server: server.is_some(),
                    revoked: d.revoked.is_some() || server.is_some_and(|s| s.revoked),
                    // The server keeps last-seen to the hour; a device was seen when it
                    // was added, so never show an earlier time than that.
                    last_seen_unix: server
                        .and_then(|s| nonzero(s.last_seen_unix))
                        .map(|seen| seen.max(u64::try_from(d.added_at_ms / 1000).unwrap_or(0))),
                    revoked_at_ms: d
                        .revoked
                        .as_ref()
                        .map(|r| r.revoked_at_ms)
                        .or_else(|| server.and_then(server_revoked_at_ms)),
                    revoked_by: d.revoked.as_ref().map(|r| r.revoked_by),
                    added_by: Some(d.added_by.device),
                    set_up_with_kit: self.set_up_with_kit(d),
                    contested: d.is_contested(),
                    key_change_attempts: d.rejected_additions.len(),
                    quarantined: self.quarantine_of(&d.device_id),
                }
            })
            .collect();
        for s in &on_server {
            let Some(id) = id_from_slice(&s.device_id) else {
                continue;
            };
            if roster.iter().any(|d| d.device_id == id) {
                continue;
            }
            out.push(DeviceStatus {
                device_id: id,
                name: None,
                added_at_ms: None,
                registered_at_unix: Some(s.registered_at_unix),
                this_device: id == self.secrets.device_id,
                trusted: self.secrets.trust_anchors.iter().any(|a| a.device_id == id),
                on_server: true,
                revoked: s.revoked,
                last_seen_unix: nonzero(s.last_seen_unix),
                revoked_at_ms: server_revoked_at_ms(s),
                revoked_by: None,
                added_by: None,
                set_up_with_kit: false,
                contested: false,
                key_change_attempts: 0,
                quarantined: self.quarantine_of(&id),
            });
        }
        Ok(out)
    }
}
