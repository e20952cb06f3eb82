//! MyCase sync server: a blind relay and store for end-to-end encrypted logs.
//!
//! It keeps ciphertext records, random ids, public keys, hashed session tokens,
//! version vectors and sealed blobs, and never logs any of them (only counts,
//! durations and status codes).
//!
//! Where things are:
//! - [`api`]: the gRPC handlers, the share viewer's HTTP routes, `Watch`, and
//!   request validation.
//! - [`access`]: authentication and sessions, signed device statements, invites,
//!   quotas and rate limits.
//! - [`store`]: the storage traits and row types; each backend in its own folder
//!   (`store::sled`, `store::memory`) and the suite every backend must pass.
//! - [`operator`]: the local admin channel, backup and restore, configuration.
//! - [`keys`]: the TLS identity and the receipt-signing server key.
//! - [`error`]: the one place errors become `tonic::Status`; [`clock`]: the
//!   clock share expiry is measured by.
//! - [`serve`]: starting and stopping a server ([`start`], [`RunningServer`]).
//!
//! The `mycase-server` binary (`src/bin/mycase-server/`) parses the command line
//! and prints; everything it runs is here.

pub mod access;
pub mod api;
pub mod clock;
pub mod error;
pub mod keys;
pub mod operator;
pub mod serve;
pub mod store;

pub use api::{AccountService, BlobsService, ServerInfoService, SharesService, SyncService};
pub use error::ServerError;
pub use keys::server_key::ServerKey;
pub use serve::{
    load_server_key, start, start_with_listener, start_with_store, RunningServer, ServerConfig,
};
pub use store::{MemoryStore, SledStore, Store, StoreError};
