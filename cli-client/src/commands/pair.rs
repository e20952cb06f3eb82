//! `mycase pair`: shows a one-time code for a new device and adds it when it joins,
//! once the survivor has typed the matching code that device shows.
//!
//! Whoever types the pairing code first gets the request in; the matching code is
//! what keeps a device the survivor is not holding out. The new device shows six
//! digits and the survivor types them here: the digits are not shown on this
//! screen, so confirming means reading them off the device in the survivor's hand.
//! Scripts give the digits on standard input (`--json` prints the request first).

use std::io::BufRead;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use mycase_core::pairing::PairingCode;
use serde_json::json;

use crate::{connect, output};

/// How long the code stays valid.
const PAIRING_WAIT: Duration = Duration::from_secs(600);

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print the code, the request, then the joined device, as JSON lines; the
    /// matching code the new device shows is read from standard input.
    #[arg(long)]
    json: bool,
}

pub async fn run(home: &Path, args: Args) -> Result<()> {
    let mut device = connect::open_device(home)?;
    let transport = connect::transport_for(&device).await?;
    let code = PairingCode::generate();
    // The slot must exist on the server before anyone can type the code.
    device
        .begin_pairing(&transport, &code)
        .await
        .context("could not start pairing")?;
    let deadline = Instant::now() + PAIRING_WAIT;
    let shown = code.to_display();
    if args.json {
        output::print_json(&json!({ "code": shown.as_str() }))?;
    } else {
        let ca_hint = if device.ca_cert_pem().is_some() {
            " --ca-cert FILE"
        } else {
            ""
        };
        output::print_line(&format!(
            "On the new device, run:\n\n    mycase join --server {}{} --code {}\n\n\
             The code works once, for 10 minutes. Waiting for the new device...",
            output::clean_line(device.server_url()),
            ca_hint,
            shown.as_str()
        ))?;
    }
    drop(shown);
    let request = device
        .await_join_request(&transport, &code, deadline)
        .await
        .context("pairing did not complete")?;
    let id = hex::encode(request.device_id);
    // The name is whatever the requesting device says: shown cleaned, never trusted.
    let name = output::clean_line(&request.name);
    if args.json {
        output::print_json(&json!({ "join_request": { "device_id": id, "name": request.name } }))?;
    } else {
        crate::say!(
            "A device calling itself \"{name}\" asks to join. Its screen now shows a matching code.\n\
             Add it only if you are holding that device yourself: type the six digits it shows\n\
             (or press Enter to refuse):"
        );
    }
    let typed = tokio::task::spawn_blocking(read_answer)
        .await
        .context("could not read the matching code")??;
    if typed.trim().is_empty() {
        device.refuse_join(&transport, &code, &request).await;
        bail!("not added: you refused the device; nothing was changed");
    }
    let joined = device
        .accept_join(&transport, &code, request, &typed, deadline)
        .await
        .context("the device was not added")?;
    if args.json {
        output::print_json(&json!({ "paired": { "device_id": id, "name": joined.name } }))
    } else {
        output::print_line(&format!(
            "Added device \"{name}\" ({id}). It can now read and write this journal."
        ))
    }
}

/// One line from standard input: the digits the survivor read off the new device.
fn read_answer() -> Result<String> {
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .context("could not read the matching code from standard input")?;
    Ok(answer)
}
