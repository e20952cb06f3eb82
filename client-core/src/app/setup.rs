//! Setting up this device: a new journal, joining one with a pairing code, or
//! bringing one back with the recovery kit. Each reaches the server before it
//! creates anything, so a typo in the address leaves nothing behind, and a
//! failed set-up removes what it made. A device set up is left unlocked.

use std::path::Path;

use zeroize::Zeroizing;

use super::{App, AppError};
use crate::format::keys::RecoveryKit;
use crate::format::pairing::PairingCode;
use crate::transport::grpc::GrpcTransport;
use crate::{Device, DeviceSetup};

/// A new journal with this as its first device.
pub struct NewJournal {
    /// The MyCase server (`https://host:port`).
    pub server_url: String,
    /// The server's CA certificate (PEM), for a server with its own CA.
    pub ca_cert_pem: Option<String>,
    /// How this device is named in the device list.
    pub device_name: String,
    /// The passphrase that will unlock the journal on this device.
    pub passphrase: Zeroizing<String>,
    /// An invitation code, if the server asks for one.
    pub invite: Option<String>,
}

/// Joining the journal another device shows a pairing code for.
pub struct JoinJournal {
    /// The MyCase server (`https://host:port`).
    pub server_url: String,
    /// The server's CA certificate (PEM), for a server with its own CA.
    pub ca_cert_pem: Option<String>,
    /// How this device is named in the device list.
    pub device_name: String,
    /// The code the other device shows.
    pub pairing_code: Zeroizing<String>,
    /// The passphrase that will unlock the journal on this device.
    pub passphrase: Zeroizing<String>,
}

/// Bringing the journal back onto this device with the recovery kit.
pub struct RecoverJournal {
    /// The MyCase server (`https://host:port`).
    pub server_url: String,
    /// The server's CA certificate (PEM), for a server with its own CA.
    pub ca_cert_pem: Option<String>,
    /// How this device is named in the device list.
    pub device_name: String,
    /// The recovery kit as written down (spaces and dashes do not matter).
    pub recovery_kit: Zeroizing<String>,
    /// The passphrase that will unlock the journal on this device.
    pub passphrase: Zeroizing<String>,
}

macro_rules! redacted_debug {
    ($t:ty, $($field:ident),*) => {
        impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($t))
                    $(.field(stringify!($field), &self.$field))*
                    .finish_non_exhaustive()
            }
        }
    };
}
redacted_debug!(NewJournal, server_url, device_name);
redacted_debug!(JoinJournal, server_url, device_name);
redacted_debug!(RecoverJournal, server_url, device_name);

/// A new journal, made: the recovery kit is shown once and never stored.
pub struct CreatedJournal {
    /// The recovery kit, to be written down now.
    pub recovery_kit: Zeroizing<String>,
    /// The first sync did not go through (it is tried again later), in words.
    pub first_sync_problem: Option<String>,
}

impl std::fmt::Debug for CreatedJournal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedJournal")
            .field("recovery_kit", &"[redacted]")
            .field("first_sync_problem", &self.first_sync_problem)
            .finish()
    }
}

pub(super) fn check_new_passphrase(passphrase: &str) -> Result<(), AppError> {
    if passphrase.is_empty() {
        return Err(AppError::WeakPassphrase {
            reason: "Choose a passphrase: it cannot be empty".into(),
        });
    }
    Ok(())
}

fn check_device_name(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::invalid(
            "device_name",
            "Give this device a name (for example \"laptop\")",
        ));
    }
    if name.chars().count() > 100 {
        return Err(AppError::invalid(
            "device_name",
            "A device name can be at most 100 characters",
        ));
    }
    Ok(name.to_owned())
}

impl App {
    fn refuse_if_set_up(&self) -> Result<(), AppError> {
        if crate::is_initialised(self.home()) {
            return Err(AppError::AlreadySetUp);
        }
        Ok(())
    }

    /// Sets up a new journal with this as its first device, registers it on the
    /// server and syncs once. The device is left unlocked.
    pub async fn create_journal(&self, new: NewJournal) -> Result<CreatedJournal, AppError> {
        self.refuse_if_set_up()?;
        check_new_passphrase(&new.passphrase)?;
        let device_name = check_device_name(&new.device_name)?;
        let transport = GrpcTransport::connect(&new.server_url, new.ca_cert_pem.as_deref()).await?;
        let setup = DeviceSetup {
            server_url: new.server_url,
            ca_cert_pem: new.ca_cert_pem,
            device_name,
        };
        let home = self.home().to_path_buf();
        let existed = home.exists();
        let params = self.options().kdf_params;
        let passphrase = new.passphrase;
        let created = {
            let home = home.clone();
            tokio::task::spawn_blocking(move || {
                Device::create(&home, passphrase.as_bytes(), params, setup)
            })
            .await
            .map_err(|e| AppError::Other(Box::new(e)))?
        };
        let (mut device, kit) = match created {
            Ok(c) => c,
            Err(crate::SetupError::AlreadyInitialised(_)) => return Err(AppError::AlreadySetUp),
            Err(e) => {
                let _ = remove_created(&home, existed);
                return Err(e.into());
            }
        };
        if let Err(e) = device.register(&transport, &kit, new.invite).await {
            drop(device);
            let _ = remove_created(&home, existed);
            return Err(e.into());
        }
        let first_sync_problem = device
            .sync(&transport)
            .await
            .err()
            .map(|e| AppError::from(e).to_string());
        let recovery_kit = kit.to_display();
        self.install(device).await;
        Ok(CreatedJournal {
            recovery_kit,
            first_sync_problem,
        })
    }

    /// Joins the journal of the device showing `join.pairing_code`. `show_matching`
    /// gets the matching code to type on the other device, which adds this one
    /// only then; this call returns once it has (or the code expired). The device
    /// is left unlocked with the journal synced.
    pub async fn join_journal(
        &self,
        join: JoinJournal,
        show_matching: impl FnOnce(String) + Send,
    ) -> Result<(), AppError> {
        self.refuse_if_set_up()?;
        check_new_passphrase(&join.passphrase)?;
        let device_name = check_device_name(&join.device_name)?;
        let code = PairingCode::parse(&join.pairing_code).map_err(|e| AppError::PairingFailed {
            reason: e.to_string(),
            source: Some(Box::new(e)),
        })?;
        let transport =
            GrpcTransport::connect(&join.server_url, join.ca_cert_pem.as_deref()).await?;
        let setup = DeviceSetup {
            server_url: join.server_url,
            ca_cert_pem: join.ca_cert_pem,
            device_name,
        };
        let device = Device::join(
            self.home(),
            join.passphrase.as_bytes(),
            self.options().kdf_params,
            &transport,
            &code,
            setup,
            |m| show_matching(m.to_display()),
        )
        .await?;
        self.install(device).await;
        Ok(())
    }

    /// Sets this device up from the recovery kit and brings the journal back. The
    /// device is left unlocked.
    pub async fn recover_journal(&self, recover: RecoverJournal) -> Result<(), AppError> {
        self.refuse_if_set_up()?;
        check_new_passphrase(&recover.passphrase)?;
        let device_name = check_device_name(&recover.device_name)?;
        let kit =
            RecoveryKit::parse(&recover.recovery_kit).map_err(|e| AppError::RecoveryFailed {
                reason: "that is not a valid recovery kit (check for a typo)".into(),
                source: Some(Box::new(e)),
            })?;
        let transport =
            GrpcTransport::connect(&recover.server_url, recover.ca_cert_pem.as_deref()).await?;
        let setup = DeviceSetup {
            server_url: recover.server_url,
            ca_cert_pem: recover.ca_cert_pem,
            device_name,
        };
        let (device, _report) = Device::recover(
            self.home(),
            recover.passphrase.as_bytes(),
            self.options().kdf_params,
            &transport,
            &kit,
            setup,
        )
        .await?;
        self.install(device).await;
        Ok(())
    }
}

/// Removes what `Device::create` made, so set-up can be tried again. Never
/// called when another set-up got there first (that home is not ours).
fn remove_created(home: &Path, home_existed: bool) -> std::io::Result<()> {
    if !home_existed {
        return std::fs::remove_dir_all(home);
    }
    let key_file = crate::key_file_path(home);
    if key_file.exists() {
        std::fs::remove_file(key_file)?;
    }
    let store = home.join(crate::device::home::STORE_DIR);
    if store.exists() {
        std::fs::remove_dir_all(store)?;
    }
    Ok(())
}
