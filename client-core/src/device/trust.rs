//! Whom this device trusts: its anchors and the journal's roster, the founding
//! device, and the journal's recovery key.

use crate::format::record::Head;
use crate::ids::DeviceId;
use crate::store::LocalStore;

use crate::device::Device;

impl<S: LocalStore> Device<S> {
    /// For a journal older than derived account ids: whether a `RecoveryKeySet`
    /// at `idx` of `author`'s log is the founding device's. The founding device is
    /// the first trust anchor of every device (each device hands its anchors on in
    /// order, and the founding device's own first anchor is itself), at the start
    /// of its log.
    pub(crate) fn is_legacy_founder(&self, author: &DeviceId, idx: u64) -> bool {
        idx <= 2
            && self
                .secrets
                .trust_anchors
                .first()
                .is_some_and(|a| &a.device_id == author)
    }

    /// Whether `device` was set up with the recovery kit: it added itself with the
    /// kit's certificate and is not the journal's founding device (which the kit
    /// certifies at creation). Someone who holds the kit could make a device look
    /// like a founder; renewing the kit is the answer to a kit in other hands.
    pub fn set_up_with_kit(&self, device: &crate::journal::DeviceView) -> bool {
        device.recovery_certified && !self.founders().contains(&device.device_id)
    }

    pub(crate) fn founders(&self) -> Vec<DeviceId> {
        self.journal
            .recovery(|author, idx| self.is_legacy_founder(author, idx))
            .founders
    }

    /// The journal's recovery key (see [`crate::journal::recovery`]): for an
    /// account from before derived ids, a `RecoveryKeySet` counts only at the start
    /// of a trust anchor's log (the founding device, which every paired device got
    /// as an anchor).
    pub fn recovery_state(&self) -> crate::journal::RecoveryState {
        self.journal
            .recovery(|author, idx| self.is_legacy_founder(author, idx))
            .state
    }

    /// Every operation a trust rule refused ([`crate::journal::Journal::rejections`], and the
    /// recovery-key operations that do not count), in the journal's order.
    pub fn rejections(&self) -> Vec<crate::journal::Rejection> {
        let mut out = self.journal.rejections();
        let fold = self
            .journal
            .recovery(|author, idx| self.is_legacy_founder(author, idx));
        out.extend(
            fold.refused
                .into_iter()
                .map(|(op, why)| crate::journal::Rejection {
                    op,
                    reason: crate::journal::RejectionReason::Recovery(why),
                }),
        );
        out
    }

    /// The journal's current recovery public key; `None` until the founding
    /// `RecoveryKeySet` is here, or while two keys contest it.
    pub fn recovery_public_key(&self) -> Option<[u8; 32]> {
        self.recovery_state().current().map(|k| k.public_key)
    }

    /// The current recovery kit's X25519 public key, if the journal carries it
    /// (journals begun before key rotation existed do not).
    pub fn recovery_dh_public_key(&self) -> Option<[u8; 32]> {
        self.recovery_state()
            .current()
            .filter(|k| k.has_dh_key())
            .map(|k| k.dh_public_key)
    }

    /// The signing key trusted for `device`: an anchor, or the journal's roster;
    /// for a contested device (two key pairs claim its id), the candidate under
    /// which its own stored log verifies, if it wrote any.
    pub(crate) fn trusted_key(&self, device: &DeviceId) -> Option<[u8; 32]> {
        self.secrets
            .trust_anchors
            .iter()
            .find(|a| &a.device_id == device)
            .map(|a| a.sign_public_key)
            .or_else(|| self.journal.device_key(device))
            .or_else(|| self.settled_by_own_log(device))
    }

    /// Of a contested device's candidate keys, the one its stored log is signed
    /// with: only the device itself can sign its log, so that settles it.
    fn settled_by_own_log(&self, device: &DeviceId) -> Option<[u8; 32]> {
        let log = self.store.log(device);
        if log.is_empty() {
            return None;
        }
        let view = self
            .journal
            .devices()
            .into_iter()
            .find(|d| &d.device_id == device)?;
        view.candidate_keys
            .iter()
            .map(|(sign, _)| *sign)
            .find(|key| {
                crate::format::record::verify_run(
                    &self.secrets.account_id,
                    device,
                    key,
                    &Head::GENESIS,
                    log,
                )
                .is_ok_and(|run| run.covered > 0)
            })
    }
}
