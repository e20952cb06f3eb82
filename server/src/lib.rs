//! MyCase server.
pub mod store;
