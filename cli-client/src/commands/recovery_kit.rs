//! `mycase recovery-kit renew`: a new recovery kit replaces the old one, which the
//! server refuses from then on. For when the old kit may have been seen or used by
//! someone else (a device set up from it was revoked, say).

use std::path::Path;

use anyhow::{Context, Result};
use mycase_core::keys::RecoveryKit;
use mycase_core::RenewError;
use serde_json::json;

use crate::{connect, output};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Make a new recovery kit (shown once) and retire the current one. Asks for
    /// the current kit (or MYCASE_RECOVERY_KIT): only the kit's holder may replace it.
    Renew(RenewArgs),
}

#[derive(Debug, clap::Args)]
pub struct RenewArgs {
    /// Print the result (with the new kit) as JSON.
    #[arg(long)]
    json: bool,
}

pub async fn run(home: &Path, args: Args) -> Result<()> {
    match args.action {
        Action::Renew(a) => renew(home, a).await,
    }
}

async fn renew(home: &Path, args: RenewArgs) -> Result<()> {
    let mut device = connect::open_device(home)?;
    let old_text = crate::passphrase::recovery_kit()?;
    let old = RecoveryKit::parse(&old_text)
        .context("that is not a valid recovery kit (check for a typo); nothing was changed")?;
    let transport = connect::transport_for(&device).await?;
    let (kit, unfinished) = match device.renew_recovery_kit(&transport, &old).await {
        Ok(kit) => (kit, None),
        Err(RenewError::Unfinished { kit, cause }) => (*kit, Some(cause)),
        Err(e) => return Err(anyhow::Error::new(e)),
    };
    let shown = kit.to_display();
    if args.json {
        output::print_json(&json!({
            "renewed": true,
            "recovery_kit": shown.as_str(),
            "journal_updated": unfinished.is_none(),
        }))?;
    } else {
        output::print_line(&format!(
            "Your recovery kit is renewed. The old one no longer opens your journal.\n\n\
             Your new recovery kit (shown only this once):\n\n    {}\n\n\
             Write it down on paper, now, and destroy the old one. Keep it somewhere nobody\n\
             else can find or reach. Do not photograph it, email it or save it on this computer.",
            shown.as_str()
        ))?;
    }
    if let Some(cause) = unfinished {
        crate::say!(
            "warning: the server took the new kit, but recording it in the journal did not \
             finish ({}); keep the new kit and run `mycase sync`",
            crate::advice::explain_error(cause)
        );
    }
    Ok(())
}
