//! client-core's integration tests, one binary with a module per suite: the frozen
//! vectors (read with the test kit's `mycase_tests::vectors`), the store
//! conformance suite, the merge properties and the gRPC transport against a real server.
//!
//! proptest keeps its regression seeds beside the directory that holds `main.rs`:
//! `client-core/tests/proptest-regressions/journal_merge.txt`.

mod app_api;
mod app_entries;
mod app_evidence;
mod app_sharing;
mod attachment_vectors;
mod draft_vector;
mod evidence_vectors;
mod frozen_vectors;
mod grpc_transport;
mod journal_merge;
mod key_commitment;
mod patterns;
mod rotation_vectors;
mod share_vectors;
mod store_conformance;
mod trust_vectors;
mod withholdable_vectors;
