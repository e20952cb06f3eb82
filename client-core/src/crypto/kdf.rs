//! HKDF-SHA256 subkeys, one distinct label per use (`docs/DESIGN.md`, "Keys").

use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

/// Label of the key that seals log records.
pub const RECORDS: &str = "mycase/v1/records";
/// Label of the key that seals records' withholdable texts (record format 3).
pub const RECORD_TEXTS: &str = "mycase/v3/record-texts";
/// Label of the key that seals attachment chunks.
pub const ATTACHMENTS: &str = "mycase/v1/attachments";
/// Label of the key for keyed blob addresses.
pub const BLOB_ADDRESS: &str = "mycase/v1/blob-address";
/// Label of the key for the local store's own encryption.
pub const LOCAL_STORE: &str = "mycase/v1/local-store";
/// Label of the key that seals the local store's receipts file, derived from the
/// device's own X25519 secret (never from a vault key, which other devices and a
/// revoked one share).
pub const STORE_RECEIPTS: &str = "mycase/v1/store-receipts";
/// Label of the key that seals a half-written entry kept across a lock, derived
/// from the device's own X25519 secret (like the receipts key: no other device has it).
pub const LOCAL_DRAFT: &str = "mycase/v1/local-draft";
/// Label of the recovery kit's signing key seed.
pub const RECOVERY_SIGN: &str = "mycase/v1/recovery-sign";
/// Label of the recovery kit's key that wraps the vault keys held by the server.
pub const RECOVERY_WRAP: &str = "mycase/v1/recovery-wrap";
/// Label of the recovery kit's X25519 key, to which devices seal the recovery blob
/// after a key rotation.
pub const RECOVERY_DH: &str = "mycase/v1/recovery-dh";
/// Label of the pairing code's key that seals the joining device's request.
pub const PAIRING_JOIN: &str = "mycase/v1/pairing-join";
/// Label of the pairing id the server sees (derived, so it reveals nothing).
pub const PAIRING_ID: &str = "mycase/v1/pairing-id";

/// Derives a 32-byte subkey of `ikm` for one purpose.
pub fn hkdf_sha256(ikm: &[u8], salt: &[u8], label: &str) -> Zeroizing<[u8; 32]> {
    let hk = Hkdf::<Sha256>::new(Some(salt), ikm);
    let mut out = Zeroizing::new([0u8; 32]);
    // 32 bytes is far below HKDF-SHA256's 8160-byte limit, so expand cannot fail.
    let _ = hk.expand(label.as_bytes(), out.as_mut());
    out
}

/// A subkey of a 32-byte master key (vault key, recovery secret, pairing secret).
pub fn subkey(master: &[u8], label: &str) -> Zeroizing<[u8; 32]> {
    hkdf_sha256(master, &[], label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_give_distinct_keys() {
        let master = [1u8; 32];
        let all = [
            RECORDS,
            RECORD_TEXTS,
            ATTACHMENTS,
            BLOB_ADDRESS,
            LOCAL_STORE,
            STORE_RECEIPTS,
            RECOVERY_SIGN,
            RECOVERY_WRAP,
            RECOVERY_DH,
            PAIRING_JOIN,
            PAIRING_ID,
        ];
        let keys: std::collections::BTreeSet<[u8; 32]> =
            all.iter().map(|l| *subkey(&master, l)).collect();
        assert_eq!(keys.len(), all.len());
    }

    #[test]
    fn frozen_vector() {
        // Fixed input, fixed output (cross-checked with Python cryptography's HKDF).
        assert_eq!(
            hex::encode(*subkey(&[0u8; 32], RECORDS)),
            "d973b527013e09e1a66f9545aec20fdbd1aba6681e230792b2015f21639b314c"
        );
    }
}
