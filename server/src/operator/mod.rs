//! What the operator runs and sets: the local admin channel, backup and restore,
//! and the configuration file.

pub mod admin;
pub mod backup;
pub mod config;
