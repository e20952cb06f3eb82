//! The local server: bound to 127.0.0.1 only, HTTP/1.1, one connection task each.

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;

use crate::core_app::App;
use crate::web::Web;

/// A slow client may take this long to send its request headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug)]
pub struct LocalServer {
    listener: TcpListener,
    web: Web,
    token: String,
}

impl LocalServer {
    /// Binds 127.0.0.1:`port` (0: a free port the system picks) before anything is
    /// printed, so the URL it gives is already listening.
    pub async fn bind(app: App, port: u16) -> std::io::Result<LocalServer> {
        let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).await?;
        let port = listener.local_addr()?.port();
        let (web, token) = Web::new(app, port);
        Ok(LocalServer {
            listener,
            web,
            token,
        })
    }

    pub fn port(&self) -> u16 {
        self.web.port()
    }

    /// The launch link: opens one browser session, once.
    pub fn url(&self) -> String {
        format!(
            "http://127.0.0.1:{}/login?token={}",
            self.port(),
            self.token
        )
    }

    /// Completes once the launch link has been used (the session exists).
    pub fn session_started(&self) -> impl Future<Output = ()> + Send + 'static {
        let web = self.web.clone();
        async move { web.sessions().started().await }
    }

    pub fn web(&self) -> Web {
        self.web.clone()
    }

    /// Serves until `shutdown` completes, then locks (the keys leave memory).
    pub async fn serve(self, shutdown: impl Future<Output = ()>) -> std::io::Result<()> {
        let router = crate::pages::router(self.web.clone());
        let idle = tokio::spawn(crate::idle::watch(self.web.clone()));
        // Keeps the journal in sync while unlocked (it waits while locked).
        let sync = self.web.app().start_sync();
        tokio::pin!(shutdown);
        let result = loop {
            let (stream, _) = tokio::select! {
                () = &mut shutdown => break Ok(()),
                accepted = self.listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    // A connection that failed before it was accepted (reset, out of
                    // descriptors for a moment) ends nothing else.
                    Err(error) if is_transient(&error) => continue,
                    Err(error) => break Err(error),
                },
            };
            let service = TowerToHyperService::new(router.clone());
            tokio::spawn(async move {
                let connection = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(HEADER_TIMEOUT)
                    .serve_connection(TokioIo::new(stream), service);
                // A client that goes away mid-request is no error of ours.
                let _ = connection.await;
            });
        };
        idle.abort();
        sync.stop().await;
        self.web.lock().await;
        result
    }
}

fn is_transient(error: &std::io::Error) -> bool {
    use std::io::ErrorKind;
    matches!(
        error.kind(),
        ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset | ErrorKind::Interrupted
    ) || error.raw_os_error() == Some(24)
}
