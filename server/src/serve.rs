//! Starting a server over a store, and stopping it cleanly.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use mycase_proto::v1::account_server::AccountServer;
use mycase_proto::v1::blobs_server::BlobsServer;
use mycase_proto::v1::server_info_server::ServerInfoServer;
use mycase_proto::v1::shares_server::SharesServer;
use mycase_proto::v1::sync_server::SyncServer;
use mycase_proto::MAX_MESSAGE_BYTES;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Identity, Server, ServerTlsConfig};

use crate::access::connections::LimitedIncoming;
use crate::api::{self, http};
use crate::keys::{server_key::ServerKey, tls};
use crate::operator::{admin, config};
use crate::store::{self, SledStore, Store, StoreError};
use crate::{clock, AccountService, BlobsService, ServerInfoService, SharesService, SyncService};

/// How often expired challenges, sessions and pairing slots are swept, and the
/// database compacted if accounts were erased.
const PURGE_INTERVAL: Duration = Duration::from_secs(300);

#[derive(Clone, Debug)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// The operator's certificate chain (PEM); with `tls_key`, or neither.
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// How long a bearer token stays valid.
    pub session_ttl: Duration,
    /// How long an authentication challenge stays valid.
    pub challenge_ttl: Duration,
    /// The bound of a pairing long-poll (`AwaitJoin`, `AwaitPairing`).
    pub pairing_wait: Duration,
    /// The longest a pairing slot lives (a request's `ttl_seconds` is capped by it;
    /// 0 asks for this maximum).
    pub pairing_ttl_max: Duration,
    /// The largest share bundle accepted (bytes).
    pub share_max_bytes: u64,
    /// The longest a share link may live.
    pub share_ttl_max: Duration,
    /// The clock share expiry is measured by (tests move it forward).
    pub clock: clock::Clock,
    /// Who may create an account.
    pub registration: config::RegistrationMode,
    pub quotas: config::Quotas,
    pub rate_limits: config::RateLimits,
    pub retention: config::Retention,
    pub connections: config::Connections,
    /// sled's page cache bound, bytes.
    pub cache_capacity_bytes: u64,
}

impl ServerConfig {
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 7443)),
            data_dir: data_dir.into(),
            tls_cert: None,
            tls_key: None,
            session_ttl: Duration::from_secs(12 * 3600),
            challenge_ttl: Duration::from_secs(60),
            pairing_wait: Duration::from_secs(20),
            pairing_ttl_max: Duration::from_secs(600),
            share_max_bytes: 256 * 1024 * 1024,
            share_ttl_max: Duration::from_secs(31 * 24 * 3600),
            clock: clock::Clock::default(),
            registration: config::RegistrationMode::Open,
            quotas: config::Quotas::default(),
            rate_limits: config::RateLimits::default(),
            retention: config::Retention::default(),
            connections: config::Connections::default(),
            cache_capacity_bytes: store::sled::CACHE_BYTES,
        }
    }
}

/// A server accepting connections; `shutdown` stops it and closes the store.
pub struct RunningServer {
    addr: SocketAddr,
    ca_cert_pem: String,
    ca_cert_path: PathBuf,
    stop: watch::Sender<bool>,
    server: JoinHandle<Result<(), tonic::transport::Error>>,
    janitor: JoinHandle<()>,
    admin: JoinHandle<Result<(), tonic::transport::Error>>,
    close_store: Box<dyn FnOnce() -> Result<(), StoreError> + Send>,
    server_public_key: [u8; 32],
}

impl fmt::Debug for RunningServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunningServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl RunningServer {
    /// The bound address (port 0 resolved).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `https://127.0.0.1:PORT`: the bound address, with a wildcard bind
    /// (0.0.0.0 or ::) shown as loopback so the URL is connectable.
    pub fn url(&self) -> String {
        let mut addr = self.addr;
        if addr.ip().is_unspecified() {
            addr.set_ip(match addr {
                SocketAddr::V4(_) => Ipv4Addr::LOCALHOST.into(),
                SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            });
        }
        format!("https://{addr}")
    }

    /// The certificate (PEM) clients must trust.
    pub fn ca_cert_pem(&self) -> &str {
        &self.ca_cert_pem
    }

    pub fn ca_cert_path(&self) -> &Path {
        &self.ca_cert_path
    }

    /// The Ed25519 public key that signs record receipts.
    pub fn server_public_key(&self) -> [u8; 32] {
        self.server_public_key
    }

    /// Stops accepting, ends open streams, waits for in-flight calls, then closes
    /// the store: when this returns the data directory can be reopened at once.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        let _ = self.stop.send(true);
        let served = self.server.await.context("server task panicked")?;
        let _ = self.janitor.await;
        let _ = self.admin.await;
        let closed = tokio::task::spawn_blocking(self.close_store)
            .await
            .context("closing the store panicked")?;
        served.context("server failed")?;
        closed.context("closing the store")?;
        tracing::info!("server stopped");
        Ok(())
    }
}

/// Binds `config.listen` and starts serving; the socket is bound when this returns.
pub async fn start(config: ServerConfig) -> anyhow::Result<RunningServer> {
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("binding {}", config.listen))?;
    start_with_listener(config, listener).await
}

/// Serves on an already bound listener, with the sled store in `data_dir/db` and
/// attachment chunks in `data_dir/chunks`.
pub async fn start_with_listener(
    config: ServerConfig,
    listener: tokio::net::TcpListener,
) -> anyhow::Result<RunningServer> {
    create_data_dir(&config.data_dir)?;
    let db_dir = config.data_dir.join("db");
    let chunks_dir = config.data_dir.join("chunks");
    let cache = config.cache_capacity_bytes;
    let store = tokio::task::spawn_blocking(move || {
        SledStore::open_with_cache(&db_dir, &chunks_dir, cache)
    })
    .await
    .context("opening the store panicked")?
    .context("opening the database (is another server using this data directory?)")?;
    start_with_store(config, listener, store).await
}

/// Serves on `listener` over any `Store` backend.
pub async fn start_with_store<S: Store>(
    config: ServerConfig,
    listener: tokio::net::TcpListener,
    store: S,
) -> anyhow::Result<RunningServer> {
    // tonic picks ring itself; installing it as the process default too keeps any
    // other rustls user in the process working. "Already installed" is fine.
    let _ = rustls::crypto::ring::default_provider().install_default();

    let addr = listener.local_addr().context("reading the bound address")?;
    let material = tls::load_or_generate(
        config.tls_cert.as_deref(),
        config.tls_key.as_deref(),
        &config.data_dir,
    )?;
    let identity = Identity::from_pem(&material.cert_pem, &material.key_pem);
    let server_key = Arc::new(load_server_key(&config.data_dir)?);

    let store = Arc::new(store);
    let (stop, stop_rx) = watch::channel(false);
    let settings = api::Settings {
        session_ttl: config.session_ttl,
        challenge_ttl: config.challenge_ttl,
        pairing_wait: config.pairing_wait,
        pairing_ttl_max: config.pairing_ttl_max,
        share_max_bytes: config.share_max_bytes,
        share_ttl_max: config.share_ttl_max,
        clock: config.clock.clone(),

        registration: config.registration,
        quotas: config.quotas,
        rate_limits: config.rate_limits,
        retention: config.retention,
    };
    let shared = Arc::new(api::Shared::new(
        store.clone(),
        &settings,
        stop_rx.clone(),
        server_key.clone(),
    ));

    let account = AccountServer::new(AccountService::new(shared.clone()))
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_MESSAGE_BYTES);
    let sync = SyncServer::new(SyncService::new(shared.clone()))
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_MESSAGE_BYTES);
    let blobs = BlobsServer::new(BlobsService::new(shared.clone()))
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_MESSAGE_BYTES);
    let shares = SharesServer::new(SharesService::new(shared.clone()))
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_MESSAGE_BYTES);
    let server_info = ServerInfoServer::new(ServerInfoService::new(server_key.clone()))
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_MESSAGE_BYTES);
    let health_reporter = tonic_health::server::HealthReporter::new();
    let health = api::health::Health::server(health_reporter.clone());
    health_reporter
        .set_serving::<AccountServer<AccountService<S>>>()
        .await;
    health_reporter
        .set_serving::<SyncServer<SyncService<S>>>()
        .await;
    health_reporter
        .set_serving::<BlobsServer<BlobsService<S>>>()
        .await;
    health_reporter
        .set_serving::<SharesServer<SharesService<S>>>()
        .await;
    let health = health
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_MESSAGE_BYTES);

    let mut grpc = tonic::service::Routes::builder();
    grpc.add_service(health)
        .add_service(account)
        .add_service(sync)
        .add_service(blobs)
        .add_service(shares)
        .add_service(server_info);
    // The share viewer (HTTP/1.1 or h2, for browsers) on the same port as gRPC.
    let routes = tonic::service::Routes::from(
        grpc.routes()
            .into_axum_router()
            .merge(http::router(shared.clone())),
    );
    let limits = config.connections;
    let mut tls = ServerTlsConfig::new().identity(identity);
    if let Some(timeout) = seconds(limits.tls_handshake_timeout_secs) {
        tls = tls.timeout(timeout);
    }
    let mut builder = Server::builder()
        .accept_http1(true)
        .http2_keepalive_interval(seconds(limits.http2_keepalive_interval_secs))
        .http2_keepalive_timeout(seconds(limits.http2_keepalive_timeout_secs));
    if let Some(age) = seconds(limits.max_age_secs) {
        builder = builder.max_connection_age(age);
        if let Some(grace) = seconds(limits.max_age_grace_secs) {
            builder = builder.max_connection_age_grace(grace);
        }
    }
    let router = builder
        .tls_config(tls)
        .context("configuring TLS")?
        .add_routes(routes);
    let admin_path = config.data_dir.join(admin::SOCKET_NAME);
    let admin_server = admin::serve(&admin_path, shared.clone(), stop_rx.clone())
        .context("starting the admin socket")?;

    let mut server_stop = stop_rx.clone();
    // Without TCP_NODELAY, streamed responses (Watch, Pull) wait on the peer's
    // delayed ACK: live sync took ~40 ms instead of ~3 ms.
    let incoming = TcpIncoming::from(listener)
        .with_nodelay(Some(true))
        .with_keepalive(seconds(limits.tcp_keepalive_secs));
    let incoming = LimitedIncoming::new(incoming, limits.max_per_address as usize);
    let server = tokio::spawn(router.serve_with_incoming_shutdown(incoming, async move {
        let _ = server_stop.wait_for(|stop| *stop).await;
    }));

    let janitor = tokio::spawn({
        let shared = shared.clone();
        let store = store.clone();
        let mut stop = stop_rx;
        async move {
            let mut tick = tokio::time::interval(PURGE_INTERVAL);
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    // The guard `wait_for` returns is not Send: drop it inside.
                    _ = async { let _ = stop.wait_for(|stop| *stop).await; } => break,
                }
                shared.purge();
                if let Err(e) = shared.erase_inactive().await {
                    tracing::warn!(error = %e, "retention sweep failed");
                }
                // At most one rewrite per tick, however many accounts were erased:
                // a loop of deletions cannot keep the store locked.
                let store = store.clone();
                match tokio::task::spawn_blocking(move || store.reclaim_erased()).await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => tracing::warn!(error = %e, "compaction after erasures failed"),
                    Err(_) => tracing::warn!("compaction after erasures panicked"),
                }
            }
        }
    });
    drop(shared);

    tracing::info!(listen = %addr, trust_cert = %material.cert_path.display(), "mycase-server listening");
    // The receipt key is public: printed so the operator can publish it for anyone
    // checking an export (`mycase verify --server-key`).
    tracing::info!(server_public_key = %server_key.public_key_hex(), "receipt signing key");
    Ok(RunningServer {
        addr,
        ca_cert_pem: material.cert_pem,
        ca_cert_path: material.cert_path,
        stop,
        server,
        janitor,
        admin: admin_server,
        close_store: Box::new(move || store.close()),
        server_public_key: server_key.public_key(),
    })
}

/// A setting in seconds, 0 meaning off.
fn seconds(secs: u64) -> Option<Duration> {
    (secs != 0).then(|| Duration::from_secs(secs))
}

/// The receipt key in `data_dir`, generated there (0600) on first use.
pub fn load_server_key(data_dir: &Path) -> anyhow::Result<ServerKey> {
    create_data_dir(data_dir)?;
    ServerKey::load_or_generate(data_dir).context("loading the server's receipt key")
}

fn create_data_dir(dir: &Path) -> anyhow::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        // The directory holds the TLS key and every account's ciphertext.
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .with_context(|| format!("creating data directory {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // An existing directory too: the admin socket's only access control is
        // that nobody but the operator's user can reach into it.
        let mode = std::fs::metadata(dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .with_context(|| format!("making {} private (0700)", dir.display()))?;
            tracing::warn!("the data directory was readable by others; it is now 0700");
        }
    }
    Ok(())
}
