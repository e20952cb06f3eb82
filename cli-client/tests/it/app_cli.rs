#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `mycase app` end to end: the binary prints its one-time link as JSON only once
//! it listens, the link's token gives a session cookie, the passphrase unlocks a
//! real journal, and SIGTERM stops it cleanly.

use std::time::Duration;

use mycase_tests::server::TestServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::{ok_json, MYCASE, PASS};

/// One raw HTTP/1.1 exchange: status, head, body.
async fn exchange(port: u16, request: String) -> (u16, String, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(60), stream.read_to_end(&mut raw))
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, head.to_owned(), body.to_owned())
}

/// A journal set up with `mycase init` against `server` in `dir/home`.
async fn set_up(server: &TestServer, dir: &tempfile::TempDir) -> std::path::PathBuf {
    let home = dir.path().join("home");
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, server.ca_pem()).unwrap();
    ok_json(
        &home,
        &[
            "init",
            "--server",
            server.url(),
            "--ca-cert",
            ca.to_str().unwrap(),
            "--json",
        ],
    )
    .await;
    home
}

/// Stops `mycase app` as a service manager does (SIGTERM): it must exit cleanly.
async fn stop(app: mycase_tests::cli::Running) {
    let pid = app.child.id().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = app.finish().await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
}

#[tokio::test]
async fn mycase_app_prints_its_link_then_the_token_and_passphrase_open_the_journal() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let home = set_up(&server, &dir).await;

    let mut app = MYCASE.spawn(&home, &["app", "--no-browser", "--json", "--port", "0"]);
    let printed = app.next_json().await;
    let port = u16::try_from(printed["port"].as_u64().unwrap()).unwrap();
    let url = printed["url"].as_str().unwrap();
    let prefix = format!("http://127.0.0.1:{port}/login?token=");
    assert!(url.starts_with(&prefix), "{url}");
    let token = &url[prefix.len()..];
    assert_eq!(token.len(), 64);

    // Printed after binding: the first connection is answered, no retry.
    let host = format!("Host: 127.0.0.1:{port}\r\nConnection: close\r\n");
    let (status, head, _) = exchange(
        port,
        format!("GET /login?token={token} HTTP/1.1\r\n{host}\r\n"),
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(header(&head, "location"), Some("/"));
    let cookie = header(&head, "set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();

    let (status, head, _) = exchange(
        port,
        format!("GET / HTTP/1.1\r\n{host}Cookie: {cookie}\r\n\r\n"),
    )
    .await;
    assert_eq!((status, header(&head, "location")), (303, Some("/unlock")));

    let body = format!("passphrase={}", PASS.replace(' ', "+"));
    let unlock = format!(
        "POST /unlock HTTP/1.1\r\n{host}Cookie: {cookie}\r\nOrigin: http://127.0.0.1:{port}\r\n\
         X-MyCase-Request: 1\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let (status, head, page) = exchange(port, unlock).await;
    assert_eq!(
        (status, header(&head, "location")),
        (303, Some("/")),
        "{page}"
    );

    let (status, _, page) = exchange(
        port,
        format!("GET / HTTP/1.1\r\n{host}Cookie: {cookie}\r\n\r\n"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(page.contains("Lock now"), "{page}");

    // A copy of the link opens nothing now.
    let (status, _, _) = exchange(
        port,
        format!("GET /login?token={token} HTTP/1.1\r\n{host}\r\n"),
    )
    .await;
    assert_eq!(status, 403);

    stop(app).await;
    assert!(
        TcpStream::connect(("127.0.0.1", port)).await.is_err(),
        "still listening"
    );
}

#[tokio::test]
async fn mycase_app_listens_on_the_port_given_and_says_where_in_words() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let home = set_up(&server, &dir).await;
    // A port free a moment ago; the app must listen on exactly that one.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut app = MYCASE.spawn(&home, &["app", "--no-browser", "--port", &port.to_string()]);
    let said = app.next_line().await;
    let prefix = format!("MyCase is open at http://127.0.0.1:{port}/login?token=");
    assert!(said.starts_with(&prefix), "{said}");
    let token = said[prefix.len()..].trim();
    let host = format!("Host: 127.0.0.1:{port}\r\nConnection: close\r\n");
    let (status, head, _) = exchange(
        port,
        format!("GET /login?token={token} HTTP/1.1\r\n{host}\r\n"),
    )
    .await;
    assert_eq!((status, header(&head, "location")), (303, Some("/")));

    // A second app on the same port is refused with the reason.
    let busy = MYCASE.spawn(&home, &["app", "--no-browser", "--port", &port.to_string()]);
    let out = busy.finish().await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("127.0.0.1:{port}")), "{stderr}");

    stop(app).await;
}

#[tokio::test]
async fn mycase_app_opens_the_browser_on_an_owner_only_page_never_with_the_link() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let home = set_up(&server, &dir).await;
    // A stand-in browser: tells the test, through a pipe, what it was given.
    let told = dir.path().join("told");
    assert!(std::process::Command::new("mkfifo")
        .arg(&told)
        .status()
        .unwrap()
        .success());
    let browser = dir.path().join("browser.sh");
    std::fs::write(
        &browser,
        format!(
            "#!/bin/sh\n{{ printf '%s\\n' \"$#\" \"$1\"; stat -c %a \"$1\" \"$(dirname \"$1\")\"; cat \"$1\"; }} > '{}'\n",
            told.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(
        &browser,
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .unwrap();
    let mut command = MYCASE.command(Some(&home), &["app", "--json", "--port", "0"]);
    command.env("BROWSER", &browser);
    let mut app = mycase_tests::cli::Running::start(command);
    let url = app.next_json().await["url"].as_str().unwrap().to_owned();
    let seen = tokio::task::spawn_blocking(move || std::fs::read_to_string(told).unwrap())
        .await
        .unwrap();
    let lines: Vec<&str> = seen.lines().collect();
    assert_eq!(lines[0], "1", "one argument: {seen}");
    assert!(
        !lines[1].contains("token"),
        "the link is not an argument: {seen}"
    );
    assert_eq!((lines[2], lines[3]), ("600", "700"), "owner-only: {seen}");
    let page = lines[4..].join("\n");
    assert!(
        page.contains(&format!(
            "<meta http-equiv=\"refresh\" content=\"0;url={url}\">"
        )),
        "{page}"
    );
    stop(app).await;
}
