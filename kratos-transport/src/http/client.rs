//! The HTTP client behind generated clients: encodes a message onto its route's
//! URL, query and JSON body, and turns the reply or the kratos error body back,
//! decoded by the reply's `Content-Type` (a server may answer in any codec).

use std::time::Duration;

use bytes::Bytes;
use http::header::{ACCEPT, CONTENT_TYPE};
use http::{HeaderValue, Request, Uri};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use kratos_core::encoding::{self, Decode};
use kratos_core::error::REASON_CODEC;
use kratos_core::{Context, Error, HttpRequestLine, Message, Method};

use super::binding::encode_request;
use super::http_body;
use super::state::{MAX_BODY_BYTES, TIMEOUT_HEADER};
use crate::deadline::client_timeout;
use crate::error::ClientError;
use crate::unreachable::{NodeUnreachable, never_sent};

/// What the client sends and asks for: JSON, which every kratos server reads.
pub(crate) const JSON: HeaderValue = HeaderValue::from_static("application/json");

/// Calls the HTTP routes of a kratos (or Go kratos) server.
#[derive(Clone, Debug)]
pub struct HttpClient {
    base: String,
    client: HyperClient<HttpConnector, Full<Bytes>>,
    /// For bodies sent as they are made (a streamed form): a pool of its own, so
    /// the calls with a whole body keep their unboxed body type.
    pub(super) streaming: HyperClient<HttpConnector, StreamedBody>,
}

/// A request body sent as it is made.
pub(super) type StreamedBody = http_body_util::combinators::UnsyncBoxBody<Bytes, std::io::Error>;

fn unavailable(message: String) -> Error {
    Error::service_unavailable("", message)
}

impl HttpClient {
    /// A client of the server at `url` (`http://127.0.0.1:8000`).
    pub fn new(url: &str) -> Result<Self, ClientError> {
        let invalid = |detail: String| ClientError::InvalidUrl {
            transport: "HTTP",
            url: url.to_owned(),
            detail,
        };
        let uri: Uri = url.parse().map_err(|e| invalid(format!("{e}")))?;
        match (uri.scheme_str(), uri.authority()) {
            (Some("http"), Some(_)) => {}
            _ => return Err(invalid("write it as http://host:port".to_owned())),
        }
        let mut pool = Self::pool();
        pool.base = url.trim_end_matches('/').to_owned();
        Ok(pool)
    }

    /// A client without a fixed server: each call names its base URL
    /// ([`HttpClient::send_to`]), as a balanced client does.
    pub(crate) fn pool() -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        Self {
            base: String::new(),
            client: HyperClient::builder(TokioExecutor::new()).build(connector.clone()),
            streaming: HyperClient::builder(TokioExecutor::new()).build(connector),
        }
    }

    /// Calls method `M` over its first HTTP route, with the headers of `ctx` (and the
    /// remaining time in [`TIMEOUT_HEADER`]); the reply's headers land in `ctx`.
    pub async fn send<M: Method>(
        &self,
        ctx: &mut Context,
        request: M::Request,
        timeout: Duration,
    ) -> Result<M::Reply, Error> {
        self.send_to::<M>(&self.base, ctx, request, timeout).await
    }

    /// As [`HttpClient::send`], to the server at `base` (`http://10.0.0.5:8000`).
    pub async fn send_to<M: Method>(
        &self,
        base: &str,
        ctx: &mut Context,
        request: M::Request,
        timeout: Duration,
    ) -> Result<M::Reply, Error> {
        let http_request = build_request::<M>(base, ctx, &request, timeout, JSON)?;
        let line = HttpRequestLine::new(
            http_request.method().clone(),
            first_route::<M>()?.path,
            http_request.uri().clone(),
        );
        ctx.set_http(line);
        let call = async {
            let response = self.request::<M>(base, http_request).await?;
            keep_reply_headers(ctx, response.headers());
            read_reply(response, M::DESCRIPTOR.operation).await
        };
        let (status, content_type, body) = tokio::time::timeout(timeout, call)
            .await
            .map_err(|_| client_timeout(M::DESCRIPTOR.operation, timeout))??;
        reply_of(status, content_type.as_ref(), body)
    }
}

impl HttpClient {
    /// The base URL of the server this client calls (empty for a pool).
    pub(super) fn base(&self) -> &str {
        &self.base
    }

    /// Sends one request of method `M` to `base`; a connection that never carried
    /// it is [`NodeUnreachable`].
    pub(super) async fn request<M: Method>(
        &self,
        base: &str,
        request: Request<Full<Bytes>>,
    ) -> Result<http::Response<hyper::body::Incoming>, Error> {
        self.client.request(request).await.map_err(|e| {
            if never_sent(&e) {
                NodeUnreachable::error(M::DESCRIPTOR.operation, base, e)
            } else {
                unavailable(format!("HTTP call {} failed: {e}", M::DESCRIPTOR.operation))
            }
        })
    }
}

/// The request of a call of `M` over its first route: path, query and body from
/// the message, the context's headers, the remaining time in [`TIMEOUT_HEADER`].
pub(super) fn build_request<M: Method>(
    base: &str,
    ctx: &Context,
    request: &M::Request,
    timeout: Duration,
    accept: HeaderValue,
) -> Result<Request<Full<Bytes>>, Error> {
    let route = first_route::<M>()?;
    let outgoing = encode_request(route, request)?;
    let mut builder = Request::builder()
        .method(route.method.as_str())
        .uri(format!("{base}{}", outgoing.path_and_query))
        .header(ACCEPT, accept)
        .header(TIMEOUT_HEADER, timeout.as_millis().to_string());
    if let Some(headers) = builder.headers_mut() {
        for (name, value) in ctx.request_headers() {
            headers.append(name, value.clone());
        }
    }
    let body = match outgoing.body {
        Some((content_type, body)) => {
            builder = builder.header(CONTENT_TYPE, content_type);
            body
        }
        None => Bytes::new(),
    };
    builder
        .body(Full::new(body))
        .map_err(|e| Error::bad_request("", format!("cannot build request: {e}")))
}

/// The status, media type and body (within [`MAX_BODY_BYTES`]) of a call's answer.
pub(super) async fn read_reply(
    response: http::Response<hyper::body::Incoming>,
    operation: &str,
) -> Result<(http::StatusCode, Option<HeaderValue>, Bytes), Error> {
    let status = response.status();
    let content_type = response.headers().get(CONTENT_TYPE).cloned();
    let body = http_body_util::Limited::new(response.into_body(), MAX_BODY_BYTES)
        .collect()
        .await
        .map_err(|e| unavailable(format!("reading reply of {operation}: {e}")))?
        .to_bytes();
    Ok((status, content_type, body))
}

/// The reply `R` of an answered call, or the kratos error its body carries.
pub(super) fn reply_of<R: Message>(
    status: http::StatusCode,
    content_type: Option<&HeaderValue>,
    body: Bytes,
) -> Result<R, Error> {
    if !status.is_success() {
        return Err(error_from_body(status.as_u16(), content_type, &body));
    }
    if http_body::is_http_body(R::descriptor()) {
        return http_body::from_raw(content_type, body);
    }
    let mut reply = R::default();
    if body.is_empty() {
        return Ok(reply);
    }
    decode(content_type, &body, &mut reply)
        .map_err(|e| Error::internal_server(REASON_CODEC, format!("reply unmarshal: {e}")))?;
    Ok(reply)
}

/// The route an HTTP client calls `M` on: its first.
pub(super) fn first_route<M: Method>() -> Result<&'static kratos_core::RouteDescriptor, Error> {
    M::DESCRIPTOR.routes.first().ok_or_else(|| {
        Error::new(
            501,
            "UNIMPLEMENTED",
            format!(
                "{} has no HTTP route; call it over gRPC",
                M::DESCRIPTOR.operation
            ),
        )
    })
}

/// Copies a reply's headers (but its body's type and length) into the call's
/// context, for client middlewares.
pub(super) fn keep_reply_headers(ctx: &Context, headers: &http::HeaderMap) {
    for (name, value) in headers {
        if name != CONTENT_TYPE && name != http::header::CONTENT_LENGTH {
            let _ = ctx.set_reply_header(name.as_str(), value.to_str().unwrap_or(""));
        }
    }
}

/// Decodes a reply or error body with the codec its `Content-Type` names.
fn decode(
    content_type: Option<&HeaderValue>,
    body: &[u8],
    into: &mut dyn Decode,
) -> Result<(), encoding::CodecError> {
    let media = content_type.map(|v| v.to_str().unwrap_or("(not text)"));
    encoding::for_content_type(media)?.decode(body, into)
}

/// The kratos error in a non-2xx reply, in whatever codec it came; a body of another
/// shape (a proxy's HTML page) keeps the status as code and the text as message.
pub(super) fn error_from_body(
    status: u16,
    content_type: Option<&HeaderValue>,
    body: &[u8],
) -> Error {
    let mut error = Error::default();
    match decode(content_type, body, &mut error) {
        Ok(()) if error.code != 0 => error,
        _ => Error::new(
            i32::from(status),
            "",
            String::from_utf8_lossy(body).into_owned(),
        ),
    }
}
