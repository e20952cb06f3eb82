//! The operator's admin channel: the `Admin` gRPC service on a Unix domain
//! socket in the data directory, never on the network.
//!
//! Why a socket and not opening the database: a running server holds sled's
//! lock, so `invite create`, `stats` and `backup` must ask the server itself.
//! Why a Unix socket: file permissions are the access control. The data
//! directory is 0700 and the socket 0600, so only the operator's Unix user (the
//! one that can already read the database) can connect; nothing listens on a
//! port, and no admin password exists to leak.

use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;

use futures_util::Stream;
use mycase_proto::v1::admin_client::AdminClient;
use mycase_proto::v1::admin_server::{Admin, AdminServer};
use mycase_proto::v1::{
    BackupChunk, BackupRequest, CreateInvitesRequest, CreateInvitesResponse, StatsRequest,
    StatsResponse,
};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tonic::transport::{Channel, Endpoint, Server};
use tonic::{Request, Response, Status};

use crate::access::auth::now_unix;
use crate::api::Shared;
use crate::error::{ServerError, ServerResult};
use crate::store::{day_of, Store, StoreStats};

/// The socket's file name inside the data directory.
pub const SOCKET_NAME: &str = "admin.sock";
/// At most this many invite codes per call.
pub const MAX_INVITES: u32 = 1000;
/// "Active" in the stats: used within this many days.
pub const ACTIVE_DAYS: u32 = 30;
/// Bytes per streamed backup message.
const BACKUP_PIECE: usize = 256 * 1024;

/// Creates `count` invite codes valid for `valid_for_seconds`; returns the codes
/// (shown once, never stored) and their expiry.
pub fn create_invites<S: Store>(
    store: &S,
    count: u32,
    valid_for_seconds: u64,
) -> ServerResult<(Vec<String>, u64)> {
    if count == 0 || count > MAX_INVITES {
        return Err(ServerError::InvalidArgument(format!(
            "count must be between 1 and {MAX_INVITES}"
        )));
    }
    if valid_for_seconds == 0 {
        return Err(ServerError::InvalidArgument(
            "invites must be valid for some time".into(),
        ));
    }
    let expires_at_unix = now_unix().saturating_add(valid_for_seconds);
    let mut codes = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let code = crate::access::invites::generate();
        store.add_invite(&crate::access::invites::hash(&code), expires_at_unix)?;
        codes.push(code);
    }
    store.flush()?;
    Ok((codes, expires_at_unix))
}

/// The counts `mycase-server stats` shows: counts only, nothing that
/// identifies anyone.
pub fn stats<S: Store>(store: &S) -> ServerResult<StatsResponse> {
    let today = day_of(now_unix());
    let s: StoreStats = store.stats(today.saturating_sub(ACTIVE_DAYS - 1))?;
    let shares = store.share_stats()?;
    Ok(StatsResponse {
        accounts: s.accounts,
        active_accounts_30d: s.active_accounts,
        devices: s.devices,
        stored_bytes: s.stored_bytes,
        shares_created: shares.created,
        shares_opened: shares.opened,
    })
}

/// Counts below this are not shown ("fewer than 5"): a count of one or two is a
/// person, and the difference between two readings is an event.
pub const SUPPRESS_BELOW: u64 = 5;
/// Counts at or above [`SUPPRESS_BELOW`] are shown rounded to the nearest
/// multiple of this.
pub const ROUND_TO: u64 = 5;
/// Stored bytes are shown rounded to the nearest MiB.
pub const BYTES_ROUND_TO: u64 = 1024 * 1024;

/// A count as `mycase-server stats` shows it: `None` for fewer than
/// [`SUPPRESS_BELOW`], otherwise rounded to the nearest [`ROUND_TO`].
pub fn published_count(n: u64) -> Option<u64> {
    (n >= SUPPRESS_BELOW).then(|| round_to(n, ROUND_TO))
}

/// Stored bytes as `mycase-server stats` shows them.
pub fn published_bytes(n: u64) -> u64 {
    round_to(n, BYTES_ROUND_TO)
}

fn round_to(n: u64, step: u64) -> u64 {
    n.saturating_add(step / 2) / step * step
}

pub struct AdminService<S> {
    shared: Arc<Shared<S>>,
}

type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

/// A `Write` that sends what is written, in pieces, down a channel.
struct ChannelWriter {
    tx: mpsc::Sender<Result<BackupChunk, Status>>,
    buf: Vec<u8>,
}

impl ChannelWriter {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let data = std::mem::take(&mut self.buf);
        self.tx
            .blocking_send(Ok(BackupChunk { data }))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "receiver gone"))
    }
}

impl std::io::Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= BACKUP_PIECE {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

#[tonic::async_trait]
impl<S: Store> Admin for AdminService<S> {
    async fn create_invites(
        &self,
        request: Request<CreateInvitesRequest>,
    ) -> Result<Response<CreateInvitesResponse>, Status> {
        let r = request.into_inner();
        let store = self.shared.store.clone();
        let (codes, expires_at_unix) = tokio::task::spawn_blocking(move || {
            create_invites(store.as_ref(), r.count, r.valid_for_seconds)
        })
        .await
        .map_err(|_| ServerError::Internal("invite task failed"))??;
        tracing::info!(count = codes.len(), "invites created");
        Ok(Response::new(CreateInvitesResponse {
            codes,
            expires_at_unix,
        }))
    }

    async fn stats(
        &self,
        _request: Request<StatsRequest>,
    ) -> Result<Response<StatsResponse>, Status> {
        Ok(Response::new(stats(self.shared.store.as_ref())?))
    }

    type BackupStream = BoxStream<BackupChunk>;

    async fn backup(
        &self,
        _request: Request<BackupRequest>,
    ) -> Result<Response<Self::BackupStream>, Status> {
        let (tx, rx) = mpsc::channel(4);
        let shared = self.shared.clone();
        tokio::spawn(async move {
            // Writes wait while the snapshot is taken, so it is consistent.
            let paused = shared.pause_writes().await;
            let store = shared.store.clone();
            let error_tx = tx.clone();
            let written = tokio::task::spawn_blocking(move || {
                let mut out = ChannelWriter {
                    tx,
                    buf: Vec::new(),
                };
                store.write_backup(&mut out)?;
                std::io::Write::flush(&mut out)
                    .map_err(|e| crate::store::StoreError::Backend(format!("sending: {e}")))
            })
            .await;
            drop(paused);
            let failure = match written {
                Ok(Ok(())) => None,
                Ok(Err(e)) => Some(Status::from(ServerError::from(e))),
                Err(_) => Some(Status::from(ServerError::Internal("backup task failed"))),
            };
            match failure {
                None => tracing::info!("backup taken"),
                Some(status) => {
                    let _ = error_tx.send(Err(status)).await;
                }
            }
        });
        Ok(Response::new(Box::pin(
            tokio_stream::wrappers::ReceiverStream::new(rx),
        )))
    }
}

/// Serves the admin service on `path` until `stop`; removes a stale socket
/// first (the caller already holds the database lock, so no other server uses it).
pub fn serve<S: Store>(
    path: &Path,
    shared: Arc<Shared<S>>,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<JoinHandle<Result<(), tonic::transport::Error>>> {
    use anyhow::Context;
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).context("removing a stale admin socket"),
    }
    let listener = tokio::net::UnixListener::bind(path)
        .with_context(|| format!("binding the admin socket {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .context("restricting the admin socket")?;
    }
    let incoming = tokio_stream::wrappers::UnixListenerStream::new(listener);
    let router = Server::builder().add_service(AdminServer::new(AdminService { shared }));
    let cleanup = path.to_path_buf();
    Ok(tokio::spawn(async move {
        let served = router
            .serve_with_incoming_shutdown(incoming, async move {
                let _ = stop.wait_for(|stop| *stop).await;
            })
            .await;
        let _ = std::fs::remove_file(cleanup);
        served
    }))
}

/// A client of a running server's admin socket.
pub async fn connect(path: &Path) -> Result<AdminClient<Channel>, tonic::transport::Error> {
    let path: PathBuf = path.to_path_buf();
    // The URI is required by the API and ignored by the connector.
    let channel = Endpoint::from_static("http://admin.sock")
        .connect_with_connector(tower::service_fn(move |_| {
            let path = path.clone();
            async move {
                let stream = tokio::net::UnixStream::connect(path).await?;
                Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(stream))
            }
        }))
        .await?;
    Ok(AdminClient::new(channel))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_counts_are_suppressed_and_others_rounded() {
        assert_eq!(
            [0, 1, 4, 5, 7, 8, 12, 13, 1000].map(published_count),
            [
                None,
                None,
                None,
                Some(5),
                Some(5),
                Some(10),
                Some(10),
                Some(15),
                Some(1000)
            ]
        );
        assert_eq!(published_bytes(0), 0);
        assert_eq!(published_bytes(986), 0);
        assert_eq!(published_bytes(3 * BYTES_ROUND_TO - 1), 3 * BYTES_ROUND_TO);
        assert_eq!(published_count(u64::MAX), Some(u64::MAX / 5 * 5));
    }
}
