//! The local passphrase: Argon2id turns it into the key that wraps the device's
//! secrets at rest. Parameters below the pinned minimum are refused, so a key file
//! edited to weaken them cannot be opened cheaply.

use argon2::{Algorithm, Argon2, Params, Version};
use zeroize::Zeroizing;

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory per derivation, in KiB.
    pub memory_kib: u32,
    /// Passes over that memory.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl KdfParams {
    /// The floor: OWASP's minimum recommendation for Argon2id (19 MiB, 2 passes).
    pub const MINIMUM: KdfParams = KdfParams {
        memory_kib: 19 * 1024,
        iterations: 2,
        parallelism: 1,
    };
    /// What new key files use: 64 MiB, 3 passes (RFC 9106's second recommendation).
    pub const DEFAULT: KdfParams = KdfParams {
        memory_kib: 64 * 1024,
        iterations: 3,
        parallelism: 1,
    };
    /// Refuses absurd values too, so a corrupt file cannot make us allocate gigabytes.
    const MAXIMUM_MEMORY_KIB: u32 = 4 * 1024 * 1024;

    /// Whether these parameters are at least the pinned minimum and not absurd.
    pub fn is_acceptable(&self) -> bool {
        self.memory_kib >= Self::MINIMUM.memory_kib
            && self.iterations >= Self::MINIMUM.iterations
            && self.parallelism >= Self::MINIMUM.parallelism
            && self.memory_kib <= Self::MAXIMUM_MEMORY_KIB
            && self.iterations <= 100
            && self.parallelism <= 16
    }
}

/// Why a passphrase could not be stretched into a key.
#[derive(Debug, thiserror::Error)]
pub enum PassphraseError {
    /// The parameters are below the pinned minimum, or absurd.
    #[error("key derivation parameters are below the pinned minimum (or absurd); refusing them")]
    WeakParameters,
    /// The passphrase is empty.
    #[error("the passphrase is empty")]
    Empty,
    /// Argon2 itself failed (its words).
    #[error("key derivation failed: {0}")]
    Argon2(String),
}

/// Derives the 32-byte key-encryption key from a passphrase and a 16-byte salt.
pub fn argon2id_kek(
    passphrase: &[u8],
    salt: &[u8],
    params: KdfParams,
) -> Result<Zeroizing<[u8; 32]>, PassphraseError> {
    if !params.is_acceptable() {
        return Err(PassphraseError::WeakParameters);
    }
    if passphrase.is_empty() {
        return Err(PassphraseError::Empty);
    }
    let p = Params::new(
        params.memory_kib,
        params.iterations,
        params.parallelism,
        Some(32),
    )
    .map_err(|e| PassphraseError::Argon2(e.to_string()))?;
    let mut out = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, p)
        .hash_password_into(passphrase, salt, out.as_mut())
        .map_err(|e| PassphraseError::Argon2(e.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_weak_parameters() {
        let weak = KdfParams {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
        };
        assert!(matches!(
            argon2id_kek(b"pw", &[0; 16], weak),
            Err(PassphraseError::WeakParameters)
        ));
        let huge = KdfParams {
            memory_kib: u32::MAX,
            ..KdfParams::DEFAULT
        };
        assert!(matches!(
            argon2id_kek(b"pw", &[0; 16], huge),
            Err(PassphraseError::WeakParameters)
        ));
    }

    #[test]
    fn frozen_vector_and_sensitivity() {
        // Cross-checked with argon2-cffi's hash_secret_raw (Argon2id, v1.3).
        let k = argon2id_kek(b"correct horse", &[9; 16], KdfParams::MINIMUM).unwrap();
        assert_eq!(
            hex::encode(*k),
            "c5ddcc8506428944319bd9efd13cab76e4f46bd5d76e09a4aa7aa710a8002aaf"
        );
        let other = argon2id_kek(b"correct horsf", &[9; 16], KdfParams::MINIMUM).unwrap();
        assert_ne!(*k, *other);
    }
}
