//! Recovery with the recovery key: challenge, signed registration of a new device.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mycase_tests::server::grpc as common;

use common::*;
use ed25519_dalek::{Signer, SigningKey};
use mycase_proto::v1::account_client::AccountClient;
use mycase_proto::v1::*;
use mycase_proto::wire;
use rand::rngs::OsRng;
use tonic::transport::Channel;
use tonic::{Code, Request};

/// Registers an account whose recovery key is `recovery`; returns its account id.
async fn register_with(
    account: &mut AccountClient<Channel>,
    recovery: &SigningKey,
    blob: &[u8],
) -> [u8; 16] {
    let (account_id, device_id) = (random::<16>(), random::<16>());
    let key = SigningKey::generate(&mut OsRng);
    let dh: [u8; 32] = random();
    let msg = wire::register_message(
        &account_id,
        &device_id,
        key.verifying_key().as_bytes(),
        &dh,
        recovery.verifying_key().as_bytes(),
        blob,
    );
    account
        .register(RegisterRequest {
            account_id: account_id.to_vec(),
            device_id: device_id.to_vec(),
            sign_public_key: key.verifying_key().to_bytes().to_vec(),
            dh_public_key: dh.to_vec(),
            recovery_public_key: recovery.verifying_key().to_bytes().to_vec(),
            recovery_blob: blob.to_vec(),
            invite_code: String::new(),
            proof: key.sign(&msg).to_bytes().to_vec(),
            recovery_proof: recovery
                .sign(&wire::recovery_registration_message(
                    &account_id,
                    &device_id,
                    key.verifying_key().as_bytes(),
                    &dh,
                ))
                .to_bytes()
                .to_vec(),
        })
        .await
        .unwrap();
    account_id
}

async fn challenge(account: &mut AccountClient<Channel>, recovery: &[u8]) -> Vec<u8> {
    account
        .recovery_challenge(RecoveryChallengeRequest {
            recovery_public_key: recovery.to_vec(),
        })
        .await
        .unwrap()
        .into_inner()
        .challenge
}

fn recover_request(
    recovery: &SigningKey,
    signer: &SigningKey,
    challenge: &[u8],
    device: &SigningKey,
    device_id: &[u8; 16],
) -> RecoverRequest {
    let dh: [u8; 32] = random();
    let msg = wire::recover_message(challenge, device_id, device.verifying_key().as_bytes(), &dh);
    RecoverRequest {
        recovery_public_key: recovery.verifying_key().to_bytes().to_vec(),
        challenge: challenge.to_vec(),
        signature: signer.sign(&msg).to_bytes().to_vec(),
        device_id: device_id.to_vec(),
        sign_public_key: device.verifying_key().to_bytes().to_vec(),
        dh_public_key: dh.to_vec(),
    }
}

#[tokio::test]
async fn recover_registers_a_device_and_returns_the_blob() {
    let t = start().await;
    let mut account = AccountClient::new(channel(&t.server).await);
    let recovery = SigningKey::generate(&mut OsRng);
    let account_id = register_with(&mut account, &recovery, b"the sealed blob").await;
    // Another account, so the lookup has to pick the right one.
    register_with(&mut account, &SigningKey::generate(&mut OsRng), b"other").await;

    let device = SigningKey::generate(&mut OsRng);
    let device_id = random::<16>();
    let c = challenge(&mut account, recovery.verifying_key().as_bytes()).await;
    let req = recover_request(&recovery, &recovery, &c, &device, &device_id);
    let resp = account.recover(req.clone()).await.unwrap().into_inner();
    assert_eq!(resp.account_id, account_id.to_vec());
    assert_eq!(resp.recovery_blob, b"the sealed blob".to_vec());
    // Single use.
    assert_code(account.recover(req).await, Code::Unauthenticated);

    // The new device can log in to that account.
    let challenge = account
        .challenge(ChallengeRequest {
            device_id: device_id.to_vec(),
        })
        .await
        .unwrap()
        .into_inner()
        .challenge;
    let auth = account
        .authenticate(AuthenticateRequest {
            device_id: device_id.to_vec(),
            challenge: challenge.clone(),
            signature: device
                .sign(&wire::auth_message(&device_id, &challenge))
                .to_bytes()
                .to_vec(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(auth.account_id, account_id.to_vec());
    t.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn wrong_keys_and_signatures_are_refused_alike() {
    let t = start().await;
    let mut account = AccountClient::new(channel(&t.server).await);
    let recovery = SigningKey::generate(&mut OsRng);
    register_with(&mut account, &recovery, b"blob").await;
    let device = SigningKey::generate(&mut OsRng);

    // An unknown recovery key still gets a challenge (no oracle) but cannot recover.
    let stranger = SigningKey::generate(&mut OsRng);
    let c = challenge(&mut account, stranger.verifying_key().as_bytes()).await;
    assert_eq!(c.len(), 32);
    let req = recover_request(&stranger, &stranger, &c, &device, &random());
    let unknown = assert_code(account.recover(req).await, Code::Unauthenticated);

    // A signature by another key over a real account's recovery key.
    let c = challenge(&mut account, recovery.verifying_key().as_bytes()).await;
    let req = recover_request(&recovery, &stranger, &c, &device, &random());
    let forged = assert_code(account.recover(req).await, Code::Unauthenticated);
    assert_eq!(unknown.message(), forged.message());

    // A challenge issued for another key.
    let c = challenge(&mut account, stranger.verifying_key().as_bytes()).await;
    let req = recover_request(&recovery, &recovery, &c, &device, &random());
    assert_code(account.recover(req).await, Code::Unauthenticated);

    // Malformed fields.
    let c = challenge(&mut account, recovery.verifying_key().as_bytes()).await;
    let mut req = recover_request(&recovery, &recovery, &c, &device, &random());
    req.dh_public_key.truncate(31);
    assert_code(account.recover(req).await, Code::InvalidArgument);
    assert_code(
        account
            .recovery_challenge(RecoveryChallengeRequest {
                recovery_public_key: vec![1; 5],
            })
            .await,
        Code::InvalidArgument,
    );
    t.server.shutdown().await.unwrap();
}

/// A registration claiming `recovery`'s public key, with `proof_by` signing the
/// recovery proof (`None`: no proof at all).
fn squat_request(recovery: &SigningKey, proof_by: Option<&SigningKey>) -> RegisterRequest {
    let (account_id, device_id) = (random::<16>(), random::<16>());
    let key = SigningKey::generate(&mut OsRng);
    let mut req = register_request(&account_id, &device_id, &key);
    req.recovery_public_key = recovery.verifying_key().to_bytes().to_vec();
    req.proof = key
        .sign(&wire::register_message(
            &account_id,
            &device_id,
            key.verifying_key().as_bytes(),
            &req.dh_public_key,
            &req.recovery_public_key,
            &req.recovery_blob,
        ))
        .to_bytes()
        .to_vec();
    req.recovery_proof = match proof_by {
        Some(signer) => signer
            .sign(&wire::recovery_registration_message(
                &account_id,
                &device_id,
                key.verifying_key().as_bytes(),
                &req.dh_public_key,
            ))
            .to_bytes()
            .to_vec(),
        None => Vec::new(),
    };
    req
}

/// Attack 1 (recovery squatting): someone who read the survivor's journal (the
/// recovery public key is in it) registers an account claiming that key, so the
/// survivor's `mycase recover` lands elsewhere or fails. Refused without a proof,
/// with a proof by another key, and even with a valid proof while an account
/// holds the key; the survivor's recovery still finds the survivor's account.
#[tokio::test]
async fn a_recovery_key_cannot_be_squatted() {
    let t = start().await;
    let mut account = AccountClient::new(channel(&t.server).await);
    let recovery = SigningKey::generate(&mut OsRng);
    let survivor = register_with(&mut account, &recovery, b"the survivor's blob").await;

    let status = assert_code(
        account.register(squat_request(&recovery, None)).await,
        Code::InvalidArgument,
    );
    assert!(status.message().contains("recovery_proof is required"));
    let abuser = SigningKey::generate(&mut OsRng);
    let status = assert_code(
        account
            .register(squat_request(&recovery, Some(&abuser)))
            .await,
        Code::InvalidArgument,
    );
    assert!(status.message().contains("does not verify"), "{status:?}");
    let status = assert_code(
        account
            .register(squat_request(&recovery, Some(&recovery)))
            .await,
        Code::AlreadyExists,
    );
    assert!(status.message().contains("recovery key is already in use"));

    // The survivor's kit still opens the survivor's account, and only it.
    let c = challenge(&mut account, recovery.verifying_key().as_bytes()).await;
    let device = SigningKey::generate(&mut OsRng);
    let req = recover_request(&recovery, &recovery, &c, &device, &random());
    let resp = account.recover(req).await.unwrap().into_inner();
    assert_eq!(resp.account_id, survivor.to_vec());
    assert_eq!(resp.recovery_blob, b"the survivor's blob".to_vec());
    t.server.shutdown().await.unwrap();
}

/// A renewal as `device` (of `account_id`) from `old` to `new`; `old_signer`
/// and `new_signer` sign the renewal message.
fn renewal(
    account_id: &[u8],
    old: &SigningKey,
    new: &SigningKey,
    old_signer: &SigningKey,
    new_signer: &SigningKey,
    blob: &[u8],
) -> RenewRecoveryKeyRequest {
    let new_dh: [u8; 32] = random();
    let message = wire::recovery_renewal_message(
        account_id,
        old.verifying_key().as_bytes(),
        new.verifying_key().as_bytes(),
        &new_dh,
    );
    RenewRecoveryKeyRequest {
        old_recovery_public_key: old.verifying_key().to_bytes().to_vec(),
        new_recovery_public_key: new.verifying_key().to_bytes().to_vec(),
        new_recovery_dh_public_key: new_dh.to_vec(),
        old_key_signature: old_signer.sign(&message).to_bytes().to_vec(),
        new_key_signature: new_signer.sign(&message).to_bytes().to_vec(),
        recovery_blob: blob.to_vec(),
    }
}

/// Attacks on `RenewRecoveryKey` (item 10's server half): an insider device
/// renews the kit without the old kit's authority, or to a key another account
/// holds; then, after a real renewal, the old kit (which the abuser may have
/// photographed) is refused exactly like a key nobody ever registered.
#[tokio::test]
async fn renewing_the_kit_needs_the_old_kit_and_retires_it() {
    let t = start().await;
    let mut d = Device::register(&t.server).await;
    // The test's device registered with a random kit: renew from a known one.
    let old = SigningKey::generate(&mut OsRng);
    let req = d.authed(renewal(&d.account_id, &old, &old, &old, &old, b"x"));
    assert_code(
        d.account.renew_recovery_key(req).await,
        Code::InvalidArgument,
    );
    let mut account = AccountClient::new(channel(&t.server).await);
    let survivor = register_with(&mut account, &old, b"old blob").await;
    // A device of that account, logged in through recovery with the old kit.
    let c = challenge(&mut account, old.verifying_key().as_bytes()).await;
    let device_key = SigningKey::generate(&mut OsRng);
    let device_id = random::<16>();
    account
        .recover(recover_request(&old, &old, &c, &device_key, &device_id))
        .await
        .unwrap();
    d.account_id = survivor;
    d.device_id = device_id;
    d.key = device_key;
    d.login().await.unwrap();

    let abuser = SigningKey::generate(&mut OsRng);
    let new = SigningKey::generate(&mut OsRng);
    // Without the old key's signature (the abuser signs in its place).
    let req = d.authed(renewal(&survivor, &old, &new, &abuser, &new, b"resealed"));
    let status = assert_code(
        d.account.renew_recovery_key(req).await,
        Code::InvalidArgument,
    );
    assert!(status.message().contains("old recovery key did not sign"));
    // Without the new key's.
    let req = d.authed(renewal(&survivor, &old, &new, &old, &abuser, b"resealed"));
    assert_code(
        d.account.renew_recovery_key(req).await,
        Code::InvalidArgument,
    );
    // Signed for another account.
    let req = d.authed(renewal(
        &random::<16>(),
        &old,
        &new,
        &old,
        &new,
        b"resealed",
    ));
    assert_code(
        d.account.renew_recovery_key(req).await,
        Code::InvalidArgument,
    );
    // To a key another account holds (both keys sign: the test holds both).
    let taken = SigningKey::generate(&mut OsRng);
    register_with(&mut account, &taken, b"someone else").await;
    let req = d.authed(renewal(&survivor, &old, &taken, &old, &taken, b"resealed"));
    assert_code(d.account.renew_recovery_key(req).await, Code::AlreadyExists);
    // From a key that is not the account's (the abuser's own kit).
    let req = d.authed(renewal(
        &survivor,
        &abuser,
        &new,
        &abuser,
        &new,
        b"resealed",
    ));
    assert_code(
        d.account.renew_recovery_key(req).await,
        Code::FailedPrecondition,
    );
    // Not without a session.
    let req = Request::new(renewal(&survivor, &old, &new, &old, &new, b"resealed"));
    assert_code(account.renew_recovery_key(req).await, Code::Unauthenticated);

    // None of that changed anything: the old kit still recovers.
    let c = challenge(&mut account, old.verifying_key().as_bytes()).await;
    let req = recover_request(&old, &old, &c, &SigningKey::generate(&mut OsRng), &random());
    let resp = account.recover(req).await.unwrap().into_inner();
    assert_eq!(resp.recovery_blob, b"old blob".to_vec());

    // The real renewal.
    let req = d.authed(renewal(&survivor, &old, &new, &old, &new, b"resealed"));
    d.account.renew_recovery_key(req).await.unwrap();

    // The old kit is now refused exactly like a key nobody registered.
    let c = challenge(&mut account, old.verifying_key().as_bytes()).await;
    let req = recover_request(&old, &old, &c, &SigningKey::generate(&mut OsRng), &random());
    let retired = assert_code(account.recover(req).await, Code::Unauthenticated);
    let stranger = SigningKey::generate(&mut OsRng);
    let c = challenge(&mut account, stranger.verifying_key().as_bytes()).await;
    let req = recover_request(
        &stranger,
        &stranger,
        &c,
        &SigningKey::generate(&mut OsRng),
        &random(),
    );
    let unknown = assert_code(account.recover(req).await, Code::Unauthenticated);
    assert_eq!(retired.message(), unknown.message());
    // Renewing from it again is refused too.
    let again = SigningKey::generate(&mut OsRng);
    let req = d.authed(renewal(&survivor, &old, &again, &old, &again, b"x"));
    assert_code(
        d.account.renew_recovery_key(req).await,
        Code::FailedPrecondition,
    );

    // The new kit opens the account, with the resealed blob.
    let c = challenge(&mut account, new.verifying_key().as_bytes()).await;
    let req = recover_request(&new, &new, &c, &SigningKey::generate(&mut OsRng), &random());
    let resp = account.recover(req).await.unwrap().into_inner();
    assert_eq!(resp.account_id, survivor.to_vec());
    assert_eq!(resp.recovery_blob, b"resealed".to_vec());
    t.server.shutdown().await.unwrap();
}
