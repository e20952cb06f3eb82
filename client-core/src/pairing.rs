//! Pairing a new device: the one-time pairing code and the two sealed messages.
//!
//! The code carries a 160-bit secret the server never sees. The server only sees
//! a pairing id derived from it. The joining device seals its request (ids, public
//! keys, name) under a key derived from the secret, so a server that swaps the keys
//! breaks the seal. The existing device seals the grant (account id, roster, vault
//! keys) to the joining device's X25519 key with the secret mixed in, so only that
//! device, holding the code, can open it, and a swapped grant fails to open.

use mycase_proto::v1::{PairingGrant, PairingJoin};
use prost::Message;
use zeroize::Zeroizing;

use crate::crypto::aead::{xchacha_open, xchacha_seal};
use crate::crypto::grouped_base32::{decode_grouped, encode_grouped};
use crate::crypto::seal_to::{open_sealed, seal_to};
use crate::crypto::{kdf, random_bytes, DecryptError};
use crate::keys::DeviceKeys;

const SECRET_LEN: usize = 20;
const JOIN_AD: &[u8] = b"mycase/v1/pairing-join";
const GRANT_AD: &[u8] = b"mycase/v1/pairing-grant";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PairingError {
    #[error("that is not a valid pairing code (check it for typos)")]
    BadCode,
    #[error("the pairing request did not authenticate: the code was mistyped, or the server altered the request")]
    JoinTampered,
    #[error("the pairing answer did not authenticate: the server altered it or swapped keys")]
    GrantTampered,
    #[error("the pairing answer is malformed")]
    Malformed,
    #[error("the pairing code expired before the other device answered")]
    Expired,
}

/// The one-time code shown on the existing device and typed into the new one.
pub struct PairingCode {
    secret: Zeroizing<[u8; SECRET_LEN]>,
}

impl std::fmt::Debug for PairingCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PairingCode([redacted])")
    }
}

impl PairingCode {
    pub fn generate() -> Self {
        PairingCode {
            secret: Zeroizing::new(random_bytes::<SECRET_LEN>()),
        }
    }

    /// `XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX` (base32, 160 bits).
    pub fn to_display(&self) -> Zeroizing<String> {
        encode_grouped(self.secret.as_ref())
    }

    pub fn parse(text: &str) -> Result<Self, PairingError> {
        let raw = decode_grouped(text).ok_or(PairingError::BadCode)?;
        let secret: [u8; SECRET_LEN] = raw
            .as_slice()
            .try_into()
            .map_err(|_| PairingError::BadCode)?;
        Ok(PairingCode {
            secret: Zeroizing::new(secret),
        })
    }

    /// What the server sees: derived, so it says nothing about the secret.
    pub fn pairing_id(&self) -> [u8; 16] {
        let k = kdf::subkey(self.secret.as_ref(), kdf::PAIRING_ID);
        let mut id = [0u8; 16];
        id.copy_from_slice(&k[..16]);
        id
    }

    fn join_key(&self) -> Zeroizing<[u8; 32]> {
        kdf::subkey(self.secret.as_ref(), kdf::PAIRING_JOIN)
    }
}

fn join_ad(code: &PairingCode) -> Vec<u8> {
    [JOIN_AD, &code.pairing_id()].concat()
}

fn grant_ad(code: &PairingCode, join: &PairingJoin) -> Vec<u8> {
    [
        GRANT_AD,
        &code.pairing_id(),
        &join.device_id,
        &join.sign_public_key,
        &join.dh_public_key,
    ]
    .concat()
}

/// The joining device's request, sealed with the code's key.
pub fn seal_join(code: &PairingCode, join: &PairingJoin) -> Vec<u8> {
    let (nonce, ct) = xchacha_seal(&code.join_key(), &join_ad(code), &join.encode_to_vec());
    [nonce.as_slice(), &ct].concat()
}

/// Opens a join request on the existing device.
pub fn open_join(code: &PairingCode, sealed: &[u8]) -> Result<PairingJoin, PairingError> {
    if sealed.len() < 24 {
        return Err(PairingError::JoinTampered);
    }
    let (nonce, ct) = sealed.split_at(24);
    let plain = xchacha_open(&code.join_key(), nonce, &join_ad(code), ct)
        .map_err(|_| PairingError::JoinTampered)?;
    let join = PairingJoin::decode(plain.as_slice()).map_err(|_| PairingError::JoinTampered)?;
    if join.device_id.len() != 16
        || join.sign_public_key.len() != 32
        || join.dh_public_key.len() != 32
    {
        return Err(PairingError::JoinTampered);
    }
    Ok(join)
}

/// The grant for the joining device, sealed to its X25519 key and the code.
pub fn seal_grant(
    code: &PairingCode,
    join: &PairingJoin,
    grant: &PairingGrant,
) -> Result<Vec<u8>, PairingError> {
    let dh: [u8; 32] = join
        .dh_public_key
        .as_slice()
        .try_into()
        .map_err(|_| PairingError::JoinTampered)?;
    let plain = Zeroizing::new(grant.encode_to_vec());
    Ok(seal_to(
        &dh,
        code.secret.as_ref(),
        &grant_ad(code, join),
        &plain,
    ))
}

/// Opens the grant on the joining device.
pub fn open_grant(
    code: &PairingCode,
    keys: &DeviceKeys,
    join: &PairingJoin,
    sealed: &[u8],
) -> Result<PairingGrant, PairingError> {
    let plain = open_sealed(
        keys.dh_secret(),
        code.secret.as_ref(),
        &grant_ad(code, join),
        sealed,
    )
    .map_err(|DecryptError| PairingError::GrantTampered)?;
    PairingGrant::decode(plain.as_slice()).map_err(|_| PairingError::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn join_for(keys: &DeviceKeys) -> PairingJoin {
        PairingJoin {
            device_id: vec![5; 16],
            sign_public_key: keys.sign_public().to_vec(),
            dh_public_key: keys.dh_public().to_vec(),
            device_name: "phone".into(),
        }
    }

    #[test]
    fn code_round_trips() {
        let code = PairingCode::generate();
        let back = PairingCode::parse(&code.to_display().to_lowercase()).unwrap();
        assert_eq!(back.pairing_id(), code.pairing_id());
        assert_eq!(
            PairingCode::parse("nope!").err(),
            Some(PairingError::BadCode)
        );
    }

    #[test]
    fn swapped_keys_are_detected() {
        let code = PairingCode::generate();
        let phone = DeviceKeys::generate();
        let join = join_for(&phone);
        let sealed = seal_join(&code, &join);
        assert_eq!(open_join(&code, &sealed).unwrap(), join);
        // A server cannot substitute its own join request without the code.
        let attacker = DeviceKeys::generate();
        let forged = seal_join(&PairingCode::generate(), &join_for(&attacker));
        assert_eq!(
            open_join(&code, &forged).err(),
            Some(PairingError::JoinTampered)
        );

        let grant = PairingGrant {
            account_id: vec![1; 16],
            ..Default::default()
        };
        let sealed_grant = seal_grant(&code, &join, &grant).unwrap();
        assert_eq!(
            open_grant(&code, &phone, &join, &sealed_grant).unwrap(),
            grant
        );
        // A grant sealed to a swapped key does not open on the real device...
        let swapped = seal_grant(&code, &join_for(&attacker), &grant).unwrap();
        assert_eq!(
            open_grant(&code, &phone, &join, &swapped).err(),
            Some(PairingError::GrantTampered)
        );
        // ...nor does one made without the code.
        let no_code = seal_grant(&PairingCode::generate(), &join, &grant).unwrap();
        assert_eq!(
            open_grant(&code, &phone, &join, &no_code).err(),
            Some(PairingError::GrantTampered)
        );
    }
}
