//! `mycase-server`: one binary a charity can run.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;
use mycase_server::ServerConfig;
use tracing_subscriber::EnvFilter;

#[derive(Parser, Debug)]
#[command(
    name = "mycase-server",
    version,
    about = "The MyCase sync server (stores only ciphertext)"
)]
struct Args {
    /// Address and port to listen on.
    #[arg(long, env = "MYCASE_LISTEN", default_value = "127.0.0.1:7443")]
    listen: SocketAddr,
    /// Where the database and generated certificate live.
    #[arg(
        long,
        env = "MYCASE_DATA_DIR",
        default_value = "./mycase-data",
        global = true
    )]
    data_dir: PathBuf,
    /// PEM certificate chain to serve (with --tls-key); default: self-signed in the data dir.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(clap::Subcommand, Debug)]
enum Command {
    /// Print the public key that signs record receipts (hex), for `mycase verify
    /// --server-key`; generates the key in the data directory if there is none yet.
    PublicKey,
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
    if let Some(Command::PublicKey) = args.command {
        println!(
            "{}",
            mycase_server::load_server_key(&args.data_dir)?.public_key_hex()
        );
        return Ok(());
    }
    let mut config = ServerConfig::new(args.data_dir);
    config.listen = args.listen;
    config.tls_cert = args.tls_cert;
    config.tls_key = args.tls_key;

    let server = mycase_server::start(config).await?;
    wait_for_signal().await?;
    tracing::info!("shutting down");
    server.shutdown().await
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
