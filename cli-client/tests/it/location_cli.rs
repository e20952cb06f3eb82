#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Item 12 of issue 10, through the binary against a real server: a photo that
//! records where it was taken is pointed out at attach time; a share carries a
//! copy without the location by default (`--keep-location` carries the
//! original); `export --strip-location` writes such a copy beside the export
//! instead of the original; `verify` passes such an export and names the copy
//! as a copy, never as the original, and fails when a file beside the export
//! or the document's note about it was changed.

use std::path::{Path, PathBuf};
use std::process::Output;

use mycase_core::photo_metadata::location_metadata;
use serde_json::Value;

use crate::common;

fn fixture() -> Vec<u8> {
    std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../client-core/tests/fixtures/photo-with-location.jpg"),
    )
    .unwrap()
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(
        mycase_core::attachment::digest_reader(bytes)
            .unwrap()
            .sha256,
    )
}

/// The JPEG's picture data: from its first scan marker to the end.
fn picture(jpeg: &[u8]) -> &[u8] {
    let at = jpeg.windows(2).position(|w| w == [0xFF, 0xDA]).unwrap();
    &jpeg[at..]
}

async fn run(home: Option<&Path>, args: &[&str]) -> Output {
    let mut cmd = common::mycase(home, args);
    if home.is_none() {
        cmd.env_remove("HOME").env_remove("MYCASE_PASSPHRASE");
    }
    common::output(cmd).await
}

async fn json(home: Option<&Path>, args: &[&str]) -> Value {
    serde_json::from_str(&common::stdout_of(run(home, args).await, args)).unwrap()
}

async fn text(home: Option<&Path>, args: &[&str]) -> String {
    common::stdout_of(run(home, args).await, args)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shares_and_exports_carry_copies_without_location_and_verify_says_so() {
    let data = tempfile::tempdir().unwrap();
    let server = common::start_server(data.path(), |_| {}).await;
    let key = hex::encode(server.server_public_key());
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("laptop");
    let home = Some(home.as_path());
    let ca = server.ca_cert_path().to_str().unwrap().to_string();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    json(
        home,
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
    let entry = json(
        home,
        &["add", "--text", "The bruise, the morning after.", "--json"],
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let original = fixture();
    assert!(!location_metadata(&original).is_empty());
    std::fs::write(path("arm.jpg"), &original).unwrap();

    // Attach: the place is pointed out, and the file is kept as it is.
    let attached = run(home, &["attach", &entry, &path("arm.jpg"), "--json"]).await;
    let stderr = String::from_utf8_lossy(&attached.stderr).into_owned();
    assert!(stderr.contains("records where it was taken"), "{stderr}");
    let attached: Value = serde_json::from_slice(&attached.stdout).unwrap();
    assert_eq!(attached["location_metadata"], true);
    assert_eq!(attached["size"], original.len());
    json(home, &["sync", "--json"]).await;

    // A share carries a copy without the location by default.
    let share = |extra: &'static [&'static str]| {
        let mut args = vec![
            "share",
            "create",
            "--entry",
            &entry[..8],
            "--include-attachments",
        ];
        args.extend_from_slice(extra);
        args.push("--json");
        args.into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    let args = share(&[]);
    let created = json(home, &args.iter().map(String::as_str).collect::<Vec<_>>()).await;
    assert_eq!(created["location_removed"], 1, "{created}");
    let link = created["link"].as_str().unwrap().to_string();
    let advocate = dir.path().join("advocate-has-no-home");
    let opened = dir.path().join("opened");
    json(
        Some(&advocate),
        &[
            "share",
            "open",
            &link,
            "--ca-cert",
            &ca,
            "--out",
            opened.to_str().unwrap(),
            "--json",
        ],
    )
    .await;
    assert!(!opened.join("attachments/01-arm.jpg").exists());
    let copy = std::fs::read(opened.join("attachments/01-arm.no-location.jpg")).unwrap();
    assert!(
        location_metadata(&copy).is_empty(),
        "the shared copy has no location"
    );
    assert_eq!(picture(&copy), picture(&original), "the same picture data");
    assert_eq!(
        std::fs::read(path("arm.jpg")).unwrap(),
        original,
        "the original is untouched"
    );
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(opened.join("share.json")).unwrap()).unwrap();
    let shared = &manifest["entries"][0]["attachments"][0];
    assert_eq!(shared["sha256"], sha256_hex(&copy));
    assert_eq!(
        shared["location_removed"]["original_sha256"],
        sha256_hex(&original)
    );
    assert_eq!(shared["location_removed"]["original_size"], original.len());
    let words = text(Some(&advocate), &["share", "open", &link, "--ca-cert", &ca]).await;
    assert!(
        words.contains("This is a copy without location data"),
        "{words}"
    );
    assert!(
        words.contains(&sha256_hex(&original)),
        "the original's checksum is named"
    );

    // --keep-location carries the original, byte for byte.
    let args = share(&["--keep-location"]);
    let created = json(home, &args.iter().map(String::as_str).collect::<Vec<_>>()).await;
    assert_eq!(created["location_removed"], 0);
    let kept = dir.path().join("kept");
    json(
        Some(&advocate),
        &[
            "share",
            "open",
            created["link"].as_str().unwrap(),
            "--ca-cert",
            &ca,
            "--out",
            kept.to_str().unwrap(),
            "--json",
        ],
    )
    .await;
    assert_eq!(
        std::fs::read(kept.join("attachments/01-arm.jpg")).unwrap(),
        original
    );

    // An export with --strip-location writes the copy, not the original.
    let summary = json(
        home,
        &[
            "export",
            "--format",
            "html",
            "--out",
            &path("court.html"),
            "--strip-location",
            "--json",
        ],
    )
    .await;
    assert_eq!(summary["location_copies"], 1, "{summary}");
    let doc_text = std::fs::read_to_string(path("court.html")).unwrap();
    let doc: Value =
        serde_json::from_str(mycase_core::export::html::extract_document(&doc_text).unwrap())
            .unwrap();
    let attachment_id = doc["entries"][0]["attachments"][0]["attachment_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        doc["entries"][0]["attachments"][0]["sha256"],
        sha256_hex(&original)
    );
    let folder = PathBuf::from(path("court.html.attachments")).join(&attachment_id);
    assert!(
        !folder.join("arm.jpg").exists(),
        "the original is not beside it"
    );
    let copy_path = folder.join("arm.no-location.jpg");
    let copy = std::fs::read(&copy_path).unwrap();
    assert!(location_metadata(&copy).is_empty());
    assert_eq!(picture(&copy), picture(&original));
    assert_eq!(doc["attachment_copies"][0]["sha256"], sha256_hex(&copy));
    assert_eq!(
        doc["attachment_copies"][0]["original_sha256"],
        sha256_hex(&original)
    );
    assert!(doc_text.contains("is a copy without location data"));

    // verify passes it, and names the copy as a copy.
    let report = json(
        None,
        &[
            "verify",
            &path("court.html"),
            "--server-key",
            &key,
            "--json",
        ],
    )
    .await;
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["files"][0]["kind"], "copy without location data");
    assert_eq!(report["files"][0]["status"], "matches");
    assert_eq!(report["files"][0]["original_sha256"], sha256_hex(&original));
    let limits = report["entries"][0]["limits"].to_string();
    assert!(
        limits.contains("It is not the recorded original"),
        "{limits}"
    );
    let words = text(None, &["verify", &path("court.html"), "--server-key", &key]).await;
    assert!(words.contains("It is NOT the recorded original"), "{words}");
    assert!(
        !words.contains("the recorded original of attachment"),
        "{words}"
    );

    // A file beside the export that is not the one it names fails verify.
    std::fs::write(&copy_path, &original).unwrap();
    let failed = run(
        None,
        &[
            "verify",
            &path("court.html"),
            "--server-key",
            &key,
            "--json",
        ],
    )
    .await;
    assert!(!failed.status.success());
    let report: Value = serde_json::from_slice(&failed.stdout).unwrap();
    assert_eq!(report["files"][0]["status"], "differs");
    std::fs::write(&copy_path, &copy).unwrap();

    // A note naming another original fails, in the JSON export as in the page.
    json(
        home,
        &[
            "export",
            "--format",
            "json",
            "--out",
            &path("all.json"),
            "--strip-location",
            "--json",
        ],
    )
    .await;
    let ok = json(
        None,
        &["verify", &path("all.json"), "--server-key", &key, "--json"],
    )
    .await;
    assert_eq!(ok["ok"], true, "{ok}");
    let mut forged: Value =
        serde_json::from_str(&std::fs::read_to_string(path("all.json")).unwrap()).unwrap();
    forged["attachment_copies"][0]["original_sha256"] = hex::encode([7u8; 32]).into();
    std::fs::write(path("forged.json"), forged.to_string()).unwrap();
    let failed = run(
        None,
        &[
            "verify",
            &path("forged.json"),
            "--server-key",
            &key,
            "--json",
        ],
    )
    .await;
    assert!(!failed.status.success());
    let report: Value = serde_json::from_slice(&failed.stdout).unwrap();
    assert!(
        report["entries"][0]["problems"]
            .to_string()
            .contains("the recorded original has SHA-256"),
        "{report}"
    );
    let page = doc_text.replace("is a copy without location data", "is the original file");
    std::fs::write(path("forged.html"), page).unwrap();
    let failed = run(
        None,
        &["verify", &path("forged.html"), "--server-key", &key],
    )
    .await;
    assert!(
        !failed.status.success(),
        "a page calling the copy the original fails"
    );

    // Without the flag, the export's file is the original, and verify says so.
    json(
        home,
        &[
            "export",
            "--format",
            "json",
            "--out",
            &path("originals.json"),
            "--json",
        ],
    )
    .await;
    let beside = PathBuf::from(path("originals.json.attachments")).join(&attachment_id);
    assert_eq!(std::fs::read(beside.join("arm.jpg")).unwrap(), original);
    let report = json(
        None,
        &[
            "verify",
            &path("originals.json"),
            "--server-key",
            &key,
            "--json",
        ],
    )
    .await;
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["files"][0]["kind"], "original");
    assert_eq!(report["files"][0]["status"], "matches");
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(path("originals.json")).unwrap()).unwrap();
    assert!(
        doc.get("attachment_copies").is_none(),
        "no copies: the document is as before"
    );
}
