//! The pairing relay over TLS.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mycase_tests::server::grpc as common;

use std::time::Duration;

use common::*;
use mycase_proto::v1::account_client::AccountClient;
use mycase_proto::v1::*;
use tonic::Code;

#[tokio::test]
async fn pairing_happy_path() {
    let t = start().await;
    let mut a = Device::register(&t.server).await;
    let mut joiner = AccountClient::new(channel(&t.server).await);
    let pairing_id = random::<16>().to_vec();

    let req = a.authed(OpenPairingRequest {
        pairing_id: pairing_id.clone(),
        ttl_seconds: 120,
    });
    let opened = a.account.open_pairing(req).await.unwrap().into_inner();
    assert!(opened.expires_at_unix > 0);

    // The existing device waits; the join arrives while it waits.
    let waiting = {
        let mut account = a.account.clone();
        let req = a.authed(AwaitJoinRequest {
            pairing_id: pairing_id.clone(),
        });
        tokio::spawn(async move { account.await_join(req).await })
    };
    joiner
        .submit_join(SubmitJoinRequest {
            pairing_id: pairing_id.clone(),
            sealed_join: b"join".to_vec(),
        })
        .await
        .unwrap();
    let join = tokio::time::timeout(LONG, waiting)
        .await
        .unwrap()
        .unwrap()
        .unwrap()
        .into_inner();
    assert_eq!(join.sealed_join, b"join");

    // The joiner waits for the grant.
    let waiting = {
        let mut joiner = joiner.clone();
        let id = pairing_id.clone();
        tokio::spawn(async move {
            joiner
                .await_pairing(AwaitPairingRequest { pairing_id: id })
                .await
        })
    };
    let req = a.authed(CompletePairingRequest {
        pairing_id: pairing_id.clone(),
        sealed_grant: b"grant".to_vec(),
    });
    a.account.complete_pairing(req).await.unwrap();
    let grant = tokio::time::timeout(LONG, waiting)
        .await
        .unwrap()
        .unwrap()
        .unwrap()
        .into_inner();
    assert_eq!(grant.sealed_grant, b"grant");

    // Handing over the grant ends the pairing.
    assert_code(
        joiner
            .await_pairing(AwaitPairingRequest {
                pairing_id: pairing_id.clone(),
            })
            .await,
        Code::NotFound,
    );
    t.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn waits_return_empty_when_nothing_arrives() {
    let t = start_with(|c| c.pairing_wait = Duration::ZERO).await;
    let mut a = Device::register(&t.server).await;
    let mut joiner = AccountClient::new(channel(&t.server).await);
    let pairing_id = random::<16>().to_vec();
    let req = a.authed(OpenPairingRequest {
        pairing_id: pairing_id.clone(),
        ttl_seconds: 0,
    });
    a.account.open_pairing(req).await.unwrap();
    let req = a.authed(AwaitJoinRequest {
        pairing_id: pairing_id.clone(),
    });
    assert!(a
        .account
        .await_join(req)
        .await
        .unwrap()
        .into_inner()
        .sealed_join
        .is_empty());
    let resp = joiner
        .await_pairing(AwaitPairingRequest {
            pairing_id: pairing_id.clone(),
        })
        .await
        .unwrap();
    assert!(resp.into_inner().sealed_grant.is_empty());
    // Completing before anyone joined is refused.
    let req = a.authed(CompletePairingRequest {
        pairing_id,
        sealed_grant: b"grant".to_vec(),
    });
    assert_code(
        a.account.complete_pairing(req).await,
        Code::FailedPrecondition,
    );
    t.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn unknown_expired_and_double_joins() {
    let t = start_with(|c| c.pairing_ttl_max = Duration::ZERO).await;
    let mut a = Device::register(&t.server).await;
    let mut joiner = AccountClient::new(channel(&t.server).await);

    // Unknown code.
    let status = assert_code(
        joiner
            .submit_join(SubmitJoinRequest {
                pairing_id: random::<16>().to_vec(),
                sealed_join: b"j".to_vec(),
            })
            .await,
        Code::NotFound,
    );
    assert_eq!(status.message(), "pairing code expired or unknown");

    // Slot lifetime capped at zero: expired as soon as it opens.
    let expired = random::<16>().to_vec();
    let req = a.authed(OpenPairingRequest {
        pairing_id: expired.clone(),
        ttl_seconds: 60,
    });
    a.account.open_pairing(req).await.unwrap();
    assert_code(
        joiner
            .submit_join(SubmitJoinRequest {
                pairing_id: expired.clone(),
                sealed_join: b"j".to_vec(),
            })
            .await,
        Code::NotFound,
    );
    assert_code(
        joiner
            .await_pairing(AwaitPairingRequest {
                pairing_id: expired,
            })
            .await,
        Code::NotFound,
    );
    t.server.shutdown().await.unwrap();

    let t = start().await;
    let mut a = Device::register(&t.server).await;
    let mut other = Device::register(&t.server).await;
    let mut joiner = AccountClient::new(channel(&t.server).await);
    let pairing_id = random::<16>().to_vec();
    let req = a.authed(OpenPairingRequest {
        pairing_id: pairing_id.clone(),
        ttl_seconds: 60,
    });
    a.account.open_pairing(req).await.unwrap();
    // The same code cannot be opened twice.
    let req = a.authed(OpenPairingRequest {
        pairing_id: pairing_id.clone(),
        ttl_seconds: 60,
    });
    assert_code(a.account.open_pairing(req).await, Code::AlreadyExists);
    joiner
        .submit_join(SubmitJoinRequest {
            pairing_id: pairing_id.clone(),
            sealed_join: b"first".to_vec(),
        })
        .await
        .unwrap();
    assert_code(
        joiner
            .submit_join(SubmitJoinRequest {
                pairing_id: pairing_id.clone(),
                sealed_join: b"second".to_vec(),
            })
            .await,
        Code::AlreadyExists,
    );
    // The first join is the one kept.
    let req = a.authed(AwaitJoinRequest {
        pairing_id: pairing_id.clone(),
    });
    assert_eq!(
        a.account
            .await_join(req)
            .await
            .unwrap()
            .into_inner()
            .sealed_join,
        b"first"
    );
    // Another account cannot read or answer the slot.
    let req = other.authed(AwaitJoinRequest {
        pairing_id: pairing_id.clone(),
    });
    assert_code(other.account.await_join(req).await, Code::NotFound);
    let req = other.authed(CompletePairingRequest {
        pairing_id: pairing_id.clone(),
        sealed_grant: b"g".to_vec(),
    });
    assert_code(other.account.complete_pairing(req).await, Code::NotFound);
    // Oversized and malformed input.
    let req = a.authed(CompletePairingRequest {
        pairing_id: pairing_id.clone(),
        sealed_grant: vec![0; 64 * 1024 + 1],
    });
    assert_code(a.account.complete_pairing(req).await, Code::InvalidArgument);
    let req = a.authed(OpenPairingRequest {
        pairing_id: vec![0; 15],
        ttl_seconds: 60,
    });
    assert_code(a.account.open_pairing(req).await, Code::InvalidArgument);
    // Unauthenticated opens are refused.
    assert_code(
        joiner
            .open_pairing(OpenPairingRequest {
                pairing_id: random::<16>().to_vec(),
                ttl_seconds: 60,
            })
            .await,
        Code::Unauthenticated,
    );
    t.server.shutdown().await.unwrap();
}
