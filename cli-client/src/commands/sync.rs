//! `mycase sync`: one round, or `--watch` to stay connected until interrupted.
//!
//! With `--watch`, a lost connection (or a server restart) is retried with a growing
//! pause; a sync that found something wrong (tampering, rollback, a revoked device)
//! ends the command, since retrying cannot fix it.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};
use mycase_core::store::file::FileStore;
use mycase_core::transport::{Refusal, TransportError};
use mycase_core::SyncReport;
use mycase_core::{Device, DeviceError};
use serde_json::json;
use tokio::signal::unix::{signal, Signal, SignalKind};

use crate::{connect, output};

const FIRST_RETRY: Duration = Duration::from_secs(1);
const MAX_RETRY: Duration = Duration::from_secs(60);

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
    let quarantined: Vec<_> = r
        .quarantined
        .iter()
        .map(|q| {
            json!({
                "device_id": hex::encode(q.device),
                "from_idx": q.from_idx,
                "reason": q.reason.to_string(),
            })
        })
        .collect();
    if json {
        return output::print_json(&json!({
            "pushed": r.pushed,
            "pulled": r.pulled,
            "quarantined": quarantined,
            "without_receipt": r.without_receipt,
        }));
    }
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
    output::print_line(&line)?;
    for q in &r.quarantined {
        crate::say!(
            "⚠ WARNING: changes from device {} are set aside from its record {} on, and not \
             shown: {}. Everything else was synced; `mycase devices` shows the device, and \
             revoking it works.",
            mycase_core::ids::id_short(&q.device),
            q.from_idx,
            q.reason
        );
    }
    if r.without_receipt > 0 {
        crate::say!(
            "note: {} change(s) came without the server's signed receipt (only changes stored \
             before the server signed receipts should); an export will say so for them.",
            r.without_receipt
        );
    }
    Ok(())
}

pub async fn run(home: &Path, args: Args) -> Result<()> {
    let mut device = connect::open_device(home)?;
    if !args.watch {
        let transport = connect::transport_for(&device).await?;
        // A checked revocation or deletion goes up to `main`, which erases this
        // device (see `revoked`); the server's bare word erases nothing.
        let r = device
            .sync(&transport)
            .await
            .map_err(|e| anyhow::Error::new(e).context("sync failed"))?;
        connect::show_new_device_notices(&mut device);
        let refused = device.rejections().len();
        if refused > 0 && !args.json {
            crate::say!(
                "⚠ WARNING: {refused} change(s) written by a device of this journal were refused \
                 (they try to do what no device may); `mycase devices` says which device."
            );
        }
        return report(&r, args.json);
    }
    watch(&mut device, args.json).await
}

/// Worth retrying: the network or the server's availability, not what it sent.
fn retryable(e: &DeviceError) -> bool {
    match e {
        DeviceError::Transport(TransportError::Connect(_)) => true,
        DeviceError::Transport(TransportError::Refused { refusal, .. }) => matches!(
            refusal,
            Refusal::Unavailable
                | Refusal::ServerBroken
                | Refusal::Unauthenticated
                | Refusal::ResourceExhausted
        ),
        _ => false,
    }
}

/// Resolves on SIGINT or SIGTERM.
async fn stop_signal(sigterm: &mut Signal) {
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = sigterm.recv() => {}
    }
}

async fn watch(device: &mut Device<FileStore>, json: bool) -> Result<()> {
    let mut sigterm = signal(SignalKind::terminate()).context("could not listen for SIGTERM")?;
    if !json {
        crate::say!("Watching for changes from your other devices; press Ctrl-C to stop.");
    }
    let mut pause = FIRST_RETRY;
    loop {
        let mut print_error: Option<anyhow::Error> = None;
        let mut rounds = 0u64;
        let attempt = async {
            let transport = connect::transport_for(device).await?;
            device
                .watch(&transport, |r| {
                    rounds += 1;
                    if print_error.is_none() {
                        print_error = report(r, json).err();
                    }
                })
                .await
                .map_err(anyhow::Error::new)
        };
        let outcome = tokio::select! {
            r = attempt => r,
            _ = stop_signal(&mut sigterm) => return Ok(()),
        };
        if let Some(e) = print_error {
            return Err(e);
        }
        if rounds > 0 {
            pause = FIRST_RETRY;
        }
        match outcome {
            Ok(()) => crate::say!(
                "The server closed the connection; reconnecting in {}s.",
                pause.as_secs()
            ),
            Err(e) => {
                let transient = e
                    .downcast_ref::<DeviceError>()
                    .map(retryable)
                    .unwrap_or_else(|| {
                        e.chain()
                            .any(|c| c.downcast_ref::<TransportError>().is_some())
                    });
                if !transient {
                    return Err(e.context("sync failed"));
                }
                crate::say!(
                    "warning: lost the connection ({}); retrying in {}s.",
                    crate::advice::explain(&e),
                    pause.as_secs()
                );
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = stop_signal(&mut sigterm) => return Ok(()),
        }
        pause = (pause * 2).min(MAX_RETRY);
    }
}
