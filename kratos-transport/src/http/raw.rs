//! Hand-written HTTP routes (a file upload, a webhook) that still go through the
//! server's middlewares, under an operation name of the user's choosing; their
//! request and reply travel the chain as the raw `http::Request` and `Response`.
//!
//! Their bodies are capped at `server.http.max_body` like a generated route's: a
//! declared length over it is answered before the handler runs, and a body that
//! turns out longer is cut off where it crosses the limit; either way the answer is
//! 413 `PAYLOAD_TOO_LARGE` in the kratos error body, whatever the handler or its
//! extractor (`Multipart`, `Bytes`, ...) made of the cut-off body.

use std::any::Any;
use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context as TaskContext, Poll};
use std::time::Instant;

use axum::body::Body;
use axum::extract::Request;
use axum::handler::Handler;
use axum::response::Response;
use bytes::Bytes;
use http::header::{CONTENT_LENGTH, HeaderMap};
use hyper::body::{Body as HttpBody, Frame, SizeHint};
use kratos_core::app::BoxFuture;
use kratos_core::metadata::Incoming;
use kratos_core::middleware::{self, Endpoint, Next, Reply};
use kratos_core::redact::Redacted;
use kratos_core::{Context, Error, HttpRequestLine, Kind};

use super::state::{HttpState, body_too_large, requested_timeout};
use crate::invoke::{effective_timeout, log_failure, run_bounded};

/// The innermost step of a hand-written route: the axum handler.
struct RawEndpoint<'s, H, T> {
    handler: H,
    http: &'s HttpState,
    limit: &'s BodyLimit,
    marker: std::marker::PhantomData<fn() -> T>,
}

impl<H, T> Endpoint for RawEndpoint<'_, H, T>
where
    H: Handler<T, ()> + Sync,
    T: 'static,
{
    fn call<'a>(
        &'a self,
        ctx: &'a mut Context,
        req: middleware::Request,
    ) -> BoxFuture<'a, Result<Reply, Error>> {
        Box::pin(async move {
            let request = req.downcast::<Request>().map_err(|other| {
                Error::internal_server(
                    "MIDDLEWARE",
                    format!("a middleware replaced a raw HTTP request with {other:?}"),
                )
            })?;
            let response = self.handler.clone().call(request, ()).await;
            let response = self
                .limit
                .answer(self.http, ctx.request_headers(), response);
            ctx.set_reply_status(response.status().as_u16());
            Ok(Reply::new(response).with_describe(describe_response))
        })
    }
}

/// A raw request as logs show it: method, URI, version and headers, credentials hidden.
fn describe_request(any: &dyn Any, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    match any.downcast_ref::<Request>() {
        Some(request) => f
            .debug_struct("Request")
            .field("method", request.method())
            .field("uri", request.uri())
            .field("version", &request.version())
            .field("headers", &Redacted(request.headers()))
            .finish_non_exhaustive(),
        None => f.write_str("Request { .. }"),
    }
}

/// A raw response as logs show it: status and headers, credentials (`set-cookie`) hidden.
fn describe_response(any: &dyn Any, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    match any.downcast_ref::<Response>() {
        Some(response) => f
            .debug_struct("Response")
            .field("status", &response.status())
            .field("headers", &Redacted(response.headers()))
            .finish_non_exhaustive(),
        None => f.write_str("Response { .. }"),
    }
}

/// Serves one call of a hand-written route.
pub(crate) async fn handle<H, T>(
    http: Arc<HttpState>,
    operation: &'static str,
    template: &'static str,
    handler: H,
    request: Request,
) -> Response
where
    H: Handler<T, ()> + Sync,
    T: 'static,
{
    if declared_length(request.headers()).is_some_and(|length| length > http.max_body as u64) {
        let error = body_too_large(http.max_body);
        return http
            .encoders
            .error(request.headers(), &error, HeaderMap::new());
    }
    let limit = BodyLimit::new(http.max_body);
    let mut request = limit.wrap(request);
    let peer = crate::serve::peer();
    if let Some(peer) = peer {
        // What axum's `ConnectInfo` extractor reads, for the hand-written handler.
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(peer));
    }
    let server = &http.server;
    let timeout = effective_timeout(server.timeout, requested_timeout(request.headers()));
    let deadline = Instant::now() + timeout;
    let line = HttpRequestLine::new(request.method().clone(), template, request.uri().clone());
    let mut ctx = Context::new(Kind::Http, operation, request.headers().clone())
        .with_endpoint(server.endpoint.clone())
        .with_peer(peer)
        .with_http(line)
        .with_deadline(Some(deadline));
    let incoming = Incoming {
        metadata: None,
        deadline: Some(deadline),
    };
    let call = async {
        if server.chain.is_empty() {
            let response = handler.call(request, ()).await;
            return Ok(limit.answer(&http, ctx.request_headers(), response));
        }
        let endpoint = RawEndpoint {
            handler,
            http: &http,
            limit: &limit,
            marker: std::marker::PhantomData,
        };
        let reply = Next::new(server.chain.as_slice(), &[], &[], &endpoint)
            .run(
                &mut ctx,
                middleware::Request::new(request).with_describe(describe_request),
            )
            .await?;
        reply.take::<Response>(operation)
    };
    let result = run_bounded(timeout, incoming, call).await;
    if let Err(error) = &result {
        log_failure(&ctx, error, "call failed");
    }
    let headers = ctx.take_reply_headers();
    match result {
        Ok(mut response) => {
            response.headers_mut().extend(headers);
            response
        }
        Err(error) => http.encoders.error(ctx.request_headers(), &error, headers),
    }
}

/// The `Content-Length` a request declares, if it declares a readable one.
fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// The body cap of one hand-written call, and whether the body crossed it.
struct BodyLimit {
    max: usize,
    over: Arc<AtomicBool>,
}

impl BodyLimit {
    fn new(max: usize) -> Self {
        Self {
            max,
            over: Arc::new(AtomicBool::new(false)),
        }
    }

    /// `request` with its body cut off past the limit.
    fn wrap(&self, request: Request) -> Request {
        let (max, over) = (self.max, self.over.clone());
        request.map(|inner| {
            Body::new(CappedBody {
                inner,
                max,
                remaining: max,
                over,
            })
        })
    }

    /// The handler's `response`, or 413 in the kratos body if the body was cut off.
    fn answer(&self, http: &HttpState, headers: &HeaderMap, response: Response) -> Response {
        if !self.over.load(Ordering::Relaxed) {
            return response;
        }
        http.encoders
            .error(headers, &body_too_large(self.max), HeaderMap::new())
    }
}

/// The error a capped body reports where it crosses the limit.
#[derive(Debug)]
struct OverLimit(usize);

impl fmt::Display for OverLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "request body exceeds {} bytes", self.0)
    }
}

impl std::error::Error for OverLimit {}

/// A request body that fails, and says so, once more than the limit has arrived.
struct CappedBody {
    inner: Body,
    max: usize,
    remaining: usize,
    over: Arc<AtomicBool>,
}

impl HttpBody for CappedBody {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        let frame = match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => frame,
            Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e.into()))),
            Poll::Ready(None) => return Poll::Ready(None),
            Poll::Pending => return Poll::Pending,
        };
        if let Some(data) = frame.data_ref() {
            match this.remaining.checked_sub(data.len()) {
                Some(left) => this.remaining = left,
                None => {
                    this.over.store(true, Ordering::Relaxed);
                    this.remaining = 0;
                    return Poll::Ready(Some(Err(Box::new(OverLimit(this.max)))));
                }
            }
        }
        Poll::Ready(Some(Ok(frame)))
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
