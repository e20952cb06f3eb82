//! [`MycaseError`]: the application API's error kinds as one enum a host language
//! matches on (a Kotlin sealed class, a Swift enum, Python exception classes).
//! Every variant carries `message`, the core's own words for the survivor: none
//! names entry content, a passphrase or a key.

use mycase_core::app::AppError;

/// What went wrong in a call.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum MycaseError {
    /// Nothing is set up in this journal's folder yet: create, join or recover.
    #[error("{message}")]
    NotSetUp { message: String },
    /// A journal is already set up there; nothing was changed.
    #[error("{message}")]
    AlreadySetUp { message: String },
    /// The journal is locked: unlock it first.
    #[error("{message}")]
    Locked { message: String },
    /// The passphrase is wrong; the next try waits `wait_secs` (0 while free).
    #[error("{message}")]
    WrongPassphrase { wait_secs: u64, message: String },
    /// Refused without trying: too many wrong passphrases in a row.
    #[error("{message}")]
    TryLater { wait_secs: u64, message: String },
    /// The platform keystore's key no longer opens this device (the passphrase
    /// changed since): unlock with the passphrase. Not counted as a wrong try.
    #[error("{message}")]
    KeyNotAccepted { message: String },
    /// The host's keystore failed or holds nothing for this journal.
    #[error("{message}")]
    SecretStore { message: String },
    /// A new passphrase is too short or too weak.
    #[error("{message}")]
    WeakPassphrase { message: String },
    /// Something given is not acceptable (`field` names it); nothing changed.
    #[error("{message}")]
    InvalidInput {
        field: Option<String>,
        message: String,
    },
    /// The entry, person, device, share or file asked for is not there.
    #[error("{message}")]
    NotFound { message: String },
    /// The server could not be reached; local work goes on and syncs later.
    #[error("{message}")]
    ServerUnreachable { message: String },
    /// The server's certificate is not trusted: give its CA certificate.
    #[error("{message}")]
    CertificateNotTrusted { message: String },
    /// The pairing code is wrong, used or expired.
    #[error("{message}")]
    PairingFailed { message: String },
    /// The recovery kit does not open this journal.
    #[error("{message}")]
    RecoveryFailed { message: String },
    /// Another device of the journal revoked this one; MyCase was removed from it.
    #[error("{message}")]
    Revoked { message: String },
    /// The account was deleted from one of its devices; removed from this one.
    #[error("{message}")]
    AccountDeleted { message: String },
    /// The server refused, or sent something that does not check out (a forged,
    /// altered, withheld or replayed record); nothing of it was kept.
    #[error("{message}")]
    ServerRefused { message: String },
    /// This device's files could not be read or written; stored data is as it was.
    #[error("{message}")]
    Storage { message: String },
    /// Anything else (the message says what, in general words).
    #[error("{message}")]
    Internal { message: String },
}

impl From<AppError> for MycaseError {
    fn from(e: AppError) -> Self {
        let message = e.to_string();
        match e {
            AppError::NotSetUp => MycaseError::NotSetUp { message },
            AppError::AlreadySetUp => MycaseError::AlreadySetUp { message },
            AppError::Locked => MycaseError::Locked { message },
            AppError::WrongPassphrase { wait_secs } => {
                MycaseError::WrongPassphrase { wait_secs, message }
            }
            AppError::TryLater { wait_secs } => MycaseError::TryLater { wait_secs, message },
            AppError::KeyNotAccepted => MycaseError::KeyNotAccepted { message },
            AppError::WeakPassphrase { .. } => MycaseError::WeakPassphrase { message },
            AppError::InvalidInput { field, .. } => MycaseError::InvalidInput { field, message },
            AppError::NotFound { .. } => MycaseError::NotFound { message },
            AppError::ServerUnreachable(_) => MycaseError::ServerUnreachable { message },
            AppError::CertificateNotTrusted(_) => MycaseError::CertificateNotTrusted { message },
            AppError::PairingFailed { .. } => MycaseError::PairingFailed { message },
            AppError::RecoveryFailed { .. } => MycaseError::RecoveryFailed { message },
            AppError::Revoked => MycaseError::Revoked { message },
            AppError::AccountDeleted => MycaseError::AccountDeleted { message },
            AppError::ServerRefused(_) => MycaseError::ServerRefused { message },
            AppError::Storage(_) => MycaseError::Storage { message },
            AppError::Other(_) => MycaseError::Internal { message },
        }
    }
}

/// A callback of the host (the keystore, a listener) threw: the host's own error
/// is not carried across, only that it failed.
impl From<uniffi::UnexpectedUniFFICallbackError> for MycaseError {
    fn from(_: uniffi::UnexpectedUniFFICallbackError) -> Self {
        MycaseError::SecretStore {
            message: "The device's keystore did not answer".to_owned(),
        }
    }
}

/// A result of the application API, its error as the bindings' kind.
pub(crate) type FfiResult<T> = Result<T, MycaseError>;
