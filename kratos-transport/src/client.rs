//! The transport-neutral client a generated `<Trait>Client` wraps.

use std::time::Duration;

use kratos_core::{Error, Method};

use crate::deadline::DEFAULT_CLIENT_TIMEOUT;
use crate::grpc::GrpcClient;
use crate::http::HttpClient;

/// A client of one remote server over HTTP or gRPC; both return the same replies and errors.
#[derive(Clone, Debug)]
pub enum Client {
    /// Calls the methods' HTTP routes.
    Http(Box<HttpClient>),
    /// Calls the methods over gRPC.
    Grpc(GrpcClient),
}

impl Client {
    /// An HTTP client of `url` (`http://127.0.0.1:8000`), timeout 2s.
    pub fn http(url: &str) -> Result<Self, Error> {
        HttpClient::new(url, DEFAULT_CLIENT_TIMEOUT).map(|c| Client::Http(Box::new(c)))
    }

    /// A gRPC client of `url` (`http://127.0.0.1:9000`), timeout 2s; connects on first call.
    pub fn grpc(url: &str) -> Result<Self, Error> {
        GrpcClient::new(url, DEFAULT_CLIENT_TIMEOUT).map(Client::Grpc)
    }

    /// Sets the per-call timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        match &mut self {
            Client::Http(c) => c.set_timeout(timeout),
            Client::Grpc(c) => c.set_timeout(timeout),
        }
        self
    }

    /// Calls method `M`.
    pub async fn unary<M: Method>(&self, request: M::Request) -> Result<M::Reply, Error> {
        match self {
            Client::Http(c) => c.unary::<M>(request).await,
            Client::Grpc(c) => c.unary::<M>(request).await,
        }
    }
}
