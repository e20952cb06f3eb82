//! `mycase-server`: one binary a charity can run. With no subcommand it serves.
//! `args` parses the command line into a `ServerConfig`; `commands` runs each
//! subcommand over the library (`mycase_server`).

mod args;
mod commands;
mod data_dir;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use args::{Args, Command, InviteAction};

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
        return commands::init_config(out.as_deref());
    }
    let mut config = args::resolve_config(&args)?;
    if !matches!(
        args.command,
        None | Some(Command::Serve | Command::ShowConfig | Command::InitConfig { .. })
    ) {
        config.data_dir = data_dir::check(&config.data_dir)?;
    }
    match args.command {
        None | Some(Command::Serve) => commands::serve(config).await,
        Some(Command::InitConfig { .. }) => Ok(()),
        Some(Command::Invite {
            action:
                InviteAction::Create {
                    count,
                    expires,
                    json,
                },
        }) => commands::invite_create(&config, count, expires, json).await,
        Some(Command::Stats { json }) => commands::stats(&config, json).await,
        Some(Command::Backup { out }) => commands::backup_cmd(&config, &out).await,
        Some(Command::Restore { file }) => commands::restore(&config, &file),
        Some(Command::ShowConfig) => commands::show_config(&config),
        Some(Command::PublicKey) => commands::public_key(&config),
    }
}
