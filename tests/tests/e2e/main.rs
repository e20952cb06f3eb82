//! The end-to-end tests: a real server on 127.0.0.1:0 and several devices, one
//! binary with a module per suite (one link instead of one per file).
//!
//! `blind_server` and `share_blind` stay binaries of their own: each installs a
//! global TRACE `tracing` subscriber to scan every log line, which only one test
//! per process can do, and which would capture every other test's logs here.

mod attachments;
mod chromium_helper;
mod export_verify;
mod frozen_chronology;
mod frozen_exports;
mod frozen_withheld;
mod hostile_server;
mod insider_attacks;
mod insider_records_proptest;
mod journal_e2e;
mod kit_renewal;
mod legacy_journal;
mod old_secrets;
mod operator_backup;
mod receipts;
mod recovery;
mod revocation;
mod server_word;
mod share_browser;
mod store_at_rest;
mod sync_limits;
mod two_devices;
mod withheld_export;
