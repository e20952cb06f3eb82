//! Printing a chronology page to PDF with the Chromium on this computer,
//! driven over its DevTools protocol. The page is handed to the browser in
//! memory (`Page.setDocumentContent`), never written to a file, and the
//! browser runs with a fresh profile in a private temporary folder, with no
//! network, removed afterwards. Chromium prints the page's own print style:
//! A4, the running header, page numbers.

use std::path::{Path, PathBuf};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio_tungstenite::tungstenite::Message;

/// How long printing may take in all.
pub const PRINT_TIMEOUT: Duration = Duration::from_secs(120);

/// Why the page could not be printed.
#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    /// No Chromium was found.
    #[error(
        "printing to PDF needs Chromium or Google Chrome, and none was found: install it \
         (on Debian or Ubuntu: apt install chromium), set MYCASE_CHROMIUM to its path, or \
         export --format html and print that from a browser"
    )]
    NoBrowser,
    /// The browser could not be started.
    #[error("starting {}", .path.display())]
    Start {
        /// The browser.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The browser did not do what was asked.
    #[error("the browser failed to print: {0}")]
    Browser(String),
    /// It took too long.
    #[error("the browser took longer than {} s to print", PRINT_TIMEOUT.as_secs())]
    Timeout,
}

/// `$MYCASE_CHROMIUM`, else the first of chromium, chromium-browser,
/// google-chrome, google-chrome-stable on `PATH`.
pub fn find_chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("MYCASE_CHROMIUM") {
        return Some(path.into());
    }
    let dirs = std::env::var_os("PATH")?;
    [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ]
    .iter()
    .flat_map(|name| std::env::split_paths(&dirs).map(move |dir| dir.join(name)))
    .find(|candidate| candidate.is_file())
}

/// Prints `html` to PDF with the browser at `chromium`.
pub async fn print_html(html: &str, chromium: &Path) -> Result<Vec<u8>, PrintError> {
    match tokio::time::timeout(PRINT_TIMEOUT, print_in(html, chromium)).await {
        Ok(printed) => printed,
        Err(_) => Err(PrintError::Timeout),
    }
}

fn failed(what: impl std::fmt::Display) -> PrintError {
    PrintError::Browser(what.to_string())
}

/// Whether this process runs as root (Chromium's sandbox refuses root).
fn running_as_root() -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
    }
    #[cfg(not(unix))]
    {
        false
    }
}

async fn print_in(html: &str, chromium: &Path) -> Result<Vec<u8>, PrintError> {
    let profile = tempfile::Builder::new()
        .prefix("mycase-print-")
        .tempdir()
        .map_err(|source| PrintError::Start {
            path: chromium.to_path_buf(),
            source,
        })?;
    let mut command = tokio::process::Command::new(chromium);
    command.args([
        "--headless",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--disable-breakpad",
        "--incognito",
        "--remote-debugging-port=0",
    ]);
    if running_as_root() {
        command.arg("--no-sandbox");
    }
    let mut browser = command
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("about:blank")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|source| PrintError::Start {
            path: chromium.to_path_buf(),
            source,
        })?;
    let stderr = browser
        .stderr
        .take()
        .ok_or_else(|| failed("no output from the browser"))?;
    let mut lines = BufReader::new(stderr).lines();
    // The browser says where its DevTools endpoint is once it listens.
    let endpoint = loop {
        let line = lines
            .next_line()
            .await
            .map_err(failed)?
            .ok_or_else(|| failed("it exited before it was ready"))?;
        if let Some(at) = line.find("ws://") {
            break line[at..].trim().to_owned();
        }
    };
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let (socket, _) = tokio_tungstenite::connect_async(endpoint.as_str())
        .await
        .map_err(failed)?;
    let mut session = Session {
        socket,
        next_id: 0,
        session: None,
    };
    let printed = session.print(html).await;
    let _ = session.call("Browser.close", json!({})).await;
    let _ = browser.kill().await;
    drop(profile);
    printed
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

struct Session {
    socket: Socket,
    next_id: u64,
    session: Option<String>,
}

impl Session {
    async fn call(&mut self, method: &str, params: Value) -> Result<Value, PrintError> {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({ "id": id, "method": method, "params": params });
        if let Some(session) = &self.session {
            message["sessionId"] = Value::String(session.clone());
        }
        self.socket
            .send(Message::text(message.to_string()))
            .await
            .map_err(failed)?;
        while let Some(frame) = self.socket.next().await {
            let Message::Text(text) = frame.map_err(failed)? else {
                continue;
            };
            let reply: Value = serde_json::from_str(text.as_str()).map_err(failed)?;
            if reply["id"].as_u64() != Some(id) {
                continue;
            }
            if let Some(error) = reply.get("error") {
                return Err(failed(format!("{method}: {}", error["message"])));
            }
            return Ok(reply["result"].clone());
        }
        Err(failed("the browser closed the connection"))
    }

    async fn print(&mut self, html: &str) -> Result<Vec<u8>, PrintError> {
        let target = self
            .call("Target.createTarget", json!({ "url": "about:blank" }))
            .await?;
        let attached = self
            .call(
                "Target.attachToTarget",
                json!({ "targetId": target["targetId"], "flatten": true }),
            )
            .await?;
        self.session = attached["sessionId"].as_str().map(str::to_owned);
        let tree = self.call("Page.getFrameTree", json!({})).await?;
        let frame = tree["frameTree"]["frame"]["id"].clone();
        self.call(
            "Page.setDocumentContent",
            json!({ "frameId": frame, "html": html }),
        )
        .await?;
        // Fonts and the photos decoded before the page is laid out for print.
        self.call(
            "Runtime.evaluate",
            json!({
                "expression": "Promise.all([document.fonts.ready, ...Array.from(document.images, i => i.decode().catch(() => null))]).then(() => true)",
                "awaitPromise": true,
            }),
        )
        .await?;
        let printed = self
            .call(
                "Page.printToPDF",
                json!({
                    "printBackground": true,
                    "preferCSSPageSize": true,
                    "displayHeaderFooter": false,
                    "generateDocumentOutline": true,
                }),
            )
            .await?;
        let data = printed["data"]
            .as_str()
            .ok_or_else(|| failed("it returned no PDF"))?;
        let pdf = data_encoding::BASE64
            .decode(data.as_bytes())
            .map_err(failed)?;
        if !super::is_pdf(&pdf) {
            return Err(failed("what it returned is not a PDF"));
        }
        Ok(pdf)
    }
}
