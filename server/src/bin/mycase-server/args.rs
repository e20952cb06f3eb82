//! The command line: flags, subcommands, and the configuration they resolve to
//! (file < environment < flag).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use mycase_server::operator::config::{FileConfig, RegistrationMode};
use mycase_server::ServerConfig;

/// Where the database lives unless told otherwise.
const DEFAULT_DATA_DIR: &str = "./mycase-data";
/// The config file looked for in the data directory.
const DEFAULT_CONFIG_NAME: &str = "mycase-server.toml";

#[derive(Parser, Debug)]
#[command(
    name = "mycase-server",
    version,
    about = "The MyCase sync server (stores only ciphertext)"
)]
pub(crate) struct Args {
    /// TOML config file (default for serve and show-config: mycase-server.toml in
    /// the data dir, if present; other commands read one only when given).
    /// Flags and environment variables override it.
    #[arg(long, env = "MYCASE_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// Where the database, chunk files, generated certificate and admin socket live
    /// [default: ./mycase-data].
    #[arg(long, env = "MYCASE_DATA_DIR", global = true)]
    data_dir: Option<PathBuf>,
    /// Address and port to listen on [default: 127.0.0.1:7443].
    #[arg(long, env = "MYCASE_LISTEN", global = true)]
    listen: Option<SocketAddr>,
    /// PEM certificate chain to serve (with --tls-key); default: self-signed in the data dir.
    #[arg(long, env = "MYCASE_TLS_CERT", global = true)]
    tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, env = "MYCASE_TLS_KEY", global = true)]
    tls_key: Option<PathBuf>,
    /// Who may create an account: open or invite.
    #[arg(long, env = "MYCASE_REGISTRATION", global = true, value_parser = parse_mode)]
    registration: Option<RegistrationMode>,
    /// sled's page cache in bytes (the bulk of the server's memory).
    #[arg(long, env = "MYCASE_CACHE_CAPACITY_BYTES", global = true)]
    cache_capacity_bytes: Option<u64>,
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub(crate) enum Command {
    /// Run the server (what `mycase-server` with no subcommand does).
    Serve,
    /// Write a commented config file with every setting at its default.
    InitConfig {
        /// Where to write it (default: standard output). An existing file is not replaced.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Invite codes for invite-only registration.
    Invite {
        #[command(subcommand)]
        action: InviteAction,
    },
    /// Anonymous counts: accounts, active accounts, devices, stored bytes.
    Stats {
        #[arg(long)]
        json: bool,
    },
    /// Write a consistent backup of everything the server holds (works while it runs).
    Backup {
        #[arg(long)]
        out: PathBuf,
    },
    /// Restore a backup into the data directory (stop the server first).
    Restore { file: PathBuf },
    /// Print the configuration in effect (file, environment and flags combined), as JSON.
    ShowConfig,
    /// Print the public key that signs record receipts (hex), for `mycase verify
    /// --server-key`; generates the key in the data directory if there is none yet.
    PublicKey,
}

#[derive(Subcommand, Debug)]
pub(crate) enum InviteAction {
    /// Create single-use invite codes.
    Create {
        #[arg(long, default_value_t = 1)]
        count: u32,
        /// How long the codes stay valid: 30d, 12h, 45m (a bare number is days).
        #[arg(long, default_value = "30d", value_parser = parse_duration_secs)]
        expires: u64,
        #[arg(long)]
        json: bool,
    },
}

fn parse_mode(s: &str) -> Result<RegistrationMode, String> {
    match s {
        "open" => Ok(RegistrationMode::Open),
        "invite" => Ok(RegistrationMode::Invite),
        _ => Err("registration must be \"open\" or \"invite\"".into()),
    }
}

fn parse_duration_secs(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (number, unit) = match s.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&s[..i], c),
        _ => (s, 'd'),
    };
    let n: u64 = number
        .parse()
        .map_err(|_| format!("not a duration: {s:?} (try 30d, 12h or 45m)"))?;
    let unit_secs = match unit {
        'd' => 86_400,
        'h' => 3_600,
        'm' => 60,
        's' => 1,
        _ => return Err(format!("unknown unit in {s:?}: use d, h, m or s")),
    };
    match n.checked_mul(unit_secs) {
        Some(0) | None => Err(format!("{s:?} is not a usable duration")),
        Some(secs) => Ok(secs),
    }
}

/// File < environment < flag (clap already put the environment under the flags).
pub(crate) fn resolve_config(args: &Args) -> anyhow::Result<ServerConfig> {
    let default_dir = args
        .data_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
    let file = match &args.config {
        Some(path) => Some(FileConfig::load(path)?),
        None => {
            let path = default_dir.join(DEFAULT_CONFIG_NAME);
            // Only the server itself reads its data directory's file unasked: the
            // service user can write there, and an operator command (often run as
            // root) must not take its settings from it.
            let implicit = matches!(
                args.command,
                None | Some(Command::Serve | Command::ShowConfig)
            );
            if !implicit && path.is_file() {
                eprintln!(
                    "note: not reading {} (operator commands read a config file only with --config)",
                    path.display()
                );
                None
            } else if path.is_file() {
                Some(FileConfig::load(&path)?)
            } else {
                None
            }
        }
    };
    let data_dir = match (
        &args.data_dir,
        file.as_ref().and_then(|f| f.data_dir.clone()),
    ) {
        (Some(dir), _) => dir.clone(),
        (None, Some(dir)) => dir,
        (None, None) => default_dir,
    };
    let mut config = ServerConfig::new(data_dir);
    if let Some(file) = &file {
        file.apply(&mut config);
    }
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    if let Some(cert) = &args.tls_cert {
        config.tls_cert = Some(cert.clone());
    }
    if let Some(key) = &args.tls_key {
        config.tls_key = Some(key.clone());
    }
    if let Some(mode) = args.registration {
        config.registration = mode;
    }
    if let Some(bytes) = args.cache_capacity_bytes {
        config.cache_capacity_bytes = bytes;
    }
    if config.tls_cert.is_some() != config.tls_key.is_some() {
        anyhow::bail!("tls_cert and tls_key go together: set both or neither");
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration_secs("7d").unwrap(), 7 * 86_400);
        assert_eq!(parse_duration_secs("12h").unwrap(), 12 * 3_600);
        assert_eq!(parse_duration_secs("3").unwrap(), 3 * 86_400);
        assert!(parse_duration_secs("0d").is_err());
        assert!(parse_duration_secs("7w").is_err());
        assert!(parse_duration_secs("soon").is_err());
    }
}
