//! A shared server's `Watch` streams cannot be turned against it (issue 14):
//! one device cannot pile up streams past its cap, a stream given back frees its
//! place, and a stream does not outlive the sign-in token that opened it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use mycase_proto::v1::*;
use mycase_server::api::sync::SESSION_EXPIRED_DURING_WATCH;
use mycase_server::api::watchers::TOO_MANY_WATCHES;
use mycase_tests::server::grpc::*;
use tonic::{Code, Streaming};

async fn open_watch(d: &mut Device) -> Result<Streaming<WatchResponse>, tonic::Status> {
    let req = d.authed(WatchRequest {});
    Ok(d.sync.watch(req).await?.into_inner())
}

/// A device opens streams in a loop: those past the cap are refused with a clear
/// message, and another device of the account is unaffected.
#[tokio::test]
async fn watches_past_the_per_device_cap_are_refused() {
    let t = start_with(|c| c.quotas.watches_per_device = 3).await;
    let mut a = Device::register(&t.server).await;
    let mut b = a.add_device(&t.server).await;
    let mut open = Vec::new();
    for _ in 0..3 {
        let mut w = open_watch(&mut a).await.unwrap();
        w.message().await.unwrap().unwrap();
        open.push(w);
    }
    for _ in 0..5 {
        let status = assert_code(open_watch(&mut a).await, Code::ResourceExhausted);
        assert_eq!(status.message(), TOO_MANY_WATCHES);
    }
    // The cap is per device: the account's other device still watches, and the
    // streams already open still deliver.
    let mut other = open_watch(&mut b).await.unwrap();
    other.message().await.unwrap().unwrap();
    b.append(b.records(0, genesis(), 1)).await.unwrap();
    for w in open.iter_mut().chain([&mut other]) {
        let next = tokio::time::timeout(LONG, w.message()).await.unwrap();
        assert!(next.unwrap().unwrap().vector.is_some());
    }
    t.server.shutdown().await.unwrap();
}

/// Streams the client cancels give their place back: after dropping them the
/// device can open as many again, and no more.
#[tokio::test]
async fn cancelled_watches_free_their_place() {
    let t = start_with(|c| c.quotas.watches_per_device = 2).await;
    let mut a = Device::register(&t.server).await;
    for _round in 0..3 {
        let mut open = Vec::new();
        // The server lets go of a cancelled stream when its RST_STREAM arrives;
        // each refusal until then is the server saying it still holds it.
        while open.len() < 2 {
            let attempt = tokio::time::timeout(LONG, async {
                loop {
                    match open_watch(&mut a).await {
                        Ok(w) => return w,
                        Err(s) if s.code() == Code::ResourceExhausted => {
                            tokio::task::yield_now().await;
                        }
                        Err(s) => panic!("unexpected refusal: {s}"),
                    }
                }
            });
            let mut w = attempt
                .await
                .expect("the cancelled streams' places came back");
            w.message().await.unwrap().unwrap();
            open.push(w);
        }
        assert_code(open_watch(&mut a).await, Code::ResourceExhausted);
        drop(open);
    }
    t.server.shutdown().await.unwrap();
}

/// The server's clock passes the sign-in token's expiry while a stream is open:
/// the stream ends with UNAUTHENTICATED so the client signs in again, and a new
/// token opens a new stream.
#[tokio::test]
async fn a_watch_ends_when_its_token_expires() {
    let clock = mycase_server::clock::Clock::default();
    let t = start_with(|c| {
        c.clock = clock.clone();
        c.session_ttl = Duration::from_secs(3600);
    })
    .await;
    let mut a = Device::register(&t.server).await;
    let mut w = open_watch(&mut a).await.unwrap();
    w.message().await.unwrap().unwrap();

    clock.advance(Duration::from_secs(3601));
    let end = tokio::time::timeout(LONG, w.message())
        .await
        .expect("the stream ends after its token expired");
    let status = end.expect_err("the stream ends with an error");
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(status.message(), SESSION_EXPIRED_DURING_WATCH);

    // The expired token opens no new stream; signing in again does.
    assert_code(open_watch(&mut a).await, Code::Unauthenticated);
    a.login().await.unwrap();
    let mut again = open_watch(&mut a).await.unwrap();
    again.message().await.unwrap().unwrap();
    t.server.shutdown().await.unwrap();
}
