//! `mycase app`: the survivor's app in the browser, served from this binary on
//! 127.0.0.1 (never from the MyCase server). Prints the one-time link only once
//! the socket listens, opens the browser unless `--no-browser`, and serves until
//! interrupted, then locks.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result};
use mycase_web_app::core_app::App;
use mycase_web_app::LocalServer;

use crate::output;

/// The launch page is removed once the link is used, or after this long.
const LAUNCH_FILE_LIFETIME: Duration = Duration::from_secs(120);
const LAUNCH_FILE: &str = "app-launch.html";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The port on 127.0.0.1 (default: a free one).
    #[arg(long, default_value_t = 0, value_name = "P")]
    port: u16,
    /// Do not open the browser; open the printed link yourself.
    #[arg(long)]
    no_browser: bool,
    /// Print one JSON line `{"url": "...", "port": P}` before serving.
    #[arg(long)]
    json: bool,
}

pub async fn run(home: &Path, args: Args) -> Result<()> {
    let app = App::open(home.to_path_buf()).context("could not open this device's MyCase")?;
    let server = LocalServer::bind(app, args.port)
        .await
        .with_context(|| format!("could not listen on 127.0.0.1:{}", args.port))?;
    let url = server.url();
    if args.json {
        output::print_json(&serde_json::json!({ "url": url, "port": server.port() }))?;
    } else {
        output::print_line(&format!(
            "MyCase is open at {url}\nThe link works once, in one browser. Press Ctrl+C to stop (MyCase locks)."
        ))?;
    }
    if !args.no_browser {
        match open_browser(home, &url) {
            Ok(launch_file) => {
                let started = server.session_started();
                tokio::spawn(async move {
                    let _ = tokio::time::timeout(LAUNCH_FILE_LIFETIME, started).await;
                    let _ = std::fs::remove_file(launch_file);
                });
            }
            Err(e) => {
                crate::say!("Could not open the browser ({e:#}): open the link above yourself.")
            }
        }
    }
    let served = server.serve(stop_signal()).await;
    let _ = std::fs::remove_file(home.join(LAUNCH_FILE));
    served.context("the app's local server stopped")
}

/// Ctrl+C, or (on Unix) the SIGTERM a service manager or a script sends: either
/// way the app locks before the process ends.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// Opens the link through a page only this user can read: a URL given to the
/// browser's command line would show the one-time token to every local user
/// (in the process list) until the browser started.
fn open_browser(home: &Path, url: &str) -> Result<PathBuf> {
    let launch_file = home.join(LAUNCH_FILE);
    write_private(
        &launch_file,
        format!(
            "<!DOCTYPE html><meta charset=\"utf-8\"><title>Notes</title>\
             <meta name=\"referrer\" content=\"no-referrer\">\
             <meta http-equiv=\"refresh\" content=\"0;url={url}\">"
        )
        .as_bytes(),
    )
    .context("could not write the page that opens the app")?;
    let target = launch_file.as_os_str();
    let mut command = if let Some(browser) = std::env::var_os("BROWSER") {
        let mut command = Command::new(browser);
        command.arg(target);
        command
    } else if cfg!(target_os = "macos") {
        let mut command = Command::new("open");
        command.arg(target);
        command
    } else if cfg!(windows) {
        let mut command = Command::new("cmd");
        command.args(["/C", "start", ""]).arg(target);
        command
    } else {
        let mut command = Command::new("xdg-open");
        command.arg(target);
        command
    };
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("could not start the browser")?;
    Ok(launch_file)
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}
