//! The Shares RPCs on [`GrpcTransport`]. Kept off the [`crate::transport::Transport`] trait:
//! sync never needs them, and `mycase share open` uses them without a device.

use futures_util::StreamExt;
use mycase_proto::v1::create_share_request::Part;
use mycase_proto::v1::{
    CreateShareRequest, FetchShareRequest, ListSharesRequest, RevokeShareRequest, ShareInfo,
    SharePolicy,
};

use super::GrpcTransport;
use crate::transport::{Refusal, TransportError, TransportResult};

/// Bytes per upload message (well under the 4 MiB message limit).
const UPLOAD_CHUNK: usize = 1024 * 1024;

impl GrpcTransport {
    /// Uploads a bundle with its policy (authenticated); returns when it expires
    /// (Unix seconds, by the server's clock). `access_token_hash` is SHA-256 of
    /// the link's access token (`share::AccessToken::hash`).
    pub async fn create_share(
        &self,
        share_id: [u8; 16],
        ttl_seconds: u64,
        max_views: u32,
        bundle: Vec<u8>,
        access_token_hash: [u8; 32],
    ) -> TransportResult<u64> {
        let policy = CreateShareRequest {
            part: Some(Part::Policy(SharePolicy {
                share_id: share_id.to_vec(),
                ttl_seconds,
                max_views,
                size: bundle.len() as u64,
                access_token_hash: access_token_hash.to_vec(),
            })),
        };
        let chunks: Vec<CreateShareRequest> = bundle
            .chunks(UPLOAD_CHUNK)
            .map(|c| CreateShareRequest {
                part: Some(Part::Chunk(c.to_vec())),
            })
            .collect();
        let stream = futures_util::stream::iter(std::iter::once(policy).chain(chunks));
        let mut client = self.shares.clone();
        let response = client.create_share(self.request(stream)).await?;
        Ok(response.into_inner().expires_at_unix)
    }

    /// The account's shares as the server sees them (authenticated).
    pub async fn list_shares(&self) -> TransportResult<Vec<ShareInfo>> {
        let mut client = self.shares.clone();
        Ok(client
            .list_shares(self.request(ListSharesRequest {}))
            .await?
            .into_inner()
            .shares)
    }

    /// Ends a share on the server (authenticated).
    pub async fn revoke_share(&self, share_id: [u8; 16]) -> TransportResult<()> {
        let mut client = self.shares.clone();
        client
            .revoke_share(self.request(RevokeShareRequest {
                share_id: share_id.to_vec(),
            }))
            .await?;
        Ok(())
    }

    /// Fetches a bundle (no session needed) with the link's access token;
    /// counts one view on the server. At most `max_bytes` are accepted.
    pub async fn fetch_share(
        &self,
        share_id: [u8; 16],
        access_token: &[u8; 32],
        max_bytes: usize,
    ) -> TransportResult<Vec<u8>> {
        let mut client = self.shares.clone();
        let mut stream = client
            .fetch_share(FetchShareRequest {
                share_id: share_id.to_vec(),
                access_token: access_token.to_vec(),
            })
            .await
            .map_err(fetch_refusal)?
            .into_inner();
        let mut bundle = Vec::new();
        while let Some(item) = stream.next().await {
            let chunk = item.map_err(fetch_refusal)?.chunk;
            if bundle.len() + chunk.len() > max_bytes {
                return Err(TransportError::Refused {
                    refusal: Refusal::ResourceExhausted,
                    message: "the server sent a share larger than any MyCase share".into(),
                });
            }
            bundle.extend_from_slice(&chunk);
        }
        Ok(bundle)
    }
}

/// A fetch's refusal: an ended (or unknown) share is `Refusal::ShareEnded` with
/// the server's reason; anything else as for every call.
fn fetch_refusal(s: tonic::Status) -> TransportError {
    const ENDED: &str = "share ended: ";
    let ended = matches!(
        s.code(),
        tonic::Code::NotFound | tonic::Code::FailedPrecondition
    );
    match s.message().strip_prefix(ENDED) {
        Some(reason) if ended => TransportError::Refused {
            refusal: Refusal::ShareEnded {
                reason: reason.to_string(),
            },
            message: s.message().to_string(),
        },
        _ => TransportError::from(s),
    }
}
