//! The one-time launch token and the session cookie it is exchanged for.
//!
//! `mycase app` prints a URL with a random 256-bit token. The first request that
//! carries it gets a random 256-bit session cookie (`HttpOnly; SameSite=Strict;
//! Path=/`) and the token is spent: a copied or replayed link opens nothing. Every
//! other route needs the cookie, so another user on the same machine, who can reach
//! the port but not the survivor's browser, gets nothing.

use std::sync::Mutex;

use rand::RngCore;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

const SECRET_LEN: usize = 32;

#[derive(Zeroize, ZeroizeOnDrop)]
struct Secret([u8; SECRET_LEN]);

impl Secret {
    fn random() -> Secret {
        let mut bytes = [0u8; SECRET_LEN];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Secret(bytes)
    }

    /// Compares with a hex string in constant time (a wrong length is simply unequal).
    fn matches_hex(&self, candidate: &str) -> bool {
        let mut decoded = [0u8; SECRET_LEN];
        if candidate.len() != SECRET_LEN * 2
            || hex::decode_to_slice(candidate, &mut decoded).is_err()
        {
            return false;
        }
        let equal: bool = self.0.ct_eq(&decoded).into();
        decoded.zeroize();
        equal
    }

    fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(redacted)")
    }
}

/// Why a launch token opened nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRefused {
    /// The link was already used (or this is a copy of it).
    Spent,
    /// Not this run's token.
    Wrong,
}

#[derive(Debug)]
pub struct Sessions {
    launch: Mutex<Option<Secret>>,
    cookie: Mutex<Option<Secret>>,
    cookie_name: String,
    started: tokio::sync::watch::Sender<bool>,
}

impl Sessions {
    /// A fresh launch token (returned as hex, for the printed URL) and no session yet.
    pub fn new(port: u16) -> (Sessions, String) {
        let launch = Secret::random();
        let token = launch.to_hex();
        (
            Sessions {
                launch: Mutex::new(Some(launch)),
                cookie: Mutex::new(None),
                // Cookies ignore ports: a name per port keeps two running apps apart.
                cookie_name: format!("session_{port}"),
                started: tokio::sync::watch::channel(false).0,
            },
            token,
        )
    }

    /// Spends the launch token for a new session cookie value (hex).
    pub fn exchange(&self, token: &str) -> Result<String, TokenRefused> {
        let mut launch = lock(&self.launch);
        let Some(expected) = launch.as_ref() else {
            return Err(TokenRefused::Spent);
        };
        if !expected.matches_hex(token) {
            return Err(TokenRefused::Wrong);
        }
        *launch = None;
        let cookie = Secret::random();
        let value = cookie.to_hex();
        *lock(&self.cookie) = Some(cookie);
        self.started.send_replace(true);
        Ok(value)
    }

    /// Completes once the launch token has been spent.
    pub async fn started(&self) {
        let mut started = self.started.subscribe();
        // Only fails if the sender is gone, and `self` holds it.
        let _ = started.wait_for(|started| *started).await;
    }

    /// Whether a request's `Cookie` header carries this run's session.
    pub fn is_signed_in(&self, cookie_header: Option<&str>) -> bool {
        let Some(header) = cookie_header else {
            return false;
        };
        let session = lock(&self.cookie);
        let Some(secret) = session.as_ref() else {
            return false;
        };
        header
            .split(';')
            .filter_map(|pair| pair.trim().split_once('='))
            .any(|(name, value)| name == self.cookie_name && secret.matches_hex(value))
    }

    /// The `Set-Cookie` value for a new session.
    pub fn set_cookie(&self, value: &str) -> String {
        format!(
            "{}={value}; HttpOnly; SameSite=Strict; Path=/",
            self.cookie_name
        )
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_token_opens_one_session_and_is_spent() {
        let (sessions, token) = Sessions::new(4000);
        assert_eq!(token.len(), 64);
        assert_eq!(sessions.exchange(&"0".repeat(64)), Err(TokenRefused::Wrong));
        let cookie = sessions.exchange(&token).unwrap();
        assert_eq!(sessions.exchange(&token), Err(TokenRefused::Spent));
        assert!(sessions.is_signed_in(Some(&format!("a=b; session_4000={cookie}"))));
        assert!(!sessions.is_signed_in(Some(&format!("session_4001={cookie}"))));
        assert!(!sessions.is_signed_in(Some("session_4000=00")));
        assert!(!sessions.is_signed_in(None));
    }

    #[test]
    fn no_session_before_the_token_is_used() {
        let (sessions, _) = Sessions::new(4000);
        assert!(!sessions.is_signed_in(Some(&format!("session_4000={}", "0".repeat(64)))));
    }
}
