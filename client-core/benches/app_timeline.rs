//! How long the application API takes on a journal of 5,000 entries: unlocking
//! until the timeline is ready (Argon2id at the default cost, every record read
//! and checked, the journal folded), then the timeline, a filtered timeline, a
//! search of several words, one entry in full and the people list.
//!
//! `cargo bench -p mycase-core --bench app_timeline` (optimised). The number of
//! entries can be changed with `MYCASE_BENCH_ENTRIES` (a quick run in the test
//! profile: `MYCASE_BENCH_ENTRIES=200 cargo test -p mycase-core --bench app_timeline`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::time::{Duration, Instant};

use mycase_core::app::{App, AppOptions, NewJournal, TimelineQuery};
use mycase_core::crypto::passphrase::KdfParams;
use mycase_core::ids::new_id;
use mycase_core::journal::ops;
use mycase_proto::v1::{EntryFields, OccurredAt, PersonFields, StringList};
use mycase_tests::server::TestServer;
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

    // The journal is filled through the device directly, in large batches: what
    // is measured is reading it back, not 5,000 separate saves.
    let filling = Instant::now();
    let people: Vec<[u8; 16]> = (0..20).map(|_| new_id()).collect();
    {
        let mut device = mycase_core::Device::unlock(&home, PASS.as_bytes()).unwrap();
        device
            .commit(
                people
                    .iter()
                    .enumerate()
                    .map(|(i, id)| {
                        ops::add_person(
                            *id,
                            PersonFields {
                                name: Some(format!("Person {i}")),
                                role: Some("witness".into()),
                                notes: None,
                            },
                        )
                    })
                    .collect(),
            )
            .unwrap();
        let mut made = 0;
        while made < entries {
            let bodies = (made..entries.min(made + BATCH))
                .map(|i| ops::create_entry(new_id(), fields(i, &people)))
                .collect();
            device.commit(bodies).unwrap();
            made = entries.min(made + BATCH);
        }
    }
    println!(
        "{entries} entries written in {:.1} s (not part of the figures)",
        filling.elapsed().as_secs_f64()
    );

    let app = App::open_with(&home, options).unwrap();
    let started = Instant::now();
    app.unlock(PASS).await.unwrap();
    let unlocked = started.elapsed();
    let months = app.timeline(TimelineQuery::default()).await.unwrap();
    let ready = started.elapsed();
    let shown: usize = months.iter().map(|m| m.entries.len()).sum();
    assert_eq!(shown, entries);
    println!(
        "unlock to timeline: {} (unlock {}, first timeline {}), {} months",
        ms(ready),
        ms(unlocked),
        ms(ready - unlocked),
        months.len()
    );

    let some_id = months[months.len() / 2].entries[0].id.clone();
    let person = hex::encode(people[3]);
    timed("timeline", || async {
        app.timeline(TimelineQuery::default()).await.unwrap();
    })
    .await;
    timed("timeline filtered (category, person, dates)", || async {
        app.timeline(TimelineQuery {
            from: "2024-01".into(),
            to: "2025-06".into(),
            categories: vec!["threats".into()],
            people: vec![person.clone()],
            ..TimelineQuery::default()
        })
        .await
        .unwrap();
    })
    .await;
    timed("search of two words", || async {
        app.search("kitchen shouted").await.unwrap();
    })
    .await;
    timed("one entry in full", || async {
        app.entry(&some_id).await.unwrap();
    })
    .await;
    timed("people list", || async {
        app.people().await.unwrap();
    })
    .await;
}

/// The best of a few rounds (the figure a person would see on a quiet machine).
async fn timed<F, Fut>(what: &str, run: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut best = Duration::MAX;
    for _ in 0..ROUNDS {
        let t = Instant::now();
        run().await;
        best = best.min(t.elapsed());
    }
    println!("{what}: {}", ms(best));
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

const WORDS: [&str; 8] = [
    "kitchen", "shouted", "door", "phone", "messages", "followed", "car", "money",
];
const CATEGORIES: [&str; 4] = ["threats", "physical", "coercive-or-controlling", "other"];

/// A realistic entry: a few sentences, a date over three years, a category, a
/// tag, a person for some.
fn fields(i: usize, people: &[[u8; 16]]) -> EntryFields {
    let text = (0..6)
        .map(|k| {
            format!(
                "Sentence {k} of entry {i} about the {} and the {}.",
                WORDS[(i + k) % WORDS.len()],
                WORDS[(i * 3 + k) % WORDS.len()]
            )
        })
        .collect::<Vec<_>>()
        .join(" ");
    let day = i % 1095;
    let date = chrono::NaiveDate::from_ymd_opt(2023, 1, 1).unwrap() + chrono::Days::new(day as u64);
    EntryFields {
        title: Some(format!("Entry {i}")),
        text: Some(text),
        occurred_at: Some(OccurredAt {
            start: date.format("%Y-%m-%d").to_string(),
            precision: mycase_proto::v1::occurred_at::Precision::Day as i32,
            end: String::new(),
        }),
        categories: Some(StringList {
            values: vec![CATEGORIES[i % CATEGORIES.len()].into()],
        }),
        tags: Some(StringList {
            values: vec![format!("tag{}", i % 10)],
        }),
        severity: Some((i % 5) as u32 + 1),
        people: i.is_multiple_of(3).then(|| StringList {
            values: vec![hex::encode(people[i % people.len()])],
        }),
        ..EntryFields::default()
    }
}
