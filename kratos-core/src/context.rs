//! The per-call [`Context`]: which transport carried the call, to or from which
//! endpoint, which operation it names, the peer's address, an HTTP call's method,
//! route and target, the request headers, the reply headers the handler sets, the metadata,
//! the deadline and typed extensions. Servers and clients build one per call;
//! middlewares get it as `&mut`, handlers as `&`.
//!
//! A handler receives `&Context`; reply headers sit behind a lock so a shared
//! reference can still set them (the lock is per call, so it is never contended).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use http::header::{HeaderMap, HeaderName, HeaderValue};
use http::{Method as HttpVerb, Uri};

use crate::error::Error;
use crate::metadata::Metadata;
use crate::redact::Redacted;

/// The transport a call arrived on or leaves by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Kind {
    /// HTTP/1.1 or HTTP/2 with a codec-encoded body.
    Http,
    /// gRPC over HTTP/2.
    Grpc,
}

impl Kind {
    /// The lowercase name Go kratos uses (`"http"`, `"grpc"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Http => "http",
            Kind::Grpc => "grpc",
        }
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An HTTP call's request line as the route saw it, for spans and logs.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct HttpRequestLine {
    /// The verb (`GET`).
    pub method: HttpVerb,
    /// The route's template (`/helloworld/{name}`), as Go kratos's `PathTemplate`.
    pub route: &'static str,
    /// The target: path and query, as sent.
    pub uri: Uri,
}

impl HttpRequestLine {
    /// The request line of a call to `route` with `method` at `uri`.
    #[inline]
    pub fn new(method: HttpVerb, route: &'static str, uri: Uri) -> Self {
        Self { method, route, uri }
    }
}

/// What a handler knows about the call it serves.
pub struct Context {
    kind: Kind,
    endpoint: Option<Arc<str>>,
    operation: &'static str,
    peer: Option<SocketAddr>,
    http: Option<HttpRequestLine>,
    request_headers: HeaderMap,
    /// Allocated by the first reply header: most calls set none, and an empty
    /// map inline would make every call's context (moved with its future) larger.
    reply_headers: Mutex<Option<Box<HeaderMap>>>,
    reply_status: u16,
    deadline: Option<Instant>,
    metadata: Metadata,
    extensions: http::Extensions,
    /// The call's trace, set by the tracing middleware: a field rather than an
    /// extension, whose table would be allocated and freed on every call.
    #[cfg(feature = "opentelemetry")]
    trace: Option<opentelemetry::Context>,
}

impl Context {
    /// Builds the context of one call; transports call this before any middleware runs.
    #[inline]
    pub fn new(kind: Kind, operation: &'static str, request_headers: HeaderMap) -> Self {
        Self {
            kind,
            endpoint: None,
            operation,
            peer: None,
            http: None,
            request_headers,
            reply_headers: Mutex::new(None),
            reply_status: 200,
            deadline: None,
            metadata: Metadata::new(),
            extensions: http::Extensions::new(),
            #[cfg(feature = "opentelemetry")]
            trace: None,
        }
    }

    /// Sets the instant by which the call must answer.
    #[inline]
    pub fn with_deadline(mut self, deadline: Option<Instant>) -> Self {
        self.deadline = deadline;
        self
    }

    /// Sets the endpoint URL: the server's own on a server, the target on a client.
    #[inline]
    pub fn with_endpoint(mut self, endpoint: Arc<str>) -> Self {
        self.endpoint = Some(endpoint);
        self
    }

    /// Replaces the endpoint URL: a balanced client names the node it picked.
    pub fn set_endpoint(&mut self, endpoint: Arc<str>) {
        self.endpoint = Some(endpoint);
    }

    /// Sets the address of the other end: the caller on a server.
    #[inline]
    pub fn with_peer(mut self, peer: Option<SocketAddr>) -> Self {
        self.peer = peer;
        self
    }

    /// Sets an HTTP call's method, route template and target.
    #[inline]
    pub fn with_http(mut self, line: HttpRequestLine) -> Self {
        self.http = Some(line);
        self
    }

    /// Replaces the request line: an HTTP client names the one it sent.
    pub fn set_http(&mut self, line: HttpRequestLine) {
        self.http = Some(line);
    }

    /// The transport of this call.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The endpoint URL (`grpc://127.0.0.1:9000`): on a server the one it listens
    /// on, on a client the one it calls; `None` for a context built by hand.
    pub fn endpoint(&self) -> Option<&str> {
        self.endpoint.as_deref()
    }

    /// The operation, `/{package}.{Service}/{Method}`, identical on both transports.
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    /// The address of the other end, when the transport knows it: on a server, the
    /// caller's socket address.
    pub fn peer(&self) -> Option<SocketAddr> {
        self.peer
    }

    /// An HTTP call's method, route template and target; `None` on gRPC.
    pub fn http(&self) -> Option<&HttpRequestLine> {
        self.http.as_ref()
    }

    /// The headers (HTTP) or metadata (gRPC) the caller sent.
    pub fn request_headers(&self) -> &HeaderMap {
        &self.request_headers
    }

    /// The request headers, to change: a client middleware adds outgoing headers here.
    pub fn request_headers_mut(&mut self) -> &mut HeaderMap {
        &mut self.request_headers
    }

    /// One request header as text, if present and valid UTF-8.
    pub fn request_header(&self, name: &str) -> Option<&str> {
        self.request_headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Sets a header (HTTP) or response metadata entry (gRPC) on the reply.
    pub fn set_reply_header(&self, name: &str, value: &str) -> Result<(), Error> {
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|e| {
            Error::internal_server("", format!("invalid reply header name {name:?}: {e}"))
        })?;
        let value = HeaderValue::from_str(value).map_err(|e| {
            Error::internal_server("", format!("invalid reply header value for {name}: {e}"))
        })?;
        self.reply_headers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_or_insert_with(Box::default)
            .insert(name, value);
        Ok(())
    }

    /// Takes the reply headers set so far; the transport calls it once when it answers.
    pub fn take_reply_headers(&self) -> HeaderMap {
        self.reply_headers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .map_or_else(HeaderMap::new, |headers| *headers)
    }

    /// The HTTP status a successful reply is sent with: the route's (`status = 201`),
    /// or on a hand-written route the one its handler answered; 200 on gRPC. What
    /// the logging middleware reports for a call that did not fail.
    pub fn reply_status(&self) -> u16 {
        self.reply_status
    }

    /// Sets the status a successful reply is sent with; transports call it.
    pub fn set_reply_status(&mut self, status: u16) {
        self.reply_status = status;
    }

    /// The instant by which the call must answer, if any.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Sets the deadline. In a middleware, an earlier deadline bounds the rest of the
    /// chain: the handler ends with 504 `TIMEOUT` when it passes, and client calls
    /// made inside carry it downstream. A later one cannot lengthen the timeout
    /// already running around the call.
    pub fn set_deadline(&mut self, deadline: Option<Instant>) {
        self.deadline = deadline;
    }

    /// The call's metadata: on a server, what the `metadata` middleware read from
    /// `x-md-*` headers; on a client, what this call sends.
    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    /// The call's metadata, to change.
    pub fn metadata_mut(&mut self) -> &mut Metadata {
        &mut self.metadata
    }

    /// Sets the call's metadata.
    pub fn with_metadata(mut self, metadata: Metadata) -> Self {
        self.metadata = metadata;
        self
    }

    /// Typed values middlewares hand to each other and to handlers.
    pub fn extensions(&self) -> &http::Extensions {
        &self.extensions
    }

    /// Typed values, to change.
    pub fn extensions_mut(&mut self) -> &mut http::Extensions {
        &mut self.extensions
    }

    /// The OpenTelemetry context of the call's trace, once the tracing middleware set it.
    #[cfg(feature = "opentelemetry")]
    pub(crate) fn trace(&self) -> Option<&opentelemetry::Context> {
        self.trace.as_ref()
    }

    /// Sets the OpenTelemetry context of the call's trace.
    #[cfg(feature = "opentelemetry")]
    pub(crate) fn set_trace(&mut self, trace: opentelemetry::Context) {
        self.trace = Some(trace);
    }
}

/// Shows every field but the values of credential headers ([`crate::redact`]).
impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let reply_headers = self.reply_headers.lock().unwrap_or_else(|p| p.into_inner());
        f.debug_struct("Context")
            .field("kind", &self.kind)
            .field("endpoint", &self.endpoint)
            .field("operation", &self.operation)
            .field("peer", &self.peer)
            .field("http", &self.http)
            .field("request_headers", &Redacted(&self.request_headers))
            .field(
                "reply_headers",
                &Redacted(reply_headers.as_deref().unwrap_or(&HeaderMap::new())),
            )
            .field("reply_status", &self.reply_status)
            .field("deadline", &self.deadline)
            .field("metadata", &self.metadata)
            .field("extensions", &self.extensions)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_headers_set_through_shared_reference() {
        let ctx = Context::new(Kind::Http, "/a.B/C", HeaderMap::new());
        ctx.set_reply_header("x-trace", "1").unwrap();
        assert!(ctx.set_reply_header("bad name", "1").is_err());
        let headers = ctx.take_reply_headers();
        assert_eq!(headers.get("x-trace").unwrap(), "1");
        assert!(ctx.take_reply_headers().is_empty());
    }
}
