//! The MyCase test kit: what every crate's integration tests share, and the
//! workspace's end-to-end tests (`tests/e2e`, plus `tests/blind_server.rs` and
//! `tests/share_blind.rs`, which need a process each) and benchmarks.
//!
//! - [`server`]: a real `mycase-server` on `127.0.0.1:0` in-process
//!   ([`server::start_server`], [`TestServer`]), raw gRPC clients
//!   ([`server::grpc`]) and HTTPS requests ([`server::http`]).
//! - [`device`]: devices in memory over real transports, pairing helpers.
//! - [`hostile`]: [`HostileTransport`], a malicious server in front of a real one.
//! - [`cli`]: running the `mycase` binary (its path is given by the caller).
//! - [`vectors`]: reading the committed frozen-vector files.
//! - [`abuser`]: an insider device running a modified client.
//! - [`chromium`]: headless Chromium for the browser tests.
//! - [`leaks`]: looking for plaintext in files and logs.
//!
//! Crates use it as a dev-dependency: their integration tests link the same
//! `mycase-core`/`mycase-server` as the kit, so the types are the same.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod abuser;
pub mod chromium;
pub mod cli;
pub mod device;
pub mod hostile;
pub mod leaks;
pub mod local_store_suite;
pub mod server;
pub mod vectors;

pub use mycase_core;
pub use mycase_proto;
pub use mycase_server;

// The names the end-to-end tests and benches import from the crate root.
pub use device::{
    confirm_as_survivor, fields, matching_code_channel, new_account_device, pair_device, pair_over,
    snapshot, text, Snapshot,
};
pub use hostile::{HostileTransport, Tamper};
pub use leaks::{contains, files_under, marker, CaptureWriter};
pub use server::TestServer;
