//! Pairing a new device: the one-time pairing code and the sealed messages.
//!
//! The code carries a 160-bit secret the server never sees. The server only sees
//! pairing ids derived from it. The joining device seals its request (ids, public
//! keys, name) under a key derived from the secret, so a server that swaps the keys
//! breaks the seal. The existing device seals the grant (account id, roster, vault
//! keys) to the joining device's X25519 key with the secret mixed in, so only that
//! device, holding the code, can open it, and a swapped grant fails to open.
//!
//! Anyone who sees the code can type it first, so the code alone must not add a
//! device. Between the request and the grant the two devices agree on a short
//! [`MatchingCode`]: the existing device answers the request with a fresh random
//! challenge (sealed to the requester), and both compute six digits from the
//! secret, the request and the challenge. The new device shows them; the survivor
//! types them on the existing device, which adds the device only if they match.
//! The challenge is chosen after the request is fixed, so whoever sent a request
//! cannot search for keys whose digits match another device's (one guess in a
//! million). The messages, in order, over the server's relay:
//!
//! 1. slot [`PairingCode::pairing_id`]: request ([`seal_join`]) up, challenge
//!    ([`seal_challenge`]) down;
//! 2. slot [`PairingCode::confirm_pairing_id`]: "ready" ([`ready_tag`], the new
//!    device has shown its digits) up, then the grant ([`seal_grant`]) or a
//!    refusal ([`seal_refusal`]) down.

use hmac::{Hmac, Mac};
use mycase_proto::v1::{PairingGrant, PairingJoin};
use prost::Message;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::crypto::aead::{xchacha_open, xchacha_seal};
use crate::crypto::grouped_base32::{decode_grouped, encode_grouped};
use crate::crypto::seal_to::{open_sealed, seal_to};
use crate::crypto::{kdf, random_bytes, DecryptError};
use crate::format::keys::DeviceKeys;

const SECRET_LEN: usize = 20;
const JOIN_AD: &[u8] = b"mycase/v1/pairing-join";
const GRANT_AD: &[u8] = b"mycase/v1/pairing-grant";
const CHALLENGE_AD: &[u8] = b"mycase/v2/pairing-challenge";
const REFUSAL_AD: &[u8] = b"mycase/v2/pairing-refusal";
const REFUSAL: &[u8] = b"refused";
/// The confirmation slot's id the server sees.
const CONFIRM_ID_LABEL: &str = "mycase/v2/pairing-confirm-id";
/// The key of the matching code and of the "ready" tag.
const CONFIRM_KEY_LABEL: &str = "mycase/v2/pairing-confirm";
const MATCHING_CODE_DOMAIN: &[u8] = b"mycase/v2/pairing-matching-code";
const READY_DOMAIN: &[u8] = b"mycase/v2/pairing-ready";
/// The challenge's length: 256 random bits.
pub const CHALLENGE_LEN: usize = 32;
/// The pairing protocol of this version: a request carrying it expects a challenge
/// and a matching code before the grant. Requests without it (0) came from a
/// version that cannot confirm and are refused with what to do.
pub const PAIRING_PROTOCOL: u32 = 2;

/// Why pairing failed. Each message says whether anything was added.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PairingError {
    /// The code is not a pairing code.
    #[error("that is not a valid pairing code (check it for typos)")]
    BadCode,
    /// The new device's request did not authenticate under the code.
    #[error("the pairing request did not authenticate: the code was mistyped, or the server altered the request")]
    JoinTampered,
    /// The existing device's answer did not authenticate.
    #[error("the pairing answer did not authenticate: the server altered it or swapped keys")]
    GrantTampered,
    /// The answer is malformed.
    #[error("the pairing answer is malformed")]
    Malformed,
    /// The code expired before the other device answered.
    #[error("the pairing code expired before the other device answered")]
    Expired,
    /// The new device chose an id whose epoch tag is taken in this journal.
    #[error(
        "the new device chose an id too like one already in this journal (it happens about \
         once in a million pairings); nothing was added"
    )]
    IdTaken,
    /// The new device cannot show a matching code.
    #[error(
        "the new device runs an older MyCase that cannot show a matching code: update it, \
         then pair again; nothing was added"
    )]
    OldProtocol,
    /// The matching code typed is not the new device's.
    #[error(
        "the matching code does not match the one on the new device: it was not added, \
         and nothing was changed. If someone else could have seen the pairing code, they \
         may have tried to join with it"
    )]
    CodeMismatch,
    /// The existing device refused this one.
    #[error(
        "the other device did not confirm this one (its matching code was refused); \
         nothing was set up here"
    )]
    Refused,
    /// The code's slot already took someone's request.
    #[error(
        "someone else has already used this pairing code. Do not confirm anything on your \
         other device: refuse there, then start again with a new code"
    )]
    CodeAlreadyUsed,
    /// The server does not know the code (mistyped, expired or used).
    #[error(
        "the server does not know this pairing code: it was mistyped, it expired, or someone \
         else already used it. If your other device shows a request to join, refuse it there, \
         then start again with a new code"
    )]
    CodeUnknownOrUsed,
}

/// The six digits both devices compute from the pairing secret, the joining
/// device's request and the existing device's challenge. Not secret: the new
/// device shows them, the survivor types them on the existing one.
#[derive(Clone, PartialEq, Eq)]
pub struct MatchingCode([u8; 6]);

impl std::fmt::Debug for MatchingCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MatchingCode({})", self.as_digits())
    }
}

impl MatchingCode {
    /// `123456`.
    pub fn as_digits(&self) -> String {
        self.0.iter().map(|d| char::from(b'0' + d)).collect()
    }

    /// `123 456`, as a screen shows it.
    pub fn to_display(&self) -> String {
        let digits = self.as_digits();
        format!("{} {}", &digits[..3], &digits[3..])
    }

    /// Whether the survivor typed these digits (spaces and dashes ignored).
    pub fn matches(&self, typed: &str) -> bool {
        let typed: String = typed
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        typed == self.as_digits()
    }
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
    /// A fresh random code.
    pub fn generate() -> Self {
        PairingCode {
            secret: Zeroizing::new(random_bytes::<SECRET_LEN>()),
        }
    }

    /// `XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX` (base32, 160 bits).
    pub fn to_display(&self) -> Zeroizing<String> {
        encode_grouped(self.secret.as_ref())
    }

    /// A code as typed (spaces, dashes and case do not matter).
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

    /// The confirmation slot's id: a second relay slot, so the grant can wait
    /// for the survivor's confirmation after the challenge went out.
    pub fn confirm_pairing_id(&self) -> [u8; 16] {
        let k = kdf::subkey(self.secret.as_ref(), CONFIRM_ID_LABEL);
        let mut id = [0u8; 16];
        id.copy_from_slice(&k[..16]);
        id
    }

    fn join_key(&self) -> Zeroizing<[u8; 32]> {
        kdf::subkey(self.secret.as_ref(), kdf::PAIRING_JOIN)
    }

    /// HMAC-SHA256 under the confirmation key over `domain` and
    /// length-prefixed `parts`.
    fn confirm_mac(&self, domain: &[u8], parts: &[&[u8]]) -> [u8; 32] {
        let key = kdf::subkey(self.secret.as_ref(), CONFIRM_KEY_LABEL);
        // HMAC takes a key of any length, so this cannot fail.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key.as_ref()) else {
            return [0; 32];
        };
        mac.update(domain);
        for part in parts {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }
}

/// The request's fields the confirmation covers (what the existing device adds).
fn join_parts(join: &PairingJoin) -> [&[u8]; 4] {
    [
        &join.device_id,
        &join.sign_public_key,
        &join.dh_public_key,
        join.device_name.as_bytes(),
    ]
}

/// The matching code for `join` answered with `challenge`.
pub fn matching_code(
    code: &PairingCode,
    join: &PairingJoin,
    challenge: &[u8; CHALLENGE_LEN],
) -> MatchingCode {
    let [id, sign, dh, name] = join_parts(join);
    let mac = code.confirm_mac(MATCHING_CODE_DOMAIN, &[id, sign, dh, name, challenge]);
    let mut head = [0u8; 8];
    head.copy_from_slice(&mac[..8]);
    // 2^64 mod 10^6 is tiny beside 2^64: the digits are uniform to within 2^-44.
    let mut n = u64::from_be_bytes(head) % 1_000_000;
    let mut digits = [0u8; 6];
    for d in digits.iter_mut().rev() {
        *d = (n % 10) as u8;
        n /= 10;
    }
    MatchingCode(digits)
}

/// What the new device sends once it shows its digits: proof that it holds the
/// code and saw this request and challenge (a server or a second joiner that
/// swapped either is caught before the survivor is even asked to confirm).
pub fn ready_tag(
    code: &PairingCode,
    join: &PairingJoin,
    challenge: &[u8; CHALLENGE_LEN],
) -> Vec<u8> {
    let [id, sign, dh, name] = join_parts(join);
    code.confirm_mac(READY_DOMAIN, &[id, sign, dh, name, challenge])
        .to_vec()
}

/// Checks a "ready" tag in constant time.
pub fn check_ready(
    code: &PairingCode,
    join: &PairingJoin,
    challenge: &[u8; CHALLENGE_LEN],
    tag: &[u8],
) -> bool {
    use subtle::ConstantTimeEq;
    ready_tag(code, join, challenge).ct_eq(tag).into()
}

fn challenge_ad(code: &PairingCode, join: &PairingJoin) -> Vec<u8> {
    [CHALLENGE_AD, &grant_ad(code, join)[GRANT_AD.len()..]].concat()
}

fn refusal_ad(code: &PairingCode, join: &PairingJoin) -> Vec<u8> {
    [REFUSAL_AD, &grant_ad(code, join)[GRANT_AD.len()..]].concat()
}

fn recipient(join: &PairingJoin) -> Result<[u8; 32], PairingError> {
    join.dh_public_key
        .as_slice()
        .try_into()
        .map_err(|_| PairingError::JoinTampered)
}

/// The existing device's challenge, sealed to the requester (so a second joiner
/// cannot read it and learn the digits of someone else's request).
pub fn seal_challenge(
    code: &PairingCode,
    join: &PairingJoin,
    challenge: &[u8; CHALLENGE_LEN],
) -> Result<Vec<u8>, PairingError> {
    Ok(seal_to(
        &recipient(join)?,
        code.secret.as_ref(),
        &challenge_ad(code, join),
        challenge,
    ))
}

/// Opens the challenge on the joining device.
pub fn open_challenge(
    code: &PairingCode,
    keys: &DeviceKeys,
    join: &PairingJoin,
    sealed: &[u8],
) -> Result<[u8; CHALLENGE_LEN], PairingError> {
    let plain = open_sealed(
        keys.dh_secret(),
        code.secret.as_ref(),
        &challenge_ad(code, join),
        sealed,
    )
    .map_err(|DecryptError| PairingError::GrantTampered)?;
    plain
        .as_slice()
        .try_into()
        .map_err(|_| PairingError::Malformed)
}

/// The existing device's "no", sealed like a grant so the requester can tell it
/// from a grant without anything readable on the server.
pub fn seal_refusal(code: &PairingCode, join: &PairingJoin) -> Result<Vec<u8>, PairingError> {
    Ok(seal_to(
        &recipient(join)?,
        code.secret.as_ref(),
        &refusal_ad(code, join),
        REFUSAL,
    ))
}

/// Whether `sealed` is the existing device's refusal of `join`.
pub fn is_refusal(
    code: &PairingCode,
    keys: &DeviceKeys,
    join: &PairingJoin,
    sealed: &[u8],
) -> bool {
    open_sealed(
        keys.dh_secret(),
        code.secret.as_ref(),
        &refusal_ad(code, join),
        sealed,
    )
    .is_ok_and(|plain| plain.as_slice() == REFUSAL)
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
    if join.protocol < PAIRING_PROTOCOL {
        return Err(PairingError::OldProtocol);
    }
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
    let plain = Zeroizing::new(grant.encode_to_vec());
    Ok(seal_to(
        &recipient(join)?,
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
            protocol: PAIRING_PROTOCOL,
        }
    }

    fn fixed_code() -> PairingCode {
        PairingCode {
            secret: Zeroizing::new([7; SECRET_LEN]),
        }
    }

    fn fixed_join() -> PairingJoin {
        PairingJoin {
            device_id: vec![5; 16],
            sign_public_key: vec![0x11; 32],
            dh_public_key: vec![0x22; 32],
            device_name: "phone".into(),
            protocol: PAIRING_PROTOCOL,
        }
    }

    /// Frozen (checked against an independent HKDF/HMAC computation in Python): a
    /// phone app must compute the same digits and tag from the same inputs, or no
    /// device could ever be confirmed across versions.
    #[test]
    fn matching_code_v2_vector() {
        let code = fixed_code();
        let join = fixed_join();
        let challenge = [0x33; CHALLENGE_LEN];
        assert_eq!(
            matching_code(&code, &join, &challenge).as_digits(),
            "832733"
        );
        assert_eq!(
            hex::encode(ready_tag(&code, &join, &challenge)),
            "b63677e4c3e219deef3066dcf9dc9bf9bdc31294d0d19c816cdc8fdd444a1846"
        );
        assert_eq!(
            hex::encode(code.confirm_pairing_id()),
            "f9a90782c0a3e69b9482c9e32731928a"
        );
    }

    #[test]
    fn matching_code_depends_on_every_input() {
        let code = fixed_code();
        let join = fixed_join();
        let challenge = [0x33; CHALLENGE_LEN];
        let shown = matching_code(&code, &join, &challenge);
        assert!(shown.matches(&shown.to_display()));
        assert!(shown.matches(&format!(" {} ", shown.as_digits())));
        assert!(!shown.matches(""));
        assert!(shown.matches("832-733"));
        assert!(!shown.matches("832734"));
        assert!(!shown.matches("8327330"));
        let other_keys = PairingJoin {
            sign_public_key: vec![0x12; 32],
            ..fixed_join()
        };
        let other_name = PairingJoin {
            device_name: "laptop".into(),
            ..fixed_join()
        };
        for (what, other) in [
            ("keys", matching_code(&code, &other_keys, &challenge)),
            ("name", matching_code(&code, &other_name, &challenge)),
            (
                "challenge",
                matching_code(&code, &join, &[0x34; CHALLENGE_LEN]),
            ),
            (
                "secret",
                matching_code(&PairingCode::generate(), &join, &challenge),
            ),
        ] {
            assert_ne!(other, shown, "the digits must change with the {what}");
        }
    }

    #[test]
    fn challenge_opens_only_for_the_requester() {
        let code = PairingCode::generate();
        let phone = DeviceKeys::generate();
        let join = join_for(&phone);
        let challenge = random_bytes::<CHALLENGE_LEN>();
        let sealed = seal_challenge(&code, &join, &challenge).unwrap();
        assert_eq!(
            open_challenge(&code, &phone, &join, &sealed).unwrap(),
            challenge
        );
        // A second joiner who knows the code cannot read it (it is sealed to the phone).
        let attacker = DeviceKeys::generate();
        assert!(open_challenge(&code, &attacker, &join_for(&attacker), &sealed).is_err());
        // A challenge is not a grant, and a refusal is neither.
        assert!(open_grant(&code, &phone, &join, &sealed).is_err());
        let refusal = seal_refusal(&code, &join).unwrap();
        assert!(is_refusal(&code, &phone, &join, &refusal));
        assert!(!is_refusal(&code, &phone, &join, &sealed));
        assert!(open_grant(&code, &phone, &join, &refusal).is_err());
        // The ready tag binds the challenge.
        let tag = ready_tag(&code, &join, &challenge);
        assert!(check_ready(&code, &join, &challenge, &tag));
        assert!(!check_ready(&code, &join, &[0; CHALLENGE_LEN], &tag));
        assert!(!check_ready(&code, &join_for(&attacker), &challenge, &tag));
    }

    #[test]
    fn a_request_without_the_protocol_is_refused_with_what_to_do() {
        let code = PairingCode::generate();
        let old = PairingJoin {
            protocol: 0,
            ..join_for(&DeviceKeys::generate())
        };
        assert_eq!(
            open_join(&code, &seal_join(&code, &old)).err(),
            Some(PairingError::OldProtocol)
        );
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
