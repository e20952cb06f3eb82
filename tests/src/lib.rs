//! Test harness: a real server and client devices.
