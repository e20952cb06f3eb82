//! `mycase wipe`: erases MyCase from this device, keys first.
//!
//! With `--yes` it asks nothing and touches no network: a survivor may need this
//! fast, and once the key file is gone the rest is unreadable anyway. Without it,
//! it first makes sure nothing written here is lost: it unlocks the device (the
//! passphrase is optional: Enter skips this), sends what the server does not
//! have yet, and if that fails says how many changes would be lost before asking.
//! Once confirmed, an unlocked device that can reach the server retires itself
//! first (a signed retirement in its log and on the server: the other devices
//! move to keys it never had, and a copy of it can no longer sign in). Either way
//! it says what it cannot erase (shell history, exports, the original files). The
//! journal stays on the server; the recovery kit brings it back (`mycase recover`).

use std::io::BufRead;
use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use mycase_core::store::file::FileStore;
use mycase_core::store::LocalStore;
use mycase_core::Device;
use mycase_core::{wipe, Wiped};
use serde_json::json;

use crate::{connect, output};

/// How long the last sync before a wipe may take: the survivor is waiting.
const LAST_SYNC_WAIT: Duration = Duration::from_secs(20);

/// What a wipe of this device leaves behind, said before and after.
const NOT_ERASED: [&str; 3] = [
    "your shell's history (commands you typed, with anything given in flags such as --title)",
    "files MyCase wrote where you asked (exports, `share open --out`, `attachment get`)",
    "the original files you attached (photos, recordings and documents are still where they were)",
];

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Do not ask anything and do not try a last sync: erase at once.
    #[arg(long, short = 'y')]
    yes: bool,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

/// Changes made on this device that the server has not acknowledged, after the
/// last try to send them (`Unknown` if the device was not unlocked to check).
enum Pending {
    Unknown(String),
    Sent(u64),
    Unsent(u64),
}

pub async fn run(home: &Path, args: Args) -> Result<()> {
    let mut unlocked = None;
    if !args.yes {
        if mycase_core::is_initialised(home) {
            let (pending, device) = send_what_is_left(home).await;
            unlocked = device;
            match pending {
                Pending::Sent(0) => {}
                Pending::Sent(n) => crate::say!(
                    "Sent {n} change{} made on this device to the server first.",
                    plural(n)
                ),
                Pending::Unsent(n) => crate::say!(
                    "⚠ {n} change{} made on this device (entries, amendments or attachments) \
                     {} not on the server, and could not be sent now. Wiping loses {}.",
                    plural(n),
                    if n == 1 { "is" } else { "are" },
                    if n == 1 { "it" } else { "them" }
                ),
                Pending::Unknown(why) => crate::say!(
                    "⚠ Not checked whether everything written here is on the server ({why}); \
                     anything written since the last `mycase sync` would be lost."
                ),
            }
        }
        crate::say!("{}", not_erased_text());
        crate::say!(
            "This erases MyCase from this device ({}). The journal stays on the server;\n\
             only your recovery kit can bring it back here. Type \"wipe\" to go on:",
            home.display()
        );
        let mut answer = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut answer)
            .context("could not read the confirmation (or give --yes)")?;
        if answer.trim() != "wipe" {
            bail!("not confirmed; nothing was erased");
        }
    }
    let mut retired = false;
    if let Some(mut device) = unlocked {
        match retire(&mut device).await {
            Ok(()) => retired = true,
            Err(e) => crate::say!(
                "note: this device could not tell the server it is being erased ({}); \
                 from another device, run `mycase devices revoke {}` so that a copy of it \
                 could not sign in.",
                crate::advice::explain(&e),
                mycase_core::ids::id_short(device.device_id())
            ),
        }
    }
    let outcome = wipe(home).context("the wipe did not finish; run `mycase wipe` again")?;
    let removed = outcome == Wiped::Removed;
    if args.json {
        output::print_json(
            &json!({ "wiped": removed, "retired": retired, "not_erased": NOT_ERASED }),
        )
    } else if removed {
        output::print_line(&format!(
            "MyCase is erased from this device.\n{}",
            not_erased_text()
        ))
    } else {
        output::print_line("There was no MyCase data here.")
    }
}

fn not_erased_text() -> String {
    let mut text = String::from("MyCase cannot erase, so check these yourself:");
    for item in NOT_ERASED {
        text.push_str("\n  - ");
        text.push_str(item);
    }
    text
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Own records the server has not acknowledged.
fn unsent(device: &Device<FileStore>) -> u64 {
    let own = device.store().log(device.device_id()).len() as u64;
    own.saturating_sub(device.store().sync_state().acked_own)
}

/// Retires the device on the server and in the journal (see the module doc).
async fn retire(device: &mut Device<FileStore>) -> Result<()> {
    tokio::time::timeout(LAST_SYNC_WAIT, async {
        let transport = connect::transport_for(device).await?;
        device.retire(&transport).await.map_err(anyhow::Error::from)
    })
    .await
    .map_err(|_| anyhow::anyhow!("the server did not answer in time"))?
}

/// Unlocks the device and sends what the server has not acknowledged yet; the
/// unlocked device comes back for the retirement after the confirmation.
async fn send_what_is_left(home: &Path) -> (Pending, Option<Device<FileStore>>) {
    crate::say!(
        "Before erasing, MyCase can send what is not on the server yet. Type your passphrase \
         (or just press Enter to skip this)."
    );
    let mut device = match connect::open_device_optional(home) {
        Ok(Some(device)) => device,
        Ok(None) => return (Pending::Unknown("skipped".into()), None),
        Err(e) => return (Pending::Unknown(crate::advice::explain(&e)), None),
    };
    let before = unsent(&device);
    if before == 0 {
        return (Pending::Sent(0), Some(device));
    }
    let sent = tokio::time::timeout(LAST_SYNC_WAIT, async {
        let transport = connect::transport_for(&device).await?;
        device.sync(&transport).await.map_err(anyhow::Error::from)
    })
    .await;
    let after = unsent(&device);
    let pending = match sent {
        Ok(Ok(_)) if after == 0 => Pending::Sent(before),
        _ => Pending::Unsent(after),
    };
    (pending, Some(device))
}
