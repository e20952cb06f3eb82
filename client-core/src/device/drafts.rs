//! The key of the app's kept draft (see [`crate::format::draft`]): this device's
//! own, like the store's receipts key, so no other device and no copy of an old
//! key file opens it.

use zeroize::Zeroizing;

use crate::device::Device;
use crate::store::LocalStore;

impl<S: LocalStore> Device<S> {
    /// The key that seals a half-written entry kept across a lock.
    pub(crate) fn draft_key(&self) -> Zeroizing<[u8; 32]> {
        crate::format::draft::draft_key(&self.secrets.keys.dh_secret_bytes())
    }
}
