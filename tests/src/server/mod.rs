//! Real servers for tests, in-process on `127.0.0.1:0` over TLS in a temporary
//! data directory. [`start_server`] is the one place a test server is started;
//! [`TestServer`] wraps it for device tests (restartable on the same directory and
//! address), [`grpc`] gives raw gRPC clients that speak the wire protocol without
//! `mycase-core`, and [`http`] plain HTTPS requests for the share viewer's routes.

use std::path::{Path, PathBuf};
use std::time::Duration;

use mycase_core::transport::grpc::GrpcTransport;
use mycase_core::DeviceSetup;
use mycase_server::{RunningServer, ServerConfig};

pub mod grpc;
pub mod http;

/// A server config over `data` listening on `127.0.0.1:0`.
pub fn config(data: &Path) -> ServerConfig {
    let mut config = ServerConfig::new(data);
    config.listen = "127.0.0.1:0".parse().unwrap();
    config
}

/// A server on 127.0.0.1:0 over `data`, with `tweak` applied to its config.
pub async fn start_server(data: &Path, tweak: impl FnOnce(&mut ServerConfig)) -> RunningServer {
    let mut config = config(data);
    tweak(&mut config);
    mycase_server::start(config).await.expect("server starts")
}

/// Short long-polls keep failing pairing tests quick.
const PAIRING_WAIT: Duration = Duration::from_secs(2);

/// A real server on loopback TLS, in a temporary data directory.
pub struct TestServer {
    dir: tempfile::TempDir,
    running: Option<RunningServer>,
    url: String,
    ca_pem: String,
    addr: std::net::SocketAddr,
    clock: mycase_server::clock::Clock,
}

impl TestServer {
    pub async fn start() -> TestServer {
        TestServer::start_with(|_| {}).await
    }

    /// [`TestServer::start`] with `tweak` applied to its config (limits, say).
    pub async fn start_with(tweak: impl FnOnce(&mut ServerConfig)) -> TestServer {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut clock = None;
        let running = start_server(dir.path(), |config| {
            config.pairing_wait = PAIRING_WAIT;
            clock = Some(config.clock.clone());
            tweak(config);
        })
        .await;
        let clock = clock.expect("the config was built");
        TestServer {
            clock,
            url: running.url(),
            ca_pem: running.ca_cert_pem().to_string(),
            addr: running.addr(),
            running: Some(running),
            dir,
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The server's clock for share expiry: tests move it forward rather than wait.
    pub fn clock(&self) -> &mycase_server::clock::Clock {
        &self.clock
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// The server's receipt signing key (hex), as `mycase verify --server-key` takes it.
    pub fn server_key_hex(&self) -> String {
        hex::encode(self.server_public_key())
    }

    pub fn server_public_key(&self) -> [u8; 32] {
        self.running
            .as_ref()
            .expect("server running")
            .server_public_key()
    }

    /// The sled database directory.
    pub fn db_dir(&self) -> PathBuf {
        self.dir.path().join("db")
    }

    /// Stops the server; returns after its store is closed.
    pub async fn stop(&mut self) {
        if let Some(running) = self.running.take() {
            running.shutdown().await.expect("clean shutdown");
        }
    }

    /// Starts again on the same data directory and address.
    pub async fn start_again(&mut self) {
        assert!(self.running.is_none(), "stop the server first");
        let running = start_server(self.dir.path(), |config| {
            config.listen = self.addr;
            config.pairing_wait = PAIRING_WAIT;
            config.clock = self.clock.clone();
        })
        .await;
        assert_eq!(
            running.ca_cert_pem(),
            self.ca_pem,
            "the certificate survives a restart"
        );
        self.running = Some(running);
    }

    pub async fn restart(&mut self) {
        self.stop().await;
        self.start_again().await;
    }

    pub fn setup(&self, name: &str) -> DeviceSetup {
        DeviceSetup {
            server_url: self.url.clone(),
            ca_cert_pem: Some(self.ca_pem.clone()),
            device_name: name.into(),
        }
    }

    pub async fn transport(&self) -> GrpcTransport {
        GrpcTransport::connect(&self.url, Some(&self.ca_pem))
            .await
            .expect("connect")
    }
}
