//! `mycase recover`: sets up this device from the recovery kit and brings the whole
//! journal back from the server.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use mycase_core::crypto::passphrase::KdfParams;
use mycase_core::is_initialised;
use mycase_core::keys::RecoveryKit;
use mycase_core::Device;
use serde_json::json;

use crate::{connect, output};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The MyCase server (https://host:port) the journal was set up on.
    #[arg(long, value_name = "URL")]
    server: String,
    /// The server's CA certificate (PEM), for a server with its own certificate authority.
    #[arg(long, value_name = "FILE")]
    ca_cert: Option<PathBuf>,
    /// How this device is named in the device list (default: the computer's name).
    #[arg(long, value_name = "NAME")]
    device_name: Option<String>,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

pub async fn run(home: &Path, args: Args) -> Result<()> {
    if is_initialised(home) {
        bail!("MyCase is already set up in {}", home.display());
    }
    let kit_text = crate::passphrase::recovery_kit()?;
    let kit = RecoveryKit::parse(&kit_text)
        .context("that is not a valid recovery kit (check for a typo)")?;
    let (transport, setup) = connect::reach_server_for_new_device(
        args.server,
        args.ca_cert.as_deref(),
        args.device_name,
    )
    .await?;
    let passphrase = crate::passphrase::choose()?;
    let (device, _report) = Device::recover(
        home,
        passphrase.as_bytes(),
        KdfParams::DEFAULT,
        &transport,
        &kit,
        setup,
    )
    .await
    .context("could not recover")?;
    let entries = device.journal().entries().len();
    let id = hex::encode(device.device_id());
    if args.json {
        output::print_json(&json!({ "recovered": true, "device_id": id, "entries": entries }))
    } else {
        output::print_line(&format!(
            "Your journal is back on this device ({entries} entr{}).",
            if entries == 1 { "y" } else { "ies" }
        ))
    }
}
