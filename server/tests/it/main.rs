//! The server's integration tests, one binary with a module per suite. Raw gRPC
//! and HTTPS clients come from the test kit (`mycase_tests::server`).

mod auth;
mod backup_vector;
mod blobs;
mod connections;
mod floods;
mod malformed;
mod operator;
mod operator_paths;
mod pairing;
mod receipts;
mod recovery;
mod restore_trust;
mod revocation;
mod server_cli;
mod shares;
mod sync;
mod watch_abuse;
