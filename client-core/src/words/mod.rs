//! The words people actually type and read: UK dates with their precision
//! ([`dates`]), times in UK local time with the zone named ([`uk_time`]), and
//! names found by any unique part with "did you mean" ([`matching`], with the
//! candidate lists in [`names`]).
//!
//! Pure and deterministic: whatever needs "today" or "now" takes it as an
//! argument, so a phone, the web app and the CLI read the same words the same way.

pub mod dates;
pub mod matching;
pub mod names;
pub mod uk_time;
