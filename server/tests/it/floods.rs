//! Floods of what the server holds for everyone: challenges requested in a loop
//! (they are stateless: nothing fills), challenges answered in a loop (refused
//! for the flooding address only), and one signed-in account opening pairing
//! slots in a loop (stopped at its own limit, another account still pairs), and
//! accounts created and deleted in a loop (refused for that address only).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mycase_tests::server::grpc as common;

use std::net::{IpAddr, Ipv4Addr};

use common::*;
use futures_util::StreamExt;
use mycase_proto::v1::account_client::AccountClient;
use mycase_proto::v1::*;
use mycase_server::api::pairing::MAX_SLOTS_PER_ACCOUNT;
use mycase_server::RunningServer;
use tonic::transport::{Certificate, Channel, ClientTlsConfig};
use tonic::Code;

const OTHER_ADDRESS: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

/// An Account client whose connection comes from `from`.
async fn account_from(server: &RunningServer, from: IpAddr) -> AccountClient<Channel> {
    let tls = ClientTlsConfig::new().ca_certificate(Certificate::from_pem(server.ca_cert_pem()));
    let channel = Channel::from_shared(server.url())
        .unwrap()
        .tls_config(tls)
        .unwrap()
        .local_address(Some(from))
        .connect()
        .await
        .unwrap();
    AccountClient::new(channel)
}

/// Asks for a challenge for a device nobody registered and answers it with a
/// signature that cannot verify.
async fn failed_sign_in(account: &mut AccountClient<Channel>) -> tonic::Status {
    let device_id = random::<16>().to_vec();
    let challenge = account
        .challenge(ChallengeRequest {
            device_id: device_id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .challenge;
    account
        .authenticate(AuthenticateRequest {
            device_id,
            challenge,
            signature: random::<64>().to_vec(),
        })
        .await
        .unwrap_err()
}

#[tokio::test]
async fn requested_challenges_fill_nothing() {
    // More than the 100,000 pending challenges that used to lock everyone out.
    const FLOOD: usize = 100_001;
    // The per-address rate limit off: what is left is what the flood fills.
    let t = start_with(|c| c.rate_limits.auth_per_address = 0).await;
    let mut device = Device::register(&t.server).await;
    let account = device.account.clone();
    futures_util::stream::iter(0..FLOOD)
        .map(|_| {
            let mut account = account.clone();
            async move {
                account
                    .challenge(ChallengeRequest {
                        device_id: random::<16>().to_vec(),
                    })
                    .await
                    .unwrap();
            }
        })
        .buffer_unordered(32)
        .collect::<Vec<()>>()
        .await;
    // From the flooding address itself, too.
    device.login().await.unwrap();
}

#[tokio::test]
async fn answering_challenges_in_a_loop_is_refused_for_that_address_only() {
    let t = start_with(|c| c.rate_limits.auth_per_address = 0).await;
    let mut device = Device::register(&t.server).await;
    let mut flooder = account_from(&t.server, Ipv4Addr::LOCALHOST.into()).await;
    let mut refused = None;
    for _ in 0..1000 {
        let status = failed_sign_in(&mut flooder).await;
        if status.code() == Code::ResourceExhausted {
            refused = Some(status);
            break;
        }
        assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
    }
    let refused = refused.expect("the flooding address was never refused");
    assert!(
        refused.message().contains("too many sign-in attempts"),
        "{refused:?}"
    );

    // The same device signs in from another address.
    device.account = account_from(&t.server, OTHER_ADDRESS).await;
    device.login().await.unwrap();
}

fn open(pairing_id: &[u8]) -> OpenPairingRequest {
    OpenPairingRequest {
        pairing_id: pairing_id.to_vec(),
        ttl_seconds: 600,
    }
}

#[tokio::test]
async fn one_account_cannot_fill_the_pairing_table() {
    let t = start().await;
    let mut flooder = Device::register(&t.server).await;
    let mut first = None;
    for _ in 0..MAX_SLOTS_PER_ACCOUNT {
        let id = random::<16>();
        flooder
            .account
            .open_pairing(flooder.authed(open(&id)))
            .await
            .unwrap();
        first.get_or_insert(id);
    }
    let refused = assert_code(
        flooder
            .account
            .open_pairing(flooder.authed(open(&random::<16>())))
            .await,
        Code::ResourceExhausted,
    );
    assert!(
        refused.message().contains("too many pairings open"),
        "{refused:?}"
    );

    // Its own open pairings still work.
    let mut joiner = mycase_proto::v1::account_client::AccountClient::new(channel(&t.server).await);
    joiner
        .submit_join(SubmitJoinRequest {
            pairing_id: first.unwrap().to_vec(),
            sealed_join: b"join".to_vec(),
        })
        .await
        .unwrap();

    // Another account pairs as usual.
    let mut other = Device::register(&t.server).await;
    other
        .account
        .open_pairing(other.authed(open(&random::<16>())))
        .await
        .unwrap();
}

#[tokio::test]
async fn opening_pairings_is_rate_limited_per_account() {
    let t = start_with(|c| c.rate_limits.pairings_per_account = 3).await;
    let mut flooder = Device::register(&t.server).await;
    for _ in 0..3 {
        flooder
            .account
            .open_pairing(flooder.authed(open(&random::<16>())))
            .await
            .unwrap();
    }
    let refused = assert_code(
        flooder
            .account
            .open_pairing(flooder.authed(open(&random::<16>())))
            .await,
        Code::ResourceExhausted,
    );
    assert!(
        refused
            .message()
            .contains("pairings opened for this account"),
        "{refused:?}"
    );

    let mut other = Device::register(&t.server).await;
    other
        .account
        .open_pairing(other.authed(open(&random::<16>())))
        .await
        .unwrap();
}

#[tokio::test]
async fn deleting_accounts_is_rate_limited_per_address() {
    let t = start_with(|c| c.rate_limits.deletions_per_address = 2).await;
    for _ in 0..2 {
        let mut d = Device::register(&t.server).await;
        let req = d.delete_request();
        d.account.delete_account(req).await.unwrap();
    }
    let mut refused = Device::register(&t.server).await;
    let req = refused.delete_request();
    let status = assert_code(
        refused.account.delete_account(req).await,
        Code::ResourceExhausted,
    );
    assert!(
        status
            .message()
            .contains("account deletions from this address"),
        "{status:?}"
    );
    // Refused means kept: the account still works.
    assert_eq!(refused.vector().await.len(), 0);
    refused.login().await.unwrap();

    // The same account is deleted from another address.
    refused.account = account_from(&t.server, OTHER_ADDRESS).await;
    let req = refused.delete_request();
    refused.account.delete_account(req).await.unwrap();
    assert_code(refused.login().await, Code::NotFound);
}
