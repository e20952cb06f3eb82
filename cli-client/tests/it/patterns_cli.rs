#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `mycase patterns` on a small journal made through the CLI: the figures in
//! `--json` are the hand-worked ones, filters narrow them, and the terminal view
//! shows its sections.

use crate::common;

use common::{ok as mycase, ok_json as json};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patterns_figures_filters_and_terminal_view() {
    let data = tempfile::tempdir().unwrap();
    let server = common::start_server(data.path(), |_| {}).await;
    let homes = tempfile::tempdir().unwrap();
    let home = homes.path().join("laptop");
    let ca = server.ca_cert_path().to_str().unwrap().to_string();
    mycase(
        &home,
        &[
            "init",
            "--server",
            &server.url(),
            "--ca-cert",
            &ca,
            "--json",
        ],
    )
    .await;
    mycase(
        &home,
        &[
            "people",
            "add",
            "--name",
            "Jordan",
            "--role",
            "causing harm",
        ],
    )
    .await;

    // Monday 22:15, Wednesday 22:40 (both Jordan), a day in April, a month in May.
    for (when, category, severity, person) in [
        ("2026-01-05 22:15", "physical", "3", true),
        ("2026-01-07 22:40", "threats", "2", true),
        ("2026-04-20", "threats", "4", false),
        ("2026-05", "physical", "5", false),
    ] {
        let mut args = vec![
            "add",
            "--text",
            "an incident",
            "--occurred",
            when,
            "--category",
            category,
            "--severity",
            severity,
        ];
        if person {
            args.extend(["--person", "Jordan"]);
        }
        mycase(&home, &args).await;
    }

    let p = json(&home, &["patterns", "--as-of", "2026-06-30", "--json"]).await;
    assert_eq!(p["entries"], 4);
    assert_eq!(p["as_of"], "2026-06-30");
    let months: Vec<(String, u64)> = p["per_month"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["start"].as_str().unwrap().to_string(),
                m["entries"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        months,
        [
            ("2026-01".into(), 2),
            ("2026-02".into(), 0),
            ("2026-03".into(), 0),
            ("2026-04".into(), 1),
            ("2026-05".into(), 1)
        ]
    );
    assert_eq!(p["per_month"][0]["mean_severity"], json!(2.5));
    assert_eq!(p["by_weekday"][0], json!({"day": "Monday", "entries": 2}));
    assert_eq!(
        p["by_weekday"][2],
        json!({"day": "Wednesday", "entries": 1})
    );
    assert_eq!(p["weekday_unknown"], 1);
    assert_eq!(p["heatmap"][0][22], 1);
    assert_eq!(p["heatmap"][2][22], 1);
    assert_eq!(p["hour_unknown"], 2);
    assert_eq!(p["by_person"][0]["name"], "Jordan");
    assert_eq!(p["by_person"][0]["entries"], 2);
    assert_eq!(p["severity_counts"], json!([0, 1, 1, 1, 1]));
    // Last three months (Apr 1 - Jun 30): April and May; before: both January ones.
    assert_eq!(p["recent"]["last"]["entries"], 2);
    assert_eq!(p["recent"]["previous"]["entries"], 2);
    assert_eq!(p["recent"]["severity_change"], json!(2.0));
    assert_eq!(p["longest_gaps"][0]["days"], 103);
    assert_eq!(p["longest_gaps"][0]["from"], "2026-01-07");

    let threats = json(
        &home,
        &[
            "patterns",
            "--category",
            "threats",
            "--as-of",
            "2026-06-30",
            "--json",
        ],
    )
    .await;
    assert_eq!(threats["entries"], 2);
    assert_eq!(threats["by_category"][0]["id"], "threats");
    assert_eq!(threats["by_category"].as_array().unwrap().len(), 1);

    let text = mycase(&home, &["patterns", "--as-of", "2026-06-30"]).await;
    for section in [
        "4 entries, 2026-01-05 to 2026-05-01",
        "Entries per month",
        "Entries per week",
        "Trend over 5 months",
        "Last three months and the three before",
        "By category",
        "By person",
        "Day of week and hour of day",
        "Severity",
        "Longest gaps between entries",
        "First and most recent entry per category",
    ] {
        assert!(text.contains(section), "missing {section:?} in:\n{text}");
    }
}
