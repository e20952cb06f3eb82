//! Revocation on a signed statement, and the statement handed back to the
//! revoked device with every refusal (issue 10, attack 3, server half): a bare
//! "device revoked" is only the server's word, so the server refuses to revoke
//! without the revoking device's signature and always returns that signature.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mycase_tests::server::grpc as common;

use common::*;
use ed25519_dalek::SigningKey;
use mycase_proto::v1::device_statement::Kind;
use mycase_proto::v1::*;
use rand::rngs::OsRng;
use tonic::Code;

async fn revoked(d: &mut Device) -> bool {
    d.login()
        .await
        .is_err_and(|s| s.code() == Code::PermissionDenied)
}

/// An insider (or anyone with a session) tries to revoke a device without the
/// revoking device's valid statement: no statement, one signed by another key,
/// one about another device or account, one claiming another author, one of the
/// wrong kind. Every one is refused and the target keeps working.
#[tokio::test]
async fn revocation_needs_the_callers_signed_statement() {
    let t = start().await;
    let mut a = Device::register(&t.server).await;
    let mut b = a.add_device(&t.server).await;
    let other = Device::register(&t.server).await;
    let stranger = SigningKey::generate(&mut OsRng);
    let subject = b.device_id;
    let cases = [
        None,
        Some(sign_statement(
            &stranger,
            Kind::DeviceRevoked,
            &a.account_id,
            &subject,
            &a.device_id,
        )),
        Some(a.statement(Kind::DeviceRevoked, &a.device_id)),
        Some(sign_statement(
            &a.key,
            Kind::DeviceRevoked,
            &other.account_id,
            &subject,
            &a.device_id,
        )),
        Some(sign_statement(
            &b.key,
            Kind::DeviceRevoked,
            &a.account_id,
            &subject,
            &b.device_id,
        )),
        Some(a.statement(Kind::AccountDeleted, &subject)),
        Some(DeviceStatement {
            signature: vec![1; 64],
            ..a.statement(Kind::DeviceRevoked, &subject)
        }),
    ];
    for statement in cases {
        let req = a.authed(RevokeDeviceRequest {
            device_id: subject.to_vec(),
            statement,
        });
        assert_code(a.account.revoke_device(req).await, Code::InvalidArgument);
    }
    assert!(!revoked(&mut b).await, "b still works");
    // A device of another account cannot be revoked, statement or not.
    let req = a.revoke_request(&other.device_id);
    assert_code(a.account.revoke_device(req).await, Code::NotFound);
    t.server.shutdown().await.unwrap();
}

/// The revoked device is refused with the revoking device's statement as the
/// status details, on every path (an open session, a new sign-in), so it can
/// check who revoked it instead of obeying a bare status.
#[tokio::test]
async fn every_revocation_refusal_carries_the_statement() {
    let t = start().await;
    let mut a = Device::register(&t.server).await;
    let mut b = a.add_device(&t.server).await;
    let req = a.revoke_request(&b.device_id);
    a.account.revoke_device(req).await.unwrap();

    let session = assert_code(
        b.sync.get_vector(b.authed(GetVectorRequest {})).await,
        Code::Unauthenticated,
    );
    assert_eq!(
        session.message(),
        "unknown or revoked session; authenticate again"
    );
    let login = assert_code(b.login().await, Code::PermissionDenied);
    assert_eq!(login.message(), mycase_proto::DEVICE_REVOKED);
    let statement = verified_statement(&login, &a.key);
    assert_eq!(statement.kind, Kind::DeviceRevoked as i32);
    assert_eq!(statement.subject_device_id, b.device_id.to_vec());
    assert_eq!(statement.author_device_id, a.device_id.to_vec());
    assert_eq!(statement.account_id, a.account_id.to_vec());

    // A second revocation (by another device) keeps the first statement.
    let mut c = a.add_device(&t.server).await;
    let req = c.revoke_request(&b.device_id);
    c.account.revoke_device(req).await.unwrap();
    let login = assert_code(b.login().await, Code::PermissionDenied);
    verified_statement(&login, &a.key);
    t.server.shutdown().await.unwrap();
}

/// A device wiped while online retires itself: revoking itself is allowed, and
/// it is then refused like any revoked device, with its own statement.
#[tokio::test]
async fn a_device_can_retire_itself() {
    let t = start().await;
    let mut a = Device::register(&t.server).await;
    let mut b = a.add_device(&t.server).await;
    let req = b.revoke_request(&b.device_id);
    b.account.revoke_device(req).await.unwrap();
    let login = assert_code(b.login().await, Code::PermissionDenied);
    let statement = verified_statement(&login, &b.key);
    assert_eq!(statement.subject_device_id, statement.author_device_id);
    // The rest of the account is untouched.
    a.login().await.unwrap();
    let listed = a
        .account
        .list_devices(a.authed(ListDevicesRequest {}))
        .await
        .unwrap()
        .into_inner()
        .devices;
    assert!(listed
        .iter()
        .any(|d| d.device_id == b.device_id.to_vec() && d.revoked));
    t.server.shutdown().await.unwrap();
}

/// Attack: an insider re-adds a known device id (the survivor's phone) with the
/// abuser's keys, through AddDevice or through recovery. A device id's keys never
/// change once set.
#[tokio::test]
async fn a_device_ids_keys_never_change() {
    let t = start().await;
    let mut a = Device::register(&t.server).await;
    let mut b = a.add_device(&t.server).await;
    let other = Device::register(&t.server).await;
    let abuser = SigningKey::generate(&mut OsRng);
    for target in [b.device_id, a.device_id, other.device_id] {
        let req = a.authed(AddDeviceRequest {
            device_id: target.to_vec(),
            sign_public_key: abuser.verifying_key().to_bytes().to_vec(),
            dh_public_key: random::<32>().to_vec(),
        });
        let mut account = a.account.clone();
        let status = assert_code(account.add_device(req).await, Code::AlreadyExists);
        assert_eq!(status.message(), "device id already registered");
    }
    let listed = b
        .account
        .list_devices(b.authed(ListDevicesRequest {}))
        .await
        .unwrap()
        .into_inner()
        .devices;
    let row = listed
        .iter()
        .find(|d| d.device_id == b.device_id.to_vec())
        .unwrap();
    assert_eq!(
        row.sign_public_key,
        b.key.verifying_key().to_bytes().to_vec()
    );
    // The genuine key still signs in; the abuser's does not.
    b.login().await.unwrap();
    b.key = abuser;
    assert_code(b.login().await, Code::Unauthenticated);
    t.server.shutdown().await.unwrap();
}
