//! Challenge/response authentication and bearer sessions.
//!
//! A device proves it holds its registered Ed25519 key by signing a fresh random
//! challenge; it then gets a random bearer token. The store keeps only SHA-256 of
//! the token, so a copy of the database cannot be used to log in.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mycase_proto::wire;
use rand::rngs::OsRng;
use rand::RngCore;
use sha2::{Digest, Sha256};
use tonic::metadata::MetadataMap;

use crate::access::challenges::Challenges;
use crate::api::validate;
use crate::error::{ServerError, ServerResult};
use crate::store::{Hash, Id, SessionRow, Store};

pub use crate::access::challenges::CHALLENGE_LEN;
pub const TOKEN_LEN: usize = 32;

/// The caller of an authenticated RPC.
#[derive(Clone, Copy, Debug)]
pub struct Session {
    pub account_id: Id,
    pub device_id: Id,
    /// When the token stops being accepted (long-lived streams end then).
    pub expires_at_ms: u64,
}

/// A freshly issued session token (returned to the client once, never stored).
pub struct Issued {
    pub token: [u8; TOKEN_LEN],
    pub expires_at_unix: u64,
    pub account_id: Id,
}

pub struct Auth<S> {
    store: Arc<S>,
    challenges: Challenges,
    /// Recovery challenges, bound to the recovery public key they were issued for.
    recovery_challenges: Challenges,
    session_ttl: Duration,
    /// Session tokens expire by it.
    clock: crate::clock::Clock,
}

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

pub fn now_unix() -> u64 {
    now_ms() / 1000
}

/// How coarsely "last seen" is kept: an hour says whether a device is in use
/// without keeping a record of when exactly someone opened the app.
pub const LAST_SEEN_GRANULARITY_SECS: u64 = 3600;

/// Now, rounded down to [`LAST_SEEN_GRANULARITY_SECS`].
pub fn last_seen_now() -> u64 {
    let now = now_unix();
    now - now % LAST_SEEN_GRANULARITY_SECS
}

fn token_hash(token: &[u8]) -> Hash {
    Sha256::digest(token).into()
}

impl<S: Store> Auth<S> {
    pub fn new(
        store: Arc<S>,
        challenge_ttl: Duration,
        session_ttl: Duration,
        clock: crate::clock::Clock,
    ) -> Self {
        Self {
            store,
            challenges: Challenges::new("auth", challenge_ttl),
            recovery_challenges: Challenges::new("recovery", challenge_ttl),
            session_ttl,
            clock,
        }
    }

    /// Issues a challenge for any well-formed device id, known or not, so the answer
    /// is no oracle for which devices exist.
    pub fn challenge(&self, device_id: &[u8]) -> ServerResult<[u8; CHALLENGE_LEN]> {
        self.challenges
            .issue(&validate::id("device_id", device_id)?)
    }

    /// Issues a recovery challenge for any well-formed recovery public key, whether
    /// an account uses it or not (no oracle for which keys exist).
    pub fn recovery_challenge(
        &self,
        recovery_public_key: &[u8],
    ) -> ServerResult<[u8; CHALLENGE_LEN]> {
        self.recovery_challenges
            .issue(&validate::fixed::<{ validate::KEY_LEN }>(
                "recovery_public_key",
                recovery_public_key,
            )?)
    }

    /// Consumes a recovery challenge (whatever the outcome, so it is single use) and
    /// checks that it was issued for `recovery_public_key` and has not expired.
    /// `peer` is the answering address (see `Challenges::take`).
    pub fn take_recovery_challenge(
        &self,
        recovery_public_key: &[u8; 32],
        challenge: &[u8; CHALLENGE_LEN],
        peer: Option<IpAddr>,
    ) -> ServerResult<()> {
        self.recovery_challenges
            .take(challenge, recovery_public_key, peer)
    }

    /// Checks the signed challenge and opens a session. The challenge is consumed
    /// whatever the outcome, so it can never be tried twice. `admit` runs only
    /// once the signature verified, before the session exists: a per-account
    /// budget spent there cannot be drained by someone who merely knows a device
    /// id.
    pub fn authenticate(
        &self,
        device_id: &[u8],
        challenge: &[u8],
        signature: &[u8],
        peer: Option<IpAddr>,
        admit: impl FnOnce(&Id) -> ServerResult<()>,
    ) -> ServerResult<Issued> {
        let device_id = validate::id("device_id", device_id)?;
        let challenge = validate::fixed::<CHALLENGE_LEN>("challenge", challenge)?;
        let signature = validate::signature("signature", signature)?;
        self.challenges.take(&challenge, &device_id, peer)?;
        let device = self
            .store
            .device(&device_id)?
            .ok_or(ServerError::Unauthenticated(
                "unknown device or bad signature",
            ))?;
        let key = validate::verifying_key("sign_public_key", &device.sign_public_key)?;
        key.verify_strict(&wire::auth_message(&device_id, &challenge), &signature)
            .map_err(|_| ServerError::Unauthenticated("unknown device or bad signature"))?;
        // Only a device that proved its key learns it was revoked (so it can wipe
        // itself); nobody else learns anything about which devices exist.
        if device.revoked {
            return Err(ServerError::revoked(&device));
        }
        admit(&device.account_id)?;
        self.store.touch_device(&device_id, last_seen_now())?;

        let mut token = [0u8; TOKEN_LEN];
        OsRng.fill_bytes(&mut token);
        let ttl_ms = u64::try_from(self.session_ttl.as_millis()).unwrap_or(u64::MAX);
        let expires_at_ms = self.clock.now_ms().saturating_add(ttl_ms);
        self.store.put_session(
            &token_hash(&token),
            &SessionRow {
                account_id: device.account_id,
                device_id,
                expires_at_ms,
            },
        )?;
        Ok(Issued {
            token,
            expires_at_unix: expires_at_ms / 1000,
            account_id: device.account_id,
        })
    }

    /// The session behind `authorization: Bearer <hex token>`.
    pub fn session(&self, metadata: &MetadataMap) -> ServerResult<Session> {
        let header = metadata
            .get("authorization")
            .ok_or(ServerError::Unauthenticated(
                "missing authorization bearer token",
            ))?;
        let malformed = || ServerError::Unauthenticated("malformed authorization bearer token");
        let value = header.to_str().map_err(|_| malformed())?;
        let token_hex = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .ok_or_else(malformed)?;
        let token = hex::decode(token_hex.trim()).map_err(|_| malformed())?;
        if token.len() != TOKEN_LEN {
            return Err(malformed());
        }
        let hash = token_hash(&token);
        let session = self
            .store
            .session(&hash)?
            .ok_or(ServerError::Unauthenticated(
                "unknown or revoked session; authenticate again",
            ))?;
        if self.clock.now_ms() >= session.expires_at_ms {
            self.store.delete_session(&hash)?;
            return Err(ServerError::Unauthenticated(
                "session expired; authenticate again",
            ));
        }
        // A device revoked after the session opened loses it at once.
        match self.store.device(&session.device_id)? {
            Some(d) if d.account_id == session.account_id && !d.revoked => {}
            Some(d) if d.account_id == session.account_id => return Err(ServerError::revoked(&d)),
            _ => return Err(ServerError::Unauthenticated("device unknown")),
        }
        Ok(Session {
            account_id: session.account_id,
            device_id: session.device_id,
            expires_at_ms: session.expires_at_ms,
        })
    }

    /// Drops expired challenges and sessions; returns how many sessions went.
    pub fn purge(&self) -> ServerResult<usize> {
        self.challenges.purge();
        self.recovery_challenges.purge();
        Ok(self.store.purge_sessions(self.clock.now_ms())?)
    }
}
