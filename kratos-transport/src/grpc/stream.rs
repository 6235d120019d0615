//! Streaming methods over gRPC, all three shapes on tonic's bidi path (on the wire
//! they differ only in how many messages each side sends): the server side of a
//! streaming [`MethodEntry`](crate::table::MethodEntry), and the client's call.
//!
//! An error the handler's stream ends with is the call's status (with its
//! `ErrorInfo`), sent in the trailers after the messages already written.

use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use futures_core::Stream;
use http::uri::PathAndQuery;
use kratos_core::stream::{StreamHandler, Streaming};
use kratos_core::{Context, Error, Kind, Method};
use tonic::server::StreamingService;

use super::adapter::{BoxFuture, Request, ResponseFuture, requested_timeout};
use super::codec::{ProtoCodec, refuse_content_type};
use super::status::{error_from_status, status_from_error};
use crate::invoke::ServiceChain;
use crate::invoke::effective_timeout;
use crate::stream::{Input, Replies, open};
use crate::unreachable::NodeUnreachable;

/// Serves one call of streaming method `M` on `service` through `chain`: the gRPC
/// side of a streaming [`MethodEntry`](crate::table::MethodEntry).
pub fn streaming<M, S>(service: Arc<S>, chain: ServiceChain, request: Request) -> ResponseFuture
where
    M: StreamHandler<S>,
    S: Send + Sync + 'static,
{
    Box::pin(async move {
        if let Some(refusal) = refuse_content_type(request.headers()) {
            return Ok(refusal);
        }
        let call = StreamCall::<M, S> {
            service,
            chain,
            method: PhantomData,
        };
        let codec = ProtoCodec::<M::Reply, M::Request>::streaming();
        Ok(tonic::server::Grpc::new(codec)
            .streaming(call, request)
            .await)
    })
}

struct StreamCall<M, S> {
    service: Arc<S>,
    chain: ServiceChain,
    method: PhantomData<fn() -> M>,
}

impl<M, S> StreamingService<M::Request> for StreamCall<M, S>
where
    M: StreamHandler<S>,
    S: Send + Sync + 'static,
{
    type Response = M::Reply;
    type ResponseStream = StatusStream<M::Reply>;
    type Future = BoxFuture<Result<tonic::Response<Self::ResponseStream>, tonic::Status>>;

    fn call(&mut self, request: tonic::Request<tonic::Streaming<M::Request>>) -> Self::Future {
        let (service, chain) = (self.service.clone(), self.chain.clone());
        Box::pin(async move {
            let (metadata, _, incoming) = request.into_parts();
            let headers = metadata.into_headers();
            // The caller's grpc-timeout shortens the opening, never lengthens it.
            let timeout = effective_timeout(chain.server.timeout, requested_timeout(&headers));
            let ctx = Context::new(Kind::Grpc, M::DESCRIPTOR.operation, headers)
                .with_endpoint(chain.server.endpoint.clone())
                .with_peer(crate::serve::peer());
            let mut requests = Streaming::new(FromStatus(incoming));
            let input = if M::DESCRIPTOR.shape.client_streams() {
                Input::Many(requests)
            } else {
                // The one request of a server-streaming call is part of opening it.
                let first = tokio::time::timeout(timeout, requests.message()).await;
                match first {
                    Ok(Ok(Some(request))) => Input::One(request),
                    Ok(Ok(None)) => {
                        return Err(tonic::Status::internal(
                            "missing request message: a server-streaming call carries one",
                        ));
                    }
                    Ok(Err(error)) => return Err(status_from_error(&error)),
                    Err(_) => {
                        let error = crate::deadline::server_timeout(timeout);
                        return Err(status_from_error(&error));
                    }
                }
            };
            let opened = open::<M, S>(service, chain, ctx, input, timeout)
                .await
                .map_err(|error| status_from_error(&error))?;
            let mut response = tonic::Response::new(StatusStream(opened.replies));
            *response.metadata_mut() = tonic::metadata::MetadataMap::from_headers(opened.headers);
            Ok(response)
        })
    }
}

/// The replies as tonic writes them: an error ends the call with its status.
pub(crate) struct StatusStream<R>(Replies<R>);

impl<R> Stream for StatusStream<R> {
    type Item = Result<R, tonic::Status>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.0)
            .poll_next(cx)
            .map(|next| next.map(|item| item.map_err(|error| status_from_error(&error))))
    }
}

/// A tonic stream of messages as kratos results: a status becomes the kratos error.
struct FromStatus<T>(tonic::Streaming<T>);

impl<T> Stream for FromStatus<T> {
    type Item = Result<T, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.0)
            .poll_next(cx)
            .map(|next| next.map(|item| item.map_err(|status| error_from_status(&status))))
    }
}

/// Our requests as tonic sends them: the first `Err` of the caller's stream ends
/// the request stream (the server sees a half-close) and is not sent.
struct Outgoing<T>(Option<Streaming<T>>);

impl<T> Stream for Outgoing<T> {
    type Item = T;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<T>> {
        let Some(inner) = self.0.as_mut() else {
            return Poll::Ready(None);
        };
        match Pin::new(inner).poll_next(cx) {
            Poll::Ready(Some(Ok(item))) => Poll::Ready(Some(item)),
            Poll::Ready(Some(Err(error))) => {
                tracing::debug!(%error, "the outgoing stream ended with an error; half-closing");
                self.0 = None;
                Poll::Ready(None)
            }
            Poll::Ready(None) => {
                self.0 = None;
                Poll::Ready(None)
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl super::GrpcClient {
    /// Opens a streaming call of method `M` (any shape) with the headers of `ctx`
    /// as metadata; `timeout` bounds the opening (until the reply headers), not the
    /// stream. The reply headers land in `ctx`.
    pub(crate) async fn open_stream<M: Method>(
        &self,
        ctx: &mut Context,
        requests: Streaming<M::Request>,
        timeout: Duration,
    ) -> Result<Streaming<M::Reply>, Error> {
        let mut grpc = tonic::client::Grpc::new(self.channel());
        let mut request = tonic::Request::new(Outgoing(Some(requests)));
        if !ctx.request_headers().is_empty() {
            let metadata = request.metadata_mut().as_mut();
            for (name, value) in ctx.request_headers() {
                metadata.append(name, value.clone());
            }
        }
        let operation = M::DESCRIPTOR.operation;
        let call = async {
            grpc.ready()
                .await
                .map_err(|e| NodeUnreachable::error(operation, self.target(), e))?;
            let codec = tonic_prost::ProstCodec::<M::Request, M::Reply>::default();
            grpc.streaming(request, PathAndQuery::from_static(operation), codec)
                .await
                .map_err(|status| self.status_error(operation, status))
        };
        let response = tokio::time::timeout(timeout, call)
            .await
            .map_err(|_| crate::deadline::client_timeout(operation, timeout))??;
        let (metadata, replies, _) = response.into_parts();
        super::client::keep_reply_headers(ctx, metadata.into_headers());
        Ok(Streaming::new(FromStatus(replies)))
    }
}
