//! Device statements: "device X is revoked" and "this account was deleted", signed
//! by one of the account's devices.
//!
//! A server's status code is only the server's word, and anyone holding its
//! certificate can send one. A device erases itself only on a statement signed by a
//! device it already trusts, which it checks itself ([`verify`]). The server keeps
//! the statement and hands it back in the status details; it cannot make one.

use mycase_proto::v1::device_statement::Kind;
use mycase_proto::v1::DeviceStatement;
use mycase_proto::wire::device_statement_message;

use crate::format::keys::{verify_signature, DeviceKeys};
use crate::ids::{id_from_slice, AccountId, DeviceId};

/// What a statement says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatementKind {
    /// The subject device is revoked (by another device, or by itself on wipe).
    DeviceRevoked,
    /// The whole account was erased by its owner.
    AccountDeleted,
}

impl StatementKind {
    fn wire(self) -> Kind {
        match self {
            StatementKind::DeviceRevoked => Kind::DeviceRevoked,
            StatementKind::AccountDeleted => Kind::AccountDeleted,
        }
    }
}

/// A statement that checked out: who said what about whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifiedStatement {
    /// What it states.
    pub kind: StatementKind,
    /// The device it is about (a revocation), or none (a deletion).
    pub subject: Option<DeviceId>,
    /// The trusted device that signed it.
    pub author: DeviceId,
}

/// Why a statement does not count. Deliberately coarse: the device only needs to
/// know that it must not act on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StatementError {
    /// The server showed no statement.
    #[error("the server sent no statement signed by one of your devices")]
    Missing,
    /// It is malformed.
    #[error("the statement is malformed")]
    Malformed,
    /// It is about another account or device.
    #[error("the statement is about another account or device")]
    NotAboutThisDevice,
    /// No device this device trusts signed it.
    #[error("the statement is not signed by a device this device trusts")]
    Untrusted,
}

/// Signs a statement with this device's key.
pub fn sign(
    keys: &DeviceKeys,
    kind: StatementKind,
    account_id: &AccountId,
    subject: Option<&DeviceId>,
    author: &DeviceId,
) -> DeviceStatement {
    let subject = subject.map(|s| s.to_vec()).unwrap_or_default();
    let signature = keys.sign(&device_statement_message(
        kind.wire() as u32,
        account_id,
        &subject,
        author,
    ));
    DeviceStatement {
        kind: kind.wire() as i32,
        account_id: account_id.to_vec(),
        subject_device_id: subject,
        author_device_id: author.to_vec(),
        signature: signature.to_vec(),
    }
}

/// Checks a statement as received in status details (`encoded`), for this
/// device (`me`) of `account_id`: it must be of `expected` kind, about this device
/// (a revocation) or this account (a deletion), and signed by a device for which
/// `trusted_key` gives a key. `trusted_key` must answer only for devices this
/// device trusts from its own signed roster (a revoked author's word does not count).
pub fn verify(
    encoded: &[u8],
    expected: StatementKind,
    account_id: &AccountId,
    me: &DeviceId,
    trusted_key: impl Fn(&DeviceId) -> Option<[u8; 32]>,
) -> Result<VerifiedStatement, StatementError> {
    use prost::Message;
    if encoded.is_empty() {
        return Err(StatementError::Missing);
    }
    let s = DeviceStatement::decode(encoded).map_err(|_| StatementError::Malformed)?;
    if s.kind != expected.wire() as i32 {
        return Err(StatementError::Malformed);
    }
    let author = id_from_slice(&s.author_device_id).ok_or(StatementError::Malformed)?;
    let subject = match expected {
        StatementKind::DeviceRevoked => {
            Some(id_from_slice(&s.subject_device_id).ok_or(StatementError::Malformed)?)
        }
        StatementKind::AccountDeleted if s.subject_device_id.is_empty() => None,
        StatementKind::AccountDeleted => return Err(StatementError::Malformed),
    };
    if s.account_id.as_slice() != account_id.as_slice()
        || subject.is_some_and(|subject| &subject != me)
    {
        return Err(StatementError::NotAboutThisDevice);
    }
    let key = trusted_key(&author).ok_or(StatementError::Untrusted)?;
    let message = device_statement_message(
        s.kind as u32,
        &s.account_id,
        &s.subject_device_id,
        &s.author_device_id,
    );
    if !verify_signature(&key, &message, &s.signature) {
        return Err(StatementError::Untrusted);
    }
    Ok(VerifiedStatement {
        kind: expected,
        subject,
        author,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use prost::Message;

    #[test]
    fn only_a_trusted_signature_about_this_device_counts() {
        let laptop = DeviceKeys::generate();
        let abuser = DeviceKeys::generate();
        let (account, phone, laptop_id, abuser_id) = ([1; 16], [2; 16], [3; 16], [4; 16]);
        let trusted = |d: &DeviceId| (d == &laptop_id).then(|| laptop.sign_public());
        let good = sign(
            &laptop,
            StatementKind::DeviceRevoked,
            &account,
            Some(&phone),
            &laptop_id,
        )
        .encode_to_vec();
        assert_eq!(
            verify(
                &good,
                StatementKind::DeviceRevoked,
                &account,
                &phone,
                trusted
            ),
            Ok(VerifiedStatement {
                kind: StatementKind::DeviceRevoked,
                subject: Some(phone),
                author: laptop_id
            })
        );
        // The server's bare word.
        assert_eq!(
            verify(&[], StatementKind::DeviceRevoked, &account, &phone, trusted),
            Err(StatementError::Missing)
        );
        // Replayed at another device, or another account.
        assert_eq!(
            verify(
                &good,
                StatementKind::DeviceRevoked,
                &account,
                &[9; 16],
                trusted
            ),
            Err(StatementError::NotAboutThisDevice)
        );
        assert_eq!(
            verify(
                &good,
                StatementKind::DeviceRevoked,
                &[9; 16],
                &phone,
                trusted
            ),
            Err(StatementError::NotAboutThisDevice)
        );
        // A revocation is not a deletion.
        assert!(verify(
            &good,
            StatementKind::AccountDeleted,
            &account,
            &phone,
            trusted
        )
        .is_err());
        // Signed by a key nobody trusts, or claiming a trusted author.
        let forged = sign(
            &abuser,
            StatementKind::DeviceRevoked,
            &account,
            Some(&phone),
            &abuser_id,
        )
        .encode_to_vec();
        assert_eq!(
            verify(
                &forged,
                StatementKind::DeviceRevoked,
                &account,
                &phone,
                trusted
            ),
            Err(StatementError::Untrusted)
        );
        let impostor = sign(
            &abuser,
            StatementKind::DeviceRevoked,
            &account,
            Some(&phone),
            &laptop_id,
        )
        .encode_to_vec();
        assert_eq!(
            verify(
                &impostor,
                StatementKind::DeviceRevoked,
                &account,
                &phone,
                trusted
            ),
            Err(StatementError::Untrusted)
        );
        assert_eq!(
            verify(
                b"\xff\xff",
                StatementKind::DeviceRevoked,
                &account,
                &phone,
                trusted
            ),
            Err(StatementError::Malformed)
        );
        let deleted = sign(
            &laptop,
            StatementKind::AccountDeleted,
            &account,
            None,
            &laptop_id,
        )
        .encode_to_vec();
        assert!(verify(
            &deleted,
            StatementKind::AccountDeleted,
            &account,
            &phone,
            trusted
        )
        .is_ok());
    }
}
