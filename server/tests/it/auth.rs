//! Registration, authentication, sessions and health over TLS.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mycase_tests::server::grpc as common;

use std::time::Duration;

use common::*;
use ed25519_dalek::{Signer, SigningKey};
use mycase_proto::v1::account_client::AccountClient;
use mycase_proto::v1::sync_client::SyncClient;
use mycase_proto::v1::*;
use mycase_proto::wire;
use rand::rngs::OsRng;
use tonic::{Code, Request};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

#[tokio::test]
async fn register_validates_and_refuses_duplicates() {
    let t = start().await;
    let mut account = AccountClient::new(channel(&t.server).await);
    let key = SigningKey::generate(&mut OsRng);
    let (account_id, device_id) = (random::<16>(), random::<16>());

    let mut short = register_request(&account_id[..15], &device_id, &key);
    short.account_id.truncate(15);
    assert_code(account.register(short).await, Code::InvalidArgument);
    let mut forged = register_request(&account_id, &device_id, &key);
    forged.recovery_blob.push(0);
    assert_code(account.register(forged).await, Code::InvalidArgument);
    let mut big = register_request(&account_id, &device_id, &key);
    big.recovery_blob = vec![0; 64 * 1024 + 1];
    assert_code(account.register(big).await, Code::InvalidArgument);

    account
        .register(register_request(&account_id, &device_id, &key))
        .await
        .unwrap();
    // Same account id, or same device id in a new account.
    assert_code(
        account
            .register(register_request(&account_id, &random::<16>(), &key))
            .await,
        Code::AlreadyExists,
    );
    assert_code(
        account
            .register(register_request(&random::<16>(), &device_id, &key))
            .await,
        Code::AlreadyExists,
    );
    t.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn list_and_add_devices() {
    let t = start().await;
    let mut a = Device::register(&t.server).await;
    let b = a.add_device(&t.server).await;
    let req = a.authed(ListDevicesRequest {});
    let devices = a
        .account
        .list_devices(req)
        .await
        .unwrap()
        .into_inner()
        .devices;
    let mut ids: Vec<_> = devices.iter().map(|d| d.device_id.clone()).collect();
    let mut want = vec![a.device_id.to_vec(), b.device_id.to_vec()];
    ids.sort();
    want.sort();
    assert_eq!(ids, want);
    assert!(devices
        .iter()
        .all(|d| !d.revoked && d.sign_public_key.len() == 32));

    // Duplicate id, and a malformed key, are refused.
    let dup = a.authed(AddDeviceRequest {
        device_id: b.device_id.to_vec(),
        sign_public_key: b.key.verifying_key().to_bytes().to_vec(),
        dh_public_key: vec![1; 32],
    });
    assert_code(a.account.add_device(dup).await, Code::AlreadyExists);
    let bad = a.authed(AddDeviceRequest {
        device_id: random::<16>().to_vec(),
        sign_public_key: vec![1; 31],
        dh_public_key: vec![1; 32],
    });
    assert_code(a.account.add_device(bad).await, Code::InvalidArgument);
    let req = a.authed(ListDevicesRequest {});
    assert_eq!(
        a.account
            .list_devices(req)
            .await
            .unwrap()
            .into_inner()
            .devices
            .len(),
        2
    );
    t.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn calls_without_a_valid_session_are_refused() {
    let t = start().await;
    let mut a = Device::register(&t.server).await;
    a.append(a.records(0, genesis(), 1)).await.unwrap();
    let mut sync = SyncClient::new(channel(&t.server).await);
    let mut account = AccountClient::new(channel(&t.server).await);

    assert_code(
        sync.get_vector(GetVectorRequest {}).await,
        Code::Unauthenticated,
    );
    assert_code(
        account.list_devices(ListDevicesRequest {}).await,
        Code::Unauthenticated,
    );
    // Forged (random) token, malformed token, wrong scheme.
    assert_code(
        sync.get_vector(with_token(GetVectorRequest {}, &random::<32>()))
            .await,
        Code::Unauthenticated,
    );
    assert_code(
        sync.get_vector(with_token(GetVectorRequest {}, &[1, 2, 3]))
            .await,
        Code::Unauthenticated,
    );
    let mut basic = Request::new(GetVectorRequest {});
    basic
        .metadata_mut()
        .insert("authorization", "Basic abc".parse().unwrap());
    assert_code(sync.get_vector(basic).await, Code::Unauthenticated);
    let unauth_append = AppendRequest {
        records: a.records(1, [0; 32], 1),
    };
    assert_code(
        sync.append(with_token(unauth_append, &random::<32>()))
            .await,
        Code::Unauthenticated,
    );
    let pull = PullRequest {
        since: None,
        page_size: 0,
    };
    assert_code(sync.pull(pull).await, Code::Unauthenticated);
    assert_code(sync.watch(WatchRequest {}).await, Code::Unauthenticated);

    // Nothing changed.
    assert_eq!(a.vector().await, vec![(a.device_id.to_vec(), 1)]);
    t.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn expired_sessions_are_refused() {
    let t = start_with(|c| c.session_ttl = Duration::ZERO).await;
    let mut account = AccountClient::new(channel(&t.server).await);
    let mut sync = SyncClient::new(channel(&t.server).await);
    let key = SigningKey::generate(&mut OsRng);
    let (account_id, device_id) = (random::<16>(), random::<16>());
    account
        .register(register_request(&account_id, &device_id, &key))
        .await
        .unwrap();
    let challenge = account
        .challenge(ChallengeRequest {
            device_id: device_id.to_vec(),
        })
        .await
        .unwrap()
        .into_inner()
        .challenge;
    let signature = key
        .sign(&wire::auth_message(&device_id, &challenge))
        .to_bytes()
        .to_vec();
    let token = account
        .authenticate(AuthenticateRequest {
            device_id: device_id.to_vec(),
            challenge,
            signature,
        })
        .await
        .unwrap()
        .into_inner()
        .session_token;
    let status = assert_code(
        sync.get_vector(with_token(GetVectorRequest {}, &token))
            .await,
        Code::Unauthenticated,
    );
    assert!(status.message().contains("expired"), "{}", status.message());
    t.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn challenges_are_single_use_and_signatures_checked() {
    let t = start().await;
    let mut a = Device::register(&t.server).await;
    let challenge = |device_id: [u8; 16]| ChallengeRequest {
        device_id: device_id.to_vec(),
    };

    // Bad signature (another key) fails, and burns the challenge.
    let c = a
        .account
        .challenge(challenge(a.device_id))
        .await
        .unwrap()
        .into_inner()
        .challenge;
    let other = SigningKey::generate(&mut OsRng);
    let bad = other
        .sign(&wire::auth_message(&a.device_id, &c))
        .to_bytes()
        .to_vec();
    let req = AuthenticateRequest {
        device_id: a.device_id.to_vec(),
        challenge: c.clone(),
        signature: bad,
    };
    assert_code(a.account.authenticate(req).await, Code::Unauthenticated);
    let good = a
        .key
        .sign(&wire::auth_message(&a.device_id, &c))
        .to_bytes()
        .to_vec();
    let req = AuthenticateRequest {
        device_id: a.device_id.to_vec(),
        challenge: c,
        signature: good,
    };
    assert_code(a.account.authenticate(req).await, Code::Unauthenticated);

    // A good answer works once, not twice.
    let c = a
        .account
        .challenge(challenge(a.device_id))
        .await
        .unwrap()
        .into_inner()
        .challenge;
    let good = a
        .key
        .sign(&wire::auth_message(&a.device_id, &c))
        .to_bytes()
        .to_vec();
    let req = AuthenticateRequest {
        device_id: a.device_id.to_vec(),
        challenge: c,
        signature: good,
    };
    let resp = a
        .account
        .authenticate(req.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(resp.session_token.len(), 32);
    assert_eq!(resp.account_id, a.account_id.to_vec());
    assert_code(a.account.authenticate(req).await, Code::Unauthenticated);

    // A challenge issued for one device cannot be used for another.
    let c = a
        .account
        .challenge(challenge(random()))
        .await
        .unwrap()
        .into_inner()
        .challenge;
    let good = a
        .key
        .sign(&wire::auth_message(&a.device_id, &c))
        .to_bytes()
        .to_vec();
    let req = AuthenticateRequest {
        device_id: a.device_id.to_vec(),
        challenge: c,
        signature: good,
    };
    assert_code(a.account.authenticate(req).await, Code::Unauthenticated);

    // An unknown device still gets a challenge (no oracle), but cannot log in.
    let stranger = random::<16>();
    let c = a
        .account
        .challenge(challenge(stranger))
        .await
        .unwrap()
        .into_inner()
        .challenge;
    assert_eq!(c.len(), 32);
    let sig = other
        .sign(&wire::auth_message(&stranger, &c))
        .to_bytes()
        .to_vec();
    let req = AuthenticateRequest {
        device_id: stranger.to_vec(),
        challenge: c,
        signature: sig,
    };
    assert_code(a.account.authenticate(req).await, Code::Unauthenticated);

    // Malformed device id.
    assert_code(
        a.account
            .challenge(ChallengeRequest {
                device_id: vec![0; 15],
            })
            .await,
        Code::InvalidArgument,
    );
    t.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn expired_challenges_are_refused() {
    let t = start_with(|c| c.challenge_ttl = Duration::ZERO).await;
    let mut a = Device::register_without_login(&t.server).await;
    assert_code(a.login().await, Code::Unauthenticated);
    t.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn health_reports_serving() {
    let t = start().await;
    let mut health = HealthClient::new(channel(&t.server).await);
    for service in ["", "mycase.v1.Account", "mycase.v1.Sync"] {
        let resp = health
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(resp.status, ServingStatus::Serving as i32, "{service}");
    }
    t.server.shutdown().await.unwrap();
}

/// Attack (item 14): an abuser who knows the survivor's device id floods
/// sign-ins with bad signatures to spend the account's sign-in budget and lock
/// the survivor out. Only verified sign-ins spend it.
#[tokio::test]
async fn failed_sign_ins_do_not_spend_the_accounts_budget() {
    let t = start_with(|c| {
        c.rate_limits.auth_per_account = 3;
        c.rate_limits.auth_per_address = 0;
    })
    .await;
    let mut survivor = Device::register_without_login(&t.server).await;
    let mut abuser = AccountClient::new(channel(&t.server).await);
    let wrong_key = SigningKey::generate(&mut OsRng);
    for _ in 0..20 {
        let challenge = abuser
            .challenge(ChallengeRequest {
                device_id: survivor.device_id.to_vec(),
            })
            .await
            .unwrap()
            .into_inner()
            .challenge;
        let signature = wrong_key
            .sign(&wire::auth_message(&survivor.device_id, &challenge))
            .to_bytes()
            .to_vec();
        let status = assert_code(
            abuser
                .authenticate(AuthenticateRequest {
                    device_id: survivor.device_id.to_vec(),
                    challenge,
                    signature,
                })
                .await,
            Code::Unauthenticated,
        );
        assert_eq!(status.message(), "unknown device or bad signature");
    }
    // The survivor still signs in, as often as the budget allows, and no more.
    for _ in 0..3 {
        survivor.login().await.unwrap();
    }
    let status = assert_code(survivor.login().await, Code::ResourceExhausted);
    assert!(status.message().contains("for this account"), "{status:?}");
}

/// A client bound to `local` (another loopback address, so the server sees
/// another peer).
async fn account_client_from(
    server: &mycase_server::RunningServer,
    local: std::net::IpAddr,
) -> AccountClient<tonic::transport::Channel> {
    use tonic::transport::{Certificate, Channel, ClientTlsConfig};
    let tls = ClientTlsConfig::new().ca_certificate(Certificate::from_pem(server.ca_cert_pem()));
    let channel = Channel::from_shared(server.url())
        .unwrap()
        .local_address(Some(local))
        .tls_config(tls)
        .unwrap()
        .connect()
        .await
        .unwrap();
    AccountClient::new(channel)
}

/// Attack (item 14): a flood of sign-in traffic from one address must not starve
/// anyone else: the per-address budget is per address.
#[tokio::test]
async fn a_flood_from_one_address_does_not_starve_another() {
    let t = start_with(|c| c.rate_limits.auth_per_address = 5).await;
    let mut flooder = account_client_from(&t.server, [127, 0, 0, 1].into()).await;
    let mut refused = 0;
    for _ in 0..50 {
        match flooder
            .challenge(ChallengeRequest {
                device_id: random::<16>().to_vec(),
            })
            .await
        {
            Ok(_) => {}
            Err(s) => {
                assert_eq!(s.code(), Code::ResourceExhausted);
                refused += 1;
            }
        }
    }
    assert_eq!(refused, 45, "the flooding address got its five");
    let mut neighbour = account_client_from(&t.server, [127, 0, 0, 2].into()).await;
    for _ in 0..5 {
        neighbour
            .challenge(ChallengeRequest {
                device_id: random::<16>().to_vec(),
            })
            .await
            .unwrap();
    }
    // And the flooder is still held back.
    assert_code(
        flooder
            .challenge(ChallengeRequest {
                device_id: random::<16>().to_vec(),
            })
            .await,
        Code::ResourceExhausted,
    );
}
