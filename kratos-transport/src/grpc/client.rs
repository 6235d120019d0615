//! The gRPC client behind generated clients: one lazily connected channel, one
//! unary call per method, errors rebuilt from the status and its `ErrorInfo`.

use std::sync::Arc;
use std::time::Duration;

use http::uri::PathAndQuery;
use kratos_core::{Context, Error, Method};
use tonic::transport::{Channel, Endpoint};

use super::status::error_from_status;
use crate::deadline::client_timeout;
use crate::error::ClientError;
use crate::unreachable::{NodeUnreachable, never_sent};

/// Calls the methods of a gRPC server (kratos, Go kratos, or any other).
#[derive(Clone, Debug)]
pub struct GrpcClient {
    channel: Channel,
    /// The server's URL, named when it cannot be reached.
    target: Arc<str>,
}

impl GrpcClient {
    /// A client of `url` (`http://127.0.0.1:9000` or `grpc://127.0.0.1:9000`); it connects on first use.
    pub fn new(url: &str) -> Result<Self, ClientError> {
        let target = match url.strip_prefix("grpc://") {
            Some(rest) => format!("http://{rest}"),
            None => url.to_owned(),
        };
        let endpoint = Endpoint::from_shared(target)
            .map_err(|e| ClientError::InvalidUrl {
                transport: "gRPC",
                url: url.to_owned(),
                detail: e.to_string(),
            })?
            .tcp_nodelay(true);
        Ok(Self {
            channel: endpoint.connect_lazy(),
            target: Arc::from(url),
        })
    }

    /// Calls method `M` with the headers of `ctx` as metadata and `timeout` as
    /// `grpc-timeout`; the reply's metadata lands in `ctx`.
    pub async fn send<M: Method>(
        &self,
        ctx: &mut Context,
        request: M::Request,
        timeout: Duration,
    ) -> Result<M::Reply, Error> {
        let mut grpc = tonic::client::Grpc::new(self.channel.clone());
        let mut request = tonic::Request::new(request);
        request.set_timeout(timeout);
        if !ctx.request_headers().is_empty() {
            let metadata = request.metadata_mut().as_mut();
            for (name, value) in ctx.request_headers() {
                metadata.append(name, value.clone());
            }
        }
        let started = std::time::Instant::now();
        let call = async {
            grpc.ready()
                .await
                .map_err(|e| NodeUnreachable::error(M::DESCRIPTOR.operation, &*self.target, e))?;
            let codec = tonic_prost::ProstCodec::<M::Request, M::Reply>::default();
            Ok::<_, Error>(
                grpc.unary(
                    request,
                    PathAndQuery::from_static(M::DESCRIPTOR.operation),
                    codec,
                )
                .await,
            )
        };
        let result = tokio::time::timeout(timeout, call)
            .await
            .map_err(|_| client_timeout(M::DESCRIPTOR.operation, timeout))??;
        match result {
            Ok(response) => {
                let (metadata, reply, _) = response.into_parts();
                keep_reply_headers(ctx, metadata.into_headers());
                Ok(reply)
            }
            // tonic enforces the grpc-timeout header on the client side too and
            // reports it as CANCELLED; it is our deadline, so say so.
            Err(status)
                if status.code() == tonic::Code::Cancelled && started.elapsed() >= timeout =>
            {
                Err(client_timeout(M::DESCRIPTOR.operation, timeout))
            }
            // A status with a local source is tonic's own report of a failed
            // connection; one decoded from the wire has none.
            Err(status)
                if status.code() == tonic::Code::Unavailable
                    && std::error::Error::source(&status).is_some_and(never_sent) =>
            {
                Err(NodeUnreachable::error(
                    M::DESCRIPTOR.operation,
                    &*self.target,
                    status,
                ))
            }
            Err(status) => {
                keep_reply_headers(ctx, status.metadata().clone().into_headers());
                Err(error_from_status(&status))
            }
        }
    }
}

impl GrpcClient {
    /// The channel, for a call.
    pub(crate) fn channel(&self) -> Channel {
        self.channel.clone()
    }

    /// The URL this client calls.
    pub(crate) fn target(&self) -> &str {
        &self.target
    }

    /// The kratos error of a failed call: a connection that never carried it is
    /// [`NodeUnreachable`] (a balanced client retries another node), anything else
    /// the server's status.
    pub(crate) fn status_error(&self, operation: &str, status: tonic::Status) -> Error {
        if status.code() == tonic::Code::Unavailable
            && std::error::Error::source(&status).is_some_and(never_sent)
        {
            return NodeUnreachable::error(operation, &*self.target, status);
        }
        error_from_status(&status)
    }
}

/// Copies reply metadata into the call's context, for client middlewares.
pub(super) fn keep_reply_headers(ctx: &Context, headers: http::HeaderMap) {
    for (name, value) in &headers {
        if let Ok(text) = value.to_str() {
            let _ = ctx.set_reply_header(name.as_str(), text);
        }
    }
}
