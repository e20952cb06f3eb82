//! The application API this crate adapts, in one place: every handler imports
//! `App` and its types from here.

pub use mycase_core::app::*;
