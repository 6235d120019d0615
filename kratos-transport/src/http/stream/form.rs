//! A client-streaming route whose requests are `kratos.api.FormChunk`: a plain
//! (non-WebSocket) request with a `multipart/form-data` body, parsed as it arrives.
//! Each chunk of each part becomes one FormChunk handed to the handler through a
//! small bounded channel, so a handler that reads slowly slows the socket read and
//! the server holds a few chunks whatever the body's size. The route's body limit
//! (its `max_body`, else the server's) counts the whole body as it streams: past it
//! the handler's stream yields 413 `PAYLOAD_TOO_LARGE`, a malformed form 400
//! `CODEC`. The reply is an ordinary unary one (status, codec by `Accept`).
//!
//! The parser buffers what it cannot hand on yet (a part's headers, the preamble):
//! the body it reads stops at [`READ_AHEAD`] bytes past the last chunk handed on,
//! so a hostile form cannot make the server hold more than that, whatever the limit.
//!
//! A WebSocket upgrade on the route is served as on any client-streaming route.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context as TaskContext, Poll};

use axum::extract::multipart::MultipartError;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Request};
use axum::response::Response;
use bytes::Bytes;
use futures_util::StreamExt;
use http::StatusCode;
use http::header::{CONTENT_TYPE, HeaderMap, UPGRADE};
use hyper::body::{Frame, SizeHint};
use kratos_core::descriptor::MessageDescriptor;
use kratos_core::stream::StreamHandler;
use kratos_core::{Error, Message, StreamSender};
use tower::{Layer, ServiceExt};

use super::{open_requests, ws};
use crate::http::multipart::is_form;
use crate::http::route::Route;
use crate::http::state::body_too_large;
use crate::serve::BodyTimeout;
use crate::stream::Replies;

/// Chunks read from the body but not yet taken by the handler: few, so the body is
/// read no faster than the handler takes it.
const INBOX: usize = 4;

/// The most the form reads past the last chunk it handed on: the longest a part's
/// headers or the preamble may be, and about the most one chunk holds.
const READ_AHEAD: usize = 1 << 20;

/// Whether `descriptor` is `kratos.api.FormChunk`.
pub(crate) fn is_form_chunk(descriptor: &MessageDescriptor) -> bool {
    descriptor.name == "FormChunk" && descriptor.package == Some("kratos.api")
}

/// The protobuf shape of `kratos.api.FormChunk`, to build the handler's request
/// type without naming it (it lives in the `kratos` facade).
#[derive(Clone, PartialEq, prost::Message)]
pub(super) struct Wire {
    #[prost(uint32, tag = "1")]
    pub(super) part: u32,
    #[prost(string, tag = "2")]
    pub(super) name: String,
    #[prost(string, tag = "3")]
    pub(super) filename: String,
    #[prost(string, tag = "4")]
    pub(super) content_type: String,
    #[prost(bytes = "bytes", tag = "5")]
    pub(super) data: Bytes,
}

/// One call of client-streaming method `M`, whose requests are FormChunk, over HTTP.
pub(super) async fn handle<M, S>(state: Arc<Route<S>>, request: Request) -> Response
where
    M: StreamHandler<S>,
    S: Send + Sync + 'static,
{
    if wants_websocket(&request) {
        return ws::handle::<M, S>(state, request).await;
    }
    let http = &state.http;
    let (parts, body) = request.into_parts();
    if !is_form(&parts.headers) {
        let sent = parts
            .headers
            .get(CONTENT_TYPE)
            .map(|v| v.to_str().unwrap_or("(not text)"))
            .unwrap_or("no Content-Type");
        let error = Error::codec(format!(
            "{} {} streams its body as kratos.api.FormChunk items: send multipart/form-data, not {sent}",
            parts.method,
            parts.uri.path()
        ));
        return http
            .encoders
            .error(&parts.headers, &error, HeaderMap::new());
    }
    let limit = Limit {
        bytes: state.route.max_body.unwrap_or(http.max_body),
        route: state.route.max_body.is_some(),
    };
    let unread = Arc::new(AtomicUsize::new(0));
    let body = axum::body::Body::new(ReadAhead {
        inner: body,
        unread: unread.clone(),
        paused: false,
    });
    let form = match open_form(&parts.headers, body, limit.bytes).await {
        Ok(form) => form,
        Err(error) => {
            return http
                .encoders
                .error(&parts.headers, &error, HeaderMap::new());
        }
    };
    let request_headers = parts.headers.clone();
    let (opened, inbox) = match open_requests::<M, S>(&state, parts, INBOX).await {
        Ok(opened) => opened,
        Err(refused) => return refused,
    };
    let feed = feed::<M::Request>(form, inbox, limit, unread);
    match answer(opened.replies, feed).await {
        Ok(reply) => {
            let status = StatusCode::from_u16(state.route.status).unwrap_or(StatusCode::OK);
            http.encoders
                .reply(&request_headers, status, &reply, opened.headers)
        }
        Err(error) => http
            .encoders
            .error(&request_headers, &error, opened.headers),
    }
}

/// The call's one reply, or the error that ended it, once the handler has answered
/// and every middleware returned; `feed` reads the form meanwhile (the handler may
/// answer before the body is all read, which then goes unread).
async fn answer<R>(mut replies: Replies<R>, feed: impl Future<Output = ()>) -> Result<R, Error> {
    tokio::pin!(feed);
    let (mut fed, mut reply) = (false, None);
    loop {
        tokio::select! {
            () = &mut feed, if !fed => fed = true,
            item = replies.next() => match item {
                Some(Ok(item)) => reply = Some(item),
                Some(Err(error)) => return Err(error),
                None => break,
            },
        }
    }
    reply.ok_or_else(|| Error::internal_server("", "the stream ended without a reply"))
}

/// Whether `request` opens a WebSocket (an HTTP/1.1 upgrade or an HTTP/2 CONNECT),
/// which the route serves as any client stream.
fn wants_websocket(request: &Request) -> bool {
    request.method() == http::Method::CONNECT
        || request
            .headers()
            .get(UPGRADE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// The body limit of a route, and whether it is the route's own.
#[derive(Clone, Copy)]
struct Limit {
    bytes: usize,
    route: bool,
}

impl Limit {
    /// The 413 of a body past this limit, as the unary binding words it.
    fn exceeded(self) -> Error {
        if self.route {
            Error::new(
                413,
                "PAYLOAD_TOO_LARGE",
                format!(
                    "request body exceeds {} bytes (the route's max_body)",
                    self.bytes
                ),
            )
        } else {
            body_too_large(self.bytes)
        }
    }
}

/// The form of `body`, read lazily within `limit` bytes.
async fn open_form(
    headers: &HeaderMap,
    body: axum::body::Body,
    limit: usize,
) -> Result<Multipart, Error> {
    let mut request = http::Request::new(body);
    if let Some(content_type) = headers.get(CONTENT_TYPE) {
        request
            .headers_mut()
            .insert(CONTENT_TYPE, content_type.clone());
    }
    // axum's Multipart caps its body at what a `DefaultBodyLimit` says (2 MB when
    // none does): here the route's limit, counted as the parts stream.
    let extract = DefaultBodyLimit::max(limit).layer(tower::service_fn(
        |request: http::Request<axum::body::Body>| async move {
            Ok::<_, std::convert::Infallible>(Multipart::from_request(request, &()).await)
        },
    ));
    extract
        .oneshot(request)
        .await
        .unwrap_or_else(|never| match never {})
        .map_err(|e| Error::codec(format!("multipart: {}", e.body_text())))
}

/// Reads `form` part by part, chunk by chunk, into `inbox` (waiting for room, so
/// the handler's pace is the read's), until the form ends, fails (the handler
/// reads the error as its stream's end) or the handler stops reading.
async fn feed<Q: Message>(
    mut form: Multipart,
    inbox: StreamSender<Q>,
    limit: Limit,
    unread: Arc<AtomicUsize>,
) {
    if let Err(error) = feed_parts(&mut form, &inbox, limit, &unread).await {
        let _ = inbox.fail(error).await;
    }
}

/// The loop of [`feed`]: `Ok` at the form's end or when the handler stopped reading.
async fn feed_parts<Q: Message>(
    form: &mut Multipart,
    inbox: &StreamSender<Q>,
    limit: Limit,
    unread: &AtomicUsize,
) -> Result<(), Error> {
    let mut index = 0u32;
    while let Some(mut field) = form
        .next_field()
        .await
        .map_err(|e| form_error(e, None, limit))?
    {
        let mut chunk = Wire {
            part: index,
            name: field.name().unwrap_or_default().to_owned(),
            filename: field.file_name().unwrap_or_default().to_owned(),
            content_type: field.content_type().unwrap_or_default().to_owned(),
            data: Bytes::new(),
        };
        let mut sent_one = false;
        loop {
            let data = field
                .chunk()
                .await
                .map_err(|e| form_error(e, Some(&chunk.name), limit))?;
            // What was read so far is handed on (or in the parser's few bytes of
            // lookahead): the body may read on.
            unread.store(0, Ordering::Relaxed);
            let last = data.is_none();
            // A part with no bytes still yields one (empty) chunk.
            if last && sent_one {
                break;
            }
            chunk.data = data.unwrap_or_default();
            if inbox.send(request(&chunk)?).await.is_err() {
                return Ok(());
            }
            sent_one = true;
            if last {
                break;
            }
        }
        index += 1;
    }
    Ok(())
}

/// The request message (a FormChunk) holding `chunk`.
fn request<Q: Message>(chunk: &Wire) -> Result<Q, Error> {
    Q::decode(prost::Message::encode_to_vec(chunk).as_slice())
        .map_err(|e| Error::internal_server("CODEC", format!("FormChunk: {e}")))
}

/// What a failed form read means for the client: past the limit 413, a body that
/// came too slowly 408, anything else a malformed form, 400 `CODEC` (naming `part`).
fn form_error(error: MultipartError, part: Option<&str>, limit: Limit) -> Error {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return limit.exceeded();
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&error);
    while let Some(e) = source {
        if let Some(late) = e.downcast_ref::<BodyTimeout>() {
            return Error::new(408, "REQUEST_TIMEOUT", late.to_string());
        }
        if let Some(ahead) = e.downcast_ref::<TooFarAhead>() {
            return Error::codec(format!("multipart: {ahead}"));
        }
        source = e.source();
    }
    match part {
        Some(name) => Error::codec(format!("multipart part {name:?}: {}", error.body_text())),
        None => Error::codec(format!("multipart: {}", error.body_text())),
    }
}

/// The request body as the form reads it: once it has delivered [`READ_AHEAD`]
/// bytes that no chunk handed on has accounted for (`unread`, which the reader
/// clears), it pauses once, so the parser hands on what it holds, and then fails:
/// what the parser still holds is a part's headers or the preamble.
struct ReadAhead {
    inner: axum::body::Body,
    unread: Arc<AtomicUsize>,
    paused: bool,
}

impl hyper::body::Body for ReadAhead {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if self.unread.load(Ordering::Relaxed) >= READ_AHEAD {
            if self.paused {
                return Poll::Ready(Some(Err(Box::new(TooFarAhead))));
            }
            // The parser returns what it holds as a chunk if it can; it polls again.
            self.paused = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        self.paused = false;
        let frame = std::task::ready!(Pin::new(&mut self.inner).poll_frame(cx));
        if let Some(Ok(data)) = frame.as_ref().map(|f| f.as_ref().map(Frame::data_ref)) {
            self.unread
                .fetch_add(data.map_or(0, Bytes::len), Ordering::Relaxed);
        }
        Poll::Ready(frame.map(|f| f.map_err(Into::into)))
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The error of a form whose part headers or preamble run past [`READ_AHEAD`].
#[derive(Debug)]
struct TooFarAhead;

impl std::fmt::Display for TooFarAhead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "a part's headers (or the text before the first boundary) exceed {READ_AHEAD} bytes"
        )
    }
}

impl std::error::Error for TooFarAhead {}
