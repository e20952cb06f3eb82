#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The safety words: `mycase help safety` (and `mycase safety`) show the
//! safeguarding statement's words on emergencies, needing no home, passphrase or
//! server; `init` shows them once, after the recovery kit.

use crate::common;

use common::{mycase, ok, server_args, start_server};

const LINES: [&str; 4] = [
    "If you or someone else is in immediate danger, please contact emergency services.",
    "Call 999",
    "If you cannot speak safely, you can use the 999 Silent Solution.",
    "For non-emergency police assistance in the UK, call 101.",
];

#[test]
fn help_safety_shows_the_statements_words_with_nothing_set_up() {
    let nowhere = tempfile::tempdir().unwrap();
    let home = nowhere.path().join("not-set-up");
    for args in [&["help", "safety"][..], &["safety"][..]] {
        let out = mycase(Some(&home), args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {out:?}");
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert_eq!(
            stdout.trim_end().lines().collect::<Vec<_>>(),
            LINES,
            "{args:?}"
        );
        // Nothing was created for it.
        assert!(!home.exists(), "{args:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_shows_the_safety_words_once_after_the_kit() {
    let data = tempfile::tempdir().unwrap();
    let server = start_server(data.path(), |_| {}).await;
    let homes = tempfile::tempdir().unwrap();
    let home = homes.path().join("laptop");
    let [url, ca] = server_args(&server);
    let out = ok(
        &home,
        &[
            "init",
            "--server",
            &url,
            "--ca-cert",
            &ca,
            "--device-name",
            "laptop",
        ],
    )
    .await;
    let kit = out.find("Your recovery kit").unwrap();
    let words = out.find(LINES[0]).expect("the safety words");
    assert!(words > kit, "{out}");
    for line in LINES {
        assert_eq!(out.matches(line).count(), 1, "{line}: {out}");
    }
    assert!(out.contains("`mycase help safety`"), "{out}");
}
