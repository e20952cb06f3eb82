//! `mycase join`: sets up this device from a pairing code shown on another one.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use mycase_core::crypto::passphrase::KdfParams;
use mycase_core::is_initialised;
use mycase_core::pairing::{MatchingCode, PairingCode};
use mycase_core::Device;
use serde_json::json;

use crate::{connect, output};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The MyCase server (https://host:port), as on the other device.
    #[arg(long, value_name = "URL")]
    server: String,
    /// The code shown by `mycase pair` on the other device. Leave it out (or give -)
    /// to type it when asked.
    #[arg(long, value_name = "CODE")]
    code: Option<String>,
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
    let typed = crate::content::Content::default()
        .one(
            "--code",
            "The pairing code shown on your other device",
            Some(args.code.unwrap_or_else(|| crate::content::ASK.to_string())),
        )?
        .unwrap_or_default();
    let code = PairingCode::parse(&typed).context("--code")?;
    let (transport, setup) = connect::reach_server_for_new_device(
        args.server,
        args.ca_cert.as_deref(),
        args.device_name,
    )
    .await?;
    let passphrase = crate::passphrase::choose()?;
    let json = args.json;
    let show = move |matching: &MatchingCode| {
        // Printed at once: the survivor reads it off this screen and types it on
        // the other device, which adds this one only then.
        let shown = if json {
            output::print_json(&json!({ "matching_code": matching.as_digits() }))
        } else {
            output::print_line(&format!(
                "Matching code: {}

Type it on your other device, where `mycase pair` is waiting. \
                 This device is added only then.",
                matching.to_display()
            ))
        };
        if let Err(e) = shown {
            crate::say!("could not show the matching code: {e:#}");
        }
    };
    let device = Device::join(
        home,
        passphrase.as_bytes(),
        KdfParams::DEFAULT,
        &transport,
        &code,
        setup,
        show,
    )
    .await
    .context("could not join")?;
    let entries = device.journal().entries().len();
    let id = hex::encode(device.device_id());
    if args.json {
        output::print_json(&json!({ "joined": true, "device_id": id, "entries": entries }))
    } else {
        output::print_line(&format!(
            "This device joined the journal ({entries} entr{} arrived). Run `mycase sync` to fetch new changes.",
            if entries == 1 { "y" } else { "ies" }
        ))
    }
}
