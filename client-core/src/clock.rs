//! The device's wall clock, read in one place. Trust never follows a clock value
//! (see `docs/DESIGN.md`, "Trust: what decides"): times written with it are what
//! the device believed, shown as such.

/// Milliseconds since the Unix epoch by this device's clock.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
