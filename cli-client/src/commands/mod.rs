//! One file per command.

pub mod account;
pub mod add;
pub mod amend;
pub mod app;
pub mod attach;
pub mod attachment;
pub mod conflicts;
pub mod delete;
pub mod devices;
pub mod export;
pub mod init;
pub mod join;
pub mod list;
pub mod pair;
pub mod passphrase;
pub mod patterns;
pub mod people;
pub mod recover;
pub mod recovery_kit;
pub mod resolve;
pub mod restore;
pub mod safety;
pub mod search;
pub mod share;
pub mod show;
pub mod sync;
pub mod timeline;
pub mod trash;
pub mod verify;
pub mod wipe;

mod fields;
mod filter;
