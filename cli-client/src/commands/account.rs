//! `mycase account delete`: erases the whole account on the server, then this
//! device. Also what a device does when the server says its account is gone.

use std::io::BufRead;
use std::path::Path;

use anyhow::{bail, Context, Result};
use mycase_core::wipe;
use mycase_core::Device;
use serde_json::json;

use crate::{connect, output};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Erase this account on the server (every entry, attachment, share and
    /// device, for good), then erase MyCase from this device.
    Delete(DeleteArgs),
}

#[derive(Debug, clap::Args)]
pub struct DeleteArgs {
    /// Do not ask for confirmation, and take the passphrase from MYCASE_PASSPHRASE
    /// (for scripts). Without it the passphrase is always typed again.
    #[arg(long, short = 'y')]
    yes: bool,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

pub async fn run(home: &Path, args: Args) -> Result<()> {
    match args.action {
        Action::Delete(a) => delete(home, a).await,
    }
}

async fn delete(home: &Path, args: DeleteArgs) -> Result<()> {
    if !mycase_core::is_initialised(home) {
        bail!("MyCase is not set up in {}", home.display());
    }
    let passphrase = if args.yes {
        crate::passphrase::unlock()?
    } else {
        crate::say!(
            "This erases your whole journal on the server: every entry, attachment and share,\n\
             on every device. Nobody can bring it back, not even with the recovery kit.\n\
             Export anything you want to keep first. Type \"delete my account\" to go on:"
        );
        let mut answer = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut answer)
            .context("could not read the confirmation (or give --yes)")?;
        if answer.trim() != "delete my account" {
            bail!("not confirmed; nothing was deleted");
        }
        // Typed again even if MYCASE_PASSPHRASE is set: someone holding an
        // unlocked session must not be able to do this in passing.
        crate::passphrase::retype()?
    };
    let device = Device::unlock(home, passphrase.as_bytes())
        .context("could not unlock MyCase; nothing was deleted")?;
    let transport = connect::transport_for(&device).await?;
    device
        .delete_account(&transport)
        .await
        .context("the server did not delete the account; nothing was deleted")?;
    drop(device);
    let wiped = wipe(home).context(
        "the account is deleted on the server, but erasing this device did not finish: run `mycase wipe`",
    )?;
    if args.json {
        output::print_json(
            &json!({ "account_deleted": true, "device_wiped": wiped == mycase_core::Wiped::Removed }),
        )
    } else {
        output::print_line(
            "Your account is deleted from the server, and MyCase is erased from this device.",
        )
    }
}
