//! Invite codes: random, single use, human-typable (`ABCD-EFGH-JKLM-NPQR`,
//! 80 bits). The store keeps only a hash of each code, never the code, and
//! nothing that ties a used code to the account it created.

use data_encoding::BASE32_NOPAD;
use rand::rngs::OsRng;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::store::Hash;

const CODE_BYTES: usize = 10;
const GROUP: usize = 4;

/// A fresh code, base32 in groups of four.
pub fn generate() -> String {
    let mut raw = [0u8; CODE_BYTES];
    OsRng.fill_bytes(&mut raw);
    let encoded = BASE32_NOPAD.encode(&raw);
    let groups: Vec<&str> = encoded
        .as_bytes()
        .chunks(GROUP)
        .filter_map(|c| std::str::from_utf8(c).ok())
        .collect();
    groups.join("-")
}

/// The stored form: SHA-256 over the code with case, spaces and dashes
/// ignored, so a code typed as `abcd efgh ...` still matches.
pub fn hash(code: &str) -> Hash {
    let normalised: String = code
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let mut h = Sha256::new();
    h.update(b"mycase/v1/invite");
    h.update(normalised.as_bytes());
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_grouped_base32_and_distinct() {
        let a = generate();
        assert_eq!(a.len(), 19);
        assert!(a
            .chars()
            .all(|c| c == '-' || c.is_ascii_uppercase() || ('2'..='7').contains(&c)));
        assert_ne!(a, generate());
    }

    #[test]
    fn typing_variations_hash_the_same() {
        let code = generate();
        let sloppy = code.to_lowercase().replace('-', " ");
        assert_eq!(hash(&code), hash(&sloppy));
        assert_ne!(hash(&code), hash(&generate()));
    }
}
