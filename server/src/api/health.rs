//! The standard health service, tonic-health's, behind a server generated with
//! the codec every other service uses (`mycase_proto::codec`), so a malformed
//! health check answers INVALID_ARGUMENT too.

use mycase_proto::health::health_server;
use tonic::{Request, Response, Status};
use tonic_health::pb::health_server::Health as _;
use tonic_health::pb::{HealthCheckRequest, HealthCheckResponse};
use tonic_health::server::{HealthReporter, HealthService, WatchStream};

/// tonic-health's service, serving the statuses its reporter sets.
pub struct Health(HealthService);

impl Health {
    pub fn server(reporter: HealthReporter) -> health_server::HealthServer<Self> {
        health_server::HealthServer::new(Self(HealthService::from_health_reporter(reporter)))
    }
}

#[tonic::async_trait]
impl health_server::Health for Health {
    async fn check(
        &self,
        request: Request<HealthCheckRequest>,
    ) -> Result<Response<HealthCheckResponse>, Status> {
        self.0.check(request).await
    }

    type WatchStream = WatchStream;

    async fn watch(
        &self,
        request: Request<HealthCheckRequest>,
    ) -> Result<Response<WatchStream>, Status> {
        self.0.watch(request).await
    }
}
