//! [`StoreKey`]: the key that seals the local store's receipts at rest.

use std::fmt;

use zeroize::Zeroizing;

use crate::crypto::kdf;
use crate::format::keys::DeviceKeys;

/// Seals the `receipts` file of a [`FileStore`](super::file::FileStore).
///
/// Derived from this device's own X25519 secret, which only the passphrase
/// unlocks and which no other device (nor a revoked one) ever held. A passphrase
/// change that moves the home to new keys moves the receipts to the new key in
/// the same step ([`FileStore::rekey`](super::file::FileStore::rekey)), so a copy
/// of the old key file opens nothing the store keeps afterwards.
#[derive(Clone)]
pub struct StoreKey(Zeroizing<[u8; 32]>);

impl StoreKey {
    /// The store key of the device holding `keys`.
    pub fn for_device(keys: &DeviceKeys) -> StoreKey {
        StoreKey::from_dh_secret(&keys.dh_secret_bytes())
    }

    /// The store key for an X25519 secret (what [`StoreKey::for_device`] does).
    pub fn from_dh_secret(dh_secret: &[u8; 32]) -> StoreKey {
        StoreKey(kdf::subkey(dh_secret, kdf::STORE_RECEIPTS))
    }

    /// A key given as bytes (tests and frozen vectors).
    pub fn from_bytes(bytes: [u8; 32]) -> StoreKey {
        StoreKey(Zeroizing::new(bytes))
    }

    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl PartialEq for StoreKey {
    fn eq(&self, other: &StoreKey) -> bool {
        subtle::ConstantTimeEq::ct_eq(self.0.as_slice(), other.0.as_slice()).into()
    }
}

impl Eq for StoreKey {}

impl fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StoreKey([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_from_the_dh_secret_alone() {
        let a = DeviceKeys::from_bytes(&[1; 32], &[2; 32]).unwrap();
        let same_dh = DeviceKeys::from_bytes(&[9; 32], &[2; 32]).unwrap();
        let other = DeviceKeys::from_bytes(&[1; 32], &[3; 32]).unwrap();
        assert_eq!(StoreKey::for_device(&a), StoreKey::for_device(&same_dh));
        assert_ne!(StoreKey::for_device(&a), StoreKey::for_device(&other));
        assert_ne!(*StoreKey::for_device(&a).bytes(), [2; 32]);
        assert_eq!(
            format!("{:?}", StoreKey::for_device(&a)),
            "StoreKey([redacted])"
        );
    }
}
