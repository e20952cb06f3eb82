//! Byte layouts that both sides compute: the record hash that chains a device's
//! log, the associated data sealed into each record, and the messages devices sign.
//!
//! Every layout starts with a distinct domain label and uses fixed-width integers
//! (big-endian) and length-prefixed variable fields, so no two inputs collide.

use sha2::{Digest, Sha256};

use crate::v1::Record;

/// Length of a record hash (SHA-256).
pub const HASH_LEN: usize = 32;
/// Length of account and device ids.
pub const ID_LEN: usize = 16;
/// The `prev_hash` of a log's first record.
pub const GENESIS_HASH: [u8; HASH_LEN] = [0u8; HASH_LEN];

const RECORD_HASH_LABEL: &[u8] = b"mycase/v1/record-hash";
const RECORD_AD_LABEL: &[u8] = b"mycase/v1/record-ad";
const REGISTER_LABEL: &[u8] = b"mycase/v1/register";
const AUTH_LABEL: &[u8] = b"mycase/v1/auth";
const RECOVER_LABEL: &[u8] = b"mycase/v1/recover";
const RECOVERY_CERTIFICATE_LABEL: &[u8] = b"mycase/v1/recovery-certificate";
const RECEIPT_LABEL: &[u8] = b"mycase/v1/receipt";
const RECOVERY_REGISTRATION_LABEL: &[u8] = b"mycase/v1/recovery-registration";
const RECOVERY_RENEWAL_LABEL: &[u8] = b"mycase/v1/recovery-renewal";
const DEVICE_STATEMENT_LABEL: &[u8] = b"mycase/v1/device-statement";
const ACCOUNT_ID_LABEL: &[u8] = b"mycase/v1/account-id";

/// The id of an account whose first recovery key is `recovery_public_key`: the kit
/// alone then says which account it opens, and no other account can claim it.
pub fn account_id_for_recovery_key(recovery_public_key: &[u8]) -> [u8; ID_LEN] {
    let mut h = Sha256::new();
    h.update(ACCOUNT_ID_LABEL);
    h.update(recovery_public_key);
    let digest = h.finalize();
    let mut id = [0u8; ID_LEN];
    id.copy_from_slice(&digest[..ID_LEN]);
    id
}

fn put_var(buf: &mut Vec<u8>, bytes: &[u8]) {
    buf.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
    buf.extend_from_slice(bytes);
}

/// The associated data sealed into a record's ciphertext: it binds the record to
/// its account, device, position, predecessor, key epoch and format version, so a
/// server cannot move, relabel or reorder a record without decryption failing.
pub fn record_associated_data(
    account_id: &[u8],
    device_id: &[u8],
    idx: u64,
    prev_hash: &[u8],
    key_epoch: u32,
    format_version: u32,
) -> Vec<u8> {
    let mut ad = Vec::with_capacity(RECORD_AD_LABEL.len() + 8 * 3 + 16 + 16 + 32 + 16);
    put_var(&mut ad, RECORD_AD_LABEL);
    put_var(&mut ad, account_id);
    put_var(&mut ad, device_id);
    ad.extend_from_slice(&idx.to_be_bytes());
    put_var(&mut ad, prev_hash);
    ad.extend_from_slice(&key_epoch.to_be_bytes());
    ad.extend_from_slice(&format_version.to_be_bytes());
    ad
}

/// The hash of a record: covers everything but the signature, including the
/// predecessor's hash, so each device's log is a hash chain.
pub fn record_hash(account_id: &[u8], record: &Record) -> [u8; HASH_LEN] {
    let mut h = Sha256::new();
    let mut head = Vec::with_capacity(128);
    put_var(&mut head, RECORD_HASH_LABEL);
    put_var(&mut head, account_id);
    put_var(&mut head, &record.device_id);
    head.extend_from_slice(&record.idx.to_be_bytes());
    put_var(&mut head, &record.prev_hash);
    head.extend_from_slice(&record.key_epoch.to_be_bytes());
    head.extend_from_slice(&record.format_version.to_be_bytes());
    put_var(&mut head, &record.nonce);
    head.extend_from_slice(&(record.ciphertext.len() as u64).to_be_bytes());
    h.update(&head);
    h.update(&record.ciphertext);
    h.finalize().into()
}

/// What a device signs to prove it holds the key it registers.
pub fn register_message(
    account_id: &[u8],
    device_id: &[u8],
    sign_public_key: &[u8],
    dh_public_key: &[u8],
    recovery_public_key: &[u8],
    recovery_blob: &[u8],
) -> Vec<u8> {
    let mut m = Vec::with_capacity(256);
    put_var(&mut m, REGISTER_LABEL);
    put_var(&mut m, account_id);
    put_var(&mut m, device_id);
    put_var(&mut m, sign_public_key);
    put_var(&mut m, dh_public_key);
    put_var(&mut m, recovery_public_key);
    put_var(&mut m, &Sha256::digest(recovery_blob));
    m
}

/// What a device signs to answer an authentication challenge.
pub fn auth_message(device_id: &[u8], challenge: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(96);
    put_var(&mut m, AUTH_LABEL);
    put_var(&mut m, device_id);
    put_var(&mut m, challenge);
    m
}

/// What the recovery key signs to register a new device during recovery.
pub fn recover_message(
    challenge: &[u8],
    device_id: &[u8],
    sign_public_key: &[u8],
    dh_public_key: &[u8],
) -> Vec<u8> {
    let mut m = Vec::with_capacity(160);
    put_var(&mut m, RECOVER_LABEL);
    put_var(&mut m, challenge);
    put_var(&mut m, device_id);
    put_var(&mut m, sign_public_key);
    put_var(&mut m, dh_public_key);
    m
}

/// What the recovery key signs so that other devices accept a recovered device.
pub fn recovery_certificate_message(
    account_id: &[u8],
    device_id: &[u8],
    sign_public_key: &[u8],
    dh_public_key: &[u8],
) -> Vec<u8> {
    let mut m = Vec::with_capacity(160);
    put_var(&mut m, RECOVERY_CERTIFICATE_LABEL);
    put_var(&mut m, account_id);
    put_var(&mut m, device_id);
    put_var(&mut m, sign_public_key);
    put_var(&mut m, dh_public_key);
    m
}

/// What the recovery key signs when an account is registered: proof that the
/// registering client holds the kit, bound to the account and its first device.
pub fn recovery_registration_message(
    account_id: &[u8],
    device_id: &[u8],
    sign_public_key: &[u8],
    dh_public_key: &[u8],
) -> Vec<u8> {
    let mut m = Vec::with_capacity(160);
    put_var(&mut m, RECOVERY_REGISTRATION_LABEL);
    put_var(&mut m, account_id);
    put_var(&mut m, device_id);
    put_var(&mut m, sign_public_key);
    put_var(&mut m, dh_public_key);
    m
}

/// What the old and the new recovery key both sign when a kit is renewed: the
/// server and every device accept the new key only with the old one's authority.
pub fn recovery_renewal_message(
    account_id: &[u8],
    old_recovery_public_key: &[u8],
    new_recovery_public_key: &[u8],
    new_recovery_dh_public_key: &[u8],
) -> Vec<u8> {
    let mut m = Vec::with_capacity(160);
    put_var(&mut m, RECOVERY_RENEWAL_LABEL);
    put_var(&mut m, account_id);
    put_var(&mut m, old_recovery_public_key);
    put_var(&mut m, new_recovery_public_key);
    put_var(&mut m, new_recovery_dh_public_key);
    m
}

/// What a device signs in a `DeviceStatement` (`kind` is the enum's number).
pub fn device_statement_message(
    kind: u32,
    account_id: &[u8],
    subject_device_id: &[u8],
    author_device_id: &[u8],
) -> Vec<u8> {
    let mut m = Vec::with_capacity(96);
    put_var(&mut m, DEVICE_STATEMENT_LABEL);
    m.extend_from_slice(&kind.to_be_bytes());
    put_var(&mut m, account_id);
    put_var(&mut m, subject_device_id);
    put_var(&mut m, author_device_id);
    m
}

const EPOCH_KEY_LABEL: &[u8] = b"mycase/v1/epoch-key";

/// Associated data of an epoch key sealed to one device in a `KeyRotated`: binds
/// the account, the epoch, the rotating device and the recipient, so a sealed key
/// cannot be moved to another epoch, author or device.
pub fn epoch_key_ad(
    account_id: &[u8],
    key_epoch: u32,
    author_device_id: &[u8],
    recipient_device_id: &[u8],
) -> Vec<u8> {
    let mut m = Vec::with_capacity(96);
    put_var(&mut m, EPOCH_KEY_LABEL);
    put_var(&mut m, account_id);
    put_var(&mut m, &key_epoch.to_be_bytes());
    put_var(&mut m, author_device_id);
    put_var(&mut m, recipient_device_id);
    m
}

/// What the server signs with its long-term key when it stores a record: that
/// this account's device wrote a record with this hash at this position, and the
/// server held it at `server_time_ms` (Unix ms, the server's clock).
pub fn receipt_message(
    account_id: &[u8],
    device_id: &[u8],
    idx: u64,
    record_hash: &[u8],
    server_time_ms: u64,
) -> Vec<u8> {
    let mut m = Vec::with_capacity(160);
    put_var(&mut m, RECEIPT_LABEL);
    put_var(&mut m, account_id);
    put_var(&mut m, device_id);
    m.extend_from_slice(&idx.to_be_bytes());
    put_var(&mut m, record_hash);
    m.extend_from_slice(&server_time_ms.to_be_bytes());
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Record {
        Record {
            device_id: vec![2; ID_LEN],
            idx: 7,
            prev_hash: vec![3; HASH_LEN],
            key_epoch: 1,
            format_version: 1,
            nonce: vec![4; 24],
            ciphertext: b"ciphertext".to_vec(),
            signature: vec![],
        }
    }

    #[test]
    fn record_hash_is_frozen() {
        // Frozen: changing the layout breaks every stored log.
        assert_eq!(
            hex(&record_hash(&[1; ID_LEN], &sample())),
            "03c7c8fee3677d30edbae3c1edaddc1299c1861a2056f6a4fa6f60206b09feac"
        );
    }

    #[test]
    fn record_hash_covers_every_field_but_the_signature() {
        let base = record_hash(&[1; ID_LEN], &sample());
        let mut signed = sample();
        signed.signature = vec![9; 64];
        assert_eq!(record_hash(&[1; ID_LEN], &signed), base);
        assert_ne!(record_hash(&[9; ID_LEN], &sample()), base);
        let changes: Vec<fn(&mut Record)> = vec![
            |r| r.device_id[0] ^= 1,
            |r| r.idx += 1,
            |r| r.prev_hash[0] ^= 1,
            |r| r.key_epoch += 1,
            |r| r.format_version += 1,
            |r| r.nonce[0] ^= 1,
            |r| r.ciphertext[0] ^= 1,
        ];
        for change in changes {
            let mut r = sample();
            change(&mut r);
            assert_ne!(record_hash(&[1; ID_LEN], &r), base);
        }
    }

    #[test]
    fn receipt_message_is_frozen() {
        // Frozen: changing the layout invalidates every receipt ever issued.
        let m = receipt_message(
            &[1; ID_LEN],
            &[2; ID_LEN],
            7,
            &[3; HASH_LEN],
            1_700_000_000_123,
        );
        assert_eq!(
            hex(&Sha256::digest(&m)),
            "85699e67378dcd6c50d0c12b9452b424e8791c12e90e5139f82546917643c37e"
        );
        assert_eq!(m.len(), 8 + 17 + 8 + 16 + 8 + 16 + 8 + 8 + 32 + 8);
        // Every input changes the message.
        let base = m;
        assert_ne!(
            receipt_message(
                &[9; ID_LEN],
                &[2; ID_LEN],
                7,
                &[3; HASH_LEN],
                1_700_000_000_123
            ),
            base
        );
        assert_ne!(
            receipt_message(
                &[1; ID_LEN],
                &[9; ID_LEN],
                7,
                &[3; HASH_LEN],
                1_700_000_000_123
            ),
            base
        );
        assert_ne!(
            receipt_message(
                &[1; ID_LEN],
                &[2; ID_LEN],
                8,
                &[3; HASH_LEN],
                1_700_000_000_123
            ),
            base
        );
        assert_ne!(
            receipt_message(
                &[1; ID_LEN],
                &[2; ID_LEN],
                7,
                &[9; HASH_LEN],
                1_700_000_000_123
            ),
            base
        );
        assert_ne!(
            receipt_message(
                &[1; ID_LEN],
                &[2; ID_LEN],
                7,
                &[3; HASH_LEN],
                1_700_000_000_124
            ),
            base
        );
    }

    #[test]
    fn new_signed_messages_are_frozen_and_distinct() {
        // Frozen: changing a layout invalidates every signature made over it.
        let reg = recovery_registration_message(&[1; ID_LEN], &[2; ID_LEN], &[3; 32], &[4; 32]);
        let renew = recovery_renewal_message(&[1; ID_LEN], &[3; 32], &[5; 32], &[6; 32]);
        let stmt = device_statement_message(1, &[1; ID_LEN], &[2; ID_LEN], &[7; ID_LEN]);
        assert_ne!(
            reg,
            recovery_certificate_message(&[1; ID_LEN], &[2; ID_LEN], &[3; 32], &[4; 32])
        );
        assert_ne!(
            stmt,
            device_statement_message(2, &[1; ID_LEN], &[2; ID_LEN], &[7; ID_LEN])
        );
        assert_ne!(
            stmt,
            device_statement_message(1, &[1; ID_LEN], &[7; ID_LEN], &[2; ID_LEN])
        );
        assert_ne!(
            renew,
            recovery_renewal_message(&[1; ID_LEN], &[5; 32], &[3; 32], &[6; 32])
        );
        assert_eq!(
            [&reg, &renew, &stmt].map(|m| hex(&Sha256::digest(m))),
            FROZEN_NEW_MESSAGES
        );
    }

    #[test]
    fn account_ids_from_recovery_keys_are_frozen() {
        assert_eq!(
            hex(&account_id_for_recovery_key(&[3; 32])),
            FROZEN_ACCOUNT_ID
        );
        assert_ne!(
            account_id_for_recovery_key(&[3; 32]),
            account_id_for_recovery_key(&[4; 32])
        );
    }

    const FROZEN_ACCOUNT_ID: &str = "d440858aeb523c2219c2cd3e7fb1d215";

    const FROZEN_NEW_MESSAGES: [&str; 3] = [
        "6d90429dc6a41791afe6b81e3b89e7c3e2fddfec8cecb438412cf3e1dcc8ab6b",
        "7ab62e80209ece6b8c201a54f74595ec2b8afde296f014f7e41bc980501ae902",
        "e809b527076d6dbe0d6144cab90b6cabe49ae03eabaf0161fb3b30e172b4a21e",
    ];

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
}
