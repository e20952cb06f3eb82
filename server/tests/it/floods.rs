//! Floods of what the server holds for everyone in one table: one signed-in
//! account opening pairing slots in a loop is stopped at its own limit, and
//! another account still pairs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mycase_tests::server::grpc as common;

use common::*;
use mycase_proto::v1::*;
use mycase_server::api::pairing::MAX_SLOTS_PER_ACCOUNT;
use tonic::Code;

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
