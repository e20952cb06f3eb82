//! [`MycaseError`]: the application API's error kinds as one enum a host language
//! matches on (a Kotlin sealed class, a Swift enum, Python exception classes).
//! Every variant carries `reason`, the core's own words for the survivor (not
//! `message`, which Kotlin's `Throwable` already has): none names entry content, a
//! passphrase or a key.

use mycase_core::app::AppError;

/// What went wrong in a call.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum MycaseError {
    /// Nothing is set up in this journal's folder yet: create, join or recover.
    #[error("{reason}")]
    NotSetUp { reason: String },
    /// A journal is already set up there; nothing was changed.
    #[error("{reason}")]
    AlreadySetUp { reason: String },
    /// The journal is locked: unlock it first.
    #[error("{reason}")]
    Locked { reason: String },
    /// The passphrase is wrong; the next try waits `wait_secs` (0 while free).
    #[error("{reason}")]
    WrongPassphrase { wait_secs: u64, reason: String },
    /// Refused without trying: too many wrong passphrases in a row.
    #[error("{reason}")]
    TryLater { wait_secs: u64, reason: String },
    /// The platform keystore's key no longer opens this device (the passphrase
    /// changed since): unlock with the passphrase. Not counted as a wrong try.
    #[error("{reason}")]
    KeyNotAccepted { reason: String },
    /// The host's keystore failed or holds nothing for this journal.
    #[error("{reason}")]
    SecretStore { reason: String },
    /// A new passphrase is too short or too weak.
    #[error("{reason}")]
    WeakPassphrase { reason: String },
    /// Something given is not acceptable (`field` names it); nothing changed.
    #[error("{reason}")]
    InvalidInput {
        field: Option<String>,
        reason: String,
    },
    /// The entry, person, device, share or file asked for is not there.
    #[error("{reason}")]
    NotFound { reason: String },
    /// The server could not be reached; local work goes on and syncs later.
    #[error("{reason}")]
    ServerUnreachable { reason: String },
    /// The server's certificate is not trusted: give its CA certificate.
    #[error("{reason}")]
    CertificateNotTrusted { reason: String },
    /// The pairing code is wrong, used or expired.
    #[error("{reason}")]
    PairingFailed { reason: String },
    /// The recovery kit does not open this journal.
    #[error("{reason}")]
    RecoveryFailed { reason: String },
    /// Another device of the journal revoked this one; MyCase was removed from it.
    #[error("{reason}")]
    Revoked { reason: String },
    /// The account was deleted from one of its devices; removed from this one.
    #[error("{reason}")]
    AccountDeleted { reason: String },
    /// The server refused, or sent something that does not check out (a forged,
    /// altered, withheld or replayed record); nothing of it was kept.
    #[error("{reason}")]
    ServerRefused { reason: String },
    /// This device's files could not be read or written; stored data is as it was.
    #[error("{reason}")]
    Storage { reason: String },
    /// Anything else (the reason says what, in general words).
    #[error("{reason}")]
    Internal { reason: String },
}

impl From<AppError> for MycaseError {
    fn from(e: AppError) -> Self {
        let reason = e.to_string();
        match e {
            AppError::NotSetUp => MycaseError::NotSetUp { reason },
            AppError::AlreadySetUp => MycaseError::AlreadySetUp { reason },
            AppError::Locked => MycaseError::Locked { reason },
            AppError::WrongPassphrase { wait_secs } => {
                MycaseError::WrongPassphrase { wait_secs, reason }
            }
            AppError::TryLater { wait_secs } => MycaseError::TryLater { wait_secs, reason },
            AppError::KeyNotAccepted => MycaseError::KeyNotAccepted { reason },
            AppError::WeakPassphrase { .. } => MycaseError::WeakPassphrase { reason },
            AppError::InvalidInput { field, .. } => MycaseError::InvalidInput { field, reason },
            AppError::NotFound { .. } => MycaseError::NotFound { reason },
            AppError::ServerUnreachable(_) => MycaseError::ServerUnreachable { reason },
            AppError::CertificateNotTrusted(_) => MycaseError::CertificateNotTrusted { reason },
            AppError::PairingFailed { .. } => MycaseError::PairingFailed { reason },
            AppError::RecoveryFailed { .. } => MycaseError::RecoveryFailed { reason },
            AppError::Revoked => MycaseError::Revoked { reason },
            AppError::AccountDeleted => MycaseError::AccountDeleted { reason },
            AppError::ServerRefused(_) => MycaseError::ServerRefused { reason },
            AppError::Storage(_) => MycaseError::Storage { reason },
            AppError::Other(_) => MycaseError::Internal { reason },
        }
    }
}

/// A callback of the host (the keystore, a listener) threw: the host's own error
/// is not carried across, only that it failed.
impl From<uniffi::UnexpectedUniFFICallbackError> for MycaseError {
    fn from(_: uniffi::UnexpectedUniFFICallbackError) -> Self {
        MycaseError::SecretStore {
            reason: "The device's keystore did not answer".to_owned(),
        }
    }
}

/// A result of the application API, its error as the bindings' kind.
pub(crate) type FfiResult<T> = Result<T, MycaseError>;
