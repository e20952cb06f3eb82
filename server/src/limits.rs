//! The operator's quotas and rate limits, checked by the services before they
//! write anything. Every refusal is RESOURCE_EXHAUSTED with a message naming the
//! limit (and never an id).

use std::net::{IpAddr, SocketAddr};

use crate::config::{Quotas, RateLimits};
use crate::error::{ServerError, ServerResult};
use crate::rate_limit::RateLimiter;
use crate::store::Id;

/// Whether `adding` bytes to an account holding `used` stays within `quota`.
pub fn check_storage(quota: u64, used: u64, adding: u64) -> ServerResult<()> {
    if used.saturating_add(adding) > quota {
        return Err(ServerError::Limit(format!(
            "storage quota reached: this account stores {used} bytes and may store at most {quota} on this server"
        )));
    }
    Ok(())
}

pub struct Limits {
    pub quotas: Quotas,
    auth_by_address: RateLimiter<IpAddr>,
    auth_by_account: RateLimiter<Id>,
    appends_by_address: RateLimiter<IpAddr>,
    appends_by_account: RateLimiter<Id>,
    uploads_by_address: RateLimiter<IpAddr>,
    uploads_by_account: RateLimiter<Id>,
}

fn refuse(what: &str) -> ServerError {
    ServerError::Limit(format!(
        "rate limit reached: too many {what}; wait a minute and try again"
    ))
}

impl Limits {
    pub fn new(quotas: Quotas, rates: RateLimits) -> Self {
        Self {
            quotas,
            auth_by_address: RateLimiter::new(rates.auth_per_address),
            auth_by_account: RateLimiter::new(rates.auth_per_account),
            appends_by_address: RateLimiter::new(rates.appends_per_address),
            appends_by_account: RateLimiter::new(rates.appends_per_account),
            uploads_by_address: RateLimiter::new(rates.uploads_per_address),
            uploads_by_account: RateLimiter::new(rates.uploads_per_account),
        }
    }

    /// Registration, challenges, authentication, recovery, pairing joins: per
    /// client address (unknown addresses, as over the admin socket, pass).
    pub fn auth_attempt(&self, peer: Option<SocketAddr>) -> ServerResult<()> {
        match peer {
            Some(p) if !self.auth_by_address.try_take(p.ip(), 1) => {
                Err(refuse("authentication attempts from this address"))
            }
            _ => Ok(()),
        }
    }

    /// An authentication attempt for a device of `account_id`.
    pub fn auth_for_account(&self, account_id: &Id) -> ServerResult<()> {
        if self.auth_by_account.try_take(*account_id, 1) {
            Ok(())
        } else {
            Err(refuse("authentication attempts for this account"))
        }
    }

    pub fn append(&self, peer: Option<SocketAddr>, account_id: &Id) -> ServerResult<()> {
        if let Some(p) = peer {
            if !self.appends_by_address.try_take(p.ip(), 1) {
                return Err(refuse("appends from this address"));
            }
        }
        if !self.appends_by_account.try_take(*account_id, 1) {
            return Err(refuse("appends for this account"));
        }
        Ok(())
    }

    /// One uploaded chunk.
    pub fn upload(&self, peer: Option<SocketAddr>, account_id: &Id) -> ServerResult<()> {
        if let Some(p) = peer {
            if !self.uploads_by_address.try_take(p.ip(), 1) {
                return Err(refuse("uploads from this address"));
            }
        }
        if !self.uploads_by_account.try_take(*account_id, 1) {
            return Err(refuse("uploads for this account"));
        }
        Ok(())
    }

    /// Whether `adding` more bytes keeps the account within its storage quota.
    pub fn storage(&self, used: u64, adding: u64) -> ServerResult<()> {
        check_storage(self.quotas.storage_bytes_per_account, used, adding)
    }

    pub fn record_size(&self, len: usize) -> ServerResult<()> {
        let max = self.quotas.max_record_bytes;
        if len as u64 > max {
            return Err(ServerError::Limit(format!(
                "record too large for this server: {len} bytes, at most {max}"
            )));
        }
        Ok(())
    }

    pub fn upload_size(&self, total: u64) -> ServerResult<()> {
        let max = self.quotas.max_upload_bytes;
        if total > max {
            return Err(ServerError::Limit(format!(
                "attachment too large for this server: more than {max} bytes in one upload"
            )));
        }
        Ok(())
    }

    /// Whether an account with `existing` devices may add one more.
    pub fn devices(&self, existing: usize) -> ServerResult<()> {
        let max = self.quotas.devices_per_account;
        if existing as u64 >= u64::from(max) {
            return Err(ServerError::Limit(format!(
                "device limit reached: an account may have at most {max} devices on this server"
            )));
        }
        Ok(())
    }

    pub fn purge(&self) {
        self.auth_by_address.purge();
        self.auth_by_account.purge();
        self.appends_by_address.purge();
        self.appends_by_account.purge();
        self.uploads_by_address.purge();
        self.uploads_by_account.purge();
    }
}
