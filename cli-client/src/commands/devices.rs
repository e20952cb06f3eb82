//! `mycase devices`: who can read this journal, and anything the server added.
//! `mycase devices revoke ID`: cut a device off (a lost or taken phone).

use std::io::BufRead;
use std::path::Path;

use anyhow::{bail, Context, Result};
use mycase_core::enrol::DeviceStatus;
use mycase_core::ids::{id_hex, id_short, DeviceId};
use serde_json::json;

use crate::connect;
use crate::output::{self, DeviceJson};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Option<DevicesCommand>,
    /// Print a JSON array of devices.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Subcommand)]
enum DevicesCommand {
    /// Revoke a device: the server refuses it from now on (it erases itself if it
    /// connects again), and your other devices move to new keys it does not have.
    Revoke {
        /// The device's id, or the start of it (at least 4 hex digits), as
        /// `mycase devices` shows it.
        id: String,
        /// Do not ask for confirmation.
        #[arg(long, short = 'y')]
        yes: bool,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(home: &Path, args: Args) -> Result<()> {
    match args.command {
        None => list(home, args.json).await,
        Some(DevicesCommand::Revoke { id, yes, json }) => revoke(home, &id, yes, json).await,
    }
}

async fn list(home: &Path, json: bool) -> Result<()> {
    let device = connect::open_device(home)?;
    let transport = connect::transport_for(&device).await?;
    let devices = device
        .devices(&transport)
        .await
        .context("could not list devices")?;
    let untrusted: Vec<_> = devices.iter().filter(|d| !d.trusted).collect();
    if json {
        let all: Vec<DeviceJson> = devices.iter().map(DeviceJson::from_status).collect();
        output::print_json(&all)?;
    } else {
        let rows: Vec<Vec<String>> = devices.iter().map(row).collect();
        output::print_line(&output::table(
            &["id", "name", "added", "last seen", "status"],
            &rows,
        ))?;
    }
    for d in untrusted {
        crate::say!(
            "⚠ WARNING: device {} is registered on the server but none of your devices added it. \
             It cannot read your journal, but someone may be trying to add a device without you knowing. \
             `mycase devices revoke {}` shuts it out.",
            hex::encode(d.device_id),
            id_short(&d.device_id)
        );
    }
    Ok(())
}

fn row(d: &DeviceStatus) -> Vec<String> {
    let mut status = Vec::new();
    if d.this_device {
        status.push("this device".to_string());
    }
    if !d.trusted {
        status.push("NOT ADDED BY YOU".into());
    }
    if d.revoked {
        status.push(match d.revoked_at_ms {
            Some(at) => format!("revoked {}", output::short_time(at)),
            None => "revoked".into(),
        });
    }
    if !d.on_server {
        status.push("not on server".into());
    }
    vec![
        id_short(&d.device_id),
        d.name.clone().unwrap_or_else(|| "(unknown)".into()),
        d.added_at_ms
            .map(output::short_time)
            .unwrap_or_else(|| "-".into()),
        d.last_seen_unix
            .and_then(|s| i64::try_from(s).ok())
            .map(|s| output::short_time(s.saturating_mul(1000)))
            .unwrap_or_else(|| "-".into()),
        status.join(", "),
    ]
}

/// The one device whose id starts with `prefix`.
fn resolve(devices: &[DeviceStatus], prefix: &str) -> Result<DeviceId> {
    let prefix = prefix.trim().to_ascii_lowercase();
    if prefix.len() < 4 || prefix.len() > 32 || !prefix.bytes().all(|b| b.is_ascii_hexdigit()) {
        bail!("a device id is hex, at least 4 digits (as `mycase devices` shows it)");
    }
    let matches: Vec<&DeviceStatus> = devices
        .iter()
        .filter(|d| id_hex(&d.device_id).starts_with(&prefix))
        .collect();
    match matches.as_slice() {
        [] => bail!("no device of this journal has an id starting with {prefix}"),
        [one] => Ok(one.device_id),
        many => bail!(
            "{} devices have ids starting with {prefix}; give more of it",
            many.len()
        ),
    }
}

async fn revoke(home: &Path, id: &str, yes: bool, json: bool) -> Result<()> {
    let mut device = connect::open_device(home)?;
    let transport = connect::transport_for(&device).await?;
    let devices = device
        .devices(&transport)
        .await
        .context("could not list devices")?;
    let target = resolve(&devices, id)?;
    if &target == device.device_id() {
        bail!(
            "this is the device you are using; it cannot revoke itself. \
             To remove MyCase from it, use `mycase wipe`"
        );
    }
    let status = devices
        .iter()
        .find(|d| d.device_id == target)
        .context("the device list changed")?;
    if !yes {
        crate::say!(
            "This cuts off device {} ({}): the server will refuse it, it will erase its copy if it \
             connects again, and your other devices move to new keys it does not have.\n\
             Type \"revoke\" to go on:",
            id_short(&target),
            status.name.as_deref().unwrap_or("unknown")
        );
        let mut answer = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut answer)
            .context("could not read the confirmation (or give --yes)")?;
        if answer.trim() != "revoke" {
            bail!("not confirmed; nothing was revoked");
        }
    }
    let report = device
        .revoke_device(&transport, target)
        .await
        .context("could not revoke the device")?;
    if json {
        return output::print_json(&json!({
            "device_id": id_hex(&report.device_id),
            "revoked": true,
            "key_epoch": report.key_epoch,
            "recovery_blob_updated": report.recovery_blob_updated,
        }));
    }
    output::print_line(&format!(
        "Device {} is revoked. The server refuses it from now on, and your other devices \
         switch to new keys at their next sync.",
        id_short(&report.device_id)
    ))?;
    if !report.recovery_blob_updated && report.last_idx > 0 {
        crate::say!(
            "warning: this journal was set up before key rotation existed, so your recovery kit \
             brings back only what was written before now."
        );
    }
    Ok(())
}
