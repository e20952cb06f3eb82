//! `mycase-server`: one binary a charity can run. With no subcommand it serves.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Parser, Subcommand};
use mycase_server::operator::config::{FileConfig, RegistrationMode};
use mycase_server::operator::{admin, backup};
use mycase_server::store::{OperatorStore, SledStore};
use mycase_server::ServerConfig;
use tracing_subscriber::EnvFilter;

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
struct Args {
    /// TOML config file (default: mycase-server.toml in the data dir, if present).
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
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
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
enum InviteAction {
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
fn resolve_config(args: &Args) -> anyhow::Result<ServerConfig> {
    let default_dir = args
        .data_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
    let file = match &args.config {
        Some(path) => Some(FileConfig::load(path)?),
        None => {
            let path = default_dir.join(DEFAULT_CONFIG_NAME);
            if path.is_file() {
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

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let _ = rustls::crypto::ring::default_provider().install_default();

    let args = Args::parse();
    if let Some(Command::InitConfig { out }) = &args.command {
        return init_config(out.as_deref());
    }
    let config = resolve_config(&args)?;
    match args.command {
        None | Some(Command::Serve) => serve(config).await,
        Some(Command::InitConfig { .. }) => Ok(()),
        Some(Command::Invite {
            action:
                InviteAction::Create {
                    count,
                    expires,
                    json,
                },
        }) => invite_create(&config, count, expires, json).await,
        Some(Command::Stats { json }) => stats(&config, json).await,
        Some(Command::Backup { out }) => backup_cmd(&config, &out).await,
        Some(Command::Restore { file }) => {
            let erased = backup::restore(&file, &config.data_dir, config.cache_capacity_bytes)?;
            println!(
                "restored {} into {} ({erased} erased account(s) removed again)",
                file.display(),
                config.data_dir.display()
            );
            Ok(())
        }
        Some(Command::ShowConfig) => show_config(&config),
        Some(Command::PublicKey) => {
            let key = mycase_server::load_server_key(&config.data_dir)?;
            println!("{}", key.public_key_hex());
            Ok(())
        }
    }
}

async fn serve(config: ServerConfig) -> anyhow::Result<()> {
    let server = mycase_server::start(config).await?;
    wait_for_signal().await?;
    tracing::info!("shutting down");
    server.shutdown().await
}

fn init_config(out: Option<&Path>) -> anyhow::Result<()> {
    let text = mycase_server::operator::config::template();
    match out {
        None => {
            print!("{text}");
            Ok(())
        }
        Some(path) => {
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
                .with_context(|| format!("creating {} (it must not exist yet)", path.display()))?;
            file.write_all(text.as_bytes())?;
            eprintln!("wrote {}", path.display());
            Ok(())
        }
    }
}

/// The running server's admin client, or `None` when no server runs on this
/// data directory (no socket, or nobody listening on it).
async fn running_server(
    config: &ServerConfig,
) -> Option<mycase_proto::v1::admin_client::AdminClient<tonic::transport::Channel>> {
    admin::connect(&config.data_dir.join(admin::SOCKET_NAME))
        .await
        .ok()
}

/// Opens the data directory directly, for when no server is running.
fn open_offline(config: &ServerConfig) -> anyhow::Result<SledStore> {
    SledStore::open_with_cache(
        &config.data_dir.join("db"),
        &config.data_dir.join("chunks"),
        config.cache_capacity_bytes,
    )
    .with_context(|| {
        format!(
            "opening {} (no server answered on its admin socket)",
            config.data_dir.display()
        )
    })
}

async fn invite_create(
    config: &ServerConfig,
    count: u32,
    valid_for_seconds: u64,
    json: bool,
) -> anyhow::Result<()> {
    let (codes, expires_at_unix) = match running_server(config).await {
        Some(mut client) => {
            let r = client
                .create_invites(mycase_proto::v1::CreateInvitesRequest {
                    count,
                    valid_for_seconds,
                })
                .await
                .map_err(|s| anyhow::anyhow!("{}", s.message()))?
                .into_inner();
            (r.codes, r.expires_at_unix)
        }
        None => {
            let store = open_offline(config)?;
            let made = admin::create_invites(&store, count, valid_for_seconds);
            store.close()?;
            made?
        }
    };
    if json {
        let out = serde_json::json!({ "codes": codes, "expires_at_unix": expires_at_unix });
        println!("{out}");
    } else {
        for code in &codes {
            println!("{code}");
        }
        eprintln!(
            "{} single-use invite code(s), valid until {} (UTC). They are shown only now.",
            codes.len(),
            format_unix(expires_at_unix)
        );
    }
    Ok(())
}

fn format_unix(secs: u64) -> String {
    i64::try_from(secs)
        .ok()
        .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
        .map_or_else(
            || secs.to_string(),
            |t| t.format("%Y-%m-%d %H:%M").to_string(),
        )
}

async fn stats(config: &ServerConfig, json: bool) -> anyhow::Result<()> {
    let s = match running_server(config).await {
        Some(mut client) => client
            .stats(mycase_proto::v1::StatsRequest {})
            .await
            .map_err(|s| anyhow::anyhow!("{}", s.message()))?
            .into_inner(),
        None => {
            let store = open_offline(config)?;
            let counted = admin::stats(&store);
            store.close()?;
            counted?
        }
    };
    // Counts under 5 are withheld and the rest rounded (see `admin::published_count`):
    // these are the figures a funder may be shown, and small exact counts, or the
    // difference between two readings, would point at people.
    let counts = [
        ("accounts", "accounts", s.accounts),
        (
            "active_accounts_30d",
            "accounts active in the last 30 days",
            s.active_accounts_30d,
        ),
        ("devices", "devices", s.devices),
        ("shares_created", "shares created", s.shares_created),
        ("shares_opened", "shares opened", s.shares_opened),
    ];
    let stored_bytes = admin::published_bytes(s.stored_bytes);
    if json {
        let mut out = serde_json::Map::new();
        for (key, _, n) in counts {
            let shown = match admin::published_count(n) {
                Some(n) => serde_json::Value::from(n),
                None => serde_json::Value::from(format!("<{}", admin::SUPPRESS_BELOW)),
            };
            out.insert(key.into(), shown);
        }
        out.insert("stored_bytes".into(), stored_bytes.into());
        println!("{}", serde_json::Value::Object(out));
    } else {
        for (_, label, n) in counts {
            match admin::published_count(n) {
                Some(n) => println!("{label}: {n}"),
                None => println!("{label}: fewer than {}", admin::SUPPRESS_BELOW),
            }
        }
        println!("stored bytes: {stored_bytes}");
        println!(
            "(counts are rounded to the nearest {}, and those under {} are not shown; bytes to the nearest MiB)",
            admin::ROUND_TO,
            admin::SUPPRESS_BELOW
        );
    }
    Ok(())
}

async fn backup_cmd(config: &ServerConfig, out: &Path) -> anyhow::Result<()> {
    match running_server(config).await {
        Some(mut client) => {
            let dir = match out.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            };
            let tmp = tempfile::NamedTempFile::new_in(&dir)
                .with_context(|| format!("creating a file in {}", dir.display()))?;
            let mut stream = client
                .backup(mycase_proto::v1::BackupRequest {})
                .await
                .map_err(|s| anyhow::anyhow!("{}", s.message()))?
                .into_inner();
            {
                let mut w = std::io::BufWriter::new(tmp.as_file());
                while let Some(piece) = stream
                    .message()
                    .await
                    .map_err(|s| anyhow::anyhow!("the backup failed: {}", s.message()))?
                {
                    w.write_all(&piece.data)?;
                }
                w.flush()?;
            }
            tmp.as_file().sync_all()?;
            // Read it back: a backup nobody checked is a hope, not a backup.
            backup::verify(tmp.path()).context("checking the backup just written")?;
            tmp.persist(out)
                .map_err(|e| e.error)
                .with_context(|| format!("writing {}", out.display()))?;
        }
        None => {
            backup::backup_offline(&config.data_dir, out, config.cache_capacity_bytes)?;
            backup::verify(out).context("checking the backup just written")?;
        }
    }
    eprintln!("backup written to {}", out.display());
    Ok(())
}

fn show_config(config: &ServerConfig) -> anyhow::Result<()> {
    let out = serde_json::json!({
        "listen": config.listen.to_string(),
        "data_dir": config.data_dir,
        "tls_cert": config.tls_cert,
        "tls_key": config.tls_key,
        "registration": config.registration,
        "cache_capacity_bytes": config.cache_capacity_bytes,
        "quotas": config.quotas,
        "rate_limits": config.rate_limits,
        "retention": config.retention,
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

/// Resolves on SIGINT or SIGTERM.
async fn wait_for_signal() -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate())?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r?,
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c().await?;
    Ok(())
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
