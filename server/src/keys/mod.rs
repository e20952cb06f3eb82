//! The server's own keys: its TLS identity and the Ed25519 key that signs
//! record receipts.

pub mod server_key;
pub mod tls;
