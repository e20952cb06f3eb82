//! `mycase pair`: shows a one-time code for a new device and adds it when it joins.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use mycase_core::pairing::PairingCode;
use serde_json::json;

use crate::{connect, output};

/// How long the code stays valid.
const PAIRING_WAIT: Duration = Duration::from_secs(600);

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print the code, then the joined device, as JSON lines.
    #[arg(long)]
    json: bool,
}

pub async fn run(home: &Path, args: Args) -> Result<()> {
    let mut device = connect::open_device(home)?;
    let transport = connect::transport_for(&device).await?;
    let code = PairingCode::generate();
    // The slot must exist on the server before anyone can type the code.
    device
        .begin_pairing(&transport, &code)
        .await
        .context("could not start pairing")?;
    let deadline = Instant::now() + PAIRING_WAIT;
    let shown = code.to_display();
    if args.json {
        output::print_json(&json!({ "code": shown.as_str() }))?;
    } else {
        let ca_hint = if device.ca_cert_pem().is_some() {
            " --ca-cert FILE"
        } else {
            ""
        };
        output::print_line(&format!(
            "On the new device, run:\n\n    mycase join --server {}{} --code {}\n\n\
             The code works once, for 10 minutes. Waiting for the new device...",
            device.server_url(),
            ca_hint,
            shown.as_str()
        ))?;
    }
    drop(shown);
    let joined = device
        .finish_pairing(&transport, &code, deadline)
        .await
        .context("pairing did not complete")?;
    let id = hex::encode(joined.device_id);
    if args.json {
        output::print_json(&json!({ "paired": { "device_id": id, "name": joined.name } }))
    } else {
        output::print_line(&format!(
            "Added device \"{}\" ({id}). It can now read and write this journal.",
            joined.name
        ))
    }
}
