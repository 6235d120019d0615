//! The generic unary call behind every method of a generated gRPC service.

use std::convert::Infallible;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use kratos_core::{Context, Handler, Kind, Method};
use tonic::body::Body;
use tonic::metadata::MetadataMap;
use tonic::server::{NamedService, UnaryService};

use super::codec::{ProtoCodec, refuse_content_type};
use super::status::status_from_error;
use crate::invoke::{ServiceChain, effective_timeout, invoke};

pub(crate) type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// The HTTP/2 request a gRPC service receives.
pub type Request = http::Request<Body>;
/// The HTTP/2 response a gRPC service answers with.
pub type Response = http::Response<Body>;
/// The future of a generated gRPC service's `call`.
pub type ResponseFuture = BoxFuture<Result<Response, Infallible>>;

/// A tonic-compatible tower service with its gRPC name: what
/// [`GrpcServer::add_service`](super::GrpcServer::add_service) serves as is.
pub trait GrpcService:
    tower::Service<
        http::Request<Body>,
        Response = http::Response<Body>,
        Error = Infallible,
        Future: Send + 'static,
    > + NamedService
    + Clone
    + Send
    + Sync
    + 'static
{
}

impl<T> GrpcService for T where
    T: tower::Service<
            http::Request<Body>,
            Response = http::Response<Body>,
            Error = Infallible,
            Future: Send + 'static,
        > + NamedService
        + Clone
        + Send
        + Sync
        + 'static
{
}

struct Call<M, S> {
    service: Arc<S>,
    chain: ServiceChain,
    method: PhantomData<fn() -> M>,
}

impl<M, S> UnaryService<M::Request> for Call<M, S>
where
    M: Handler<S>,
    S: Send + Sync + 'static,
{
    type Response = M::Reply;
    type Future = BoxFuture<Result<tonic::Response<M::Reply>, tonic::Status>>;

    fn call(&mut self, request: tonic::Request<M::Request>) -> Self::Future {
        let service = self.service.clone();
        let chain = self.chain.clone();
        Box::pin(async move {
            let (metadata, _, message) = request.into_parts();
            let headers = metadata.into_headers();
            // The caller's grpc-timeout shortens the server timeout, never lengthens it.
            let timeout = effective_timeout(chain.server.timeout, requested_timeout(&headers));
            let mut ctx = Context::new(Kind::Grpc, M::DESCRIPTOR.operation, headers)
                .with_endpoint(chain.server.endpoint.clone())
                .with_peer(crate::serve::peer())
                .with_deadline(Some(Instant::now() + timeout));
            let result = invoke::<M, S>(
                &service,
                &chain.server,
                &chain.chain,
                &mut ctx,
                message,
                timeout,
            )
            .await;
            let reply_metadata = MetadataMap::from_headers(ctx.take_reply_headers());
            match result {
                Ok(reply) => {
                    let mut response = tonic::Response::new(reply);
                    *response.metadata_mut() = reply_metadata;
                    Ok(response)
                }
                Err(error) => {
                    let mut status = status_from_error(&error);
                    status
                        .metadata_mut()
                        .as_mut()
                        .extend(reply_metadata.into_headers());
                    Err(status)
                }
            }
        })
    }
}

/// Serves one unary call of method `M` on `service` through `chain`: the gRPC side
/// of a unary [`MethodEntry`](crate::table::MethodEntry).
pub fn unary<M, S>(service: Arc<S>, chain: ServiceChain, request: Request) -> ResponseFuture
where
    M: Handler<S>,
    S: Send + Sync + 'static,
{
    Box::pin(async move {
        if let Some(refusal) = refuse_content_type(request.headers()) {
            return Ok(refusal);
        }
        let call = Call::<M, S> {
            service,
            chain,
            method: PhantomData,
        };
        let codec = ProtoCodec::<<M as Method>::Reply, <M as Method>::Request>::unary();
        Ok(tonic::server::Grpc::new(codec).unary(call, request).await)
    })
}

/// The answer to a method the service does not have: status UNIMPLEMENTED.
pub(crate) fn unimplemented() -> ResponseFuture {
    Box::pin(async { Ok(tonic::Status::unimplemented("unknown method").into_http()) })
}

/// The `grpc-timeout` header, as a name: the lookup on every call neither parses nor hashes text.
static GRPC_TIMEOUT: http::HeaderName = http::HeaderName::from_static("grpc-timeout");

/// The caller's `grpc-timeout`, if it sent one that parses.
pub(super) fn requested_timeout(headers: &http::HeaderMap) -> Option<Duration> {
    headers
        .get(&GRPC_TIMEOUT)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_grpc_timeout)
}

/// Parses a `grpc-timeout` header value (`100m`, `5S`, ...), as the gRPC spec defines it.
fn parse_grpc_timeout(value: &str) -> Option<Duration> {
    if value.len() < 2 || value.len() > 9 {
        return None;
    }
    let (digits, unit) = value.split_at(value.len() - 1);
    let amount: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(amount.checked_mul(3600)?),
        "M" => Duration::from_secs(amount.checked_mul(60)?),
        "S" => Duration::from_secs(amount),
        "m" => Duration::from_millis(amount),
        "u" => Duration::from_micros(amount),
        "n" => Duration::from_nanos(amount),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_timeout_header_parses() {
        assert_eq!(parse_grpc_timeout("100m"), Some(Duration::from_millis(100)));
        assert_eq!(parse_grpc_timeout("2S"), Some(Duration::from_secs(2)));
        assert_eq!(parse_grpc_timeout("1H"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_grpc_timeout("5x"), None);
        assert_eq!(parse_grpc_timeout("m"), None);
    }
}
