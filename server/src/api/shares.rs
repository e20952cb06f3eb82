//! The Shares service: sealed share bundles with an expiry and a view limit.
//!
//! The server stores the ciphertext the client sends and serves it to whoever
//! proves they hold the link: a fetch presents the link's access token, which
//! only the link's key derives (HKDF-SHA256 of the key, label
//! [`ACCESS_TOKEN_LABEL`]); the server keeps only its SHA-256, given at creation,
//! and compares in constant time before it counts a view or sends a byte. It
//! never sees the key itself. Bundles stream to and from storage in pieces, never
//! whole in memory. Nothing about a share (id, size, time) is logged.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use futures_util::{Stream, StreamExt};
use mycase_proto::v1::create_share_request::Part;
use mycase_proto::v1::shares_server::Shares;
use mycase_proto::v1::{
    CreateShareRequest, CreateShareResponse, FetchShareRequest, FetchShareResponse,
    ListSharesRequest, ListSharesResponse, RevokeShareRequest, RevokeShareResponse, ShareInfo,
    SharePolicy,
};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tonic::{Request, Response, Status, Streaming};

use super::Shared;
use crate::api::validate;
use crate::error::{ServerError, ServerResult};
use crate::store::{
    Hash, Id, ShareBundle, ShareEnd, ShareOpen, ShareRow, ShareState, ShareUpload, Store,
};

/// Bytes per FetchShare message (well under the 4 MiB message limit), and per
/// read from the stored file.
pub const FETCH_CHUNK: usize = 1024 * 1024;
/// The HKDF-SHA256 info that turns a link's key into its access token (empty
/// salt, 32 bytes). `client-core/src/share/access.rs` and the viewer derive it.
pub const ACCESS_TOKEN_LABEL: &str = "mycase/v1/share/access-token";
pub const ACCESS_TOKEN_LEN: usize = 32;

type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

/// Why a share ended, in the words both the gRPC status and the viewer use.
pub fn end_reason(end: ShareEnd) -> &'static str {
    match end {
        ShareEnd::Expired => "expired",
        ShareEnd::Revoked => "revoked",
        ShareEnd::Exhausted => "view limit reached",
    }
}

pub struct SharesService<S> {
    shared: Arc<Shared<S>>,
}

impl<S: Store> SharesService<S> {
    pub fn new(shared: Arc<Shared<S>>) -> Self {
        Self { shared }
    }
}

/// Whether `token` is the share's access token. A share made before tokens
/// needs none; one made with a token opens with nothing else.
pub fn check_access(row: &ShareRow, token: &[u8]) -> ServerResult<()> {
    let Some(expected) = &row.access_token_hash else {
        return Ok(());
    };
    let given: Hash = Sha256::digest(token).into();
    if token.len() == ACCESS_TOKEN_LEN && bool::from(given.ct_eq(expected)) {
        Ok(())
    } else {
        Err(ServerError::ShareAccessDenied)
    }
}

/// Checks the access token, then counts one view and returns a reader of the
/// ciphertext (on a blocking thread): the one path the HTTP route and
/// FetchShare share. A wrong or missing token counts nothing.
pub async fn open_share<S: Store>(
    shared: &Shared<S>,
    peer: Option<SocketAddr>,
    share_id: Id,
    token: Vec<u8>,
) -> ServerResult<ShareOpen> {
    shared.limits.share_fetch(peer)?;
    let store = shared.store.clone();
    let now = shared.clock.now_unix();
    tokio::task::spawn_blocking(move || -> ServerResult<ShareOpen> {
        let Some(row) = store.share(&share_id)? else {
            return Ok(ShareOpen::Unknown);
        };
        check_access(&row, &token)?;
        Ok(store.open_share(&share_id, now)?)
    })
    .await
    .map_err(|_| ServerError::Internal("share read task failed"))?
}

/// The ciphertext in pieces of at most [`FETCH_CHUNK`], each read on a blocking
/// thread only when the previous one has been taken: a slow reader holds back
/// the disk, not the server's memory.
pub fn bundle_pieces(
    bundle: ShareBundle,
) -> impl Stream<Item = ServerResult<Vec<u8>>> + Send + 'static {
    futures_util::stream::unfold(Some(bundle), |state| async move {
        let mut bundle = state?;
        let read = tokio::task::spawn_blocking(move || {
            let piece = bundle.read_piece(FETCH_CHUNK);
            (bundle, piece)
        })
        .await;
        match read {
            Ok((bundle, Ok(piece))) if !piece.is_empty() => Some((Ok(piece), Some(bundle))),
            Ok((_, Ok(_))) => None,
            Ok((_, Err(e))) => Some((Err(e.into()), None)),
            Err(_) => Some((Err(ServerError::Internal("share read task failed")), None)),
        }
    })
}

/// The policy's share id, time to live, size and access token hash.
fn policy_of<S>(shared: &Shared<S>, policy: &SharePolicy) -> ServerResult<(Id, u64, u64, Hash)> {
    let share_id = validate::id("share_id", &policy.share_id)?;
    let max_ttl = shared.share_ttl_max.as_secs();
    if policy.ttl_seconds == 0 || policy.ttl_seconds > max_ttl {
        return Err(ServerError::InvalidArgument(format!(
            "a share must expire within 1 second and {} days",
            max_ttl / 86_400
        )));
    }
    if policy.size > shared.share_max_bytes {
        return Err(ServerError::ShareTooLarge {
            max: shared.share_max_bytes,
            got: policy.size,
        });
    }
    if policy.access_token_hash.is_empty() {
        return Err(ServerError::InvalidArgument(
            "access_token_hash is required: the SHA-256 of the link's access token (update MyCase)"
                .into(),
        ));
    }
    let token_hash = validate::hash("access_token_hash", &policy.access_token_hash)?;
    Ok((share_id, policy.ttl_seconds, policy.size, token_hash))
}

/// Refuses a share that would take the account over its storage quota: its
/// records and chunks, plus the ciphertext of its shares still active, plus
/// `adding`.
fn check_share_quota<S: Store>(
    shared: &Shared<S>,
    account_id: &Id,
    adding: u64,
) -> ServerResult<()> {
    let now = shared.clock.now_unix();
    let shares: u64 = shared
        .store
        .account_shares(account_id)?
        .iter()
        .filter(|(_, row)| row.state(now) == ShareState::Active)
        .map(|(_, row)| row.size)
        .fold(0, u64::saturating_add);
    let used = shared
        .store
        .account_usage(account_id)?
        .saturating_add(shares);
    shared.limits.storage(used, adding)
}

/// Writes one received piece on a blocking thread; hands the upload back.
async fn write_piece(mut upload: ShareUpload, piece: Vec<u8>) -> ServerResult<ShareUpload> {
    tokio::task::spawn_blocking(move || upload.write(&piece).map(|()| upload))
        .await
        .map_err(|_| ServerError::Internal("share write task failed"))?
        .map_err(ServerError::from)
}

fn state_code(row: &ShareRow, now: u64) -> i32 {
    use mycase_proto::v1::ShareState as Proto;
    let state = match row.state(now) {
        ShareState::Active => Proto::Active,
        ShareState::Ended(ShareEnd::Expired) => Proto::Expired,
        ShareState::Ended(ShareEnd::Revoked) => Proto::Revoked,
        ShareState::Ended(ShareEnd::Exhausted) => Proto::Exhausted,
    };
    state as i32
}

#[tonic::async_trait]
impl<S: Store> Shares for SharesService<S> {
    async fn create_share(
        &self,
        request: Request<Streaming<CreateShareRequest>>,
    ) -> Result<Response<CreateShareResponse>, Status> {
        let session = self.shared.auth.session(request.metadata())?;
        self.shared
            .limits
            .share(request.remote_addr(), &session.account_id)?;
        let mut stream = request.into_inner();
        let first = stream
            .next()
            .await
            .ok_or_else(|| ServerError::InvalidArgument("no share policy was sent".into()))??;
        let Some(Part::Policy(policy)) = first.part else {
            return Err(ServerError::InvalidArgument(
                "the first message must be the share policy".into(),
            )
            .into());
        };
        let (share_id, ttl, size, access_token_hash) = policy_of(&self.shared, &policy)?;
        // Refused before a byte is received; checked again before it is stored.
        check_share_quota(&self.shared, &session.account_id, size)?;
        let max_views = policy.max_views;
        let store = self.shared.store.clone();
        let mut upload = tokio::task::spawn_blocking(move || store.begin_share())
            .await
            .map_err(|_| ServerError::Internal("share write task failed"))?
            .map_err(ServerError::from)?;
        while let Some(msg) = stream.next().await {
            if *self.shared.shutdown.borrow() {
                return Err(ServerError::ShuttingDown.into());
            }
            let Some(Part::Chunk(chunk)) = msg?.part else {
                return Err(ServerError::InvalidArgument(
                    "only bundle chunks may follow the policy".into(),
                )
                .into());
            };
            if upload.len().saturating_add(chunk.len() as u64) > size {
                return Err(ServerError::InvalidArgument(
                    "more bytes were sent than the policy's size".into(),
                )
                .into());
            }
            upload = write_piece(upload, chunk).await?;
        }
        if upload.len() != size {
            return Err(ServerError::InvalidArgument(format!(
                "the bundle ended after {} of {size} bytes",
                upload.len()
            ))
            .into());
        }
        let now = self.shared.clock.now_unix();
        let row = ShareRow {
            account_id: session.account_id,
            created_at_unix: now,
            expires_at_unix: now.saturating_add(ttl),
            max_views,
            views: 0,
            opened_at_unix: Vec::new(),
            size,
            ended: None,
            access_token_hash: Some(access_token_hash),
        };
        let expires_at_unix = row.expires_at_unix;
        {
            // Under the account's write lock, like every other write that counts
            // against the quota, so concurrent uploads cannot overshoot it.
            let _serialized = self.shared.append_lock(&session.account_id).lock().await;
            check_share_quota(&self.shared, &session.account_id, size)?;
            let store = self.shared.store.clone();
            tokio::task::spawn_blocking(move || store.put_share(&share_id, &row, upload))
                .await
                .map_err(|_| ServerError::Internal("share write task failed"))?
                .map_err(ServerError::from)?;
        }
        Ok(Response::new(CreateShareResponse { expires_at_unix }))
    }

    async fn list_shares(
        &self,
        request: Request<ListSharesRequest>,
    ) -> Result<Response<ListSharesResponse>, Status> {
        let session = self.shared.auth.session(request.metadata())?;
        let rows = self
            .shared
            .store
            .account_shares(&session.account_id)
            .map_err(ServerError::from)?;
        let now = self.shared.clock.now_unix();
        let shares = rows
            .into_iter()
            .map(|(id, row)| ShareInfo {
                share_id: id.to_vec(),
                created_at_unix: row.created_at_unix,
                expires_at_unix: row.expires_at_unix,
                max_views: row.max_views,
                views: row.views,
                state: state_code(&row, now),
                size: row.size,
                opened_at_unix: row.opened_at_unix,
            })
            .collect();
        Ok(Response::new(ListSharesResponse { shares }))
    }

    async fn revoke_share(
        &self,
        request: Request<RevokeShareRequest>,
    ) -> Result<Response<RevokeShareResponse>, Status> {
        let session = self.shared.auth.session(request.metadata())?;
        let share_id = validate::id("share_id", &request.into_inner().share_id)?;
        let store = self.shared.store.clone();
        let revoked =
            tokio::task::spawn_blocking(move || store.revoke_share(&session.account_id, &share_id))
                .await
                .map_err(|_| ServerError::Internal("share revoke task failed"))?
                .map_err(ServerError::from)?;
        if !revoked {
            return Err(ServerError::NotFound("this account has no share with that id").into());
        }
        Ok(Response::new(RevokeShareResponse {}))
    }

    type FetchShareStream = BoxStream<FetchShareResponse>;

    async fn fetch_share(
        &self,
        request: Request<FetchShareRequest>,
    ) -> Result<Response<Self::FetchShareStream>, Status> {
        let peer = request.remote_addr();
        let r = request.into_inner();
        let share_id = validate::id("share_id", &r.share_id)?;
        let bundle = match open_share(&self.shared, peer, share_id, r.access_token).await? {
            ShareOpen::Opened(bundle) => bundle,
            ShareOpen::Ended(end) => return Err(ServerError::ShareEnded(end_reason(end)).into()),
            ShareOpen::Unknown => return Err(ServerError::ShareUnknown.into()),
        };
        let pieces = bundle_pieces(bundle).map(|piece| {
            piece
                .map(|chunk| FetchShareResponse { chunk })
                .map_err(Status::from)
        });
        Ok(Response::new(Box::pin(pieces)))
    }
}
