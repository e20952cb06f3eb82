#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The `mycase` binary against a real server started in-process.
//! The journal commands of `mycase` (every field, history, trash, people, timeline,
//! search) against a real server started in-process.

use crate::common;

use common::{ok as mycase, ok_json as json};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_field_history_trash_timeline_and_search() {
    let data = tempfile::tempdir().unwrap();
    let server = common::start_server(data.path(), |_| {}).await;
    let homes = tempfile::tempdir().unwrap();
    let home = homes.path().join("laptop");
    let ca = server.ca_cert_path().to_str().unwrap().to_string();
    let url = server.url();
    json(
        &home,
        &[
            "init",
            "--server",
            &url,
            "--ca-cert",
            &ca,
            "--device-name",
            "laptop",
            "--json",
        ],
    )
    .await;

    let person = json(
        &home,
        &[
            "people",
            "add",
            "--name",
            "Jordan",
            "--role",
            "Causing Harm",
            "--json",
        ],
    )
    .await;
    let person_id = person["id"].as_str().unwrap().to_string();
    let people = json(&home, &["people", "list", "--json"]).await;
    assert_eq!(people[0]["role"], "causing-harm");

    let added = json(
        &home,
        &[
            "add",
            "--title",
            "Door",
            "--text",
            "He broke the door",
            "--occurred",
            "2026-03-14 21:30",
            "--category",
            "Damage to property",
            "--tag",
            "night",
            "--severity",
            "4",
            "--location",
            "Kitchen",
            "--person",
            "jordan",
            "--injuries",
            "bruised arm",
            "--police-ref",
            "CAD 1234",
            "--action",
            "reported to police",
            "--action",
            "GP",
            "--impact",
            "could not sleep",
            "--json",
        ],
    )
    .await;
    let id = added["id"].as_str().unwrap().to_string();
    let shown = json(&home, &["show", &id, "--json"]).await;
    assert_eq!(shown["title"], "Door");
    assert_eq!(shown["occurred_at"], "2026-03-14 21:30");
    assert_eq!(shown["categories"], json!(["damage-to-property"]));
    assert_eq!(shown["tags"], json!(["night"]));
    assert_eq!(shown["severity"], 4);
    assert_eq!(shown["location"], "Kitchen");
    assert_eq!(
        shown["people"],
        json!([{"id": person_id, "name": "Jordan"}])
    );
    assert_eq!(shown["injuries"], "bruised arm");
    assert_eq!(shown["police_references"], json!(["CAD 1234"]));
    assert_eq!(shown["actions_taken"], json!(["reported to police", "GP"]));
    assert_eq!(shown["impact"], "could not sleep");
    assert_eq!(shown["attachments"], json!([]));

    // History: the original and the amendment, with the device's name.
    mycase(&home, &["amend", &id, "--severity", "5", "--location", ""]).await;
    let shown = json(&home, &["show", &id, "--history", "--json"]).await;
    assert_eq!(shown["severity"], 5);
    assert_eq!(shown["location"], Value::Null);
    let history = shown["history"].as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0]["kind"], "created");
    assert_eq!(history[0]["fields"]["text"], "He broke the door");
    assert_eq!(history[1]["kind"], "amended");
    assert_eq!(history[1]["fields"], json!({"severity": 5, "location": ""}));
    assert_eq!(history[1]["device_name"], "laptop");
    let text = mycase(&home, &["show", &id, "--history"]).await;
    assert!(
        text.contains("original") && text.contains("on laptop"),
        "{text}"
    );

    // A second entry, in another month, for the timeline and search.
    let second = json(
        &home,
        &[
            "add",
            "--text",
            "Messages all night",
            "--occurred",
            "2026-04",
            "--category",
            "threats",
            "--tag",
            "phone",
            "--json",
        ],
    )
    .await;
    let second_id = second["id"].as_str().unwrap().to_string();
    let months = json(&home, &["timeline", "--json"]).await;
    let shape: Vec<(String, usize)> = months
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["month"].as_str().unwrap().to_string(),
                m["entries"].as_array().unwrap().len(),
            )
        })
        .collect();
    assert_eq!(
        shape,
        [("2026-03".to_string(), 1), ("2026-04".to_string(), 1)]
    );
    let only = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .flat_map(|m| m["entries"].as_array().unwrap().clone())
            .map(|e| e["id"].as_str().unwrap().to_string())
            .collect()
    };
    let by_person = json(&home, &["timeline", "--person", "Jordan", "--json"]).await;
    assert_eq!(only(&by_person), vec![id.clone()]);
    let by_tag = json(
        &home,
        &[
            "timeline",
            "--tag",
            "PHONE",
            "--from",
            "2026-03-20",
            "--json",
        ],
    )
    .await;
    assert_eq!(only(&by_tag), vec![second_id.clone()]);
    let text = mycase(&home, &["timeline"]).await;
    assert!(
        text.contains("March 2026") && text.contains("April 2026"),
        "{text}"
    );

    let found = json(&home, &["search", "JORDAN door", "--json"]).await;
    assert_eq!(found.as_array().unwrap().len(), 1);
    assert_eq!(found[0]["id"], id.as_str());
    let found = json(&home, &["search", "night", "--json"]).await;
    assert_eq!(found.as_array().unwrap().len(), 2, "a tag and a text match");

    // Trash and restore.
    mycase(&home, &["delete", &id]).await;
    let trash = json(&home, &["trash", "--json"]).await;
    assert_eq!(trash[0]["id"], id.as_str());
    assert!(trash[0]["deleted_at"].is_string());
    assert!(json(&home, &["search", "door", "--json"])
        .await
        .as_array()
        .unwrap()
        .is_empty());
    mycase(&home, &["restore", &id]).await;
    assert!(json(&home, &["trash", "--json"])
        .await
        .as_array()
        .unwrap()
        .is_empty());
    assert_eq!(
        json(&home, &["search", "door", "--json"])
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // No conflicts on one device; a bad category is refused.
    assert_eq!(json(&home, &["conflicts", "--json"]).await, json!([]));
}
