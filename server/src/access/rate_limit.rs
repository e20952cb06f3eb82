//! In-memory token buckets, one per (limit, key): a key is a client address or
//! an account id. Hand-written rather than a crate: it is the ~60 lines below,
//! keyed the way the service needs, with a clock the tests control.
//!
//! Buckets live only in memory (a restart refills them) and are dropped once
//! full again, so an idle key costs nothing.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// Up to `per_minute` calls in a burst, refilled at `per_minute` a minute.
pub struct RateLimiter<K> {
    per_minute: u32,
    buckets: Mutex<HashMap<K, Bucket>>,
}

impl<K: Hash + Eq + Copy> RateLimiter<K> {
    /// `per_minute == 0` never limits.
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn refill(&self, bucket: &mut Bucket, now: Instant) {
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        let capacity = f64::from(self.per_minute);
        bucket.tokens = (bucket.tokens + elapsed * capacity / 60.0).min(capacity);
        bucket.updated = now;
    }

    /// Takes `cost` tokens for `key` if it has them; `false` (and nothing taken)
    /// when it is over its limit.
    pub fn try_take_at(&self, key: K, cost: u32, now: Instant) -> bool {
        if self.per_minute == 0 {
            return true;
        }
        // A poisoned lock only means another caller panicked mid-update; the
        // map is still a valid map.
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let capacity = f64::from(self.per_minute);
        let bucket = buckets.entry(key).or_insert(Bucket {
            tokens: capacity,
            updated: now,
        });
        self.refill(bucket, now);
        let cost = f64::from(cost);
        if bucket.tokens >= cost {
            bucket.tokens -= cost;
            true
        } else {
            false
        }
    }

    pub fn try_take(&self, key: K, cost: u32) -> bool {
        self.try_take_at(key, cost, Instant::now())
    }

    /// Forgets keys whose buckets are full again (they behave as new ones).
    pub fn purge_at(&self, now: Instant) {
        let capacity = f64::from(self.per_minute);
        let full_after = Duration::from_secs(60);
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        buckets.retain(|_, b| {
            b.tokens < capacity && now.saturating_duration_since(b.updated) < full_after
        });
    }

    pub fn purge(&self) {
        self.purge_at(Instant::now());
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.buckets.lock().map(|b| b.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_a_burst_then_refuses_then_refills() {
        let limiter = RateLimiter::new(3);
        let t0 = Instant::now();
        assert!(limiter.try_take_at(1u8, 1, t0));
        assert!(limiter.try_take_at(1u8, 1, t0));
        assert!(limiter.try_take_at(1u8, 1, t0));
        assert!(!limiter.try_take_at(1u8, 1, t0));
        // Keys are independent.
        assert!(limiter.try_take_at(2u8, 1, t0));
        // One token comes back every 20 seconds.
        assert!(!limiter.try_take_at(1u8, 1, t0 + Duration::from_secs(19)));
        let t40 = t0 + Duration::from_secs(40);
        assert!(limiter.try_take_at(1u8, 1, t40));
        assert!(limiter.try_take_at(1u8, 1, t40));
        assert!(!limiter.try_take_at(1u8, 1, t40));
    }

    #[test]
    fn a_refused_take_costs_nothing() {
        let limiter = RateLimiter::new(2);
        let t0 = Instant::now();
        assert!(!limiter.try_take_at(1u8, 3, t0));
        assert!(limiter.try_take_at(1u8, 2, t0));
    }

    #[test]
    fn zero_means_unlimited() {
        let limiter = RateLimiter::new(0);
        let t0 = Instant::now();
        assert!((0..10_000).all(|_| limiter.try_take_at(1u8, 1, t0)));
    }

    #[test]
    fn purge_forgets_refilled_buckets_only() {
        let limiter = RateLimiter::new(2);
        let t0 = Instant::now();
        limiter.try_take_at(1u8, 1, t0);
        limiter.try_take_at(2u8, 1, t0 + Duration::from_secs(59));
        limiter.purge_at(t0 + Duration::from_secs(61));
        assert_eq!(limiter.len(), 1);
    }
}
