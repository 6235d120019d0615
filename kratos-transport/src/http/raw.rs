//! Hand-written HTTP routes (a file upload, a webhook) that still go through the
//! server's middlewares, under an operation name of the user's choosing; their
//! request and reply travel the chain as the raw `http::Request` and `Response`.

use std::any::Any;
use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::Request;
use axum::handler::Handler;
use axum::response::Response;
use kratos_core::app::BoxFuture;
use kratos_core::metadata::Incoming;
use kratos_core::middleware::{self, Endpoint, Next, Reply};
use kratos_core::redact::Redacted;
use kratos_core::{Context, Error, Kind};

use super::route::{HttpState, requested_timeout};
use crate::invoke::{effective_timeout, run_bounded};

/// The innermost step of a hand-written route: the axum handler.
struct RawEndpoint<H, T> {
    handler: H,
    marker: std::marker::PhantomData<fn() -> T>,
}

impl<H, T> Endpoint for RawEndpoint<H, T>
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
    handler: H,
    request: Request,
) -> Response
where
    H: Handler<T, ()> + Sync,
    T: 'static,
{
    let server = &http.server;
    let timeout = effective_timeout(server.timeout, requested_timeout(request.headers()));
    let deadline = Instant::now() + timeout;
    let mut ctx = Context::new(Kind::Http, operation, request.headers().clone())
        .with_endpoint(server.endpoint.clone())
        .with_deadline(Some(deadline));
    let incoming = Incoming {
        metadata: None,
        deadline: Some(deadline),
    };
    let call = async {
        if server.chain.is_empty() {
            return Ok(handler.call(request, ()).await);
        }
        let endpoint = RawEndpoint {
            handler,
            marker: std::marker::PhantomData,
        };
        let reply = Next::new(server.chain.as_slice(), &[], &[], &endpoint)
            .run(
                &mut ctx,
                middleware::Request::new(request).with_describe(describe_request),
            )
            .await?;
        reply.downcast::<Response>().map_err(|other| {
            Error::internal_server(
                "MIDDLEWARE",
                format!("a middleware answered {operation} with {other:?}"),
            )
        })
    };
    let result = run_bounded(Kind::Http, operation, incoming, timeout, call).await;
    let headers = ctx.take_reply_headers();
    match result {
        Ok(mut response) => {
            response.headers_mut().extend(headers);
            response
        }
        Err(error) => http.encoders.error(ctx.request_headers(), &error, headers),
    }
}
