//! Single-use, short-lived challenges, each bound to what it was issued for (a
//! device id, or a recovery public key). Bounded, so a loop of requests cannot
//! grow it without limit.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::rngs::OsRng;
use rand::RngCore;
use subtle::ConstantTimeEq;

use crate::error::{ServerError, ServerResult};

pub const CHALLENGE_LEN: usize = 32;
/// Bounds memory if someone requests challenges in a loop.
const MAX_PENDING: usize = 100_000;

pub struct ChallengeTable<K> {
    pending: Mutex<HashMap<[u8; CHALLENGE_LEN], (K, Instant)>>,
    ttl: Duration,
}

impl<K: AsRef<[u8]>> ChallengeTable<K> {
    pub fn new(ttl: Duration) -> Self {
        Self {
            pending: Mutex::new(HashMap::new()),
            ttl,
        }
    }

    /// A fresh random challenge bound to `subject`.
    pub fn issue(&self, subject: K) -> ServerResult<[u8; CHALLENGE_LEN]> {
        let mut challenge = [0u8; CHALLENGE_LEN];
        OsRng.fill_bytes(&mut challenge);
        let now = Instant::now();
        let mut pending = self
            .pending
            .lock()
            .map_err(|_| ServerError::Internal("challenge table poisoned"))?;
        if pending.len() >= MAX_PENDING / 2 {
            pending.retain(|_, (_, expires)| *expires > now);
        }
        if pending.len() >= MAX_PENDING {
            return Err(ServerError::ResourceExhausted(
                "too many pending challenges; try again shortly",
            ));
        }
        pending.insert(challenge, (subject, now + self.ttl));
        Ok(challenge)
    }

    /// Consumes `challenge` whatever the outcome (so it can never be tried twice)
    /// and checks it was issued for `subject` and has not expired.
    pub fn take(&self, challenge: &[u8; CHALLENGE_LEN], subject: &K) -> ServerResult<()> {
        let taken = self
            .pending
            .lock()
            .map_err(|_| ServerError::Internal("challenge table poisoned"))?
            .remove(challenge);
        let fresh = taken.is_some_and(|(bound, expires)| {
            bool::from(bound.as_ref().ct_eq(subject.as_ref())) && expires > Instant::now()
        });
        if fresh {
            Ok(())
        } else {
            Err(ServerError::Unauthenticated(
                "challenge unknown, expired or already used",
            ))
        }
    }

    /// Drops expired challenges.
    pub fn purge(&self) {
        let now = Instant::now();
        if let Ok(mut pending) = self.pending.lock() {
            pending.retain(|_, (_, expires)| *expires > now);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn single_use_and_bound_to_its_subject() {
        let table = ChallengeTable::new(Duration::from_secs(60));
        let c = table.issue([1u8; 16]).unwrap();
        assert!(table.take(&c, &[2u8; 16]).is_err());
        // The failed attempt used it up.
        assert!(table.take(&c, &[1u8; 16]).is_err());
        let c = table.issue([1u8; 16]).unwrap();
        assert!(table.take(&c, &[1u8; 16]).is_ok());
        assert!(table.take(&c, &[1u8; 16]).is_err());
    }

    #[test]
    fn expired_challenges_are_refused() {
        let table = ChallengeTable::new(Duration::ZERO);
        let c = table.issue([1u8; 16]).unwrap();
        assert!(table.take(&c, &[1u8; 16]).is_err());
    }
}
