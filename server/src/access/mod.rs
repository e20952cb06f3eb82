//! Who may do what: challenge/response authentication and sessions, the signed
//! device statements a revocation or erasure must carry, invite codes, and the
//! operator's quotas and rate limits.

pub mod auth;
pub mod challenges;
pub mod connections;
pub mod invites;
pub mod limits;
pub mod rate_limit;
pub mod statements;
