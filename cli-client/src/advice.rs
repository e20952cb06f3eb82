//! What to do next, in `mycase` commands. mycase-core's errors say what happened
//! and nothing about which command helps (phone apps are shells too); the CLI
//! adds its advice here, after the words of the error it belongs to.

use std::error::Error;

use mycase_core::pairing::PairingError;
use mycase_core::store::StoreError;
use mycase_core::transport::TransportError;
use mycase_core::{
    DeviceError, PairingFlowError, RecoverError, Refused, RenewError, RevokeError, SetupError,
    ShareDeviceError, UnlockError,
};

/// `err` as `{:#}` shows it (each cause after a colon), with the advice for any
/// cause that has one. A cause that repeats the words just before it is shown
/// once: an error that carries another as its source with the same words (as the
/// server's refusals are carried, so the chain finds them) says it only once.
pub fn explain(err: &anyhow::Error) -> String {
    let mut shown: Vec<String> = err.chain().map(with_advice).collect();
    shown.dedup();
    shown.join(": ")
}

/// [`explain`] for a bare error.
pub fn explain_error(err: impl Error + Send + Sync + 'static) -> String {
    explain(&anyhow::Error::new(err))
}

fn with_advice(e: &(dyn Error + 'static)) -> String {
    if let Some(ShareDeviceError::NothingSelected) = e.downcast_ref::<ShareDeviceError>() {
        return "say what to share: --entry ID, --from/--to, --category or --tag".into();
    }
    match advice(e) {
        Some(advice) => format!("{e}{advice}"),
        None => e.to_string(),
    }
}

/// The advice for `e` itself, looking through the wrappers that show another
/// error's words as their own (`#[error(transparent)]`).
fn advice(e: &(dyn Error + 'static)) -> Option<&'static str> {
    if let Some(e) = e.downcast_ref::<UnlockError>() {
        return match e {
            UnlockError::NotInitialised(_) => Some(" (run `mycase init` or `mycase join`)"),
            UnlockError::Device(inner) => advice(inner),
            _ => None,
        };
    }
    if let Some(e) = e.downcast_ref::<RevokeError>() {
        return match e {
            RevokeError::CannotRevokeSelf => {
                Some("; to remove MyCase from this device use `mycase wipe`")
            }
            RevokeError::Device(inner) => advice(inner),
            RevokeError::UnknownDevice => None,
        };
    }
    if let Some(e) = e.downcast_ref::<DeviceError>() {
        return match e {
            DeviceError::Store(inner) => advice(inner),
            DeviceError::Refused(inner) => advice(inner),
            DeviceError::Transport(inner) => advice(inner),
            _ => None,
        };
    }
    if let Some(SetupError::Device(inner)) = e.downcast_ref::<SetupError>() {
        return advice(inner);
    }
    if let Some(RecoverError::Device(inner)) = e.downcast_ref::<RecoverError>() {
        return advice(inner);
    }
    if let Some(e) = e.downcast_ref::<PairingFlowError>() {
        return match e {
            PairingFlowError::Pairing(inner) => advice(inner),
            PairingFlowError::Device(inner) => advice(inner),
            PairingFlowError::AlreadyInitialised(_) => None,
        };
    }
    if let Some(e) = e.downcast_ref::<ShareDeviceError>() {
        return match e {
            ShareDeviceError::Device(inner) => advice(inner),
            ShareDeviceError::Location(_) => {
                Some(" (--keep-location shares the original as it is)")
            }
            _ => None,
        };
    }
    if let Some(e) = e.downcast_ref::<mycase_core::AttachmentError>() {
        return match e {
            mycase_core::AttachmentError::Device(inner) => advice(inner),
            _ => None,
        };
    }
    if let Some(Refused::AccountNotOnServer) = e.downcast_ref::<Refused>() {
        return Some(" (`mycase export`)");
    }
    if let Some(e) = e.downcast_ref::<TransportError>() {
        return e
            .is_untrusted_certificate()
            .then_some(" (give it with --ca-cert FILE)");
    }
    if let Some(StoreError::Busy) = e.downcast_ref::<StoreError>() {
        return Some(" (for example `mycase sync --watch`)");
    }
    if let Some(RenewError::Unfinished { .. }) = e.downcast_ref::<RenewError>() {
        return Some(", and run `mycase sync`");
    }
    match e.downcast_ref::<PairingError>() {
        Some(PairingError::IdTaken) => Some(": run `mycase pair` and `mycase join` again"),
        Some(PairingError::CodeMismatch) => {
            Some("; start again with `mycase pair` when nobody else can see your screen")
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use anyhow::Context;

    #[test]
    fn the_cli_names_its_own_commands_after_the_core_words() {
        // The server lost the account: the core offers an export, the CLI names it, once
        // (the refusal is both the device error's words and its source).
        let lost = DeviceError::Refused(Refused::AccountNotOnServer);
        let shown = explain_error(lost);
        assert!(
            shown.ends_with("an export takes everything out (`mycase export`)"),
            "{shown}"
        );
        assert_eq!(shown.matches("mycase export").count(), 1, "{shown}");
        // An untrusted certificate: the core says what is missing, the CLI which flag gives it.
        let cert = DeviceError::Transport(TransportError::Connect(
            mycase_core::transport::UNTRUSTED_CERTIFICATE.to_string(),
        ));
        assert!(explain_error(cert)
            .ends_with("needs the server's CA certificate (give it with --ca-cert FILE)"),);
        // Another connection failure gets no such advice.
        let down = DeviceError::Transport(TransportError::Connect("connection refused".into()));
        assert_eq!(
            explain_error(down),
            "cannot reach the server: connection refused"
        );
    }

    #[test]
    fn advice_follows_the_words_it_belongs_to_through_context_and_wrappers() {
        let home = std::path::PathBuf::from("/nowhere");
        let err: anyhow::Result<()> =
            Err(UnlockError::NotInitialised(home)).context("could not unlock MyCase");
        assert_eq!(
            explain(&err.unwrap_err()),
            "could not unlock MyCase: MyCase is not set up in /nowhere \
             (run `mycase init` or `mycase join`)"
        );
        let busy = UnlockError::Device(DeviceError::Store(StoreError::Busy));
        assert_eq!(
            explain_error(busy),
            "the local store is in use by another MyCase process \
             (for example `mycase sync --watch`)"
        );
        assert_eq!(
            explain_error(RevokeError::CannotRevokeSelf),
            "a device cannot revoke itself; to remove MyCase from this device use `mycase wipe`"
        );
        assert_eq!(
            explain_error(ShareDeviceError::NothingSelected),
            "say what to share: --entry ID, --from/--to, --category or --tag"
        );
        // Through each flow's wrapper of the device's error.
        for wrapped in [
            anyhow::Error::new(SetupError::Device(DeviceError::Store(StoreError::Busy))),
            anyhow::Error::new(RecoverError::Device(DeviceError::Store(StoreError::Busy))),
            anyhow::Error::new(PairingFlowError::Device(DeviceError::Store(
                StoreError::Busy,
            ))),
            anyhow::Error::new(RevokeError::Device(DeviceError::Store(StoreError::Busy))),
        ] {
            assert!(
                explain(&wrapped).ends_with("(for example `mycase sync --watch`)"),
                "{wrapped:#}"
            );
        }
        // A refusal carried as a source, under a flow's error, is said once.
        let revoked =
            ShareDeviceError::Device(DeviceError::Refused(mycase_core::Refused::Revoked {
                by: [1; 16],
            }));
        assert_eq!(
            explain(&anyhow::Error::new(revoked).context("could not create the share")),
            "could not create the share: MyCase on this device has been signed out of its journal"
        );
        // Errors without advice read as before.
        assert_eq!(
            explain_error(RevokeError::UnknownDevice),
            "no device of this journal has that id"
        );
    }
}
