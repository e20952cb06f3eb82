//! `mycase devices`: who can read this journal, and anything the server added.
//! `mycase devices revoke ID`: cut a device off (a lost or taken phone).

use std::io::BufRead;
use std::path::Path;

use anyhow::{bail, Context, Result};
use mycase_core::app::{device_infos, devices_added_by, refuse_revoking_self};
use mycase_core::ids::{id_hex, id_short, DeviceId};
use mycase_core::words::names;
use mycase_core::DeviceStatus;
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
        /// The device: its name or any unique part of it ("phone"), or the start
        /// of its id (at least 4 hex digits), as `mycase devices` shows them.
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
    let mut device = connect::open_device(home)?;
    let transport = connect::transport_for(&device).await?;
    // A fresh look: what the last sync could not apply is shown with its device.
    device
        .sync(&transport)
        .await
        .context("could not sync before listing devices")?;
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
    for (d, info) in devices.iter().zip(device_infos(&devices)) {
        if d.contested {
            crate::say!(
                "⚠ WARNING: two different key sets claim device {} ({}): one of your devices tried \
                 to give it keys that are not its own. Nothing is sealed to it until its own \
                 signature shows which is real. Revoke the device that did this if you do not \
                 know why.",
                id_short(&d.device_id),
                d.name.as_deref().unwrap_or("unknown")
            );
        } else if d.key_change_attempts > 0 {
            crate::say!(
                "⚠ WARNING: a device of this journal tried to give device {} other keys; it was \
                 refused. `mycase sync` names what else was refused.",
                id_short(&d.device_id)
            );
        }
        if let Some((from, why)) = &d.quarantined {
            crate::say!(
                "⚠ WARNING: changes from device {} are set aside from its record {from} on, \
                 and not shown: {why}. Everything else syncs as usual; revoking it works.",
                id_short(&d.device_id)
            );
        }
        if info.added_by_revoked_device {
            crate::say!(
                "note: device {} ({}) was added by a device that has since been revoked; \
                 revoke it too if you do not recognise it.",
                id_short(&d.device_id),
                d.name.as_deref().unwrap_or("unknown")
            );
        }
    }
    warn_about_rejections(&device);
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

/// Operations a trust rule refused: evidence that a device of the journal (or a
/// bug) wrote something no device may.
fn warn_about_rejections<S: mycase_core::store::LocalStore>(device: &mycase_core::Device<S>) {
    use mycase_core::journal::RejectionReason;
    for r in device.rejections() {
        let what = match r.reason {
            RejectionReason::DeviceKeysChanged(d) => {
                format!("tried to give device {} other keys", id_short(&d))
            }
            RejectionReason::EntryCreatedAgain(_) => {
                "tried to create an entry that already existed, as its author".into()
            }
            RejectionReason::Rotation(why) => {
                format!("made a key change that does not count ({why})")
            }
            RejectionReason::Recovery(why) => {
                format!("made a recovery-kit change that does not count ({why})")
            }
        };
        crate::say!(
            "⚠ WARNING: device {} {what}; it was refused and changes nothing. If you do not know \
             why, revoke that device.",
            id_short(&r.op.device)
        );
    }
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
            Some(at) => format!("revoked {}", output::uk_time(at)),
            None => "revoked".into(),
        });
    }
    if !d.on_server {
        status.push("not on server".into());
    }
    if d.set_up_with_kit {
        status.push("set up with the recovery kit".into());
    }
    if d.contested {
        status.push("KEYS CONTESTED".into());
    }
    if d.quarantined.is_some() {
        status.push("changes set aside".into());
    }
    vec![
        id_short(&d.device_id),
        d.name.clone().unwrap_or_else(|| "(unknown)".into()),
        d.added_at_ms
            .map(output::uk_time)
            .unwrap_or_else(|| "-".into()),
        d.last_seen_unix
            .and_then(|s| i64::try_from(s).ok())
            .map(|s| output::uk_time(s.saturating_mul(1000)))
            .unwrap_or_else(|| "-".into()),
        status.join(", "),
    ]
}

/// The one device `wanted` names: by id prefix or any unique part of its name.
fn resolve(devices: &[DeviceStatus], wanted: &str) -> Result<DeviceId> {
    crate::words::pick(
        "which device?",
        &crate::words::DEVICE,
        wanted,
        &names::devices(devices),
    )
}

async fn revoke(home: &Path, id: &str, yes: bool, json: bool) -> Result<()> {
    let mut device = connect::open_device(home)?;
    let transport = connect::transport_for(&device).await?;
    let devices = device
        .devices(&transport)
        .await
        .context("could not list devices")?;
    let target = resolve(&devices, id)?;
    if refuse_revoking_self(device.device_id(), &target).is_err() {
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
    let set_up_with_kit = status.set_up_with_kit;
    let added = devices_added_by(&devices, &target);
    if json {
        return output::print_json(&json!({
            "device_id": id_hex(&report.device_id),
            "revoked": true,
            "key_epoch": report.key_epoch,
            "recovery_blob_updated": report.recovery_blob_updated,
            "set_up_with_recovery_kit": set_up_with_kit,
            "devices_it_added": added.iter().map(|d| id_hex(&d.device_id)).collect::<Vec<_>>(),
        }));
    }
    output::print_line(&format!(
        "Device {} is revoked. The server refuses it from now on, and your other devices \
         switch to new keys at their next sync.\n\
         Whoever has that device may already have read what was on it before now; it can \
         read nothing written from here on.",
        id_short(&report.device_id)
    ))?;
    if set_up_with_kit {
        crate::say!(
            "That device was set up with your recovery kit, so whoever set it up may still \
             have the kit. Run `mycase recovery-kit renew` to replace the kit: the old one then \
             stops working."
        );
    }
    for d in added {
        crate::say!(
            "Device {} ({}) was added by the device you revoked and is still trusted: revoke it \
             too if you do not recognise it.",
            id_short(&d.device_id),
            d.name.as_deref().unwrap_or("unknown")
        );
    }
    if !report.recovery_blob_updated && report.last_idx > 0 {
        crate::say!(
            "warning: this journal was set up before key rotation existed, so your recovery kit \
             brings back only what was written before now."
        );
    }
    Ok(())
}
