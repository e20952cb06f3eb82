//! Checking the signed `DeviceStatement`s a device sends with RevokeDevice and
//! DeleteAccount. The server keeps them and hands them back in status details,
//! because a bare status is only the server's word (or that of anyone holding its
//! certificate); a device erases itself only on a statement it verifies itself.
//! The server checks them too, so it never stores one that a device would refuse.

use mycase_proto::v1::device_statement::Kind;
use mycase_proto::v1::DeviceStatement;
use mycase_proto::wire::device_statement_message;
use prost::Message;

use crate::access::auth::Session;
use crate::api::validate;
use crate::error::{ServerError, ServerResult};
use crate::store::DeviceRow;

/// Checks that `statement` is of `kind`, about the caller's account and
/// `subject` (empty for a deletion), written by the caller, and signed with the
/// caller's registered key. Returns it encoded, as stored and handed back.
pub fn check(
    statement: Option<&DeviceStatement>,
    kind: Kind,
    session: &Session,
    subject: &[u8],
    author: &DeviceRow,
) -> ServerResult<Vec<u8>> {
    let s = statement.ok_or_else(|| {
        ServerError::InvalidArgument(
            "a statement signed by this device is required (update MyCase)".into(),
        )
    })?;
    if s.kind != kind as i32 {
        return Err(ServerError::InvalidArgument(format!(
            "the statement must be of kind {}",
            kind.as_str_name()
        )));
    }
    if s.account_id.as_slice() != session.account_id.as_slice() {
        return Err(ServerError::InvalidArgument(
            "the statement is about another account".into(),
        ));
    }
    if s.subject_device_id.as_slice() != subject {
        return Err(ServerError::InvalidArgument(
            "the statement is about another device".into(),
        ));
    }
    if s.author_device_id.as_slice() != session.device_id.as_slice()
        || author.device_id != session.device_id
    {
        return Err(ServerError::InvalidArgument(
            "the statement must be written by the device sending it".into(),
        ));
    }
    let signature = validate::signature("statement signature", &s.signature)?;
    let key = validate::verifying_key("sign_public_key", &author.sign_public_key)?;
    let message = device_statement_message(
        kind as u32,
        &s.account_id,
        &s.subject_device_id,
        &s.author_device_id,
    );
    key.verify_strict(&message, &signature).map_err(|_| {
        ServerError::BadSignature("the statement's signature does not verify".into())
    })?;
    Ok(s.encode_to_vec())
}
