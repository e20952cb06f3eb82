//! Accounts, devices, recovery keys, invites and activity in memory.

use super::MemoryStore;
use crate::store::{AccountRow, AccountStore, DeviceRow, Hash, Id, StoreError, StoreResult};

impl AccountStore for MemoryStore {
    fn create_account(
        &self,
        account_id: &Id,
        account: &AccountRow,
        first_device: &DeviceRow,
    ) -> StoreResult<()> {
        let mut g = self.lock()?;
        if g.accounts.contains_key(account_id) {
            return Err(StoreError::AccountExists);
        }
        if g.devices.contains_key(&first_device.device_id) {
            return Err(StoreError::DeviceExists);
        }
        if g.recovery_keys.contains_key(&account.recovery_public_key) {
            return Err(StoreError::RecoveryKeyInUse);
        }
        g.recovery_keys
            .insert(account.recovery_public_key, *account_id);
        g.accounts.insert(*account_id, account.clone());
        g.devices
            .insert(first_device.device_id, first_device.clone());
        Ok(())
    }

    fn create_account_with_invite(
        &self,
        account_id: &Id,
        account: &AccountRow,
        first_device: &DeviceRow,
        code_hash: &Hash,
        now_unix: u64,
    ) -> StoreResult<()> {
        let mut g = self.lock()?;
        if g.invites.get(code_hash).is_none_or(|&exp| exp <= now_unix) {
            return Err(StoreError::InviteInvalid);
        }
        if g.accounts.contains_key(account_id) {
            return Err(StoreError::AccountExists);
        }
        if g.devices.contains_key(&first_device.device_id) {
            return Err(StoreError::DeviceExists);
        }
        if g.recovery_keys.contains_key(&account.recovery_public_key) {
            return Err(StoreError::RecoveryKeyInUse);
        }
        g.invites.remove(code_hash);
        g.recovery_keys
            .insert(account.recovery_public_key, *account_id);
        g.accounts.insert(*account_id, account.clone());
        g.devices
            .insert(first_device.device_id, first_device.clone());
        Ok(())
    }

    fn account(&self, account_id: &Id) -> StoreResult<Option<AccountRow>> {
        Ok(self.lock()?.accounts.get(account_id).cloned())
    }

    fn add_device(&self, device: &DeviceRow) -> StoreResult<()> {
        let mut g = self.lock()?;
        if !g.accounts.contains_key(&device.account_id) {
            return Err(StoreError::UnknownAccount);
        }
        if g.devices.contains_key(&device.device_id) {
            return Err(StoreError::DeviceExists);
        }
        g.devices.insert(device.device_id, device.clone());
        Ok(())
    }

    fn device(&self, device_id: &Id) -> StoreResult<Option<DeviceRow>> {
        Ok(self.lock()?.devices.get(device_id).cloned())
    }

    fn account_devices(&self, account_id: &Id) -> StoreResult<Vec<DeviceRow>> {
        // BTreeMap iteration is already in device id order.
        Ok(self
            .lock()?
            .devices
            .values()
            .filter(|d| &d.account_id == account_id)
            .cloned()
            .collect())
    }

    fn account_by_recovery_key(
        &self,
        recovery_public_key: &[u8; 32],
    ) -> StoreResult<Option<(Id, AccountRow)>> {
        let g = self.lock()?;
        Ok(g.recovery_keys
            .get(recovery_public_key)
            .and_then(|id| g.accounts.get(id).map(|a| (*id, a.clone())))
            .filter(|(_, a)| &a.recovery_public_key == recovery_public_key))
    }

    fn touch_device(&self, device_id: &Id, seen_unix: u64) -> StoreResult<()> {
        if let Some(d) = self.lock()?.devices.get_mut(device_id) {
            d.last_seen_unix = d.last_seen_unix.max(seen_unix);
        }
        Ok(())
    }

    fn revoke_device(&self, device_id: &Id, at_unix: u64, statement: &[u8]) -> StoreResult<bool> {
        let mut g = self.lock()?;
        let d = g
            .devices
            .get_mut(device_id)
            .ok_or(StoreError::UnknownDevice)?;
        if d.revoked {
            return Ok(false);
        }
        d.revoked = true;
        d.revoked_at_unix = at_unix;
        d.revocation = Some(statement.to_vec());
        g.sessions.retain(|_, s| &s.device_id != device_id);
        Ok(true)
    }

    fn set_recovery_blob(&self, account_id: &Id, blob: &[u8]) -> StoreResult<()> {
        let mut g = self.lock()?;
        let a = g
            .accounts
            .get_mut(account_id)
            .ok_or(StoreError::UnknownAccount)?;
        a.recovery_blob = blob.to_vec();
        Ok(())
    }

    fn renew_recovery_key(
        &self,
        account_id: &Id,
        old: &[u8; 32],
        new: &[u8; 32],
        blob: &[u8],
    ) -> StoreResult<()> {
        let mut g = self.lock()?;
        let g = &mut *g;
        let a = g
            .accounts
            .get_mut(account_id)
            .ok_or(StoreError::UnknownAccount)?;
        if &a.recovery_public_key != old {
            return Err(StoreError::RecoveryKeyChanged);
        }
        if g.recovery_keys.contains_key(new) {
            return Err(StoreError::RecoveryKeyInUse);
        }
        a.recovery_public_key = *new;
        a.recovery_blob = blob.to_vec();
        g.recovery_keys.remove(old);
        g.recovery_keys.insert(*new, *account_id);
        Ok(())
    }

    fn add_invite(&self, code_hash: &Hash, expires_at_unix: u64) -> StoreResult<()> {
        self.lock()?.invites.insert(*code_hash, expires_at_unix);
        Ok(())
    }

    fn purge_invites(&self, now_unix: u64) -> StoreResult<usize> {
        let mut g = self.lock()?;
        let before = g.invites.len();
        g.invites.retain(|_, exp| *exp > now_unix);
        Ok(before - g.invites.len())
    }

    fn touch_account(&self, account_id: &Id, day: u32) -> StoreResult<()> {
        self.lock()?.activity.insert(*account_id, day);
        Ok(())
    }

    fn inactive_accounts(&self, before_day: u32) -> StoreResult<Vec<Id>> {
        let g = self.lock()?;
        Ok(g.accounts
            .iter()
            .filter(|(id, a)| {
                let last = g
                    .activity
                    .get(*id)
                    .copied()
                    .unwrap_or_else(|| crate::store::day_of(a.created_at_unix));
                last < before_day
            })
            .map(|(id, _)| *id)
            .collect())
    }

    fn account_usage(&self, account_id: &Id) -> StoreResult<u64> {
        Ok(self.lock()?.usage.get(account_id).copied().unwrap_or(0))
    }
}
