//! Accounts, devices, recovery keys, invites and activity in sled.

use sled::transaction::ConflictableTransactionError;
use sled::Transactional;

use super::codec::{
    arr, decode_account, decode_device, decode_session, encode_account, encode_device, pair_key,
    u64_at,
};
use super::{tx_err, SledStore};
use crate::store::{AccountRow, AccountStore, DeviceRow, Hash, Id, StoreError, StoreResult};

impl AccountStore for SledStore {
    fn create_account(
        &self,
        account_id: &Id,
        account: &AccountRow,
        first_device: &DeviceRow,
    ) -> StoreResult<()> {
        self.with(|t| {
            let account_bytes = encode_account(account);
            let device_bytes = encode_device(first_device);
            let link = pair_key(account_id, &first_device.device_id);
            let recovery_key = account.recovery_public_key;
            (
                &t.accounts,
                &t.devices,
                &t.account_devices,
                &t.recovery_keys,
            )
                .transaction(|(accounts, devices, links, recovery_keys)| {
                    if accounts.get(account_id)?.is_some() {
                        return Err(ConflictableTransactionError::Abort(
                            StoreError::AccountExists,
                        ));
                    }
                    if devices.get(first_device.device_id)?.is_some() {
                        return Err(ConflictableTransactionError::Abort(
                            StoreError::DeviceExists,
                        ));
                    }
                    if recovery_keys.get(recovery_key)?.is_some() {
                        return Err(ConflictableTransactionError::Abort(
                            StoreError::RecoveryKeyInUse,
                        ));
                    }
                    recovery_keys.insert(&recovery_key[..], &account_id[..])?;
                    accounts.insert(&account_id[..], account_bytes.as_slice())?;
                    devices.insert(&first_device.device_id[..], device_bytes.as_slice())?;
                    links.insert(&link[..], &[][..])?;
                    Ok(())
                })
                .map_err(tx_err)
        })
    }

    fn create_account_with_invite(
        &self,
        account_id: &Id,
        account: &AccountRow,
        first_device: &DeviceRow,
        code_hash: &Hash,
        now_unix: u64,
    ) -> StoreResult<()> {
        self.with(|t| {
            let account_bytes = encode_account(account);
            let device_bytes = encode_device(first_device);
            let link = pair_key(account_id, &first_device.device_id);
            let recovery_key = account.recovery_public_key;
            (
                &t.accounts,
                &t.devices,
                &t.account_devices,
                &t.invites,
                &t.recovery_keys,
            )
                .transaction(|(accounts, devices, links, invites, recovery_keys)| {
                    let abort = ConflictableTransactionError::Abort;
                    let valid = match invites.get(code_hash)? {
                        Some(b) => u64_at(&b).map_err(abort)? > now_unix,
                        None => false,
                    };
                    if !valid {
                        return Err(abort(StoreError::InviteInvalid));
                    }
                    if accounts.get(account_id)?.is_some() {
                        return Err(abort(StoreError::AccountExists));
                    }
                    if devices.get(first_device.device_id)?.is_some() {
                        return Err(abort(StoreError::DeviceExists));
                    }
                    if recovery_keys.get(recovery_key)?.is_some() {
                        return Err(abort(StoreError::RecoveryKeyInUse));
                    }
                    recovery_keys.insert(&recovery_key[..], &account_id[..])?;
                    // Single use, and nothing is kept that ties it to the account.
                    invites.remove(&code_hash[..])?;
                    accounts.insert(&account_id[..], account_bytes.as_slice())?;
                    devices.insert(&first_device.device_id[..], device_bytes.as_slice())?;
                    links.insert(&link[..], &[][..])?;
                    Ok(())
                })
                .map_err(tx_err)
        })
    }

    fn account(&self, account_id: &Id) -> StoreResult<Option<AccountRow>> {
        self.with(|t| {
            t.accounts
                .get(account_id)?
                .map(|b| decode_account(&b))
                .transpose()
        })
    }

    fn add_device(&self, device: &DeviceRow) -> StoreResult<()> {
        self.with(|t| {
            let device_bytes = encode_device(device);
            let link = pair_key(&device.account_id, &device.device_id);
            (&t.accounts, &t.devices, &t.account_devices)
                .transaction(|(accounts, devices, links)| {
                    if accounts.get(device.account_id)?.is_none() {
                        return Err(ConflictableTransactionError::Abort(
                            StoreError::UnknownAccount,
                        ));
                    }
                    if devices.get(device.device_id)?.is_some() {
                        return Err(ConflictableTransactionError::Abort(
                            StoreError::DeviceExists,
                        ));
                    }
                    devices.insert(&device.device_id[..], device_bytes.as_slice())?;
                    links.insert(&link[..], &[][..])?;
                    Ok(())
                })
                .map_err(tx_err)
        })
    }

    fn device(&self, device_id: &Id) -> StoreResult<Option<DeviceRow>> {
        self.with(|t| {
            t.devices
                .get(device_id)?
                .map(|b| decode_device(device_id, &b))
                .transpose()
        })
    }

    fn account_devices(&self, account_id: &Id) -> StoreResult<Vec<DeviceRow>> {
        self.with(|t| {
            let mut out = Vec::new();
            for item in t.account_devices.scan_prefix(account_id) {
                let (k, _) = item?;
                let device_id: Id = arr(k.get(16..).unwrap_or_default())?;
                let row = t.devices.get(device_id)?.ok_or(StoreError::Corrupt(
                    "account lists a device that is not stored",
                ))?;
                out.push(decode_device(&device_id, &row)?);
            }
            Ok(out)
        })
    }

    fn account_by_recovery_key(
        &self,
        recovery_public_key: &[u8; 32],
    ) -> StoreResult<Option<(Id, AccountRow)>> {
        self.with(|t| {
            let Some(id) = t.recovery_keys.get(recovery_public_key)? else {
                return Ok(None);
            };
            let id: Id = arr(&id)?;
            match t.accounts.get(id)? {
                // The index and the row agree, or the key counts for nobody.
                Some(v) => {
                    let row = decode_account(&v)?;
                    Ok((&row.recovery_public_key == recovery_public_key).then_some((id, row)))
                }
                None => Ok(None),
            }
        })
    }

    fn touch_device(&self, device_id: &Id, seen_unix: u64) -> StoreResult<()> {
        self.with(|t| {
            t.devices
                .transaction(|devices| {
                    let Some(b) = devices.get(device_id)? else {
                        return Ok(());
                    };
                    let mut row = decode_device(device_id, &b)
                        .map_err(ConflictableTransactionError::Abort)?;
                    if row.last_seen_unix >= seen_unix {
                        return Ok(());
                    }
                    row.last_seen_unix = seen_unix;
                    devices.insert(&device_id[..], encode_device(&row))?;
                    Ok(())
                })
                .map_err(tx_err)
        })
    }

    fn revoke_device(&self, device_id: &Id, at_unix: u64, statement: &[u8]) -> StoreResult<bool> {
        self.with(|t| {
            let newly = t
                .devices
                .transaction(|devices| {
                    let b = devices
                        .get(device_id)?
                        .ok_or(ConflictableTransactionError::Abort(
                            StoreError::UnknownDevice,
                        ))?;
                    let mut row = decode_device(device_id, &b)
                        .map_err(ConflictableTransactionError::Abort)?;
                    if row.revoked {
                        return Ok(false);
                    }
                    row.revoked = true;
                    row.revoked_at_unix = at_unix;
                    row.revocation = Some(statement.to_vec());
                    devices.insert(&device_id[..], encode_device(&row))?;
                    Ok(true)
                })
                .map_err(tx_err)?;
            // The device is refused from here on (sessions are checked against it),
            // so deleting its sessions after the flag is set leaves no window.
            let mut doomed = Vec::new();
            for item in t.sessions.iter() {
                let (k, v) = item?;
                if &decode_session(&v)?.device_id == device_id {
                    doomed.push(k);
                }
            }
            for k in &doomed {
                t.sessions.remove(k)?;
            }
            Ok(newly)
        })
    }

    fn set_recovery_blob(&self, account_id: &Id, blob: &[u8]) -> StoreResult<()> {
        self.with(|t| {
            t.accounts
                .transaction(|accounts| {
                    let b =
                        accounts
                            .get(account_id)?
                            .ok_or(ConflictableTransactionError::Abort(
                                StoreError::UnknownAccount,
                            ))?;
                    let mut row =
                        decode_account(&b).map_err(ConflictableTransactionError::Abort)?;
                    row.recovery_blob = blob.to_vec();
                    accounts.insert(&account_id[..], encode_account(&row))?;
                    Ok(())
                })
                .map_err(tx_err)
        })
    }

    fn renew_recovery_key(
        &self,
        account_id: &Id,
        old: &[u8; 32],
        new: &[u8; 32],
        blob: &[u8],
    ) -> StoreResult<()> {
        self.with(|t| {
            (&t.accounts, &t.recovery_keys)
                .transaction(|(accounts, recovery_keys)| {
                    let abort = ConflictableTransactionError::Abort;
                    let b = accounts
                        .get(account_id)?
                        .ok_or(abort(StoreError::UnknownAccount))?;
                    let mut row = decode_account(&b).map_err(abort)?;
                    if &row.recovery_public_key != old {
                        return Err(abort(StoreError::RecoveryKeyChanged));
                    }
                    if recovery_keys.get(new)?.is_some() {
                        return Err(abort(StoreError::RecoveryKeyInUse));
                    }
                    row.recovery_public_key = *new;
                    row.recovery_blob = blob.to_vec();
                    recovery_keys.remove(&old[..])?;
                    recovery_keys.insert(&new[..], &account_id[..])?;
                    accounts.insert(&account_id[..], encode_account(&row))?;
                    Ok(())
                })
                .map_err(tx_err)
        })
    }

    fn add_invite(&self, code_hash: &Hash, expires_at_unix: u64) -> StoreResult<()> {
        self.with(|t| {
            t.invites
                .insert(code_hash, &expires_at_unix.to_be_bytes()[..])?;
            Ok(())
        })
    }

    fn purge_invites(&self, now_unix: u64) -> StoreResult<usize> {
        self.with(|t| {
            let mut expired = Vec::new();
            for item in t.invites.iter() {
                let (k, v) = item?;
                if u64_at(&v)? <= now_unix {
                    expired.push(k);
                }
            }
            for k in &expired {
                t.invites.remove(k)?;
            }
            Ok(expired.len())
        })
    }

    fn touch_account(&self, account_id: &Id, day: u32) -> StoreResult<()> {
        self.with(|t| {
            // One write a day per account at most.
            if t.activity.get(account_id)?.as_deref() != Some(&day.to_be_bytes()[..]) {
                t.activity.insert(account_id, &day.to_be_bytes()[..])?;
            }
            Ok(())
        })
    }

    fn inactive_accounts(&self, before_day: u32) -> StoreResult<Vec<Id>> {
        self.with(|t| {
            let mut out = Vec::new();
            for item in t.accounts.iter() {
                let (k, v) = item?;
                let last = match t.activity.get(&k)? {
                    Some(b) => u32::from_be_bytes(arr(&b)?),
                    None => crate::store::day_of(decode_account(&v)?.created_at_unix),
                };
                if last < before_day {
                    out.push(arr(&k)?);
                }
            }
            Ok(out)
        })
    }

    fn account_usage(&self, account_id: &Id) -> StoreResult<u64> {
        self.with(|t| t.usage.get(account_id)?.map_or(Ok(0), |b| u64_at(&b)))
    }
}
