//! Sync benchmark against a real server on loopback TLS.
//!
//! `cargo run --release -p mycase-tests --bin sync-bench -- --records N`
//!
//! Measures: upload (seal + sign + durable local append + push), a fresh device's
//! cold download (pull + verify + decrypt + merge into its file store), append-to-
//! apply latency through Watch, and the crypto alone without network or storage.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use mycase_core::crypto::passphrase::KdfParams;
use mycase_core::ids::new_id;
use mycase_core::journal::ops;
use mycase_core::keys::{DeviceKeys, Keyring};
use mycase_core::pairing::PairingCode;
use mycase_core::record::{open_record, seal_record, sign_record, verify_run, Head};
use mycase_core::store::LocalStore;
use mycase_core::{now_ms, Device};
use mycase_proto::v1::{EntryFields, Hlc, VersionVector};
use mycase_tests::{confirm_as_survivor, matching_code_channel, TestServer};
use prost::Message;

const BATCH: usize = 1000;
const WATCH_ROUNDS: usize = 50;

fn text_of(i: usize) -> String {
    let base = format!("entry {i}: he came to the house at night and would not leave; ");
    base.repeat(500 / base.len() + 1)[..500].to_string()
}

fn body(i: usize) -> mycase_proto::v1::operation::Body {
    ops::create_entry(
        new_id(),
        EntryFields {
            title: Some(format!("incident {i}")),
            text: Some(text_of(i)),
            ..Default::default()
        },
    )
}

fn rate(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn parse_args() -> usize {
    let args: Vec<String> = std::env::args().collect();
    let mut n = 20_000;
    let mut i = 1;
    while i < args.len() {
        match args[i].as_str() {
            "--records" | "-n" => {
                n = args
                    .get(i + 1)
                    .and_then(|s| s.parse().ok())
                    .expect("--records takes a number");
                i += 1;
            }
            "--help" | "-h" => {
                println!("sync-bench [--records N]   (default 20000)");
                std::process::exit(0);
            }
            other => panic!("unknown argument {other}"),
        }
        i += 1;
    }
    n
}

/// Seal + sign and verify + open over `n` records, no network, no storage.
fn crypto_only(n: usize) -> (Duration, Duration) {
    let account = new_id();
    let device = new_id();
    let keys = DeviceKeys::generate();
    let ring = Keyring::generate();
    let plaintexts: Vec<Vec<u8>> = (0..n)
        .map(|i| {
            let clock = Hlc {
                wall_ms: now_ms() as u64,
                counter: i as u32,
            };
            ops::operation(clock, VersionVector::default(), now_ms(), body(i)).encode_to_vec()
        })
        .collect();
    let started = Instant::now();
    let mut head = Head::GENESIS;
    let mut records = Vec::with_capacity(n);
    for (i, p) in plaintexts.iter().enumerate() {
        let mut r = seal_record(&account, &device, &head, &ring, p).unwrap();
        if (i + 1) % BATCH == 0 || i + 1 == n {
            sign_record(&keys, &account, &mut r);
        }
        head = Head::after(&account, &r);
        records.push(r);
    }
    let seal = started.elapsed();
    let started = Instant::now();
    let run = verify_run(
        &account,
        &device,
        &keys.sign_public(),
        &Head::GENESIS,
        &records,
    )
    .unwrap();
    assert_eq!(run.covered, n);
    for (r, p) in records.iter().zip(&plaintexts) {
        let opened = open_record(&account, &ring, r).unwrap();
        assert_eq!(opened.len(), p.len());
    }
    (seal, started.elapsed())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n = parse_args();
    let mut server = TestServer::start().await;
    let homes = tempfile::tempdir().unwrap();
    let (home_a, home_b) = (homes.path().join("a"), homes.path().join("b"));

    let ta = server.transport().await;
    let (mut a, kit) = Device::create(
        &home_a,
        b"bench passphrase",
        KdfParams::MINIMUM,
        server.setup("laptop"),
    )
    .unwrap();
    a.register(&ta, &kit, None).await.unwrap();

    // B joins while the journal is still empty, so its next sync is a cold download.
    let tb = server.transport().await;
    let code = PairingCode::generate();
    a.begin_pairing(&ta, &code).await.unwrap();
    let (show, shown) = matching_code_channel();
    let (paired, joined) = tokio::join!(
        confirm_as_survivor(&mut a, &ta, &code, shown),
        Device::join(
            &home_b,
            b"bench passphrase",
            KdfParams::MINIMUM,
            &tb,
            &code,
            server.setup("phone"),
            show,
        ),
    );
    paired.unwrap();
    let mut b = joined.unwrap();
    a.sync(&ta).await.unwrap();

    // (1) Upload.
    let bodies: Vec<_> = (0..n).map(body).collect();
    let started = Instant::now();
    let mut it = bodies.into_iter().peekable();
    while it.peek().is_some() {
        let batch: Vec<_> = it.by_ref().take(BATCH).collect();
        a.commit(batch).unwrap();
    }
    let commit_time = started.elapsed();
    let pushed = a.sync(&ta).await.unwrap().pushed;
    let upload_time = started.elapsed();
    assert_eq!(pushed as usize, n);

    // (2) Cold download on B.
    let started = Instant::now();
    let report = b.sync(&tb).await.unwrap();
    let download_time = started.elapsed();
    assert_eq!(report.pulled as usize, n);
    assert_eq!(b.journal().entries().len(), n);
    assert_eq!(b.store().vector(), a.store().vector());

    // (3) Append-to-apply latency through Watch.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(Instant, u64)>();
    let watcher = tokio::spawn(async move {
        let r = b.watch(&tb, |report| {
            let _ = tx.send((Instant::now(), report.pulled));
        });
        r.await
    });
    rx.recv().await.expect("watch's first round");
    let mut latencies = Vec::with_capacity(WATCH_ROUNDS);
    let mut pushes = Vec::with_capacity(WATCH_ROUNDS);
    for i in 0..WATCH_ROUNDS {
        while rx.try_recv().is_ok() {}
        let started = Instant::now();
        a.commit(vec![body(n + i)]).unwrap();
        a.sync(&ta).await.unwrap();
        pushes.push(started.elapsed());
        loop {
            let (at, pulled) = tokio::time::timeout(Duration::from_secs(30), rx.recv())
                .await
                .expect("B applies within 30 s")
                .expect("watch still running");
            if pulled >= 1 {
                latencies.push(at - started);
                break;
            }
        }
    }
    latencies.sort();
    pushes.sort();
    server.stop().await;
    let _ = watcher.await;

    // (4) Crypto only.
    let (seal, open) = crypto_only(n);

    println!("sync-bench: {n} records of ~500 B text, FileStore on both devices, loopback TLS, sled server");
    println!("{:<52} {:>14}", "measure", "value");
    println!(
        "{:<52} {:>10.0} r/s",
        "upload (seal+sign+local append+push)",
        rate(n, upload_time)
    );
    println!(
        "{:<52} {:>10.0} r/s",
        "  of which local commit only",
        rate(n, commit_time)
    );
    println!(
        "{:<52} {:>10.0} r/s",
        "cold download (pull+verify+decrypt+merge+store)",
        rate(n, download_time)
    );
    println!(
        "{:<52} {:>10.1} ms",
        "watch append-to-apply latency, median",
        percentile(&latencies, 0.5).as_secs_f64() * 1e3
    );
    println!(
        "{:<52} {:>10.1} ms",
        "watch append-to-apply latency, p95",
        percentile(&latencies, 0.95).as_secs_f64() * 1e3
    );
    println!(
        "{:<52} {:>10.1} ms",
        "  of which A's commit + sync round, median",
        percentile(&pushes, 0.5).as_secs_f64() * 1e3
    );
    println!(
        "{:<52} {:>10.0} r/s",
        "crypto only: seal + sign",
        rate(n, seal)
    );
    println!(
        "{:<52} {:>10.0} r/s",
        "crypto only: verify_run + open",
        rate(n, open)
    );
}
