//! The ServerInfo service: what anyone may ask the server about itself.

use std::sync::Arc;

use mycase_proto::v1::server_info_server::ServerInfo;
use mycase_proto::v1::{GetServerKeyRequest, GetServerKeyResponse};
use tonic::{Request, Response, Status};

use crate::keys::server_key::ServerKey;

pub struct ServerInfoService {
    server_key: Arc<ServerKey>,
}

impl ServerInfoService {
    pub fn new(server_key: Arc<ServerKey>) -> Self {
        Self { server_key }
    }
}

#[tonic::async_trait]
impl ServerInfo for ServerInfoService {
    /// Unauthenticated: the receipt key is public, for clients and third parties.
    async fn get_server_key(
        &self,
        _request: Request<GetServerKeyRequest>,
    ) -> Result<Response<GetServerKeyResponse>, Status> {
        Ok(Response::new(GetServerKeyResponse {
            public_key: self.server_key.public_key().to_vec(),
        }))
    }
}
