//! The server's TLS identity: the operator's certificate, or a self-signed one
//! generated on first start and reused afterwards (so clients trust it once).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("--tls-cert and --tls-key must be given together")]
    Incomplete,
    #[error("{what} {path}: {source}")]
    Io {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "found only one of cert.pem and key.pem in {0}; remove it to generate a new certificate"
    )]
    HalfGenerated(PathBuf),
    #[error("could not generate a self-signed certificate: {0}")]
    Generate(#[from] rcgen::Error),
}

/// The PEM certificate chain and key the server presents, and the certificate
/// file clients should trust.
pub struct TlsMaterial {
    pub cert_pem: String,
    pub key_pem: String,
    pub cert_path: PathBuf,
}

fn read(what: &'static str, path: &Path) -> Result<String, TlsError> {
    fs::read_to_string(path).map_err(|source| TlsError::Io {
        what,
        path: path.to_path_buf(),
        source,
    })
}

/// Loads `cert`/`key` if given, else the generated pair in `data_dir/tls`.
pub fn load_or_generate(
    cert: Option<&Path>,
    key: Option<&Path>,
    data_dir: &Path,
) -> Result<TlsMaterial, TlsError> {
    match (cert, key) {
        (Some(cert), Some(key)) => Ok(TlsMaterial {
            cert_pem: read("reading certificate", cert)?,
            key_pem: read("reading private key", key)?,
            cert_path: cert.to_path_buf(),
        }),
        (None, None) => self_signed(&data_dir.join("tls")),
        _ => Err(TlsError::Incomplete),
    }
}

fn self_signed(dir: &Path) -> Result<TlsMaterial, TlsError> {
    let cert_path = dir.join("cert.pem");
    let key_path = dir.join("key.pem");
    match (cert_path.exists(), key_path.exists()) {
        (true, true) => {
            return Ok(TlsMaterial {
                cert_pem: read("reading certificate", &cert_path)?,
                key_pem: read("reading private key", &key_path)?,
                cert_path,
            })
        }
        (false, false) => {}
        _ => return Err(TlsError::HalfGenerated(dir.to_path_buf())),
    }
    create_private_dir(dir)?;
    let names = vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
    ];
    let certified = rcgen::generate_simple_self_signed(names)?;
    let cert_pem = certified.cert.pem();
    let key_pem = certified.key_pair.serialize_pem();
    // Key first: a cert.pem on disk then always has its key beside it.
    write_new(&key_path, key_pem.as_bytes(), 0o600)?;
    write_new(&cert_path, cert_pem.as_bytes(), 0o644)?;
    Ok(TlsMaterial {
        cert_pem,
        key_pem,
        cert_path,
    })
}

fn create_private_dir(dir: &Path) -> Result<(), TlsError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|source| TlsError::Io {
        what: "creating directory",
        path: dir.to_path_buf(),
        source,
    })
}

/// Writes a new file with `mode` set at creation (never world-readable, even briefly).
fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<(), TlsError> {
    let io = |source| TlsError::Io {
        what: "writing",
        path: path.to_path_buf(),
        source,
    };
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(path).map_err(io)?;
    file.write_all(bytes).map_err(io)?;
    file.sync_all().map_err(io)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn generates_once_then_reuses() {
        let dir = tempfile::tempdir().unwrap();
        let first = load_or_generate(None, None, dir.path()).unwrap();
        let again = load_or_generate(None, None, dir.path()).unwrap();
        assert_eq!(first.cert_pem, again.cert_pem);
        assert_eq!(first.cert_path, dir.path().join("tls/cert.pem"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir.path().join("tls/key.pem"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn cert_without_key_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            load_or_generate(Some(&dir.path().join("c")), None, dir.path()),
            Err(TlsError::Incomplete)
        ));
    }
}
