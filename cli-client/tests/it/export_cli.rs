#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `mycase export` and `mycase verify` through the binary: JSON, HTML and
//! Markdown exports with filters, written privately; `verify` needs no home,
//! accepts the untouched files and fails (non-zero exit, `--json` report naming
//! the entry) on an altered one.

use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::common;

async fn run(home: Option<&Path>, args: &[&str]) -> Output {
    let mut cmd = common::mycase(home, args);
    if home.is_none() {
        // verify must work with no MyCase home at all.
        cmd.env_remove("HOME").env_remove("MYCASE_PASSPHRASE");
    }
    common::output(cmd).await
}

async fn ok(home: Option<&Path>, args: &[&str]) -> String {
    common::stdout_of(run(home, args).await, args)
}

async fn json(home: Option<&Path>, args: &[&str]) -> Value {
    serde_json::from_str(&ok(home, args).await).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_every_format_then_verify_offline() {
    let data = tempfile::tempdir().unwrap();
    let server = common::start_server(data.path(), |_| {}).await;
    let key = hex::encode(server.server_public_key());
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("laptop");
    let home = Some(home.as_path());
    let ca = server.ca_cert_path().to_str().unwrap().to_string();
    ok(
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
    let first = json(
        home,
        &[
            "add",
            "--title",
            "Kitchen",
            "--text",
            "He threw the plate.",
            "--occurred",
            "2026-03-14 21:30",
            "--category",
            "physical",
            "--json",
        ],
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    ok(
        home,
        &[
            "amend",
            &first,
            "--text",
            "He threw the blue plate.",
            "--json",
        ],
    )
    .await;
    let second = json(
        home,
        &[
            "add",
            "--text",
            "Forty messages.",
            "--occurred",
            "2026-03-20",
            "--category",
            "stalking-or-harassment",
            "--json",
        ],
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let photo = dir.path().join("wall.jpg");
    std::fs::write(&photo, b"\xff\xd8\xff the wall after").unwrap();
    ok(home, &["attach", &first, photo.to_str().unwrap(), "--json"]).await;
    ok(home, &["sync", "--json"]).await;

    let out = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let summary = json(
        home,
        &[
            "export",
            "--format",
            "json",
            "--out",
            &out("all.json"),
            "--json",
        ],
    )
    .await;
    assert_eq!(summary["entries"], 2);
    assert_eq!(summary["records"], summary["with_receipts"]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(out("all.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "an export is readable by its owner only"
        );
    }
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(out("all.json")).unwrap()).unwrap();
    assert_eq!(doc["entries"][0]["id"], first.as_str());
    assert_eq!(
        doc["entries"][0]["history"][1]["fields"]["text"],
        "He threw the blue plate."
    );
    assert_eq!(
        doc["entries"][0]["history"][0]["fields"]["text"],
        "He threw the plate."
    );

    // Filters, like timeline's.
    let only = json(
        home,
        &[
            "export",
            "--format",
            "json",
            "--out",
            &out("physical.json"),
            "--category",
            "physical",
            "--json",
        ],
    )
    .await;
    assert_eq!(only["entries"], 1);
    let ranged = json(
        home,
        &[
            "export",
            "--format",
            "json",
            "--out",
            &out("late.json"),
            "--from",
            "2026-03-15",
            "--json",
        ],
    )
    .await;
    assert_eq!(ranged["entries"], 1);

    ok(
        home,
        &[
            "export",
            "--format",
            "html",
            "--out",
            &out("chronology.html"),
        ],
    )
    .await;
    let page = std::fs::read_to_string(out("chronology.html")).unwrap();
    assert!(page.contains("He threw the blue plate.") && page.contains("Patterns"));
    ok(
        home,
        &["export", "--format", "md", "--out", &out("chronology.md")],
    )
    .await;
    let md = std::fs::read_to_string(out("chronology.md")).unwrap();
    assert!(md.contains("He threw the plate.") && md.contains("He threw the blue plate."));
    assert!(md.contains("## Appendix A. Changes after an entry was first written"));
    assert!(
        md.contains("Kitchen") && !md.contains("occurred_at"),
        "plain words: {md}"
    );

    // Verify offline, with no home.
    for file in ["all.json", "physical.json", "chronology.html"] {
        let report = json(
            None,
            &["verify", &out(file), "--server-key", &key, "--json"],
        )
        .await;
        assert_eq!(report["ok"], true, "{file}: {report}");
    }
    let text = ok(
        None,
        &["verify", &out("chronology.html"), "--server-key", &key],
    )
    .await;
    assert!(text.contains("All 2 entries verified."), "{text}");
    assert!(text.contains(&format!("OK      entry {}", &second[..8])));

    // The PDF, printed by the Chromium here, with a case reference on its pages.
    if mycase_tests::chromium::Chromium::for_test("export_cli_pdf").is_some() {
        let made = json(
            home,
            &[
                "export",
                "--format",
                "pdf",
                "--case-ref",
                "NMO/1",
                "--out",
                &out("chronology.pdf"),
                "--json",
            ],
        )
        .await;
        assert_eq!(made["format"], "pdf");
        let pdf = std::fs::read(out("chronology.pdf")).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        let page = mycase_core::export::pdf::embed::embedded_page(&pdf).unwrap();
        assert!(page.contains("Case reference: NMO/1"));
        let verified = run(
            None,
            &["verify", &out("chronology.pdf"), "--server-key", &key],
        )
        .await;
        let text = String::from_utf8_lossy(&verified.stdout);
        assert!(verified.status.success(), "{text}");
        assert!(text.contains("All 2 entries verified."), "{text}");
        assert!(text.contains("photos as printed"), "{text}");
    }

    // Words withheld from one export: gone from the file, marked, still proven.
    let withheld = json(
        home,
        &[
            "export",
            "--format",
            "html",
            "--out",
            &out("withheld.html"),
            "--withhold",
            &format!("{}:text:Forty", &second[..8]),
            "--no-attachments",
            "--json",
        ],
    )
    .await;
    assert_eq!(withheld["entries_with_withheld"], 1);
    let page = std::fs::read_to_string(out("withheld.html")).unwrap();
    assert!(page.contains("[withheld] messages."));
    assert!(!page.contains("Forty"));
    let verified = run(
        None,
        &["verify", &out("withheld.html"), "--server-key", &key],
    )
    .await;
    let text = String::from_utf8_lossy(&verified.stdout);
    assert!(verified.status.success(), "{text}");
    assert!(text.contains("withheld part of the text"), "{text}");
    // What cannot be withheld: a clear error, and no file written.
    for (spec, says) in [
        (format!("{}:text:Fifty", &second[..8]), "does not appear"),
        (format!("{}:severity", &second[..8]), "cannot be withheld"),
        ("nonsense".to_string(), "ENTRY:FIELD"),
    ] {
        let refused = run(
            home,
            &[
                "export",
                "--format",
                "json",
                "--out",
                &out("refused.json"),
                "--withhold",
                &spec,
            ],
        )
        .await;
        assert!(!refused.status.success(), "{spec}");
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(stderr.contains(says), "{spec}: {stderr}");
        assert!(!dir.path().join("refused.json").exists());
    }

    // An altered export fails with a non-zero exit and names the entry.
    let altered = std::fs::read_to_string(out("all.json"))
        .unwrap()
        .replace("Forty messages.", "Two messages.");
    std::fs::write(out("altered.json"), altered).unwrap();
    let result = run(
        None,
        &[
            "verify",
            &out("altered.json"),
            "--server-key",
            &key,
            "--json",
        ],
    )
    .await;
    assert!(!result.status.success());
    let report: Value = serde_json::from_slice(&result.stdout).unwrap();
    assert_eq!(report["ok"], false);
    let failed: Vec<&Value> = report["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["unchanged"] == false)
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["entry_id"], second.as_str());
    let result = run(
        None,
        &["verify", &out("altered.json"), "--server-key", &key],
    )
    .await;
    assert!(!result.status.success());
    let stdout = String::from_utf8_lossy(&result.stdout);
    assert!(
        stdout.contains(&format!("FAILED  entry {}", &second[..8])),
        "{stdout}"
    );
    // The words were replaced everywhere, the proof's disclosure of them
    // included: the record's commitment no longer matches.
    assert!(
        stdout.contains("the text shown is not what the record commits to"),
        "{stdout}"
    );

    // A wrong key, a malformed key and a file that is no export are refused.
    let wrong = hex::encode([7u8; 32]);
    assert!(
        !run(None, &["verify", &out("all.json"), "--server-key", &wrong])
            .await
            .status
            .success()
    );
    assert!(
        !run(None, &["verify", &out("all.json"), "--server-key", "abc"])
            .await
            .status
            .success()
    );
    let result = run(
        None,
        &["verify", &out("chronology.md"), "--server-key", &key],
    )
    .await;
    assert!(!result.status.success());
    assert!(String::from_utf8_lossy(&result.stderr).contains("not a MyCase export"));

    // A deleted entry is left out unless --include-deleted, which marks it.
    ok(home, &["delete", &second, "--json"]).await;
    ok(home, &["sync", "--json"]).await;
    let standing = json(
        home,
        &[
            "export",
            "--format",
            "json",
            "--out",
            &out("standing.json"),
            "--json",
        ],
    )
    .await;
    assert_eq!(standing["entries"], 1);
    let with_deleted = json(
        home,
        &[
            "export",
            "--format",
            "html",
            "--include-deleted",
            "--out",
            &out("with-deleted.html"),
            "--json",
        ],
    )
    .await;
    assert_eq!(with_deleted["entries"], 2);
    let page = std::fs::read_to_string(out("with-deleted.html")).unwrap();
    assert!(
        page.contains("Deleted: ") && page.contains("Deleted by the survivor on "),
        "the deleted entry is marked"
    );
    for file in ["standing.json", "with-deleted.html"] {
        let verified = run(None, &["verify", &out(file), "--server-key", &key]).await;
        assert!(verified.status.success(), "{file}: {verified:?}");
    }
    server.shutdown().await.unwrap();
}
