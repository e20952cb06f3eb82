//! `mycase init`: a new account with this as its first device.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use mycase_core::crypto::passphrase::KdfParams;
use mycase_core::is_initialised;
use mycase_core::Device;
use serde_json::json;

use crate::connect;
use crate::output;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The MyCase server (https://host:port).
    #[arg(long, value_name = "URL")]
    server: String,
    /// The server's CA certificate (PEM), for a server with its own certificate authority.
    #[arg(long, value_name = "FILE")]
    ca_cert: Option<PathBuf>,
    /// How this device is named in the device list (default: the computer's name).
    #[arg(long, value_name = "NAME")]
    device_name: Option<String>,
    /// An invitation code, if the server asks for one.
    #[arg(long, value_name = "CODE", env = "MYCASE_INVITE")]
    invite: Option<String>,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

pub async fn run(home: &Path, args: Args) -> Result<()> {
    if is_initialised(home) {
        bail!("MyCase is already set up in {}", home.display());
    }
    let (transport, setup) = connect::reach_server_for_new_device(
        args.server,
        args.ca_cert.as_deref(),
        args.device_name,
    )
    .await?;
    let passphrase = crate::passphrase::choose()?;
    let home_existed = home.exists();
    let (mut device, kit) =
        match Device::create(home, passphrase.as_bytes(), KdfParams::DEFAULT, setup) {
            Ok(created) => created,
            Err(e) => {
                // Best effort: a half-made home would block the next `init`.
                // (Never when another `init` got there first: that home is not ours.)
                if !matches!(e, mycase_core::SetupError::AlreadyInitialised(_)) {
                    let _ = remove_created(home, home_existed);
                }
                return Err(anyhow::Error::new(e).context("could not set up MyCase"));
            }
        };
    if let Err(e) = device.register(&transport, &kit, args.invite).await {
        drop(device);
        let cleanup = remove_created(home, home_existed);
        let err = anyhow::Error::new(e)
            .context("the server refused to register this account; nothing was kept");
        return Err(match cleanup {
            Ok(()) => err,
            Err(c) => err.context(format!(
                "and the new files in {} could not be removed: {c}",
                home.display()
            )),
        });
    }
    let sync_error = device.sync(&transport).await.err();
    let device_id = hex::encode(device.device_id());
    let kit_text = kit.to_display();

    if args.json {
        output::print_json(&json!({
            "account_created": true,
            "device_id": device_id,
            "recovery_kit": kit_text.as_str(),
        }))?;
    } else {
        output::print_line(&format!(
            "MyCase is set up on this device.\n\n\
             Your recovery kit (shown only this once):\n\n    {}\n\n\
             Write it down on paper, now, and keep it somewhere the abuser cannot find or reach.\n\
             It is the only way back into your journal if you lose all your devices.\n\
             Do not photograph it, email it or save it on this computer.\n\n{}\n\
             (`mycase help safety` shows this again.)",
            kit_text.as_str(),
            super::safety::text()
        ))?;
    }
    if let Some(e) = sync_error {
        crate::say!(
            "warning: the first sync failed ({}); run `mycase sync` later",
            crate::advice::explain_error(e)
        );
    }
    Ok(())
}

/// Removes what `Device::create` made, so `init` can be run again.
fn remove_created(home: &Path, home_existed: bool) -> std::io::Result<()> {
    if home_existed {
        let key_file = mycase_core::key_file_path(home);
        if key_file.exists() {
            std::fs::remove_file(key_file)?;
        }
        let store = home.join("store");
        if store.exists() {
            std::fs::remove_dir_all(store)?;
        }
        Ok(())
    } else {
        std::fs::remove_dir_all(home)
    }
}
