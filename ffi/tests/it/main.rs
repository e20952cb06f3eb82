//! The phone bindings' tests: bindings generated in library mode for Kotlin,
//! Swift and Python (`generate`), and the Python and Kotlin suites driving the
//! library through them against a real server (`python`, `kotlin`). The API
//! itself is the core's (`mycase_core::app`), tested in client-core.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod bindings;
mod generate;
mod kotlin;
mod python;
