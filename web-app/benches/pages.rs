//! How long the app's pages take with 5,000 entries, as the browser asks for them
//! over 127.0.0.1: unlocking until the timeline page is served, then the
//! timeline, a search of two words, one entry's page, the patterns and the trash.
//!
//! `cargo bench -p mycase-web-app --bench pages` (optimised); `MYCASE_BENCH_ENTRIES`
//! changes the size (a quick run: `MYCASE_BENCH_ENTRIES=200 cargo test -p
//! mycase-web-app --bench pages`). The API alone: `cargo bench -p mycase-core --bench
//! app_timeline`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    dead_code
)]

#[path = "../tests/it/raw_http.rs"]
mod raw_http;

use std::time::{Duration, Instant};

use mycase_core::app::{App, AppOptions, NewJournal};
use mycase_core::crypto::passphrase::KdfParams;
use mycase_core::ids::new_id;
use mycase_core::journal::ops;
use mycase_proto::v1::{EntryFields, OccurredAt, StringList};
use mycase_tests::server::TestServer;
use mycase_web_app::LocalServer;
use raw_http::{send, Request};
use zeroize::Zeroizing;

const PASS: &str = "correct horse battery staple";
const BATCH: usize = 250;
const ROUNDS: u32 = 5;

fn main() {
    let entries: usize = std::env::var("MYCASE_BENCH_ENTRIES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(5_000);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(run(entries));
}

fn fields(i: usize) -> EntryFields {
    let words = ["kitchen", "shouted", "door", "phone", "messages", "car"];
    let date =
        chrono::NaiveDate::from_ymd_opt(2023, 1, 1).unwrap() + chrono::Days::new((i % 1095) as u64);
    EntryFields {
        title: Some(format!("Entry {i}")),
        text: Some(
            format!(
                "Entry {i}: he came to the {} and {} about the {}. ",
                words[i % 6],
                words[(i + 1) % 6],
                words[(i + 2) % 6]
            )
            .repeat(4),
        ),
        occurred_at: Some(OccurredAt {
            start: date.format("%Y-%m-%d").to_string(),
            precision: mycase_proto::v1::occurred_at::Precision::Day as i32,
            end: String::new(),
        }),
        categories: Some(StringList {
            values: vec![["threats", "physical", "other"][i % 3].into()],
        }),
        severity: Some((i % 5) as u32 + 1),
        ..EntryFields::default()
    }
}

async fn run(entries: usize) {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let options = AppOptions {
        kdf_params: KdfParams::DEFAULT,
    };
    let app = App::open_with(&home, options.clone()).unwrap();
    app.create_journal(NewJournal {
        server_url: server.url().to_owned(),
        ca_cert_pem: Some(server.ca_pem().to_owned()),
        device_name: "laptop".into(),
        passphrase: Zeroizing::new(PASS.to_owned()),
        invite: None,
    })
    .await
    .unwrap();
    app.lock().await;
    {
        // Filled in large batches: what is measured is reading it back.
        let mut device = mycase_core::Device::unlock(&home, PASS.as_bytes()).unwrap();
        let mut made = 0;
        while made < entries {
            let end = entries.min(made + BATCH);
            device
                .commit(
                    (made..end)
                        .map(|i| ops::create_entry(new_id(), fields(i)))
                        .collect(),
                )
                .unwrap();
            made = end;
        }
    }

    let app = App::open_with(&home, options).unwrap();
    let local = LocalServer::bind(app, 0).await.unwrap();
    let port = local.port();
    let url = local.url();
    tokio::spawn(local.serve(std::future::pending()));
    let token = url.split("token=").nth(1).unwrap().to_owned();
    let login = send(port, &Request::get(&format!("/login?token={token}"))).await;
    let cookie = login
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let post = |path: &str| {
        Request::post(path)
            .header("Cookie", &cookie)
            .header("Origin", &format!("http://127.0.0.1:{port}"))
            .header("Sec-Fetch-Site", "same-origin")
            .header("X-MyCase-Request", "1")
    };
    let get = |path: &str| Request::get(path).header("Cookie", &cookie);

    let started = Instant::now();
    let unlocked = send(port, &post("/unlock").form(&[("passphrase", PASS)])).await;
    assert_eq!(unlocked.status, 303, "{}", unlocked.body);
    let timeline = send(port, &get("/timeline")).await;
    assert_eq!(timeline.status, 200);
    println!(
        "{entries} entries: unlock to the timeline page served: {}",
        ms(started.elapsed())
    );
    let entry = timeline
        .body
        .split("/entries/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();

    timed(port, "timeline page", get("/timeline")).await;
    timed(
        port,
        "search form sent (kept in the session)",
        post("/timeline").form(&[("words", "kitchen shouted")]),
    )
    .await;
    timed(
        port,
        "timeline page searched for two words",
        get("/timeline"),
    )
    .await;
    timed(port, "one entry's page", get(&format!("/entries/{entry}"))).await;
    timed(port, "patterns page", get("/patterns")).await;
    timed(port, "trash page", get("/trash")).await;
}

/// The best of a few rounds; each answer must be a success.
async fn timed(port: u16, what: &str, request: Request) {
    let mut best = Duration::MAX;
    for _ in 0..ROUNDS {
        let t = Instant::now();
        let reply = send(port, &request).await;
        assert!(
            reply.status < 400,
            "{what}: {} {}",
            reply.status,
            reply.body
        );
        best = best.min(t.elapsed());
    }
    println!("{what}: {}", ms(best));
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}
