//! What each subcommand does. Counts, codes and keys are printed here and only
//! here; the library never prints.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use mycase_server::operator::{admin, backup};
use mycase_server::store::{OperatorStore, SledStore};
use mycase_server::ServerConfig;

pub(crate) async fn serve(config: ServerConfig) -> anyhow::Result<()> {
    let server = mycase_server::start(config).await?;
    wait_for_signal().await?;
    tracing::info!("shutting down");
    server.shutdown().await
}

pub(crate) fn init_config(out: Option<&Path>) -> anyhow::Result<()> {
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

pub(crate) async fn invite_create(
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

pub(crate) async fn stats(config: &ServerConfig, json: bool) -> anyhow::Result<()> {
    let s = match running_server(config).await {
        Some(mut client) => client
            .stats(mycase_proto::v1::StatsRequest {})
            .await
            .map_err(|s| anyhow::anyhow!("{}", s.message()))?
            .into_inner(),
        None => stats_offline(config)?,
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

/// Counts a stopped server's database without writing to its data directory:
/// sled has no read-only mode (opening writes, closing may compact and delete),
/// so the counts come from a private copy of the database in a temporary
/// directory, which goes when they are read.
fn stats_offline(config: &ServerConfig) -> anyhow::Result<mycase_proto::v1::StatsResponse> {
    let db = config.data_dir.join("db");
    if !db.is_dir() {
        anyhow::bail!(
            "{} holds no database and no server answered on its admin socket: nothing to count",
            config.data_dir.display()
        );
    }
    let scratch = tempfile::tempdir().context("creating a temporary directory")?;
    let copy = scratch.path().join("db");
    copy_tree(&db, &copy).with_context(|| format!("copying {}", db.display()))?;
    let store = SledStore::open_with_cache(
        &copy,
        &scratch.path().join("chunks"),
        config.cache_capacity_bytes,
    )
    .with_context(|| format!("opening a copy of {}", db.display()))?;
    let counted = admin::stats(&store);
    store.close()?;
    Ok(counted?)
}

/// Copies regular files and directories (the data directory was checked to
/// hold no symbolic links).
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else if kind.is_file() {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

pub(crate) async fn backup_cmd(config: &ServerConfig, out: &Path) -> anyhow::Result<()> {
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

pub(crate) fn restore(config: &ServerConfig, file: &Path) -> anyhow::Result<()> {
    let erased = backup::restore(file, &config.data_dir, config.cache_capacity_bytes)?;
    println!(
        "restored {} into {} ({erased} erased account(s) removed again)",
        file.display(),
        config.data_dir.display()
    );
    Ok(())
}

pub(crate) fn public_key(config: &ServerConfig) -> anyhow::Result<()> {
    let key = mycase_server::load_server_key(&config.data_dir)?;
    println!("{}", key.public_key_hex());
    Ok(())
}

pub(crate) fn show_config(config: &ServerConfig) -> anyhow::Result<()> {
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
        "connections": config.connections,
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
