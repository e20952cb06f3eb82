//! The phone bindings' tests: the Rust side of the API they export, and the
//! generated bindings driven from Python (and Kotlin where a compiler is present).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod bindings;
mod python;
