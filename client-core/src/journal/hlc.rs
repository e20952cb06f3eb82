//! Hybrid logical clocks for new local operations.
//!
//! A new operation's clock must be greater than every clock its author has seen, so
//! that sorting by clock never puts an effect before its cause, even when device
//! wall clocks disagree.

use std::cmp::Ordering;

use mycase_proto::v1::Hlc;

/// The clock for the next local operation: strictly greater than `last_seen`.
///
/// The wall part is `max(now_ms, last_seen.wall_ms)`; when it did not advance the
/// counter goes up. A counter at its maximum rolls the wall part forward by one ms
/// rather than wrapping, so the result is still greater.
pub fn next(last_seen: &Hlc, now_ms: u64) -> Hlc {
    if now_ms > last_seen.wall_ms {
        return Hlc {
            wall_ms: now_ms,
            counter: 0,
        };
    }
    match last_seen.counter.checked_add(1) {
        Some(counter) => Hlc {
            wall_ms: last_seen.wall_ms,
            counter,
        },
        None => Hlc {
            wall_ms: last_seen.wall_ms.saturating_add(1),
            counter: 0,
        },
    }
}

/// Orders clocks by wall time, then counter.
pub fn compare(a: &Hlc, b: &Hlc) -> Ordering {
    (a.wall_ms, a.counter).cmp(&(b.wall_ms, b.counter))
}

/// The greater of two clocks.
pub fn max(a: Hlc, b: Hlc) -> Hlc {
    if compare(&a, &b) == Ordering::Less {
        b
    } else {
        a
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hlc(wall_ms: u64, counter: u32) -> Hlc {
        Hlc { wall_ms, counter }
    }

    #[test]
    fn wall_clock_ahead_resets_counter() {
        assert_eq!(next(&hlc(100, 7), 150), hlc(150, 0));
    }

    #[test]
    fn wall_clock_behind_or_equal_bumps_counter() {
        assert_eq!(next(&hlc(100, 7), 100), hlc(100, 8));
        assert_eq!(next(&hlc(100, 7), 20), hlc(100, 8));
    }

    #[test]
    fn counter_overflow_moves_wall_forward() {
        assert_eq!(next(&hlc(100, u32::MAX), 50), hlc(101, 0));
    }

    #[test]
    fn next_is_always_greater() {
        for (wall, counter, now) in [(0, 0, 0), (5, 1, 4), (5, 1, 5), (5, 1, 6)] {
            let last = hlc(wall, counter);
            assert_eq!(compare(&next(&last, now), &last), Ordering::Greater);
        }
    }
}
