//! The phone bindings' tests: the Rust side of the API they export, and the
//! generated bindings driven from Python and from Kotlin on the JVM.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod bindings;
mod generate;
mod kotlin;
mod python;
