//! Opening the device and connecting to its server.

use std::path::Path;

use anyhow::{Context, Result};
use mycase_core::store::file::FileStore;
use mycase_core::transport::grpc::GrpcTransport;
use mycase_core::{Device, DeviceSetup};

/// Unlocks the device in `home` with the passphrase (env or prompt), rate-limited.
pub fn open_device(home: &Path) -> Result<Device<FileStore>> {
    if !mycase_core::is_initialised(home) {
        anyhow::bail!(
            "MyCase is not set up in {} (run `mycase init` or `mycase join`)",
            home.display()
        );
    }
    let passphrase = crate::passphrase::unlock()?;
    let mut device =
        Device::unlock(home, passphrase.as_bytes()).context("could not unlock MyCase")?;
    show_new_device_notices(&mut device);
    Ok(device)
}

/// Like [`open_device`], but an empty passphrase typed at the prompt means "skip":
/// `None` (for steps the survivor may leave out, such as the last sync of a wipe).
pub fn open_device_optional(home: &Path) -> Result<Option<Device<FileStore>>> {
    let Some(passphrase) = crate::passphrase::unlock_optional()? else {
        return Ok(None);
    };
    let device = Device::unlock(home, passphrase.as_bytes()).context("could not unlock MyCase")?;
    Ok(Some(device))
}

/// Tells the survivor, once, about devices added to the journal since this device
/// last told them (on stderr: in the app only, never by email or text).
pub fn show_new_device_notices(device: &mut Device<FileStore>) {
    match device.take_new_device_notices() {
        Ok(added) => {
            for d in added {
                let how = if d.recovery_certified {
                    "was set up with your recovery kit"
                } else {
                    "was added"
                };
                crate::say!(
                    "⚠ Notice: a new device {how} on {}: {} (id {}). If you did not do this, \
                     run `mycase devices revoke {}`{}.",
                    crate::output::uk_time(d.added_at_ms),
                    d.name,
                    mycase_core::ids::id_short(&d.device_id),
                    mycase_core::ids::id_short(&d.device_id),
                    if d.recovery_certified {
                        ", then `mycase recovery-kit renew`: someone else may have your kit"
                    } else {
                        ""
                    },
                );
            }
        }
        // The notice must not stop the survivor from using the journal.
        Err(e) => crate::say!("warning: could not check for new devices: {e}"),
    }
}

/// Connects to the server this device syncs with, trusting its stored CA.
pub async fn transport_for(device: &Device<FileStore>) -> Result<GrpcTransport> {
    connect(device.server_url(), device.ca_cert_pem()).await
}

/// Connects to `url`, trusting `ca_pem` if given (else the system's roots).
pub async fn connect(url: &str, ca_pem: Option<&str>) -> Result<GrpcTransport> {
    GrpcTransport::connect(url, ca_pem)
        .await
        .context("could not connect to the MyCase server")
}

/// For the commands that set up a device (init, join, recover): reads the CA,
/// reaches the server before anything is created (so a typo leaves nothing behind)
/// and describes the new device.
pub async fn reach_server_for_new_device(
    server: String,
    ca_cert: Option<&Path>,
    device_name: Option<String>,
) -> Result<(GrpcTransport, DeviceSetup)> {
    let ca_cert_pem = read_ca(ca_cert)?;
    let transport = connect(&server, ca_cert_pem.as_deref()).await?;
    let setup = DeviceSetup {
        server_url: server,
        ca_cert_pem,
        device_name: device_name.unwrap_or_else(default_device_name),
    };
    Ok((transport, setup))
}

/// Reads a CA certificate (PEM) from `path`.
fn read_ca(path: Option<&Path>) -> Result<Option<String>> {
    path.map(|p| {
        std::fs::read_to_string(p)
            .with_context(|| format!("could not read the CA certificate {}", p.display()))
    })
    .transpose()
}

/// The default name of this device in the journal's device list.
fn default_device_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "computer".to_string())
}
