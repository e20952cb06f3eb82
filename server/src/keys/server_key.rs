//! The server's long-term Ed25519 key, which signs record receipts.
//!
//! Generated on first start into `<data_dir>/server-key` (the 32-byte seed, file
//! 0600) and reused afterwards, so a receipt issued years ago still checks against
//! the key the server prints and serves. Losing the file means new receipts under
//! a new key; old receipts stay valid under the old one.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use ed25519_dalek::{Signer, SigningKey};
use mycase_proto::v1::Receipt;
use mycase_proto::wire::receipt_message;
use zeroize::Zeroizing;

/// The key file's name in the data directory.
pub const SERVER_KEY_FILE: &str = "server-key";
const SEED_LEN: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum ServerKeyError {
    #[error("{what} {path}: {source}")]
    Io {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0} is not a MyCase server key (expected {SEED_LEN} bytes); refusing to replace it")]
    Malformed(PathBuf),
}

/// The receipt signing key. `Debug` shows only the public key.
pub struct ServerKey {
    signing: SigningKey,
}

impl fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerKey")
            .field("public_key", &self.public_key_hex())
            .finish_non_exhaustive()
    }
}

impl ServerKey {
    /// Loads the key in `data_dir`, or generates and stores one if there is none.
    pub fn load_or_generate(data_dir: &Path) -> Result<ServerKey, ServerKeyError> {
        let path = data_dir.join(SERVER_KEY_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => {
                let bytes = Zeroizing::new(bytes);
                let seed: &[u8; SEED_LEN] = bytes
                    .as_slice()
                    .try_into()
                    .map_err(|_| ServerKeyError::Malformed(path.clone()))?;
                Ok(ServerKey {
                    signing: SigningKey::from_bytes(seed),
                })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => generate(&path),
            Err(source) => Err(ServerKeyError::Io {
                what: "reading the server key",
                path,
                source,
            }),
        }
    }

    /// A key that lives only in memory (tests).
    pub fn ephemeral() -> ServerKey {
        ServerKey {
            signing: SigningKey::generate(&mut rand::rngs::OsRng),
        }
    }

    pub fn public_key(&self) -> [u8; 32] {
        self.signing.verifying_key().to_bytes()
    }

    /// The public key as 64 lower-case hex digits (what `mycase verify --server-key` takes).
    pub fn public_key_hex(&self) -> String {
        hex::encode(self.public_key())
    }

    /// Signs the receipt for a record stored now.
    pub fn receipt(
        &self,
        account_id: &[u8],
        device_id: &[u8],
        idx: u64,
        record_hash: &[u8],
        server_time_ms: u64,
    ) -> Receipt {
        let message = receipt_message(account_id, device_id, idx, record_hash, server_time_ms);
        Receipt {
            server_time_ms,
            signature: self.signing.sign(&message).to_bytes().to_vec(),
        }
    }
}

/// Writes a new key with owner-only access; `create_new` never replaces one.
fn generate(path: &Path) -> Result<ServerKey, ServerKeyError> {
    let signing = SigningKey::generate(&mut rand::rngs::OsRng);
    let io = |what| {
        move |source| ServerKeyError::Io {
            what,
            path: path.to_path_buf(),
            source,
        }
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(io("creating the server key"))?;
    file.write_all(signing.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(io("writing the server key"))?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io("syncing the data directory"))?;
    }
    Ok(ServerKey { signing })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use ed25519_dalek::{Signature, VerifyingKey};

    #[test]
    fn generated_once_then_reused_with_owner_only_access() {
        let dir = tempfile::tempdir().unwrap();
        let first = ServerKey::load_or_generate(dir.path()).unwrap();
        let again = ServerKey::load_or_generate(dir.path()).unwrap();
        assert_eq!(first.public_key(), again.public_key());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(SERVER_KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(!format!("{first:?}").contains(&hex::encode(first.signing.as_bytes())));
    }

    #[test]
    fn malformed_key_file_is_refused_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SERVER_KEY_FILE);
        std::fs::write(&path, b"short").unwrap();
        assert!(matches!(
            ServerKey::load_or_generate(dir.path()),
            Err(ServerKeyError::Malformed(_))
        ));
        assert_eq!(std::fs::read(&path).unwrap(), b"short");
    }

    #[test]
    fn receipts_verify_under_the_public_key() {
        let key = ServerKey::ephemeral();
        let r = key.receipt(&[1; 16], &[2; 16], 3, &[4; 32], 99);
        let vk = VerifyingKey::from_bytes(&key.public_key()).unwrap();
        let sig = Signature::from_slice(&r.signature).unwrap();
        let msg = receipt_message(&[1; 16], &[2; 16], 3, &[4; 32], 99);
        assert!(vk.verify_strict(&msg, &sig).is_ok());
        let other = receipt_message(&[1; 16], &[2; 16], 4, &[4; 32], 99);
        assert!(vk.verify_strict(&other, &sig).is_err());
    }
}
