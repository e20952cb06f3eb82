//! [`AppError`]: what went wrong, as kinds a shell (the web app, a phone) can match
//! on. Messages name what happened and what to do in plain words; none carries
//! entry content, a passphrase or a key. The underlying error stays in the chain.

use std::error::Error as StdError;

use crate::device::{DeviceError, Refused};
use crate::transport::TransportError;
use crate::{
    AttachmentError, ExportError, PairingFlowError, RecoverError, RevokeError, SetupError,
    ShareDeviceError, UnlockError,
};

type Source = Box<dyn StdError + Send + Sync + 'static>;

/// What went wrong in a call of the application API.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Nothing is set up in this home yet: create, join or recover first.
    #[error("MyCase is not set up on this device yet")]
    NotSetUp,
    /// A journal is already set up in this home; nothing was changed.
    #[error("MyCase is already set up on this device")]
    AlreadySetUp,
    /// The journal is locked: unlock it with the passphrase first.
    #[error("MyCase is locked")]
    Locked,
    /// The passphrase is wrong; the next try waits `wait_secs` (0 while free).
    #[error("That passphrase is not right{}", wait_words(*wait_secs))]
    WrongPassphrase {
        /// Seconds before the next try is allowed.
        wait_secs: u64,
    },
    /// Refused without trying: too many wrong passphrases in a row.
    #[error("Too many wrong passphrases: wait {wait_secs} seconds before trying again")]
    TryLater {
        /// Seconds before the next try is allowed.
        wait_secs: u64,
    },
    /// The key a platform keystore gave does not open this device (the passphrase
    /// changed since, or the keystore's entry is not this device's): unlock with
    /// the passphrase. Not counted as a wrong passphrase.
    #[error(
        "The key kept by this device's keystore no longer opens MyCase: unlock with the passphrase"
    )]
    KeyNotAccepted,
    /// A new passphrase is too short or too weak.
    #[error("{reason}")]
    WeakPassphrase {
        /// Why, in plain words.
        reason: String,
    },
    /// Something typed or chosen is not acceptable; nothing was changed.
    #[error("{reason}")]
    InvalidInput {
        /// Which field (a form field name), if one.
        field: Option<String>,
        /// Why, in plain words.
        reason: String,
    },
    /// The thing asked for (an entry, a person, a device, a share) is not there.
    #[error("{what} was not found")]
    NotFound {
        /// What was looked for, in words ("That entry").
        what: String,
    },
    /// The server could not be reached (offline, down, wrong address); local work
    /// goes on and syncs later.
    #[error("The MyCase server could not be reached")]
    ServerUnreachable(#[source] Source),
    /// The server's certificate is not trusted: give its CA certificate.
    #[error("The server's certificate is not trusted (give the server's CA certificate)")]
    CertificateNotTrusted(#[source] Source),
    /// The pairing code is wrong, used or expired.
    #[error("That pairing code did not work: {reason}")]
    PairingFailed {
        /// Why, in plain words.
        reason: String,
        /// The underlying error.
        #[source]
        source: Option<Source>,
    },
    /// The recovery kit does not open this journal (mistyped, or renewed since).
    #[error("That recovery kit did not work: {reason}")]
    RecoveryFailed {
        /// Why, in plain words.
        reason: String,
        /// The underlying error.
        #[source]
        source: Option<Source>,
    },
    /// A device of the journal revoked this one; MyCase was removed from it.
    #[error("This device was removed from the journal by another of its devices")]
    Revoked,
    /// A device of the journal deleted the account; MyCase was removed from this device.
    #[error("This journal was deleted from one of its devices")]
    AccountDeleted,
    /// The server refused or sent something that does not check out (a forged,
    /// withheld or replayed record, a refusal it could not prove); nothing of it was kept.
    #[error("The server's answer was refused: {0}")]
    ServerRefused(#[source] Source),
    /// Reading or writing this device's files failed; stored data is as it was.
    #[error("This device's files could not be read or written")]
    Storage(#[source] Source),
    /// Anything else; the chain says what.
    #[error("MyCase could not do that")]
    Other(#[source] Source),
}

fn wait_words(wait_secs: u64) -> String {
    if wait_secs == 0 {
        String::new()
    } else {
        format!(": wait {wait_secs} seconds before the next try")
    }
}

impl AppError {
    /// A field's error, for a form.
    pub fn invalid(field: &str, reason: impl Into<String>) -> Self {
        AppError::InvalidInput {
            field: Some(field.to_owned()),
            reason: reason.into(),
        }
    }

    /// A short stable name of the kind, for JSON answers and host languages.
    pub fn kind(&self) -> &'static str {
        match self {
            AppError::NotSetUp => "not_set_up",
            AppError::AlreadySetUp => "already_set_up",
            AppError::Locked => "locked",
            AppError::WrongPassphrase { .. } => "wrong_passphrase",
            AppError::TryLater { .. } => "try_later",
            AppError::KeyNotAccepted => "key_not_accepted",
            AppError::WeakPassphrase { .. } => "weak_passphrase",
            AppError::InvalidInput { .. } => "invalid_input",
            AppError::NotFound { .. } => "not_found",
            AppError::ServerUnreachable(_) => "server_unreachable",
            AppError::CertificateNotTrusted(_) => "certificate_not_trusted",
            AppError::PairingFailed { .. } => "pairing_failed",
            AppError::RecoveryFailed { .. } => "recovery_failed",
            AppError::Revoked => "revoked",
            AppError::AccountDeleted => "account_deleted",
            AppError::ServerRefused(_) => "server_refused",
            AppError::Storage(_) => "storage",
            AppError::Other(_) => "other",
        }
    }

    /// Whether the server simply could not be reached (so local work stands).
    pub fn is_offline(&self) -> bool {
        matches!(self, AppError::ServerUnreachable(_))
    }
}

impl From<TransportError> for AppError {
    fn from(e: TransportError) -> Self {
        if e.is_untrusted_certificate() {
            return AppError::CertificateNotTrusted(Box::new(e));
        }
        match e {
            TransportError::Connect(_) => AppError::ServerUnreachable(Box::new(e)),
            other => match DeviceError::from(other) {
                DeviceError::Transport(t) => AppError::ServerRefused(Box::new(t)),
                d => d.into(),
            },
        }
    }
}

impl From<Refused> for AppError {
    fn from(r: Refused) -> Self {
        if r.is_revoked() {
            AppError::Revoked
        } else if r.is_account_deleted() {
            AppError::AccountDeleted
        } else {
            AppError::ServerRefused(Box::new(r))
        }
    }
}

impl From<DeviceError> for AppError {
    fn from(e: DeviceError) -> Self {
        match e {
            DeviceError::Refused(r) => r.into(),
            DeviceError::Transport(t) => t.into(),
            DeviceError::Journal(j) => AppError::InvalidInput {
                field: None,
                reason: j.to_string(),
            },
            e @ (DeviceError::Io(_) | DeviceError::Store(_) | DeviceError::KeyFile(_)) => {
                AppError::Storage(Box::new(e))
            }
            e @ DeviceError::Sync(_) => AppError::ServerRefused(Box::new(e)),
            e => AppError::Other(Box::new(e)),
        }
    }
}

impl From<UnlockError> for AppError {
    fn from(e: UnlockError) -> Self {
        match e {
            UnlockError::NotInitialised(_) => AppError::NotSetUp,
            UnlockError::WrongPassphrase { wait_secs } => AppError::WrongPassphrase { wait_secs },
            UnlockError::TryLater { wait_secs } => AppError::TryLater { wait_secs },
            UnlockError::Device(d) => d.into(),
        }
    }
}

impl From<SetupError> for AppError {
    fn from(e: SetupError) -> Self {
        match e {
            SetupError::AlreadyInitialised(_) => AppError::AlreadySetUp,
            SetupError::Device(d) => d.into(),
        }
    }
}

/// Keeps a checked revocation or deletion recognisable through any flow's error.
fn device_or(e: DeviceError, wrap: impl FnOnce(DeviceError) -> AppError) -> AppError {
    match e {
        DeviceError::Refused(_) | DeviceError::Transport(_) => e.into(),
        e => wrap(e),
    }
}

impl From<PairingFlowError> for AppError {
    fn from(e: PairingFlowError) -> Self {
        match e {
            PairingFlowError::Device(d) => device_or(d, |d| AppError::Other(Box::new(d))),
            PairingFlowError::AlreadyInitialised(_) => AppError::AlreadySetUp,
            other => AppError::PairingFailed {
                reason: other.to_string(),
                source: Some(Box::new(other)),
            },
        }
    }
}

impl From<RecoverError> for AppError {
    fn from(e: RecoverError) -> Self {
        match e {
            RecoverError::Device(d) => device_or(d, |d| AppError::Other(Box::new(d))),
            RecoverError::AlreadyInitialised(_) => AppError::AlreadySetUp,
            other => AppError::RecoveryFailed {
                reason: other.to_string(),
                source: Some(Box::new(other)),
            },
        }
    }
}

impl From<RevokeError> for AppError {
    fn from(e: RevokeError) -> Self {
        match e {
            RevokeError::Device(d) => d.into(),
            other => AppError::InvalidInput {
                field: None,
                reason: other.to_string(),
            },
        }
    }
}

impl From<ExportError> for AppError {
    fn from(e: ExportError) -> Self {
        let field = matches!(e, ExportError::Withhold(_)).then(|| "withhold".to_string());
        AppError::InvalidInput {
            field,
            reason: e.to_string(),
        }
    }
}

impl From<AttachmentError> for AppError {
    fn from(e: AttachmentError) -> Self {
        match e {
            AttachmentError::Device(d) => d.into(),
            AttachmentError::Transport(t) => t.into(),
            AttachmentError::Read(e) | AttachmentError::Write(e) => AppError::Storage(Box::new(e)),
            AttachmentError::NoSuchEntry => AppError::NotFound {
                what: "That entry".into(),
            },
            AttachmentError::NoSuchAttachment => AppError::NotFound {
                what: "That attachment".into(),
            },
            // What the server sent does not check out: refused, nothing written.
            e @ (AttachmentError::Chunk(_)
            | AttachmentError::WrongChunk { .. }
            | AttachmentError::Truncated { .. }
            | AttachmentError::BadChunkLength { .. }
            | AttachmentError::HashMismatch
            | AttachmentError::Incomplete) => AppError::ServerRefused(Box::new(e)),
            other => AppError::InvalidInput {
                field: None,
                reason: other.to_string(),
            },
        }
    }
}

impl From<ShareDeviceError> for AppError {
    fn from(e: ShareDeviceError) -> Self {
        match e {
            ShareDeviceError::Device(d) => d.into(),
            ShareDeviceError::Transport(t) => t.into(),
            ShareDeviceError::Attachment(a) => a.into(),
            ShareDeviceError::Withhold(w) => AppError::InvalidInput {
                field: Some("withhold".into()),
                reason: w.to_string(),
            },
            other => AppError::InvalidInput {
                field: None,
                reason: other.to_string(),
            },
        }
    }
}
