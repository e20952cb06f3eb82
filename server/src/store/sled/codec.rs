//! How rows are laid out in sled: fixed-width keys (ids, then big-endian idx) so
//! prefix scans return an account's devices and a log's records in order, and
//! the bytes of each row. Older layouts still decode.

use crate::store::{AccountRow, DeviceRow, Head, Id, SessionRow, StoreError, StoreResult};

pub(super) fn pair_key(a: &Id, b: &Id) -> [u8; 32] {
    let mut k = [0u8; 32];
    k[..16].copy_from_slice(a);
    k[16..].copy_from_slice(b);
    k
}

pub(super) fn record_key(account_id: &Id, device_id: &Id, idx: u64) -> [u8; 40] {
    let mut k = [0u8; 40];
    k[..32].copy_from_slice(&pair_key(account_id, device_id));
    k[32..].copy_from_slice(&idx.to_be_bytes());
    k
}

pub(super) fn arr<const N: usize>(b: &[u8]) -> StoreResult<[u8; N]> {
    b.try_into()
        .map_err(|_| StoreError::Corrupt("field has the wrong length"))
}

pub(super) fn u64_at(b: &[u8]) -> StoreResult<u64> {
    Ok(u64::from_be_bytes(arr::<8>(b)?))
}

pub(super) fn encode_account(a: &AccountRow) -> Vec<u8> {
    let mut v = Vec::with_capacity(40 + a.recovery_blob.len());
    v.extend_from_slice(&a.recovery_public_key);
    v.extend_from_slice(&a.created_at_unix.to_be_bytes());
    v.extend_from_slice(&a.recovery_blob);
    v
}

pub(super) fn decode_account(b: &[u8]) -> StoreResult<AccountRow> {
    if b.len() < 40 {
        return Err(StoreError::Corrupt("account row too short"));
    }
    Ok(AccountRow {
        recovery_public_key: arr(&b[..32])?,
        created_at_unix: u64_at(&b[32..40])?,
        recovery_blob: b[40..].to_vec(),
    })
}

/// Rows written before last-seen and revoked-at times were kept.
pub(super) const DEVICE_ROW_LEN_V1: usize = 16 + 32 + 32 + 8 + 1;
/// The fixed part; a revoked device's row is followed by the encoded statement
/// that revoked it (rows without one, older or not revoked, end here).
pub(super) const DEVICE_ROW_LEN: usize = DEVICE_ROW_LEN_V1 + 8 + 8;

pub(super) fn encode_device(d: &DeviceRow) -> Vec<u8> {
    let statement = d.revocation.as_deref().unwrap_or_default();
    let mut v = Vec::with_capacity(DEVICE_ROW_LEN + statement.len());
    v.extend_from_slice(&d.account_id);
    v.extend_from_slice(&d.sign_public_key);
    v.extend_from_slice(&d.dh_public_key);
    v.extend_from_slice(&d.registered_at_unix.to_be_bytes());
    v.push(u8::from(d.revoked));
    v.extend_from_slice(&d.last_seen_unix.to_be_bytes());
    v.extend_from_slice(&d.revoked_at_unix.to_be_bytes());
    v.extend_from_slice(statement);
    v
}

pub(super) fn decode_device(device_id: &Id, b: &[u8]) -> StoreResult<DeviceRow> {
    if b.len() < DEVICE_ROW_LEN && b.len() != DEVICE_ROW_LEN_V1 {
        return Err(StoreError::Corrupt("device row has the wrong length"));
    }
    let (last_seen_unix, revoked_at_unix) = match b.get(DEVICE_ROW_LEN_V1..DEVICE_ROW_LEN) {
        Some(t) => (u64_at(&t[..8])?, u64_at(&t[8..])?),
        None => (0, 0),
    };
    let revocation = b
        .get(DEVICE_ROW_LEN..)
        .filter(|rest| !rest.is_empty())
        .map(<[u8]>::to_vec);
    Ok(DeviceRow {
        last_seen_unix,
        revoked_at_unix,
        revocation,
        account_id: arr(&b[..16])?,
        device_id: *device_id,
        sign_public_key: arr(&b[16..48])?,
        dh_public_key: arr(&b[48..80])?,
        registered_at_unix: u64_at(&b[80..88])?,
        revoked: b[88] != 0,
    })
}

pub(super) fn encode_session(s: &SessionRow) -> [u8; 40] {
    let mut v = [0u8; 40];
    v[..32].copy_from_slice(&pair_key(&s.account_id, &s.device_id));
    v[32..].copy_from_slice(&s.expires_at_ms.to_be_bytes());
    v
}

pub(super) fn decode_session(b: &[u8]) -> StoreResult<SessionRow> {
    if b.len() != 40 {
        return Err(StoreError::Corrupt("session row has the wrong length"));
    }
    Ok(SessionRow {
        account_id: arr(&b[..16])?,
        device_id: arr(&b[16..32])?,
        expires_at_ms: u64_at(&b[32..])?,
    })
}

pub(super) fn encode_head(h: &Head) -> [u8; 40] {
    let mut v = [0u8; 40];
    v[..8].copy_from_slice(&h.idx.to_be_bytes());
    v[8..].copy_from_slice(&h.hash);
    v
}

pub(super) fn decode_head(b: &[u8]) -> StoreResult<Head> {
    if b.len() != 40 {
        return Err(StoreError::Corrupt("head row has the wrong length"));
    }
    Ok(Head {
        idx: u64_at(&b[..8])?,
        hash: arr(&b[8..])?,
    })
}

/// A usage counter (u64 BE, absent = 0) after adding `delta`, saturating.
pub(super) fn add_usage(current: Option<&[u8]>, delta: u64) -> StoreResult<[u8; 8]> {
    let now = match current {
        Some(b) => u64_at(b)?,
        None => 0,
    };
    Ok(now.saturating_add(delta).to_be_bytes())
}
