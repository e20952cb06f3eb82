//! Single-use, short-lived challenges that need no server state until they are
//! answered. A challenge is its issue time, a random nonce and a MAC over both and
//! what it was issued for (a device id, or a recovery public key) under a key that
//! lives only in this process. Issuing one stores nothing, so no number of
//! requests can fill a table that everyone else's sign-ins need.
//!
//! Single use: an answered challenge's MAC is remembered until the challenge
//! would have expired anyway. That seen-set is capped per address prefix (IPv4
//! /32, IPv6 /64, the same keys as the rate limits), and the cap tightens when the
//! set is large, so a flood only ever refuses the addresses it comes from.
//!
//! Layout (`CHALLENGE_LEN` = 32 bytes, what clients already sign; version 1, named
//! in the MAC's domain): issued (6 bytes, big-endian milliseconds since this
//! process started, a monotonic clock) ‖ nonce (10 random bytes) ‖
//! HMAC-SHA256(key, domain ‖ purpose ‖ len(subject) ‖ subject ‖ issued ‖ nonce)
//! truncated to 16 bytes.

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use rand::rngs::OsRng;
use rand::RngCore;
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::limits::address_key;
use crate::error::{ServerError, ServerResult};

pub const CHALLENGE_LEN: usize = 32;
const ISSUED_LEN: usize = 6;
const NONCE_LEN: usize = 10;
const MAC_LEN: usize = 16;
const SIGNED_LEN: usize = ISSUED_LEN + NONCE_LEN;
const DOMAIN: &[u8] = b"mycase server challenge v1\0";

/// Answered challenges one prefix may have remembered at once. The per-address
/// rate limit on sign-ins bounds honest use well below this.
const SEEN_PER_PREFIX: usize = 256;
/// Once the seen-set holds this many, each prefix may hold only
/// [`SEEN_PER_PREFIX_UNDER_PRESSURE`]: a device answers one challenge at a time.
const SEEN_PRESSURE: usize = 200_000;
const SEEN_PER_PREFIX_UNDER_PRESSURE: usize = 8;

/// The MAC key; never leaves memory, never printed.
struct ChallengeKey(Zeroizing<[u8; 32]>);

impl fmt::Debug for ChallengeKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ChallengeKey(redacted)")
    }
}

#[derive(Default)]
struct Seen {
    /// An answered challenge's MAC, the prefix that answered it, and when
    /// (milliseconds, as `issued`) it expires.
    entries: HashMap<[u8; MAC_LEN], (IpAddr, u64)>,
    per_prefix: HashMap<IpAddr, usize>,
}

impl Seen {
    fn purge(&mut self, now_ms: u64) {
        let per_prefix = &mut self.per_prefix;
        self.entries.retain(|_, (prefix, expires)| {
            let keep = *expires > now_ms;
            if !keep {
                if let Some(n) = per_prefix.get_mut(prefix) {
                    *n = n.saturating_sub(1);
                }
            }
            keep
        });
        per_prefix.retain(|_, n| *n > 0);
    }

    fn cap(&self) -> usize {
        if self.entries.len() >= SEEN_PRESSURE {
            SEEN_PER_PREFIX_UNDER_PRESSURE
        } else {
            SEEN_PER_PREFIX
        }
    }
}

pub struct Challenges {
    key: ChallengeKey,
    /// What the challenges are for ("auth", "recovery"): one kind never answers another.
    purpose: &'static [u8],
    started: Instant,
    ttl: Duration,
    seen: Mutex<Seen>,
}

impl Challenges {
    pub fn new(purpose: &'static str, ttl: Duration) -> Self {
        let mut key = Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(key.as_mut());
        Self::with_key(key, purpose, ttl, Instant::now())
    }

    fn with_key(
        key: Zeroizing<[u8; 32]>,
        purpose: &'static str,
        ttl: Duration,
        started: Instant,
    ) -> Self {
        Self {
            key: ChallengeKey(key),
            purpose: purpose.as_bytes(),
            started,
            ttl,
            seen: Mutex::new(Seen::default()),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn mac(&self, subject: &[u8], signed: &[u8; SIGNED_LEN]) -> ServerResult<[u8; MAC_LEN]> {
        // HMAC takes a key of any length; the error is for other MACs.
        let mut mac = Hmac::<Sha256>::new_from_slice(self.key.0.as_ref())
            .map_err(|_| ServerError::Internal("challenge key rejected"))?;
        mac.update(DOMAIN);
        mac.update(&(self.purpose.len() as u64).to_be_bytes());
        mac.update(self.purpose);
        mac.update(&(subject.len() as u64).to_be_bytes());
        mac.update(subject);
        mac.update(signed);
        let full = mac.finalize().into_bytes();
        let mut out = [0u8; MAC_LEN];
        out.copy_from_slice(&full[..MAC_LEN]);
        Ok(out)
    }

    fn issue_at(
        &self,
        subject: &[u8],
        issued_ms: u64,
        nonce: [u8; NONCE_LEN],
    ) -> ServerResult<[u8; CHALLENGE_LEN]> {
        let mut signed = [0u8; SIGNED_LEN];
        signed[..ISSUED_LEN].copy_from_slice(&issued_ms.to_be_bytes()[8 - ISSUED_LEN..]);
        signed[ISSUED_LEN..].copy_from_slice(&nonce);
        let mut challenge = [0u8; CHALLENGE_LEN];
        challenge[..SIGNED_LEN].copy_from_slice(&signed);
        challenge[SIGNED_LEN..].copy_from_slice(&self.mac(subject, &signed)?);
        Ok(challenge)
    }

    /// A fresh challenge bound to `subject`. Stores nothing.
    pub fn issue(&self, subject: &[u8]) -> ServerResult<[u8; CHALLENGE_LEN]> {
        let mut nonce = [0u8; NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);
        self.issue_at(subject, self.now_ms(), nonce)
    }

    /// Checks `challenge` was issued here for `subject`, has not expired and was
    /// never answered before, and marks it answered (whatever the answer's
    /// outcome, so it can never be tried twice). `peer` is the answering address.
    pub fn take(
        &self,
        challenge: &[u8; CHALLENGE_LEN],
        subject: &[u8],
        peer: Option<IpAddr>,
    ) -> ServerResult<()> {
        let refused = || ServerError::Unauthenticated("challenge unknown, expired or already used");
        let mut signed = [0u8; SIGNED_LEN];
        signed.copy_from_slice(&challenge[..SIGNED_LEN]);
        let mut tag = [0u8; MAC_LEN];
        tag.copy_from_slice(&challenge[SIGNED_LEN..]);
        if !bool::from(self.mac(subject, &signed)?.ct_eq(&tag)) {
            return Err(refused());
        }
        let mut issued = [0u8; 8];
        issued[8 - ISSUED_LEN..].copy_from_slice(&signed[..ISSUED_LEN]);
        let issued_ms = u64::from_be_bytes(issued);
        let ttl_ms = u64::try_from(self.ttl.as_millis()).unwrap_or(u64::MAX);
        let expires_ms = issued_ms.saturating_add(ttl_ms);
        let now = self.now_ms();
        if now >= expires_ms {
            return Err(refused());
        }

        let prefix = peer.map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), address_key);
        let mut seen = self
            .seen
            .lock()
            .map_err(|_| ServerError::Internal("challenge seen-set poisoned"))?;
        if seen.entries.contains_key(&tag) {
            return Err(refused());
        }
        let held = |seen: &Seen| seen.per_prefix.get(&prefix).copied().unwrap_or(0);
        if held(&seen) >= seen.cap() {
            seen.purge(now);
        }
        if held(&seen) >= seen.cap() {
            // Not remembered means not single use: refuse rather than accept.
            return Err(ServerError::ResourceExhausted(
                "too many sign-in attempts from this network; try again shortly",
            ));
        }
        seen.entries.insert(tag, (prefix, expires_ms));
        *seen.per_prefix.entry(prefix).or_insert(0) += 1;
        Ok(())
    }

    /// Forgets answered challenges that have expired.
    pub fn purge(&self) {
        let now = self.now_ms();
        if let Ok(mut seen) = self.seen.lock() {
            seen.purge(now);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);
    const DEVICE: &[u8] = &[1u8; 16];

    fn peer(last: u8) -> Option<IpAddr> {
        Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, last)))
    }

    #[test]
    fn single_use_and_bound_to_its_subject() {
        let c = Challenges::new("auth", MINUTE);
        let one = c.issue(DEVICE).unwrap();
        assert!(c.take(&one, &[2u8; 16], peer(1)).is_err());
        assert!(c.take(&one, DEVICE, peer(1)).is_ok());
        assert!(c.take(&one, DEVICE, peer(1)).is_err(), "answered twice");
        assert!(
            c.take(&one, DEVICE, peer(2)).is_err(),
            "answered again elsewhere"
        );
    }

    #[test]
    fn expired_challenges_are_refused() {
        let c = Challenges::new("auth", Duration::ZERO);
        let one = c.issue(DEVICE).unwrap();
        assert!(c.take(&one, DEVICE, peer(1)).is_err());
    }

    #[test]
    fn forged_tampered_and_foreign_challenges_are_refused() {
        let c = Challenges::new("auth", MINUTE);
        let mut tampered = c.issue(DEVICE).unwrap();
        // Moving the issue time forward would extend its life.
        tampered[5] ^= 1;
        assert!(c.take(&tampered, DEVICE, peer(1)).is_err());
        assert!(c.take(&[0u8; CHALLENGE_LEN], DEVICE, peer(1)).is_err());
        // Another process's (another key's) and another purpose's challenges.
        let other = Challenges::new("auth", MINUTE);
        assert!(c
            .take(&other.issue(DEVICE).unwrap(), DEVICE, peer(1))
            .is_err());
        let key = Zeroizing::new([7u8; 32]);
        let now = Instant::now();
        let auth = Challenges::with_key(key.clone(), "auth", MINUTE, now);
        let recovery = Challenges::with_key(key, "recovery", MINUTE, now);
        assert!(recovery
            .take(&auth.issue(DEVICE).unwrap(), DEVICE, peer(1))
            .is_err());
    }

    #[test]
    fn a_flooding_prefix_is_refused_and_others_are_not() {
        let c = Challenges::new("auth", MINUTE);
        for _ in 0..SEEN_PER_PREFIX {
            c.take(&c.issue(DEVICE).unwrap(), DEVICE, peer(1)).unwrap();
        }
        let err = c
            .take(&c.issue(DEVICE).unwrap(), DEVICE, peer(1))
            .unwrap_err();
        assert!(matches!(err, ServerError::ResourceExhausted(_)), "{err:?}");
        c.take(&c.issue(DEVICE).unwrap(), DEVICE, peer(2)).unwrap();
    }

    /// The layout, frozen: a fixed key, time and nonce give these bytes (the MAC
    /// checked independently with Python's `hmac` over the documented input).
    #[test]
    fn frozen_vector() {
        let c = Challenges::with_key(Zeroizing::new([7u8; 32]), "auth", MINUTE, Instant::now());
        let challenge = c
            .issue_at(DEVICE, 0x0102_0304_0506, [9u8; NONCE_LEN])
            .unwrap();
        assert_eq!(
            hex::encode(challenge),
            "0102030405060909090909090909090918360dccd4a4f50e386482873020f1d0"
        );
    }
}
