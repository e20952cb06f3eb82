//! Random 128-bit identifiers for accounts, devices and entries.

use crate::crypto::random_bytes;

/// Bytes in every MyCase id.
pub const ID_LEN: usize = mycase_proto::wire::ID_LEN;
/// An account (journal) id: derived from the founding recovery key.
pub type AccountId = [u8; ID_LEN];
/// A device id, chosen at random by the device.
pub type DeviceId = [u8; ID_LEN];
/// An entry id, chosen at random by the device that created it.
pub type EntryId = [u8; ID_LEN];

/// A fresh random identifier.
pub fn new_id() -> [u8; ID_LEN] {
    random_bytes::<ID_LEN>()
}

/// Reads an identifier off the wire; `None` unless exactly 16 bytes.
pub fn id_from_slice(bytes: &[u8]) -> Option<[u8; ID_LEN]> {
    bytes.try_into().ok()
}

/// Lower-case hex, as shown to people and in JSON.
pub fn id_hex(id: &[u8; ID_LEN]) -> String {
    hex::encode(id)
}

/// A short form for tables (the first 8 hex digits).
pub fn id_short(id: &[u8; ID_LEN]) -> String {
    hex::encode(&id[..4])
}

/// The id of the account whose first recovery key is `recovery_public_key`.
pub fn account_id_for_kit_key(recovery_public_key: &[u8; 32]) -> AccountId {
    mycase_proto::wire::account_id_for_recovery_key(recovery_public_key)
}
