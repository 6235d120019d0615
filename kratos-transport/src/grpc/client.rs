//! The gRPC client behind generated clients: one lazily connected channel, one
//! unary call per method, errors rebuilt from the status and its `ErrorInfo`.

use std::time::Duration;

use http::uri::PathAndQuery;
use kratos_core::{Error, Method};
use tonic::transport::{Channel, Endpoint};

use super::status::error_from_status;
use crate::deadline::client_timeout;

/// Calls the methods of a gRPC server (kratos, Go kratos, or any other).
#[derive(Clone, Debug)]
pub struct GrpcClient {
    channel: Channel,
    timeout: Duration,
}

impl GrpcClient {
    /// A client of `url` (`http://127.0.0.1:9000` or `grpc://127.0.0.1:9000`); it connects on first use.
    pub fn new(url: &str, timeout: Duration) -> Result<Self, Error> {
        let target = match url.strip_prefix("grpc://") {
            Some(rest) => format!("http://{rest}"),
            None => url.to_owned(),
        };
        let endpoint = Endpoint::from_shared(target)
            .map_err(|e| Error::bad_request("", format!("invalid gRPC client URL {url:?}: {e}")))?
            .tcp_nodelay(true);
        Ok(Self {
            channel: endpoint.connect_lazy(),
            timeout,
        })
    }

    /// Sets the per-call timeout.
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// Calls method `M`.
    pub async fn unary<M: Method>(&self, request: M::Request) -> Result<M::Reply, Error> {
        let mut grpc = tonic::client::Grpc::new(self.channel.clone());
        let mut request = tonic::Request::new(request);
        request.set_timeout(self.timeout);
        let started = std::time::Instant::now();
        let call = async {
            grpc.ready().await.map_err(|e| {
                Error::service_unavailable("", format!("gRPC channel not ready: {e}"))
            })?;
            let codec = tonic_prost::ProstCodec::<M::Request, M::Reply>::default();
            grpc.unary(
                request,
                PathAndQuery::from_static(M::DESCRIPTOR.operation),
                codec,
            )
            .await
            .map(tonic::Response::into_inner)
            .map_err(|status| {
                // tonic enforces the grpc-timeout header on the client side too and
                // reports it as CANCELLED; it is our deadline, so say so.
                if status.code() == tonic::Code::Cancelled && started.elapsed() >= self.timeout {
                    client_timeout(M::DESCRIPTOR.operation, self.timeout)
                } else {
                    error_from_status(&status)
                }
            })
        };
        tokio::time::timeout(self.timeout, call)
            .await
            .map_err(|_| client_timeout(M::DESCRIPTOR.operation, self.timeout))?
    }
}
