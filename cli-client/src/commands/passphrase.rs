//! `mycase passphrase`: changes the local passphrase and, by default, moves this
//! device to new keys, so that a copy of the old key file (a backup, freed disk
//! blocks) together with the old passphrase opens nothing written from now on.

use std::path::Path;

use anyhow::{Context, Result};
use mycase_core::crypto::passphrase::KdfParams;
use serde_json::json;

use crate::{connect, output};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only reseal the same keys under the new passphrase (works offline; copies
    /// of the old key file keep their worth).
    #[arg(long)]
    keep_keys: bool,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

pub async fn run(home: &Path, args: Args) -> Result<()> {
    // The current passphrase, rate-limited like every unlock.
    let mut device = connect::open_device(home)?;
    let new = crate::passphrase::choose_new()?;
    let mut moved = None;
    let mut why_not = None;
    if !args.keep_keys {
        match connect::transport_for(&device).await {
            Ok(transport) => match device
                .change_passphrase_and_keys(&transport, new.as_bytes(), KdfParams::DEFAULT)
                .await
            {
                Ok(identity) => moved = Some(identity),
                Err(e) => why_not = Some(crate::advice::explain_error(e)),
            },
            Err(e) => why_not = Some(crate::advice::explain(&e)),
        }
    }
    if moved.is_none() {
        device
            .change_passphrase(new.as_bytes())
            .context("could not change the passphrase; the old one still works")?;
    }
    if args.json {
        return output::print_json(&json!({
            "passphrase_changed": true,
            "keys_replaced": moved.is_some(),
            "device_id": moved.as_ref().map(|m| hex::encode(m.device_id)),
        }));
    }
    match (&moved, &why_not) {
        (Some(_), _) => output::print_line(
            "The passphrase is changed, and this device moved to new keys: a copy of the old \
             key file, even with the old passphrase, opens nothing written from now on. Use \
             the new passphrase from now on.",
        ),
        (None, Some(why)) => {
            output::print_line("The passphrase is changed. Use the new one from now on.")?;
            crate::say!(
                "note: this device could not move to new keys ({why}), so a copy of the old key \
                 file with the old passphrase still opens it. Run `mycase passphrase` again when \
                 the server can be reached."
            );
            Ok(())
        }
        (None, None) => output::print_line(
            "The passphrase is changed (same keys, as asked). Use the new one from now on.",
        ),
    }
}
