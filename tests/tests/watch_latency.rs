#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Live sync must be live: a record appended on one device reaches a watching
//! device in about a round trip, not after TCP delayed-ACK stalls.
//!
//! FAILS on the current server: `start_with_listener` serves a plain
//! `TcpListenerStream`, so accepted sockets keep Nagle's algorithm on and every
//! streamed response (Pull, Watch) waits ~40 ms for the client's delayed ACK. The
//! same server with `TCP_NODELAY` on its sockets applies in ~3 ms.

use std::time::{Duration, Instant};

use mycase_tests::{fields, new_account_device, pair_device, TestServer};

const ROUNDS: usize = 15;

async fn median_append_to_apply(server: &mut TestServer) -> Duration {
    let (mut a, ta) = new_account_device(server).await;
    let (mut b, tb) = pair_device(server, &mut a, &ta, "phone").await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(Instant, u64)>();
    let watcher = tokio::spawn(async move {
        let r = b.watch(&tb, |report| {
            let _ = tx.send((Instant::now(), report.pulled));
        });
        r.await
    });
    rx.recv().await.unwrap();
    let mut latencies = Vec::new();
    for i in 0..ROUNDS {
        while rx.try_recv().is_ok() {}
        let started = Instant::now();
        a.add_entry(fields("t", &format!("entry {i}"))).unwrap();
        a.sync(&ta).await.unwrap();
        loop {
            let (at, pulled) = tokio::time::timeout(Duration::from_secs(10), rx.recv())
                .await
                .unwrap()
                .unwrap();
            if pulled >= 1 {
                latencies.push(at - started);
                break;
            }
        }
    }
    server.stop().await;
    let _ = watcher.await;
    latencies.sort();
    latencies[ROUNDS / 2]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_applies_within_a_few_round_trips() {
    let mut baseline = TestServer::start_nodelay().await;
    let nodelay = median_append_to_apply(&mut baseline).await;
    let mut server = TestServer::start().await;
    let real = median_append_to_apply(&mut server).await;
    // Generous: three times the no-Nagle baseline plus 10 ms.
    let bound = nodelay * 3 + Duration::from_millis(10);
    assert!(
        real <= bound,
        "append-to-apply median {real:?} vs {nodelay:?} with TCP_NODELAY: the server's accepted sockets need \
         set_nodelay(true) (server/src/lib.rs start_with_listener)"
    );
}
