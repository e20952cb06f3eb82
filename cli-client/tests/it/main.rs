//! The CLI's integration tests: the `mycase` binary against a real server started
//! in-process, one test binary with a module per suite.

mod common;

mod account_cli;
mod app_browser;
mod app_cli;
mod cli;
mod content_cli;
mod devices_cli;
mod editor_cli;
mod export_cli;
mod home_cli;
mod journal_cli;
mod kit_cli;
mod limits_cli;
mod location_cli;
mod lock_cli;
mod pairing_cli;
mod patterns_cli;
mod safety_cli;
mod share_cli;
mod terminal_cli;
mod wipe_cli;
mod words_cli;
