//! The operator's quotas and rate limits, checked by the services before they
//! write anything. Every refusal is RESOURCE_EXHAUSTED with a message naming the
//! limit (and never an id).

use std::net::{IpAddr, SocketAddr};

use crate::access::rate_limit::RateLimiter;
use crate::error::{ServerError, ServerResult};
use crate::operator::config::{Quotas, RateLimits};
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
    shares_by_address: RateLimiter<IpAddr>,
    shares_by_account: RateLimiter<Id>,
    share_fetches_by_address: RateLimiter<IpAddr>,
    pairings_by_address: RateLimiter<IpAddr>,
    pairings_by_account: RateLimiter<Id>,
    deletions_by_address: RateLimiter<IpAddr>,
}

/// The key an address is limited under: an IPv4 address, or an IPv6 address's
/// /64 (one host is routinely given a whole /64, so keying on the full address
/// would let one client spread a flood over 2^64 buckets).
pub fn address_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// Takes one token for `peer`'s address key (unknown peers, as over the admin
/// socket, pass).
fn take_for(limiter: &RateLimiter<IpAddr>, peer: Option<SocketAddr>) -> bool {
    peer.is_none_or(|p| limiter.try_take(address_key(p.ip()), 1))
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
            shares_by_address: RateLimiter::new(rates.shares_per_address),
            shares_by_account: RateLimiter::new(rates.shares_per_account),
            share_fetches_by_address: RateLimiter::new(rates.share_fetches_per_address),
            pairings_by_address: RateLimiter::new(rates.pairings_per_address),
            pairings_by_account: RateLimiter::new(rates.pairings_per_account),
            deletions_by_address: RateLimiter::new(rates.deletions_per_address),
        }
    }

    /// Registration, challenges, authentication, recovery, pairing joins: per
    /// client address (unknown addresses, as over the admin socket, pass).
    pub fn auth_attempt(&self, peer: Option<SocketAddr>) -> ServerResult<()> {
        if take_for(&self.auth_by_address, peer) {
            Ok(())
        } else {
            Err(refuse("authentication attempts from this address"))
        }
    }

    /// A verified sign-in of a device of `account_id` (see `Auth::authenticate`:
    /// taken only once the signature checked out).
    pub fn auth_for_account(&self, account_id: &Id) -> ServerResult<()> {
        if self.auth_by_account.try_take(*account_id, 1) {
            Ok(())
        } else {
            Err(refuse("authentication attempts for this account"))
        }
    }

    pub fn append(&self, peer: Option<SocketAddr>, account_id: &Id) -> ServerResult<()> {
        if !take_for(&self.appends_by_address, peer) {
            return Err(refuse("appends from this address"));
        }
        if !self.appends_by_account.try_take(*account_id, 1) {
            return Err(refuse("appends for this account"));
        }
        Ok(())
    }

    /// One uploaded chunk.
    pub fn upload(&self, peer: Option<SocketAddr>, account_id: &Id) -> ServerResult<()> {
        if !take_for(&self.uploads_by_address, peer) {
            return Err(refuse("uploads from this address"));
        }
        if !self.uploads_by_account.try_take(*account_id, 1) {
            return Err(refuse("uploads for this account"));
        }
        Ok(())
    }

    /// One share created.
    pub fn share(&self, peer: Option<SocketAddr>, account_id: &Id) -> ServerResult<()> {
        if !take_for(&self.shares_by_address, peer) {
            return Err(refuse("shares created from this address"));
        }
        if !self.shares_by_account.try_take(*account_id, 1) {
            return Err(refuse("shares created for this account"));
        }
        Ok(())
    }

    /// One share fetch.
    pub fn share_fetch(&self, peer: Option<SocketAddr>) -> ServerResult<()> {
        if take_for(&self.share_fetches_by_address, peer) {
            Ok(())
        } else {
            Err(refuse("share fetches from this address"))
        }
    }

    /// One pairing slot opened.
    pub fn pairing(&self, peer: Option<SocketAddr>, account_id: &Id) -> ServerResult<()> {
        if !take_for(&self.pairings_by_address, peer) {
            return Err(refuse("pairings opened from this address"));
        }
        if !self.pairings_by_account.try_take(*account_id, 1) {
            return Err(refuse("pairings opened for this account"));
        }
        Ok(())
    }

    /// One account deleted.
    pub fn deletion(&self, peer: Option<SocketAddr>) -> ServerResult<()> {
        if take_for(&self.deletions_by_address, peer) {
            Ok(())
        } else {
            Err(refuse("account deletions from this address"))
        }
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
        self.shares_by_address.purge();
        self.shares_by_account.purge();
        self.share_fetches_by_address.purge();
        self.pairings_by_address.purge();
        self.pairings_by_account.purge();
        self.deletions_by_address.purge();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn an_ipv6_host_is_one_address_and_mapped_ipv4_is_ipv4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff:1:2:3".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(address_key(a), address_key(b));
        assert_ne!(address_key(a), address_key(other));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(address_key(mapped), IpAddr::from([192, 0, 2, 7]));
        let v4 = IpAddr::from([192, 0, 2, 8]);
        assert_eq!(address_key(v4), v4);
    }
}
