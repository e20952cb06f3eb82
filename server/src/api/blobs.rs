//! The Blobs service: sealed attachment chunks under client-derived keyed
//! addresses, per account. The server sees only addresses and ciphertext sizes.

use std::pin::Pin;
use std::sync::Arc;

use futures_util::{Stream, StreamExt};
use mycase_proto::v1::blobs_server::Blobs;
use mycase_proto::v1::{
    GetChunkResponse, GetChunksRequest, HaveChunksRequest, HaveChunksResponse, PutChunkRequest,
    PutChunksResponse,
};
use tonic::{Request, Response, Status, Streaming};

use super::Shared;
use crate::api::validate;
use crate::error::{ServerError, ServerResult};
use crate::store::{Hash, Id, Store};

/// Plaintext bytes per chunk (the client's chunk size).
pub const CHUNK_SIZE: usize = 1024 * 1024;
/// A sealed chunk: at most one chunk of plaintext plus the 16-byte tag.
pub const MAX_SEALED_CHUNK: usize = CHUNK_SIZE + 16;
/// The smallest sealed chunk: an empty plaintext still carries its tag.
pub const MIN_SEALED_CHUNK: usize = 16;
/// Addresses per HaveChunks or GetChunks call.
pub const MAX_ADDRESSES: usize = 4096;

type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

pub struct BlobsService<S> {
    shared: Arc<Shared<S>>,
}

impl<S: Store> BlobsService<S> {
    pub fn new(shared: Arc<Shared<S>>) -> Self {
        Self { shared }
    }
}

fn addresses(list: &[Vec<u8>]) -> ServerResult<Vec<Hash>> {
    if list.len() > MAX_ADDRESSES {
        return Err(ServerError::InvalidArgument(format!(
            "too many addresses in one call: {}, at most {MAX_ADDRESSES}",
            list.len()
        )));
    }
    list.iter()
        .map(|a| validate::hash("chunk address", a))
        .collect()
}

/// Stores one chunk durably (on a blocking thread). `true` when it was new.
async fn put_durably<S: Store>(
    store: Arc<S>,
    account_id: Id,
    address: Hash,
    sealed: Vec<u8>,
) -> ServerResult<bool> {
    tokio::task::spawn_blocking(move || -> ServerResult<bool> {
        let new = store.put_chunk(&account_id, &address, &sealed)?;
        if new {
            store.flush()?;
        }
        Ok(new)
    })
    .await
    .map_err(|_| ServerError::Internal("chunk write task failed"))?
}

#[tonic::async_trait]
impl<S: Store> Blobs for BlobsService<S> {
    async fn have_chunks(
        &self,
        request: Request<HaveChunksRequest>,
    ) -> Result<Response<HaveChunksResponse>, Status> {
        let session = self.shared.auth.session(request.metadata())?;
        let addrs = addresses(&request.into_inner().addresses)?;
        let store = self.shared.store.clone();
        let present = tokio::task::spawn_blocking(move || -> ServerResult<Vec<bool>> {
            addrs
                .iter()
                .map(|a| Ok(store.has_chunk(&session.account_id, a)?))
                .collect()
        })
        .await
        .map_err(|_| ServerError::Internal("chunk lookup task failed"))??;
        Ok(Response::new(HaveChunksResponse { present }))
    }

    async fn put_chunks(
        &self,
        request: Request<Streaming<PutChunkRequest>>,
    ) -> Result<Response<PutChunksResponse>, Status> {
        let session = self.shared.auth.session(request.metadata())?;
        let peer = request.remote_addr();
        let mut stream = request.into_inner();
        let mut stored = 0u64;
        let mut upload_bytes = 0u64;
        while let Some(msg) = stream.next().await {
            let msg = msg?;
            if *self.shared.shutdown.borrow() {
                return Err(ServerError::ShuttingDown.into());
            }
            let address = validate::hash("chunk address", &msg.address)?;
            validate::at_most("sealed chunk", &msg.sealed, MAX_SEALED_CHUNK)?;
            if msg.sealed.len() < MIN_SEALED_CHUNK {
                return Err(ServerError::InvalidArgument(format!(
                    "sealed chunk is too short: {} bytes, at least {MIN_SEALED_CHUNK}",
                    msg.sealed.len()
                ))
                .into());
            }
            upload_bytes = upload_bytes.saturating_add(msg.sealed.len() as u64);
            self.shared.limits.upload_size(upload_bytes)?;
            self.shared.limits.upload(peer, &session.account_id)?;
            // The quota check and the write happen under the account's write
            // lock, so concurrent uploads cannot together overshoot it.
            let _serialized = self.shared.append_lock(&session.account_id).lock().await;
            let used = self
                .shared
                .store
                .account_usage(&session.account_id)
                .map_err(ServerError::from)?;
            let already = self
                .shared
                .store
                .has_chunk(&session.account_id, &address)
                .map_err(ServerError::from)?;
            if !already {
                self.shared.limits.storage(used, msg.sealed.len() as u64)?;
            }
            // Durable before it is counted: an interrupted upload resumes from
            // whatever HaveChunks reports.
            if put_durably(
                self.shared.store.clone(),
                session.account_id,
                address,
                msg.sealed,
            )
            .await?
            {
                stored += 1;
            }
        }
        Ok(Response::new(PutChunksResponse { stored }))
    }

    type GetChunksStream = BoxStream<GetChunkResponse>;

    async fn get_chunks(
        &self,
        request: Request<GetChunksRequest>,
    ) -> Result<Response<Self::GetChunksStream>, Status> {
        let session = self.shared.auth.session(request.metadata())?;
        let addrs = addresses(&request.into_inner().addresses)?;
        let store = self.shared.store.clone();
        let account_id = session.account_id;
        // One chunk read per item, so memory stays at one chunk whatever the file.
        let stream = futures_util::stream::iter(addrs).then(move |address| {
            let store = store.clone();
            async move {
                let found = tokio::task::spawn_blocking(move || store.chunk(&account_id, &address))
                    .await
                    .map_err(|_| ServerError::Internal("chunk read task failed"))?
                    .map_err(ServerError::from)?;
                match found {
                    Some(sealed) => Ok(GetChunkResponse {
                        address: address.to_vec(),
                        sealed,
                    }),
                    None => Err(Status::from(ServerError::NotFound(
                        "a requested chunk is not stored",
                    ))),
                }
            }
        });
        // Stop after the first error rather than sending later chunks.
        let stream = stream.scan(false, |failed, item| {
            let out = if *failed {
                None
            } else {
                *failed = item.is_err();
                Some(item)
            };
            futures_util::future::ready(out)
        });
        Ok(Response::new(Box::pin(stream)))
    }
}
