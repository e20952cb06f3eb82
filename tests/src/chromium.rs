//! Headless Chromium for browser tests: the share viewer and the HTML export.
//!
//! CI installs Debian's `chromium` (see `.ci/run`) and sets
//! `MYCASE_REQUIRE_CHROMIUM=1`, so a missing browser fails the run there; on a
//! developer's machine without it, browser tests say they were skipped.
//!
//! The browser is driven over the DevTools protocol rather than `--dump-dom`:
//! a dump is taken at the load event, before a page's asynchronous work
//! (WebCrypto decryption) has finished. Here a test names a JavaScript condition
//! (`document.documentElement.dataset.state === 'ready'`) and the page is read
//! once it holds.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// A condition for pages without asynchronous work: loading has finished.
pub const LOADED: &str = "document.readyState === 'complete'";

/// A Chromium binary found on this machine.
#[derive(Clone, Debug)]
pub struct Chromium {
    path: PathBuf,
}

impl Chromium {
    /// `$MYCASE_CHROMIUM`, else the first of chromium, chromium-browser,
    /// google-chrome on `PATH`.
    pub fn find() -> Option<Chromium> {
        if let Some(path) = std::env::var_os("MYCASE_CHROMIUM") {
            return Some(Chromium { path: path.into() });
        }
        let dirs = std::env::var_os("PATH")?;
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            for dir in std::env::split_paths(&dirs) {
                let candidate = dir.join(name);
                if candidate.is_file() {
                    return Some(Chromium { path: candidate });
                }
            }
        }
        None
    }

    /// The browser for a test, or `None` (after saying the test is skipped) when
    /// it is absent and `MYCASE_REQUIRE_CHROMIUM` is not set. With it set, a
    /// missing browser fails the test.
    pub fn for_test(test: &str) -> Option<Chromium> {
        match Chromium::find() {
            Some(chromium) => Some(chromium),
            None if std::env::var_os("MYCASE_REQUIRE_CHROMIUM").is_some() => {
                panic!("{test}: MYCASE_REQUIRE_CHROMIUM is set but no chromium was found")
            }
            None => {
                eprintln!(
                    "SKIPPED {test}: chromium not found (install Debian's `chromium` or set MYCASE_CHROMIUM)"
                );
                None
            }
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Opens `url`, waits until the JavaScript expression `ready` is true, and
    /// returns `document.documentElement.outerHTML`. Self-signed certificates
    /// are accepted (test servers). Fails after `timeout`, with any script
    /// errors the page threw.
    pub async fn render(
        &self,
        url: &str,
        ready: &str,
        timeout: Duration,
    ) -> anyhow::Result<String> {
        self.read_string(url, ready, timeout, "document.documentElement.outerHTML")
            .await
    }

    /// Opens `url`, waits until `ready` is true, and returns the text a reader
    /// sees: `document.body.innerText` (laid out, hidden text left out, one
    /// line per block).
    pub async fn inner_text(
        &self,
        url: &str,
        ready: &str,
        timeout: Duration,
    ) -> anyhow::Result<String> {
        self.read_string(url, ready, timeout, "document.body.innerText")
            .await
    }

    /// Opens `url`, waits until `ready` is true, and returns the string the
    /// JavaScript `expression` gives.
    async fn read_string(
        &self,
        url: &str,
        ready: &str,
        timeout: Duration,
        expression: &str,
    ) -> anyhow::Result<String> {
        let mut page = self.open(url, ready, timeout).await?;
        let value = page.evaluate(expression).await;
        page.close().await;
        value?
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("{expression} was not a string"))
    }

    /// Opens `url`, waits until `ready` is true, and prints the page to PDF the
    /// way a person would (print stylesheet, backgrounds, no header or footer).
    pub async fn print_to_pdf(
        &self,
        url: &str,
        ready: &str,
        timeout: Duration,
    ) -> anyhow::Result<Vec<u8>> {
        let mut page = self.open(url, ready, timeout).await?;
        let printed = page
            .call(
                "Page.printToPDF",
                json!({ "printBackground": true, "displayHeaderFooter": false }),
            )
            .await?;
        page.close().await;
        let data = printed["data"]
            .as_str()
            .ok_or_else(|| anyhow!("printToPDF returned no data"))?;
        let pdf = data_encoding::BASE64
            .decode(data.as_bytes())
            .context("printToPDF returned bad base64")?;
        if !pdf.starts_with(b"%PDF-") {
            bail!("chromium did not produce a PDF");
        }
        Ok(pdf)
    }

    async fn open(&self, url: &str, ready: &str, timeout: Duration) -> anyhow::Result<Page> {
        let mut page = Page::launch(&self.path).await?;
        match tokio::time::timeout(timeout, page.load(url, ready)).await {
            Ok(Ok(())) => Ok(page),
            Ok(Err(e)) => {
                let errors = page.script_errors();
                page.close().await;
                Err(e.context(format!("loading {url}; script errors: {errors:?}")))
            }
            Err(_) => {
                let errors = page.script_errors();
                let html = page
                    .evaluate("document.documentElement.outerHTML")
                    .await
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                page.close().await;
                bail!(
                    "{url}: `{ready}` not true after {timeout:?}; script errors: {errors:?}; page: {html}"
                )
            }
        }
    }
}

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// One browser with one page attached over the DevTools protocol.
struct Page {
    browser: tokio::process::Child,
    _profile: tempfile::TempDir,
    socket: Socket,
    session: String,
    next_id: u64,
    /// Events that arrived while waiting for a reply.
    events: Vec<Value>,
}

impl Page {
    async fn launch(path: &Path) -> anyhow::Result<Page> {
        let profile = tempfile::tempdir().context("creating a browser profile directory")?;
        let mut browser = tokio::process::Command::new(path)
            // What Debian's chromium needs headless as root in a closed network:
            // no sandbox, no GPU, and no background connections (they are
            // refused here and slow every start).
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-quic",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--ignore-certificate-errors",
                "--hide-scrollbars",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", path.display()))?;
        let stderr = browser
            .stderr
            .take()
            .ok_or_else(|| anyhow!("no stderr from chromium"))?;
        let mut lines = BufReader::new(stderr).lines();
        // Chromium announces its DevTools endpoint on stderr once it listens.
        let endpoint = loop {
            let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
                .await
                .context("chromium did not start its DevTools endpoint in time")?
                .context("reading chromium's stderr")?
                .ok_or_else(|| anyhow!("chromium exited before it was ready"))?;
            if let Some(at) = line.find("ws://") {
                break line[at..].trim().to_owned();
            }
        };
        // Keep draining stderr so the browser never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let (socket, _) = tokio_tungstenite::connect_async(endpoint.as_str())
            .await
            .context("connecting to chromium's DevTools endpoint")?;
        let mut page = Page {
            browser,
            _profile: profile,
            socket,
            session: String::new(),
            next_id: 0,
            events: Vec::new(),
        };
        let target = page
            .call("Target.createTarget", json!({ "url": "about:blank" }))
            .await?;
        let target_id = target["targetId"].clone();
        let attached = page
            .call(
                "Target.attachToTarget",
                json!({ "targetId": target_id, "flatten": true }),
            )
            .await?;
        page.session = attached["sessionId"]
            .as_str()
            .ok_or_else(|| anyhow!("no DevTools session id"))?
            .to_owned();
        page.call("Page.enable", json!({})).await?;
        page.call("Runtime.enable", json!({})).await?;
        Ok(page)
    }

    /// Navigates, waits for the load event, then for `ready` to hold.
    async fn load(&mut self, url: &str, ready: &str) -> anyhow::Result<()> {
        self.events.clear();
        let navigated = self.call("Page.navigate", json!({ "url": url })).await?;
        if let Some(error) = navigated["errorText"].as_str() {
            bail!("navigation failed: {error}");
        }
        self.wait_event("Page.loadEventFired").await?;
        // The page polls its own condition; the protocol waits on the promise.
        let waiting = format!(
            "new Promise(resolve => {{ const check = () => {{ if ({ready}) resolve(true); else setTimeout(check, 25); }}; check(); }})"
        );
        self.evaluate(&waiting).await?;
        Ok(())
    }

    async fn evaluate(&mut self, expression: &str) -> anyhow::Result<Value> {
        let result = self
            .call(
                "Runtime.evaluate",
                json!({ "expression": expression, "awaitPromise": true, "returnByValue": true }),
            )
            .await?;
        if let Some(exception) = result.get("exceptionDetails") {
            bail!("script failed: {exception}");
        }
        Ok(result["result"]["value"].clone())
    }

    fn script_errors(&self) -> Vec<String> {
        self.events
            .iter()
            .filter(|e| e["method"] == "Runtime.exceptionThrown")
            .map(|e| e["params"]["exceptionDetails"].to_string())
            .collect()
    }

    /// Sends one command (to the page's session once attached) and returns its
    /// result, keeping events that arrive meanwhile.
    async fn call(&mut self, method: &str, params: Value) -> anyhow::Result<Value> {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({ "id": id, "method": method, "params": params });
        if !self.session.is_empty() {
            message["sessionId"] = Value::String(self.session.clone());
        }
        self.socket
            .send(Message::text(message.to_string()))
            .await
            .with_context(|| format!("sending {method}"))?;
        loop {
            let incoming = self.next_message().await?;
            if incoming["id"] == id {
                if let Some(error) = incoming.get("error") {
                    bail!("{method} failed: {error}");
                }
                return Ok(incoming["result"].clone());
            }
            self.events.push(incoming);
        }
    }

    async fn wait_event(&mut self, method: &str) -> anyhow::Result<()> {
        if self.events.iter().any(|e| e["method"] == method) {
            return Ok(());
        }
        loop {
            let incoming = self.next_message().await?;
            let matched = incoming["method"] == method;
            self.events.push(incoming);
            if matched {
                return Ok(());
            }
        }
    }

    async fn next_message(&mut self) -> anyhow::Result<Value> {
        loop {
            let message = self
                .socket
                .next()
                .await
                .ok_or_else(|| anyhow!("chromium closed the DevTools connection"))?
                .context("reading from chromium")?;
            if let Message::Text(text) = message {
                return serde_json::from_str(text.as_str()).context("chromium sent bad JSON");
            }
        }
    }

    async fn close(mut self) {
        // Browser-level command: outside the page's session.
        self.session.clear();
        let _ = self.call("Browser.close", json!({})).await;
        let _ = self.browser.kill().await;
    }
}
