//! Recovery with the recovery key: challenge, signed registration of a new device.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use ed25519_dalek::{Signer, SigningKey};
use mycase_proto::v1::account_client::AccountClient;
use mycase_proto::v1::*;
use mycase_proto::wire;
use rand::rngs::OsRng;
use tonic::transport::Channel;
use tonic::Code;

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
