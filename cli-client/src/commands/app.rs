//! `mycase app`: the survivor's app in the browser, served from this binary on
//! 127.0.0.1 (never from the MyCase server). Prints the one-time link only once
//! the socket listens, opens the browser unless `--no-browser`, and serves until
//! interrupted, then locks.

use std::io::Write;
use std::path::Path;
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
        match open_browser(&url) {
            Ok(launch_dir) => {
                let started = server.session_started();
                tokio::spawn(async move {
                    let _ = tokio::time::timeout(LAUNCH_FILE_LIFETIME, started).await;
                    drop(launch_dir);
                });
            }
            Err(e) => {
                crate::say!("Could not open the browser ({e:#}): open the link above yourself.")
            }
        }
    }
    server
        .serve(stop_signal())
        .await
        .context("the app's local server stopped")
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

/// Opens the link through a page only this user can read (in a fresh owner-only
/// folder): a URL on the browser's command line would show the one-time token to
/// every local user, in the process list, until the browser started. The folder
/// goes when the returned value is dropped.
fn open_browser(url: &str) -> Result<tempfile::TempDir> {
    // Owner-only (0700), whatever the umask: other users of the computer must
    // not even list it.
    let mut builder = tempfile::Builder::new();
    builder.prefix("mycase-open-");
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700));
    let dir = builder
        .tempdir()
        .context("could not make a private folder for the page that opens the app")?;
    let launch_file = dir.path().join(LAUNCH_FILE);
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
    browser_command(&launch_file)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("could not start the browser")?;
    Ok(dir)
}

/// `$BROWSER` as such programs read it (the first of a `:`-separated list, its
/// words split, `%s` for the page or the page last), else the system's opener.
fn browser_command(page: &Path) -> Command {
    if let Some(browser) = std::env::var("BROWSER")
        .ok()
        .filter(|b| !b.trim().is_empty())
    {
        let first = browser.split(':').next().unwrap_or_default();
        let mut words = first.split_whitespace();
        if let Some(program) = words.next() {
            let mut command = Command::new(program);
            let mut placed = false;
            for word in words {
                if word == "%s" {
                    command.arg(page);
                    placed = true;
                } else {
                    command.arg(word);
                }
            }
            if !placed {
                command.arg(page);
            }
            return command;
        }
    }
    let (program, before): (&str, &[&str]) = if cfg!(target_os = "macos") {
        ("open", &[])
    } else if cfg!(windows) {
        ("cmd", &["/C", "start", ""])
    } else {
        ("xdg-open", &[])
    };
    let mut command = Command::new(program);
    command.args(before).arg(page);
    command
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
