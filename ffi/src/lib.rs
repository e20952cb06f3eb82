//! MyCase for phones: the application API of `mycase_core::app`, exported with
//! UniFFI to Kotlin (Android), Swift (iOS) and Python (the tests). Not a second API:
//! every call is one call of [`mycase_core::app::App`]; the records of that API are
//! exported as they are (the `records` module), and this crate adds only what a host language
//! needs: typed errors, callback interfaces (sync events, progress, the platform
//! keystore) and a runtime of its own.
//!
//! Unsafe code: allowed in this crate only (the workspace forbids it elsewhere),
//! because UniFFI's generated scaffolding (the `extern "C"` entry points and its
//! `unsafe impl`s of the FFI traits) expands here. No code in this crate is
//! hand-written `unsafe`.

uniffi::setup_scaffolding!("mycase");

mod account;
mod entries;
mod error;
mod evidence;
mod journal;
mod records;
mod runtime;
mod secret_store;
mod sharing;
mod sync;

pub use error::MycaseError;
pub use journal::{CreateJournal, CreatedJournal, JoinJournal, Journal, RecoverJournal};
pub use secret_store::SecretStore;
pub use sync::{JournalEvent, JournalListener, SyncService};
