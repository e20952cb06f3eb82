//! `mycase sync`: one round, or `--watch` to stay connected until interrupted.

use std::path::Path;

use anyhow::{Context, Result};
use mycase_core::sync::SyncReport;
use serde_json::json;

use crate::{connect, output};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Stay connected and apply other devices' changes as they arrive (Ctrl-C to stop).
    #[arg(long)]
    watch: bool,
    /// Print one JSON object per round.
    #[arg(long)]
    json: bool,
}

fn report(r: &SyncReport, json: bool) -> Result<()> {
    if json {
        output::print_json(&json!({ "pushed": r.pushed, "pulled": r.pulled }))
    } else {
        let mut line = format!(
            "Synced: sent {} change(s), received {} change(s).",
            r.pushed, r.pulled
        );
        if r.held_back > 0 {
            line.push_str(&format!(
                " {} more are waiting for their signature.",
                r.held_back
            ));
        }
        output::print_line(&line)
    }
}

pub async fn run(home: &Path, args: Args) -> Result<()> {
    let mut device = connect::open_device(home)?;
    let transport = connect::transport_for(&device).await?;
    if !args.watch {
        let r = device.sync(&transport).await.context("sync failed")?;
        return report(&r, args.json);
    }

    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("could not listen for SIGTERM")?;
    let mut print_error: Option<anyhow::Error> = None;
    let json = args.json;
    if !json {
        eprintln!("Watching for changes from your other devices; press Ctrl-C to stop.");
    }
    let watched = tokio::select! {
        r = device.watch(&transport, |r| {
            if print_error.is_none() {
                print_error = report(r, json).err();
            }
        }) => Some(r),
        _ = tokio::signal::ctrl_c() => None,
        _ = sigterm.recv() => None,
    };
    if let Some(e) = print_error {
        return Err(e);
    }
    match watched {
        None => Ok(()),
        Some(Ok(())) => {
            anyhow::bail!("the server closed the connection; run `mycase sync --watch` again")
        }
        Some(Err(e)) => Err(anyhow::Error::new(e).context("sync failed")),
    }
}
