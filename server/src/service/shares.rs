//! The Shares service: sealed share bundles with an expiry and a view limit.
//!
//! The server stores the ciphertext the client sends and serves it to whoever
//! asks with the share id, counting views; it never sees the link's key. Logs
//! carry only counts and sizes, never a share id.

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
use tonic::{Request, Response, Status, Streaming};

use super::Shared;
use crate::error::{ServerError, ServerResult};
use crate::store::{Id, ShareEnd, ShareOpen, ShareRow, ShareState, Store};
use crate::validate;

/// Bytes per FetchShare message (well under the 4 MiB message limit).
pub const FETCH_CHUNK: usize = 1024 * 1024;

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

/// Counts one view and returns the ciphertext (on a blocking thread): the one
/// path the HTTP route and FetchShare share.
pub async fn open_share<S: Store>(shared: &Shared<S>, share_id: Id) -> ServerResult<ShareOpen> {
    let store = shared.store.clone();
    let now = shared.clock.now_unix();
    let opened = tokio::task::spawn_blocking(move || store.open_share(&share_id, now))
        .await
        .map_err(|_| ServerError::Internal("share read task failed"))??;
    if let ShareOpen::Opened(bundle) = &opened {
        tracing::info!(bytes = bundle.len(), "share opened");
    }
    Ok(opened)
}

fn policy_of<S>(shared: &Shared<S>, policy: &SharePolicy) -> ServerResult<(Id, u64, u64)> {
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
    Ok((share_id, policy.ttl_seconds, policy.size))
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
        let (share_id, ttl, size) = policy_of(&self.shared, &policy)?;
        let max_views = policy.max_views;
        let mut bundle = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
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
            if (bundle.len() + chunk.len()) as u64 > size {
                return Err(ServerError::InvalidArgument(
                    "more bytes were sent than the policy's size".into(),
                )
                .into());
            }
            bundle.extend_from_slice(&chunk);
        }
        if bundle.len() as u64 != size {
            return Err(ServerError::InvalidArgument(format!(
                "the bundle ended after {} of {size} bytes",
                bundle.len()
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
        };
        let expires_at_unix = row.expires_at_unix;
        let store = self.shared.store.clone();
        tokio::task::spawn_blocking(move || store.put_share(&share_id, &row, &bundle))
            .await
            .map_err(|_| ServerError::Internal("share write task failed"))?
            .map_err(ServerError::from)?;
        tracing::info!(bytes = size, "share created");
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
        tracing::info!("share revoked");
        Ok(Response::new(RevokeShareResponse {}))
    }

    type FetchShareStream = BoxStream<FetchShareResponse>;

    async fn fetch_share(
        &self,
        request: Request<FetchShareRequest>,
    ) -> Result<Response<Self::FetchShareStream>, Status> {
        let share_id = validate::id("share_id", &request.into_inner().share_id)?;
        let bundle = match open_share(&self.shared, share_id).await? {
            ShareOpen::Opened(bundle) => bundle,
            ShareOpen::Ended(end) => return Err(ServerError::ShareEnded(end_reason(end)).into()),
            ShareOpen::Unknown => return Err(ServerError::ShareUnknown.into()),
        };
        let chunks: Vec<Result<FetchShareResponse, Status>> = bundle
            .chunks(FETCH_CHUNK)
            .map(|c| Ok(FetchShareResponse { chunk: c.to_vec() }))
            .collect();
        Ok(Response::new(Box::pin(futures_util::stream::iter(chunks))))
    }
}
