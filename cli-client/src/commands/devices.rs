//! `mycase devices`: who can read this journal, and anything the server added.

use std::path::Path;

use anyhow::{Context, Result};
use mycase_core::ids::id_short;

use crate::connect;
use crate::output::{self, DeviceJson};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print a JSON array of devices.
    #[arg(long)]
    json: bool,
}

pub async fn run(home: &Path, args: Args) -> Result<()> {
    let device = connect::open_device(home)?;
    let transport = connect::transport_for(&device).await?;
    let devices = device
        .devices(&transport)
        .await
        .context("could not list devices")?;
    let untrusted: Vec<_> = devices.iter().filter(|d| !d.trusted).collect();
    if args.json {
        let all: Vec<DeviceJson> = devices.iter().map(DeviceJson::from_status).collect();
        output::print_json(&all)?;
    } else {
        let rows: Vec<Vec<String>> = devices
            .iter()
            .map(|d| {
                let mut status = Vec::new();
                if d.this_device {
                    status.push("this device");
                }
                if !d.trusted {
                    status.push("NOT ADDED BY YOU");
                }
                if d.revoked {
                    status.push("revoked");
                }
                if !d.on_server {
                    status.push("not on server");
                }
                vec![
                    id_short(&d.device_id),
                    d.name.clone().unwrap_or_else(|| "(unknown)".into()),
                    d.added_at_ms
                        .map(output::short_time)
                        .unwrap_or_else(|| "-".into()),
                    status.join(", "),
                ]
            })
            .collect();
        output::print_line(&output::table(&["id", "name", "added", "status"], &rows))?;
    }
    for d in untrusted {
        eprintln!(
            "⚠ WARNING: device {} is registered on the server but none of your devices added it. \
             It cannot read your journal, but someone may be trying to add a device without you knowing.",
            hex::encode(d.device_id)
        );
    }
    Ok(())
}
