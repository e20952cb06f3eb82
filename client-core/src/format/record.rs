//! Log records: sealing an operation into a record, and checking records that
//! arrive from an untrusted server (chain, signature, associated data).
//!
//! A record is applied only when a verified device signature covers it: the
//! signature is over the hash of a later (or the same) record, and every hash
//! covers its predecessor, so one signature vouches for the chain before it.
//!
//! # Record formats
//!
//! - **Version 1**: `ciphertext` is the XChaCha20-Poly1305 output.
//! - **Version 2** (written today): `ciphertext` is `commitment || XChaCha20-Poly1305
//!   output`, where `commitment = SHA-256(len || "mycase/v2/record-key-commitment" ||
//!   subkey)` and `subkey = HChaCha20(record key, nonce[0..16])`, the key an export
//!   discloses for this record alone. Poly1305 is not key-committing: a forger can
//!   build a ciphertext that opens under two keys to two texts. The commitment is
//!   covered by the record hash (so by the device's signature), and both the journal
//!   and an export's verifier refuse a key it does not match, so a signed record
//!   opens one way only. The commitment is a hash of a random key, not of the
//!   plaintext, so it tells the server nothing it could test a guess against.
//!
//! - **Version 3** (written today): as version 2, and an entry operation's texts
//!   (title, text, location, injuries, impact) are sealed apart behind
//!   commitments under a key an export never discloses
//!   ([`crate::format::withholdable`]), so an export can withhold a field or a
//!   passage and prove the rest.
//!
//! All three versions open and verify; new records are always version 3.

use mycase_proto::v1::{Operation, Record};
use mycase_proto::wire::{record_associated_data, record_hash, GENESIS_HASH, HASH_LEN};
use mycase_proto::{is_known_record_format, RECORD_FORMAT_VERSION};
use prost::Message;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::crypto::aead::{xchacha_open, xchacha_seal, xchacha_subkey, NONCE_LEN};
use crate::crypto::padme;
use crate::format::keys::{verify_signature, DeviceKeys, KeyError, Keyring};
use crate::format::withholdable::{self, TextsError};
use crate::ids::{id_hex, AccountId, DeviceId};

/// Where a device's log ends: its last idx and that record's hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// The last record's idx (0 for an empty log).
    pub idx: u64,
    /// The last record's hash (the genesis hash for an empty log).
    pub hash: [u8; HASH_LEN],
}

impl Head {
    /// The head of an empty log.
    pub const GENESIS: Head = Head {
        idx: 0,
        hash: GENESIS_HASH,
    };

    /// The head after `record`.
    pub fn after(account_id: &AccountId, record: &Record) -> Head {
        Head {
            idx: record.idx,
            hash: record_hash(account_id, record),
        }
    }
}

/// Why a record was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// The record is malformed (what is wrong).
    #[error("record is malformed ({0})")]
    Malformed(&'static str),
    /// It belongs to another device's log.
    #[error("record belongs to another device's log")]
    WrongDevice,
    /// Its idx does not continue the log.
    #[error("record idx {got} does not continue the log (expected {expected}): records are missing or were moved")]
    Gap {
        /// The idx the log needs next.
        expected: u64,
        /// The record's idx.
        got: u64,
    },
    /// It does not chain to its predecessor.
    #[error("record {idx} does not chain to its predecessor: the log was altered")]
    BrokenChain {
        /// The record.
        idx: u64,
    },
    /// Its signature does not verify.
    #[error("record {idx} carries an invalid signature: it was forged or altered")]
    BadSignature {
        /// The record.
        idx: u64,
    },
    /// It uses a format version this MyCase does not know.
    #[error(
        "record {idx} uses format version {version}, which this version of MyCase does not know"
    )]
    UnsupportedFormat {
        /// The record.
        idx: u64,
        /// Its format version.
        version: u32,
    },
    /// It did not decrypt (altered, moved, or another key).
    #[error("record {idx} did not decrypt: it was altered, moved to another position, device or account, or sealed with another key")]
    Decrypt {
        /// The record.
        idx: u64,
    },
    /// It is sealed under an epoch this device does not hold.
    #[error("record {idx} uses key epoch {epoch}, which this device does not hold")]
    UnknownEpoch {
        /// The record.
        idx: u64,
        /// Its key epoch.
        epoch: u32,
    },
    /// No trusted signing key is known for its device.
    #[error("no trusted signing key is known for device {device}")]
    UnknownDevice {
        /// The device, as hex.
        device: String,
    },
}

/// The first record format whose ciphertext starts with a key commitment.
pub const KEY_COMMITTED_FORMAT_VERSION: u32 = 2;
/// Length of the key commitment at the start of a version-2 ciphertext.
pub const KEY_COMMITMENT_LEN: usize = 32;
const KEY_COMMITMENT_LABEL: &[u8] = b"mycase/v2/record-key-commitment";

/// The commitment a version-2 record carries to the subkey that opens it.
pub fn key_commitment(subkey: &[u8; 32]) -> [u8; KEY_COMMITMENT_LEN] {
    let mut h = Sha256::new();
    h.update((KEY_COMMITMENT_LABEL.len() as u64).to_be_bytes());
    h.update(KEY_COMMITMENT_LABEL);
    h.update(subkey);
    h.finalize().into()
}

/// A record's ciphertext split into its key commitment (version 2 and later;
/// `None` for version 1) and the AEAD output. `None` if a version-2 ciphertext
/// is too short to hold a commitment.
pub fn split_commitment(record: &Record) -> Option<(Option<&[u8]>, &[u8])> {
    if record.format_version < KEY_COMMITTED_FORMAT_VERSION {
        return Some((None, &record.ciphertext));
    }
    let (commitment, sealed) = record.ciphertext.split_at_checked(KEY_COMMITMENT_LEN)?;
    Some((Some(commitment), sealed))
}

/// Seals one operation's bytes as the record after `head` in `device`'s log
/// (format [`RECORD_FORMAT_VERSION`], committed to its key). The record is
/// unsigned; see [`sign_record`].
pub fn seal_record(
    account_id: &AccountId,
    device_id: &DeviceId,
    head: &Head,
    keyring: &Keyring,
    operation: &[u8],
) -> Result<Record, KeyError> {
    let (epoch, key) = keyring.current()?;
    let idx = head.idx + 1;
    let ad = record_associated_data(
        account_id,
        device_id,
        idx,
        &head.hash,
        epoch,
        RECORD_FORMAT_VERSION,
    );
    let padded = Zeroizing::new(padme::pad(operation));
    let (nonce, sealed) = xchacha_seal(key.record_key(), &ad, &padded);
    let subkey = xchacha_subkey(key.record_key(), &nonce);
    let mut ciphertext = Vec::with_capacity(KEY_COMMITMENT_LEN + sealed.len());
    ciphertext.extend_from_slice(&key_commitment(&subkey));
    ciphertext.extend_from_slice(&sealed);
    Ok(Record {
        device_id: device_id.to_vec(),
        idx,
        prev_hash: head.hash.to_vec(),
        key_epoch: epoch,
        format_version: RECORD_FORMAT_VERSION,
        nonce: nonce.to_vec(),
        ciphertext,
        signature: Vec::new(),
    })
}

/// Seals `operation` as the record after `head` (format [`RECORD_FORMAT_VERSION`]):
/// its entry texts are sealed apart behind commitments first
/// ([`crate::format::withholdable`]), so an export can withhold them.
pub fn seal_operation(
    account_id: &AccountId,
    device_id: &DeviceId,
    head: &Head,
    keyring: &Keyring,
    operation: &Operation,
) -> Result<Record, KeyError> {
    let (epoch, key) = keyring.current()?;
    let ad = record_associated_data(
        account_id,
        device_id,
        head.idx + 1,
        &head.hash,
        epoch,
        RECORD_FORMAT_VERSION,
    );
    let mut op = operation.clone();
    withholdable::seal_texts(&mut op, key.texts_key(), &ad);
    let bytes = Zeroizing::new(op.encode_to_vec());
    seal_record(account_id, device_id, head, keyring, &bytes)
}

/// Signs `record`'s hash with the device key, vouching for its chain.
pub fn sign_record(keys: &DeviceKeys, account_id: &AccountId, record: &mut Record) {
    record.signature = keys.sign(&record_hash(account_id, record)).to_vec();
}

/// Decrypts a record's operation bytes. The associated data is rebuilt from the
/// record's claimed position, so a moved or relabelled record fails here; a
/// version-2 record whose key commitment does not match the key that opens it
/// (a ciphertext built to open two ways) fails too.
pub fn open_record(
    account_id: &AccountId,
    keyring: &Keyring,
    record: &Record,
) -> Result<Zeroizing<Vec<u8>>, RecordError> {
    let idx = record.idx;
    if !is_known_record_format(record.format_version) {
        return Err(RecordError::UnsupportedFormat {
            idx,
            version: record.format_version,
        });
    }
    let key = keyring
        .get(record.key_epoch)
        .map_err(|_| RecordError::UnknownEpoch {
            idx,
            epoch: record.key_epoch,
        })?;
    if record.nonce.len() != NONCE_LEN {
        return Err(RecordError::Malformed("nonce length"));
    }
    let ad = record_associated_data(
        account_id,
        &record.device_id,
        idx,
        &record.prev_hash,
        record.key_epoch,
        record.format_version,
    );
    let (commitment, sealed) = split_commitment(record).ok_or(RecordError::Decrypt { idx })?;
    if let Some(commitment) = commitment {
        let nonce: &[u8; NONCE_LEN] = record
            .nonce
            .as_slice()
            .try_into()
            .map_err(|_| RecordError::Malformed("nonce length"))?;
        let subkey = xchacha_subkey(key.record_key(), nonce);
        let expected = key_commitment(&subkey);
        if !bool::from(subtle::ConstantTimeEq::ct_eq(
            commitment,
            expected.as_slice(),
        )) {
            return Err(RecordError::Decrypt { idx });
        }
    }
    let padded = xchacha_open(key.record_key(), &record.nonce, &ad, sealed)
        .map_err(|_| RecordError::Decrypt { idx })?;
    let data = padme::unpad(&padded).ok_or(RecordError::Decrypt { idx })?;
    Ok(Zeroizing::new(data.to_vec()))
}

/// The result of checking a run of one device's records against its known head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedRun {
    /// How many leading records a valid signature covers; only these may be applied.
    pub covered: usize,
    /// The head after the covered records.
    pub head: Head,
}

/// Checks that `records` continue `device`'s log from `head`: same device,
/// contiguous idx, each `prev_hash` the hash of its predecessor, known format, and
/// every signature present valid under `sign_key`. Returns how much is covered.
pub fn verify_run(
    account_id: &AccountId,
    device: &DeviceId,
    sign_key: &[u8; 32],
    head: &Head,
    records: &[Record],
) -> Result<VerifiedRun, RecordError> {
    let mut expected = *head;
    let mut verified = VerifiedRun {
        covered: 0,
        head: *head,
    };
    for (i, r) in records.iter().enumerate() {
        if r.device_id.as_slice() != device.as_slice() {
            return Err(RecordError::WrongDevice);
        }
        if r.idx != expected.idx + 1 {
            return Err(RecordError::Gap {
                expected: expected.idx + 1,
                got: r.idx,
            });
        }
        if r.prev_hash.as_slice() != expected.hash.as_slice() {
            return Err(RecordError::BrokenChain { idx: r.idx });
        }
        if !is_known_record_format(r.format_version) {
            return Err(RecordError::UnsupportedFormat {
                idx: r.idx,
                version: r.format_version,
            });
        }
        expected = Head::after(account_id, r);
        if !r.signature.is_empty() {
            if !verify_signature(sign_key, &expected.hash, &r.signature) {
                return Err(RecordError::BadSignature { idx: r.idx });
            }
            verified = VerifiedRun {
                covered: i + 1,
                head: expected,
            };
        }
    }
    Ok(verified)
}

/// A device label for error messages (ids are random and reveal nothing).
pub fn device_label(device: &DeviceId) -> String {
    id_hex(device)
}

/// Why a stored record's operation could not be read.
#[derive(Debug, thiserror::Error)]
pub enum OperationError {
    /// The record itself did not open (wrong key, unknown epoch, tampered).
    #[error(transparent)]
    Record(#[from] RecordError),
    /// The record opened but its plaintext is not an operation.
    #[error("a stored operation could not be read")]
    Undecodable(#[source] prost::DecodeError),
    /// Its withholdable texts did not open or do not match what it signs.
    #[error("record {idx}: {source}")]
    Texts {
        /// The record.
        idx: u64,
        /// What is wrong.
        #[source]
        source: TextsError,
    },
}

/// Decrypts and decodes one record's operation.
pub fn open_operation(
    account_id: &AccountId,
    keyring: &Keyring,
    record: &Record,
) -> Result<Operation, OperationError> {
    let (mut op, texts_key, ad) = open_as_sealed(account_id, keyring, record)?;
    withholdable::restore_texts(&mut op, record.format_version, texts_key, &ad)
        .map_err(|source| texts_error(record, source))?;
    Ok(op)
}

/// Decrypts a record's operation as sealed (its texts still behind their
/// commitments) and opens its withholdable texts: what an export needs to show
/// each text whole, in part, or not at all.
pub fn open_record_texts(
    account_id: &AccountId,
    keyring: &Keyring,
    record: &Record,
) -> Result<(Operation, Vec<withholdable::OpenedText>), OperationError> {
    let (op, texts_key, ad) = open_as_sealed(account_id, keyring, record)?;
    if record.format_version < withholdable::WITHHOLDABLE_FORMAT_VERSION {
        return Ok((op, Vec::new()));
    }
    let texts = withholdable::open_texts(&op, texts_key, &ad)
        .map_err(|source| texts_error(record, source))?;
    Ok((op, texts))
}

/// A record's operation as sealed, with the texts key and associated data its
/// sealed texts open under.
fn open_as_sealed<'k>(
    account_id: &AccountId,
    keyring: &'k Keyring,
    record: &Record,
) -> Result<(Operation, &'k [u8; 32], Vec<u8>), OperationError> {
    let bytes = open_record(account_id, keyring, record)?;
    let op = Operation::decode(bytes.as_slice()).map_err(OperationError::Undecodable)?;
    let key = keyring
        .get(record.key_epoch)
        .map_err(|_| RecordError::UnknownEpoch {
            idx: record.idx,
            epoch: record.key_epoch,
        })?;
    let ad = record_associated_data(
        account_id,
        &record.device_id,
        record.idx,
        &record.prev_hash,
        record.key_epoch,
        record.format_version,
    );
    Ok((op, key.texts_key(), ad))
}

fn texts_error(record: &Record, source: TextsError) -> OperationError {
    OperationError::Texts {
        idx: record.idx,
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Log {
        account: AccountId,
        device: DeviceId,
        keys: DeviceKeys,
        ring: Keyring,
    }

    fn log() -> Log {
        Log {
            account: [1; 16],
            device: [2; 16],
            keys: DeviceKeys::generate(),
            ring: Keyring::generate(),
        }
    }

    fn write(l: &Log, n: usize, sign_last: bool) -> Vec<Record> {
        let mut head = Head::GENESIS;
        let mut out = Vec::new();
        for i in 0..n {
            let r = seal_record(
                &l.account,
                &l.device,
                &head,
                &l.ring,
                format!("op {i}").as_bytes(),
            )
            .unwrap();
            head = Head::after(&l.account, &r);
            out.push(r);
        }
        if sign_last {
            if let Some(last) = out.last_mut() {
                sign_record(&l.keys, &l.account, last);
            }
        }
        out
    }

    #[test]
    fn sealed_records_open_and_verify() {
        let l = log();
        let recs = write(&l, 5, true);
        let run = verify_run(
            &l.account,
            &l.device,
            &l.keys.sign_public(),
            &Head::GENESIS,
            &recs,
        )
        .unwrap();
        assert_eq!(run.covered, 5);
        assert_eq!(run.head, Head::after(&l.account, &recs[4]));
        for (i, r) in recs.iter().enumerate() {
            assert_eq!(
                &*open_record(&l.account, &l.ring, r).unwrap(),
                format!("op {i}").as_bytes()
            );
        }
    }

    #[test]
    fn unsigned_tail_is_not_covered() {
        let l = log();
        let mut recs = write(&l, 3, false);
        sign_record(&l.keys, &l.account, &mut recs[1]);
        let run = verify_run(
            &l.account,
            &l.device,
            &l.keys.sign_public(),
            &Head::GENESIS,
            &recs,
        )
        .unwrap();
        assert_eq!(run.covered, 2);
    }

    #[test]
    fn tampering_is_detected() {
        let l = log();
        let recs = write(&l, 3, true);
        let pk = l.keys.sign_public();
        let check = |recs: &[Record]| verify_run(&l.account, &l.device, &pk, &Head::GENESIS, recs);

        let mut ct = recs.clone();
        ct[2].ciphertext[0] ^= 1;
        assert_eq!(check(&ct), Err(RecordError::BadSignature { idx: 3 }));
        assert_eq!(
            open_record(&l.account, &l.ring, &ct[2]),
            Err(RecordError::Decrypt { idx: 3 })
        );

        let mut mid = recs.clone();
        mid[0].ciphertext[0] ^= 1;
        assert_eq!(check(&mid), Err(RecordError::BrokenChain { idx: 2 }));

        let mut sig = recs.clone();
        sig[2].signature[0] ^= 1;
        assert_eq!(check(&sig), Err(RecordError::BadSignature { idx: 3 }));

        assert_eq!(
            check(&recs[1..]),
            Err(RecordError::Gap {
                expected: 1,
                got: 2
            })
        );
        let mut other_device = recs.clone();
        other_device[0].device_id = vec![9; 16];
        assert_eq!(check(&other_device), Err(RecordError::WrongDevice));

        // Moved to another account: the signature no longer matches and decryption fails.
        assert!(verify_run(&[7; 16], &l.device, &pk, &Head::GENESIS, &recs).is_err());
        assert_eq!(
            open_record(&[7; 16], &l.ring, &recs[0]),
            Err(RecordError::Decrypt { idx: 1 })
        );

        // Relabelled idx: decryption binds the position.
        let mut moved = recs[1].clone();
        moved.idx = 1;
        assert_eq!(
            open_record(&l.account, &l.ring, &moved),
            Err(RecordError::Decrypt { idx: 1 })
        );

        // Another signer.
        let other = DeviceKeys::generate();
        assert_eq!(
            verify_run(
                &l.account,
                &l.device,
                &other.sign_public(),
                &Head::GENESIS,
                &recs
            ),
            Err(RecordError::BadSignature { idx: 3 })
        );
    }
}
