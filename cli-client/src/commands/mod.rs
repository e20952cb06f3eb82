//! One file per command.

pub mod add;
pub mod amend;
pub mod delete;
pub mod devices;
pub mod init;
pub mod join;
pub mod list;
pub mod pair;
pub mod restore;
pub mod show;
pub mod sync;

mod fields;
