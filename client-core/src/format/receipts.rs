//! Server receipts: the server's signed word that it stored a record at a time.
//!
//! The device pins the server's receipt key on its first sync (trust on first
//! use) and checks every receipt against it before keeping it; an export carries
//! them so a third party can check, offline, when the server saw each record.

use mycase_proto::v1::{Receipt, Record};
use mycase_proto::wire::{receipt_message, record_hash};

/// A server receipt kept for a record: the server's time and its Ed25519
/// signature over `wire::receipt_message` (see [`from_wire`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredReceipt {
    /// The server's time when it stored the record (Unix milliseconds).
    pub server_time_ms: u64,
    /// The server's Ed25519 signature over the receipt message.
    pub signature: [u8; 64],
}

/// Why a receipt from the server was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptError {
    /// The receipt is malformed.
    #[error("a receipt is malformed")]
    Malformed,
    /// Its signature does not verify under the server's key.
    #[error("a receipt's signature does not verify under the server's key")]
    BadSignature,
}

/// A receipt as it came over the wire: `None` for an empty one (a record the
/// server stored before it signed receipts).
pub fn from_wire(receipt: &Receipt) -> Result<Option<StoredReceipt>, ReceiptError> {
    if receipt.signature.is_empty() && receipt.server_time_ms == 0 {
        return Ok(None);
    }
    let signature: [u8; 64] = receipt
        .signature
        .as_slice()
        .try_into()
        .map_err(|_| ReceiptError::Malformed)?;
    Ok(Some(StoredReceipt {
        server_time_ms: receipt.server_time_ms,
        signature,
    }))
}

/// The server's receipt key, parsed once: a sync checks one receipt per record,
/// and decompressing the key each time was a third of the cost.
#[derive(Clone, Debug)]
pub struct ReceiptKey(ed25519_dalek::VerifyingKey);

impl ReceiptKey {
    /// Parses the server's Ed25519 public key.
    pub fn from_bytes(server_key: &[u8; 32]) -> Result<Self, ReceiptError> {
        ed25519_dalek::VerifyingKey::from_bytes(server_key)
            .map(ReceiptKey)
            .map_err(|_| ReceiptError::Malformed)
    }

    /// Whether `receipt` is the server's signature over `record` at its
    /// position in `account_id`'s log, at the receipt's time.
    pub fn verifies(&self, account_id: &[u8], record: &Record, receipt: &StoredReceipt) -> bool {
        let hash = record_hash(account_id, record);
        self.verifies_hash(account_id, &record.device_id, record.idx, &hash, receipt)
    }

    /// Like [`ReceiptKey::verifies`], for a record known by its hash.
    pub fn verifies_hash(
        &self,
        account_id: &[u8],
        device_id: &[u8],
        idx: u64,
        record_hash: &[u8],
        receipt: &StoredReceipt,
    ) -> bool {
        let message = receipt_message(
            account_id,
            device_id,
            idx,
            record_hash,
            receipt.server_time_ms,
        );
        let signature = ed25519_dalek::Signature::from_bytes(&receipt.signature);
        self.0.verify_strict(&message, &signature).is_ok()
    }
}

/// Whether `receipt` is the server's signature, under `server_key`, over
/// `record` at its position in `account_id`'s log, at the receipt's time.
pub fn verify(
    server_key: &[u8; 32],
    account_id: &[u8],
    record: &Record,
    receipt: &StoredReceipt,
) -> bool {
    ReceiptKey::from_bytes(server_key).is_ok_and(|key| key.verifies(account_id, record, receipt))
}

/// Like [`verify`], for a record known by its hash.
pub fn verify_hash(
    server_key: &[u8; 32],
    account_id: &[u8],
    device_id: &[u8],
    idx: u64,
    record_hash: &[u8],
    receipt: &StoredReceipt,
) -> bool {
    ReceiptKey::from_bytes(server_key)
        .is_ok_and(|key| key.verifies_hash(account_id, device_id, idx, record_hash, receipt))
}

/// Checks receipts that arrived with `records` (one each, same order; an empty
/// list from a server without receipts): every non-empty one must verify.
pub fn check_all(
    server_key: &[u8; 32],
    account_id: &[u8],
    records: &[Record],
    receipts: &[Receipt],
) -> Result<Vec<(usize, StoredReceipt)>, ReceiptError> {
    if receipts.is_empty() {
        return Ok(Vec::new());
    }
    if receipts.len() != records.len() {
        return Err(ReceiptError::Malformed);
    }
    let key = ReceiptKey::from_bytes(server_key)?;
    let mut out = Vec::with_capacity(records.len());
    for (i, (record, receipt)) in records.iter().zip(receipts).enumerate() {
        if let Some(r) = from_wire(receipt)? {
            if !key.verifies(account_id, record, &r) {
                return Err(ReceiptError::BadSignature);
            }
            out.push((i, r));
        }
    }
    Ok(out)
}
