//! Devices: the journal's devices with when each was last seen, revoking one,
//! and adding a phone with a [`PairingSession`].
//!
//! Pairing is interactive: this device shows a code, waits for the new device's
//! request, and adds it only once the survivor types the matching code the new
//! device shows. A [`PairingSession`] gives that flow a shape a web page and a
//! phone can drive one step per call. Its waits hold no lock on the journal, so
//! the rest of the app (and locking it at once) goes on while it waits.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::{broadcast, watch, Mutex};
use zeroize::Zeroizing;

use super::{App, AppError, AppEvent};
use crate::format::pairing::{PairingCode, PairingError};
use crate::ids::{id_hex, DeviceId};
use crate::transport::grpc::GrpcTransport;
use crate::transport::{Refusal, Transport};
use crate::words::{
    self,
    matching::{self, Candidate, MatchError},
};
use crate::{DeviceStatus, JoinRequest, PairingFlowError, PAIRING_TTL};

/// A device of the journal as this device sees it: the journal's signed roster
/// joined with the server's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    /// Its id (hex).
    pub device_id: String,
    /// Its name (the journal's, sealed); `None` for a device no trusted device
    /// added. Chosen by whoever set it up: show it as text, never as markup.
    pub name: Option<String>,
    /// When it was added (the adding device's clock, Unix ms).
    pub added_at_ms: Option<i64>,
    /// When the server last saw it sign in (to the hour, Unix ms).
    pub last_seen_ms: Option<i64>,
    /// It is this device.
    pub this_device: bool,
    /// A trusted device added it. One that is not was put on the server by
    /// someone else: it can read nothing, but somebody may be trying.
    pub trusted: bool,
    /// The server knows it.
    pub on_server: bool,
    /// It is revoked.
    pub revoked: bool,
    /// When it was revoked (Unix ms).
    pub revoked_at_ms: Option<i64>,
    /// It was set up with the recovery kit (whoever did may hold the kit).
    pub set_up_with_kit: bool,
    /// Two key sets claim its id: a device of the journal tried to give it keys
    /// that are not its own. Nothing is sealed to it until that is settled.
    pub contested: bool,
    /// Refused tries by a device of the journal to give it other keys.
    pub key_change_attempts: u32,
    /// Its changes are set aside (not shown) from this point, with the reason.
    pub changes_set_aside: Option<String>,
    /// The device that added it is revoked (and this one is not).
    pub added_by_revoked_device: bool,
}

/// What revoking a device did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokedDevice {
    /// The revoked device's id (hex).
    pub device_id: String,
    /// Its name, if the journal knows it.
    pub name: Option<String>,
    /// It was set up with the recovery kit: renew the kit, so the old one stops working.
    pub set_up_with_kit: bool,
    /// Devices it added that are still trusted: revoke them too if not recognised.
    pub devices_it_added: Vec<DeviceInfo>,
    /// This journal is older than key rotation, so the recovery kit brings back
    /// only what was written before now.
    pub kit_covers_only_earlier: bool,
}

/// A device asking to join, before the survivor confirmed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairingRequest {
    /// The id it chose (hex).
    pub device_id: String,
    /// The name it gave itself: its holder chose it. Show it as text only.
    pub name: String,
}

/// A device added by pairing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddedDevice {
    /// Its id (hex).
    pub device_id: String,
    /// Its name.
    pub name: String,
}

/// What a pairing QR code carries: the server and the code (not the server's
/// certificate, which is too long for one; a phone asks for it separately).
pub struct PairingInvite {
    /// The MyCase server (`https://host:port`).
    pub server_url: String,
    /// The pairing code.
    pub pairing_code: Zeroizing<String>,
}

impl std::fmt::Debug for PairingInvite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PairingInvite")
            .field("server_url", &self.server_url)
            .finish_non_exhaustive()
    }
}

/// The first words of a pairing QR code's text, with its format version.
const QR_PREFIX: &str = "mycase-pair:1:";

/// The text of a pairing QR code: `mycase-pair:1:<code>:<server url>`. The code
/// comes before the URL so that the URL, which holds colons, is the rest.
pub fn pairing_qr_text(server_url: &str, pairing_code: &str) -> Zeroizing<String> {
    Zeroizing::new(format!("{QR_PREFIX}{pairing_code}:{server_url}"))
}

/// Reads a pairing QR code's text (see [`pairing_qr_text`]).
pub fn parse_pairing_qr(text: &str) -> Result<PairingInvite, AppError> {
    let bad = || AppError::invalid("pairing_code", "That is not a MyCase pairing code");
    let rest = text.trim().strip_prefix(QR_PREFIX).ok_or_else(bad)?;
    let (code, server_url) = rest.split_once(':').ok_or_else(bad)?;
    PairingCode::parse(code).map_err(|_| bad())?;
    if !server_url.starts_with("https://") {
        return Err(bad());
    }
    Ok(PairingInvite {
        server_url: server_url.to_owned(),
        pairing_code: Zeroizing::new(code.to_owned()),
    })
}

fn to_ms(unix_secs: u64) -> i64 {
    i64::try_from(unix_secs)
        .unwrap_or(i64::MAX / 1000)
        .saturating_mul(1000)
}

/// The app's view of the devices (the CLI's `devices` shows the same facts).
pub fn device_infos(devices: &[DeviceStatus]) -> Vec<DeviceInfo> {
    devices
        .iter()
        .map(|d| DeviceInfo {
            device_id: id_hex(&d.device_id),
            name: d.name.clone(),
            added_at_ms: d.added_at_ms,
            last_seen_ms: d.last_seen_unix.map(to_ms),
            this_device: d.this_device,
            trusted: d.trusted,
            on_server: d.on_server,
            revoked: d.revoked,
            revoked_at_ms: d.revoked_at_ms,
            set_up_with_kit: d.set_up_with_kit,
            contested: d.contested,
            key_change_attempts: u32::try_from(d.key_change_attempts).unwrap_or(u32::MAX),
            changes_set_aside: d.quarantined.as_ref().map(|(_, why)| why.clone()),
            added_by_revoked_device: added_by_revoked(devices, d),
        })
        .collect()
}

fn added_by_revoked(devices: &[DeviceStatus], d: &DeviceStatus) -> bool {
    match (d.added_by, d.revoked) {
        (Some(by), false) => devices
            .iter()
            .any(|o| o.device_id == by && o.revoked && by != d.device_id),
        _ => false,
    }
}

/// The one device `wanted` names: its id (or at least 4 hex digits of it), or
/// any unique part of its name; "did you mean" when nothing matches.
pub fn resolve_device(devices: &[DeviceStatus], wanted: &str) -> Result<DeviceId, AppError> {
    let names = |found: &[Candidate<DeviceId>]| -> String {
        let names: Vec<String> = found.iter().map(|c| format!("\"{}\"", c.name)).collect();
        names.join(", ")
    };
    match matching::find(wanted, &words::names::devices(devices)) {
        Ok(id) => Ok(id),
        Err(MatchError::Empty) => Err(AppError::invalid("device", "Say which device")),
        Err(MatchError::Ambiguous { candidates }) => Err(AppError::invalid(
            "device",
            format!(
                "{} devices match that: {}; give more of the name",
                candidates.len(),
                names(&candidates)
            ),
        )),
        Err(MatchError::NotFound { did_you_mean }) if did_you_mean.is_empty() => {
            Err(AppError::NotFound {
                what: "That device".into(),
            })
        }
        Err(MatchError::NotFound { did_you_mean }) => Err(AppError::invalid(
            "device",
            format!(
                "No device has that name; did you mean {}?",
                names(&did_you_mean)
            ),
        )),
    }
}

/// Devices `target` added that are still trusted (after revoking it, the
/// survivor is asked about them).
pub fn devices_added_by(devices: &[DeviceStatus], target: &DeviceId) -> Vec<DeviceStatus> {
    devices
        .iter()
        .filter(|d| d.added_by == Some(*target) && d.device_id != *target && !d.revoked)
        .cloned()
        .collect()
}

/// Refuses revoking this very device, in the words every shell uses.
pub fn refuse_revoking_self(this: &DeviceId, target: &DeviceId) -> Result<(), AppError> {
    if this == target {
        return Err(AppError::invalid(
            "device",
            "This is the device you are using; it cannot revoke itself. To remove MyCase \
             from it, wipe it instead",
        ));
    }
    Ok(())
}

impl App {
    /// The journal's devices, with when each was last seen (needs the server).
    pub async fn devices(&self) -> Result<Vec<DeviceInfo>, AppError> {
        let transport = self.connect().await?;
        let listed = async {
            let device = self.device().await?;
            Ok(device.devices(&transport).await?)
        }
        .await;
        Ok(device_infos(&self.settle(listed).await?))
    }

    /// Revokes a device (its id, or at least 4 hex digits of it): the server
    /// refuses it from now on and tells it to erase itself, and the journal moves
    /// to new keys it does not have. This device cannot revoke itself (wipe it).
    pub async fn revoke_device(&self, device_id: &str) -> Result<RevokedDevice, AppError> {
        let transport = self.connect().await?;
        let revoked = async {
            let mut device = self.device().await?;
            let devices = device.devices(&transport).await?;
            let target = resolve_device(&devices, device_id)?;
            refuse_revoking_self(device.device_id(), &target)?;
            let status = devices
                .iter()
                .find(|d| d.device_id == target)
                .cloned()
                .ok_or_else(|| AppError::NotFound {
                    what: "That device".into(),
                })?;
            let report = device.revoke_device(&transport, target).await?;
            let pending = device.pending_upload();
            drop(device);
            self.local_change(pending);
            Ok(RevokedDevice {
                device_id: id_hex(&target),
                name: status.name.clone(),
                set_up_with_kit: status.set_up_with_kit,
                devices_it_added: device_infos(&devices_added_by(&devices, &target)),
                kit_covers_only_earlier: !report.recovery_blob_updated && report.last_idx > 0,
            })
        }
        .await;
        self.settle(revoked).await
    }

    /// Starts adding a device: opens a one-time pairing code on the server (valid
    /// 10 minutes). Show [`PairingSession::code`] (or its QR code) to the survivor,
    /// then call [`PairingSession::await_request`].
    pub async fn begin_pairing(&self) -> Result<PairingSession, AppError> {
        let transport = self.connect().await?;
        let code = PairingCode::generate();
        let begun = async {
            let device = self.device().await?;
            device.begin_pairing(&transport, &code).await?;
            Ok(device.server_url().to_owned())
        }
        .await;
        let server_url = self.settle(begun).await?;
        let (cancel, _) = watch::channel(false);
        Ok(PairingSession {
            inner: Arc::new(PairingInner {
                app: self.clone(),
                transport,
                code,
                server_url,
                deadline: Instant::now() + PAIRING_TTL,
                expires_at_ms: crate::now_ms()
                    .saturating_add(i64::try_from(PAIRING_TTL.as_millis()).unwrap_or(i64::MAX)),
                generation: self.generation(),
                stage: Mutex::new(Stage::Waiting),
                cancel,
            }),
        })
    }
}

/// Adding one device (see the module documentation). Cheap to clone; each step
/// is one call, so a shell may make them from different requests.
#[derive(Clone)]
pub struct PairingSession {
    inner: Arc<PairingInner>,
}

impl std::fmt::Debug for PairingSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PairingSession")
            .field("expires_at_ms", &self.inner.expires_at_ms)
            .finish_non_exhaustive()
    }
}

struct PairingInner {
    app: App,
    transport: GrpcTransport,
    code: PairingCode,
    server_url: String,
    deadline: Instant,
    expires_at_ms: i64,
    /// The app's lock generation when it began: a lock since ends the pairing.
    generation: u64,
    stage: Mutex<Stage>,
    cancel: watch::Sender<bool>,
}

enum Stage {
    /// Nobody has asked yet.
    Waiting,
    /// A device asked; the survivor has not typed its matching code yet.
    Asked(JoinRequest),
    /// Added, refused, cancelled, expired or failed.
    Over,
}

fn pairing_failed(e: PairingError) -> AppError {
    AppError::from(PairingFlowError::Pairing(e))
}

fn cancelled() -> AppError {
    AppError::PairingFailed {
        reason: "the pairing was cancelled; nothing was added".into(),
        source: None,
    }
}

fn over() -> AppError {
    AppError::PairingFailed {
        reason: "this pairing has ended: start again with a new code".into(),
        source: None,
    }
}

/// Six digits, spaces and dashes aside (the matching code as shown: `123 456`).
fn six_digits(typed: &str) -> bool {
    let digits: Vec<char> = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    digits.len() == 6 && digits.iter().all(char::is_ascii_digit)
}

impl PairingSession {
    /// The pairing code to type on the new device. It carries a secret: show
    /// it on this screen only, never in a URL, a title or a notification.
    pub fn code(&self) -> Zeroizing<String> {
        self.inner.code.to_display()
    }

    /// The text for a QR code the new device can scan ([`pairing_qr_text`]).
    pub fn qr_text(&self) -> Zeroizing<String> {
        pairing_qr_text(&self.inner.server_url, &self.code())
    }

    /// The server the new device joins through.
    pub fn server_url(&self) -> &str {
        &self.inner.server_url
    }

    /// When the code stops working (this device's clock, Unix ms).
    pub fn expires_at_ms(&self) -> i64 {
        self.inner.expires_at_ms
    }

    /// Waits until a device asks to join with the code (or the code expires, the
    /// session is cancelled, or the app is locked). Asked again after a device
    /// asked, it answers with that device at once. Nothing is added yet.
    pub async fn await_request(&self) -> Result<PairingRequest, AppError> {
        let mut stage = self.inner.stage.lock().await;
        match &*stage {
            Stage::Asked(r) => return Ok(request_of(r)),
            Stage::Over => return Err(over()),
            Stage::Waiting => {}
        }
        let code = &self.inner.code;
        let asked = async {
            self.wait_in_slot(code.pairing_id()).await?;
            let device = self.inner.app.device().await?;
            self.still_unlocked()?;
            // Answers at once: the request is waiting in the slot.
            Ok(device
                .await_join_request(&self.inner.transport, code, self.inner.deadline)
                .await?)
        }
        .await;
        match asked {
            Ok(request) => {
                let shown = request_of(&request);
                *stage = Stage::Asked(request);
                Ok(shown)
            }
            Err(e) => {
                *stage = Stage::Over;
                self.inner.app.settle(Err(e)).await
            }
        }
    }

    /// Adds the device that asked if `matching_code` is the code its screen
    /// shows. Anything but six digits is refused as a typo and changes nothing;
    /// six wrong digits end the pairing: the device is told no and not added.
    pub async fn confirm(&self, matching_code: &str) -> Result<AddedDevice, AppError> {
        if !six_digits(matching_code) {
            return Err(AppError::invalid(
                "matching_code",
                "Type the six digits the new device shows",
            ));
        }
        let mut stage = self.inner.stage.lock().await;
        let request = match std::mem::replace(&mut *stage, Stage::Over) {
            Stage::Asked(r) => r,
            Stage::Waiting => {
                *stage = Stage::Waiting;
                return Err(AppError::invalid(
                    "matching_code",
                    "No device has asked to join yet",
                ));
            }
            Stage::Over => return Err(over()),
        };
        let code = &self.inner.code;
        let added = async {
            // The new device says it is ready once it shows its digits; waiting
            // for that here keeps the journal free meanwhile.
            self.wait_in_slot(code.confirm_pairing_id()).await?;
            let mut device = self.inner.app.device().await?;
            self.still_unlocked()?;
            let paired = device
                .accept_join(
                    &self.inner.transport,
                    code,
                    request,
                    matching_code,
                    self.inner.deadline,
                )
                .await?;
            let pending = device.pending_upload();
            drop(device);
            self.inner.app.local_change(pending);
            Ok(AddedDevice {
                device_id: id_hex(&paired.device_id),
                name: paired.name,
            })
        }
        .await;
        self.inner.app.settle(added).await
    }

    /// Ends the pairing: a device that asked is told no and not added. Safe to
    /// call at any stage; a wait in progress ends with a "cancelled" error.
    pub async fn cancel(&self) {
        self.inner.cancel.send_replace(true);
        let mut stage = self.inner.stage.lock().await;
        let Stage::Asked(request) = std::mem::replace(&mut *stage, Stage::Over) else {
            return;
        };
        // Best effort, and no lock held while the server waits: a device that
        // is not waiting any more has nobody to tell.
        let confirm_id = self.inner.code.confirm_pairing_id().to_vec();
        match self.inner.transport.await_join(confirm_id).await {
            Ok(ready) if !ready.is_empty() => {}
            _ => return,
        }
        if let Ok(device) = self.inner.app.device().await {
            device
                .refuse_join(&self.inner.transport, &self.inner.code, &request)
                .await;
        }
    }

    fn still_unlocked(&self) -> Result<(), AppError> {
        if self.inner.app.generation() != self.inner.generation {
            return Err(AppError::Locked);
        }
        Ok(())
    }

    /// Waits, holding no lock, until the other device has written into the
    /// pairing slot `slot` (the server keeps what it wrote there for the next
    /// read), or the code expires, the session is cancelled or the app locked.
    async fn wait_in_slot(&self, slot: [u8; 16]) -> Result<(), AppError> {
        let mut cancel = self.inner.cancel.subscribe();
        let mut events = self.inner.app.events();
        loop {
            if *cancel.borrow() {
                return Err(cancelled());
            }
            self.still_unlocked()?;
            if Instant::now() >= self.inner.deadline {
                return Err(pairing_failed(PairingError::Expired));
            }
            tokio::select! {
                answer = self.inner.transport.await_join(slot.to_vec()) => match answer {
                    Ok(sealed) if !sealed.is_empty() => return Ok(()),
                    // The server's wait ran out with nothing: ask again.
                    Ok(_) => {}
                    // The server dropped the slot: its time ran out.
                    Err(e) if e.refusal() == Some(&Refusal::NotFound) => {
                        return Err(pairing_failed(PairingError::Expired))
                    }
                    Err(e) => return Err(e.into()),
                },
                _ = cancel.wait_for(|c| *c) => return Err(cancelled()),
                // Locking ends the wait at once (checked at the top of the loop).
                event = events.recv() => match event {
                    Ok(AppEvent::Locked) => return Err(AppError::Locked),
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => return Err(AppError::Locked),
                },
            }
        }
    }
}

fn request_of(r: &JoinRequest) -> PairingRequest {
    PairingRequest {
        device_id: id_hex(&r.device_id),
        name: r.name.clone(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_pairing_qr_text_reads_back_and_bad_ones_are_refused() {
        let code = PairingCode::generate();
        let shown = code.to_display();
        let text = pairing_qr_text("https://127.0.0.1:8443", &shown);
        let back = parse_pairing_qr(&text).unwrap();
        assert_eq!(back.server_url, "https://127.0.0.1:8443");
        assert_eq!(back.pairing_code.as_str(), shown.as_str());
        assert!(!format!("{back:?}").contains(shown.as_str()));
        for bad in [
            "",
            "mycase-pair:2:abc:https://x",
            &format!("mycase-pair:1:{}", shown.as_str()),
            &format!("mycase-pair:1:{}:http://plain", shown.as_str()),
            "mycase-pair:1:not-a-code:https://x",
        ] {
            assert!(parse_pairing_qr(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn matching_codes_must_be_six_digits() {
        assert!(six_digits("123 456"));
        assert!(six_digits("123-456"));
        for bad in ["", "12345", "1234567", "12a456"] {
            assert!(!six_digits(bad), "{bad}");
        }
    }
}
