//! The wall clock share and sign-in token expiry is measured by. Tests move it forward instead of
//! waiting for real time to pass; a deployed server never moves it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// System time plus an offset that only ever grows (starts at zero).
#[derive(Clone, Debug, Default)]
pub struct Clock {
    ahead_secs: Arc<AtomicU64>,
}

impl Clock {
    /// Seconds since the Unix epoch.
    pub fn now_unix(&self) -> u64 {
        crate::access::auth::now_unix().saturating_add(self.ahead_secs.load(Ordering::Relaxed))
    }

    /// Milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> u64 {
        crate::access::auth::now_ms()
            .saturating_add(self.ahead_secs.load(Ordering::Relaxed).saturating_mul(1000))
    }

    /// Moves this clock (and every server sharing it) forward.
    pub fn advance(&self, by: Duration) {
        self.ahead_secs.fetch_add(by.as_secs(), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn advancing_moves_every_copy_forward() {
        let clock = Clock::default();
        let copy = clock.clone();
        let before = copy.now_unix();
        clock.advance(Duration::from_secs(3600));
        assert!(copy.now_unix() >= before + 3600);
    }
}
