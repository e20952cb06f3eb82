//! Key rotation's formats: epoch numbers, an epoch key sealed to one device, and
//! the recovery blob sealed to the recovery kit's X25519 key.
//!
//! Pure functions, no I/O. Revocation (`Device::revoke_device`) uses them to move the account to a new
//! epoch when a device is revoked.

use mycase_proto::v1::operation::Body;
use mycase_proto::v1::Operation;
use mycase_proto::wire::epoch_key_ad;
use x25519_dalek::StaticSecret;

use crate::crypto::seal_to::{open_sealed, seal_to};
use crate::crypto::DecryptError;
use crate::format::keys::{Keyring, VaultKey};
use crate::ids::{AccountId, DeviceId};

/// Epoch numbers are `(generation << GENERATION_SHIFT) | tag`, where `tag` is 20
/// bits of the rotating device's id. Two devices rotating at once pick the same
/// generation but (almost surely) different numbers, and every device uses the
/// highest epoch it holds, so they all end up on the same one.
pub const GENERATION_SHIFT: u32 = 20;
/// The bits of an epoch number that are its author's tag.
pub const TAG_MASK: u32 = (1 << GENERATION_SHIFT) - 1;
/// The highest generation: 4095 rotations per account.
pub const MAX_GENERATION: u32 = u32::MAX >> GENERATION_SHIFT;

/// Why the account cannot move to a new epoch.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EpochError {
    /// Every generation has been used.
    #[error(
        "this journal has moved to new keys {MAX_GENERATION} times, the most its numbering \
         allows, so it cannot move again; the device was still cut off on the server. To be \
         sure a removed device can read nothing new, export the journal and start a new one"
    )]
    Exhausted,
}

/// Why an epoch key sealed to this device in a `KeyRotated` was not learned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LearnError {
    /// The sealed key does not open with this device's X25519 secret.
    #[error("a key rotation holds a key for this device that does not open")]
    Unopenable,
    /// The keyring already holds a different key under that epoch number.
    #[error("a key rotation reuses an epoch number this device holds another key for")]
    Collision,
}

/// Opens the epoch key a verified `KeyRotated` by `author` sealed to `me`, into
/// `keyring`. Returns whether the keyring gained a key (any other operation, or a
/// rotation not sealed to `me`, teaches nothing).
pub fn learn_into(
    account_id: &AccountId,
    me: &DeviceId,
    dh_secret: &StaticSecret,
    keyring: &mut Keyring,
    author: &DeviceId,
    op: &Operation,
) -> Result<bool, LearnError> {
    let Some(Body::KeyRotated(rotated)) = &op.body else {
        return Ok(false);
    };
    let Some(mine) = rotated
        .sealed_keys
        .iter()
        .find(|s| s.device_id.as_slice() == me.as_slice())
    else {
        return Ok(false);
    };
    let key = open_epoch_key(
        account_id,
        rotated.key_epoch,
        author,
        me,
        dh_secret,
        &mine.sealed,
    )
    .map_err(|_| LearnError::Unopenable)?;
    match keyring.get(rotated.key_epoch) {
        Ok(known) if known.as_bytes() == key.as_bytes() => Ok(false),
        Ok(_) => Err(LearnError::Collision),
        Err(_) => {
            keyring.insert(rotated.key_epoch, key);
            Ok(true)
        }
    }
}

/// The generation of an epoch number (epoch 1, the first, is generation 0).
pub fn generation(epoch: u32) -> u32 {
    epoch >> GENERATION_SHIFT
}

/// The low bits every epoch number `author` rotates to carries.
pub fn author_tag(author: &DeviceId) -> u32 {
    u32::from_be_bytes([0, author[0], author[1], author[2]]) & TAG_MASK
}

/// The epoch number a rotation by `author` takes after `highest` (the epoch of the
/// highest generation among the counting rotations the author has seen).
pub fn next_epoch(highest: u32, author: &DeviceId) -> Result<u32, EpochError> {
    let next = generation(highest) + 1;
    if next > MAX_GENERATION {
        return Err(EpochError::Exhausted);
    }
    Ok((next << GENERATION_SHIFT) | author_tag(author))
}

/// Seals an epoch key to one device's X25519 key.
pub fn seal_epoch_key(
    account_id: &AccountId,
    epoch: u32,
    author: &DeviceId,
    recipient: &DeviceId,
    recipient_dh_public: &[u8; 32],
    key: &VaultKey,
) -> Vec<u8> {
    seal_to(
        recipient_dh_public,
        &[],
        &epoch_key_ad(account_id, epoch, author, recipient),
        key.as_bytes(),
    )
}

/// Opens an epoch key sealed to this device (`me`) by `author`.
pub fn open_epoch_key(
    account_id: &AccountId,
    epoch: u32,
    author: &DeviceId,
    me: &DeviceId,
    my_dh_secret: &StaticSecret,
    sealed: &[u8],
) -> Result<VaultKey, DecryptError> {
    let plain = open_sealed(
        my_dh_secret,
        &[],
        &epoch_key_ad(account_id, epoch, author, me),
        sealed,
    )?;
    let bytes: [u8; 32] = plain.as_slice().try_into().map_err(|_| DecryptError)?;
    Ok(VaultKey::from_bytes(bytes))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::format::keys::DeviceKeys;

    #[test]
    fn epochs_rise_by_generation_and_differ_by_author() {
        let a = [0xAB, 0xCD, 0xEF, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13];
        let b = [0x01, 0x02, 0x03, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13];
        let ea = next_epoch(1, &a).unwrap();
        let eb = next_epoch(1, &b).unwrap();
        assert_ne!(ea, eb);
        assert_eq!(generation(ea), 1);
        assert_eq!(generation(eb), 1);
        assert!(ea > 1 && eb > 1);
        // The next rotation after either is above both.
        let next = next_epoch(ea.min(eb), &b).unwrap();
        assert!(next > ea.max(eb));
        assert_eq!(
            next_epoch(MAX_GENERATION << GENERATION_SHIFT, &a),
            Err(EpochError::Exhausted)
        );
    }

    #[test]
    fn sealed_epoch_keys_are_bound_to_account_epoch_author_and_recipient() {
        let rx = DeviceKeys::generate();
        let other = DeviceKeys::generate();
        let key = VaultKey::from_bytes([9; 32]);
        let (acct, author, me) = ([1; 16], [2; 16], [3; 16]);
        let sealed = seal_epoch_key(&acct, 7, &author, &me, &rx.dh_public(), &key);
        let opened = open_epoch_key(&acct, 7, &author, &me, rx.dh_secret(), &sealed).unwrap();
        assert_eq!(opened.as_bytes(), &[9; 32]);
        assert!(open_epoch_key(&acct, 8, &author, &me, rx.dh_secret(), &sealed).is_err());
        assert!(open_epoch_key(&[0; 16], 7, &author, &me, rx.dh_secret(), &sealed).is_err());
        assert!(open_epoch_key(&acct, 7, &me, &me, rx.dh_secret(), &sealed).is_err());
        assert!(open_epoch_key(&acct, 7, &author, &author, rx.dh_secret(), &sealed).is_err());
        assert!(open_epoch_key(&acct, 7, &author, &me, other.dh_secret(), &sealed).is_err());
    }
}
