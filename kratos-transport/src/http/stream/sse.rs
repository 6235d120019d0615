//! A server-streaming route: Server-Sent Events by default, NDJSON when the
//! request's `Accept` names `application/x-ndjson`.
//!
//! SSE, as Go kratos v3 writes it: `Content-Type: text/event-stream`,
//! `Cache-Control: no-cache`, `X-Accel-Buffering: no` (so nginx does not buffer
//! the stream); each reply is an `event: message` whose `data:` lines are its
//! JSON; an error after the stream opened is an `event: error` carrying the
//! kratos error body. NDJSON, as grpc-gateway writes a stream: one line per reply,
//! `{"result": <reply>}`, and an error as `{"error": {code, message, details}}`
//! with the gRPC code and the `ErrorInfo` detail.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use bytes::Bytes;
use futures_core::Stream;
use http::header::{ACCEPT, CACHE_CONTROL, CONTENT_TYPE, HeaderMap, HeaderValue};
use kratos_core::Error;
use kratos_core::encoding::Encode;
use kratos_core::error::grpc_code;
use kratos_core::stream::StreamHandler;

use super::{begin, json_codec};
use crate::http::call::bind;
use crate::http::http_body;
use crate::http::route::Route;
use crate::http::state::requested_timeout;
use crate::invoke::effective_timeout;
use crate::stream::{Input, Replies, open};

/// The NDJSON media type a client asks for in `Accept`.
pub(crate) const NDJSON: &str = "application/x-ndjson";

/// How the replies are written.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Format {
    /// `text/event-stream`.
    Sse,
    /// `application/x-ndjson`.
    Ndjson,
}

impl Format {
    /// NDJSON when `Accept` names it, else SSE.
    pub(crate) fn of(headers: &HeaderMap) -> Self {
        let ndjson = headers
            .get_all(ACCEPT)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.split(',').any(|m| m.trim().starts_with(NDJSON)));
        if ndjson { Format::Ndjson } else { Format::Sse }
    }
}

/// One call of server-streaming method `M` over HTTP.
pub(super) async fn handle<M, S>(state: Arc<Route<S>>, request: Request) -> Response
where
    M: StreamHandler<S>,
    S: Send + Sync + 'static,
{
    let http = &state.http;
    let (parts, body) = request.into_parts();
    let message = match bind::<M, S>(&state, &parts.headers, &parts.uri, body).await {
        Ok(message) => message,
        Err(error) => {
            return http
                .encoders
                .error(&parts.headers, &error, HeaderMap::new());
        }
    };
    let format = Format::of(&parts.headers);
    // The caller's x-request-timeout shortens the opening, never lengthens it.
    let timeout = effective_timeout(http.server.timeout, requested_timeout(&parts.headers));
    let request_headers = parts.headers.clone();
    let (ctx, chain) = begin(&state, M::DESCRIPTOR.operation, parts);
    let opened = match open::<M, S>(
        state.service.clone(),
        chain,
        ctx,
        Input::One(message),
        timeout,
    )
    .await
    {
        Ok(opened) => opened,
        Err(error) => {
            return http
                .encoders
                .error(&request_headers, &error, HeaderMap::new());
        }
    };
    if state.raw_reply {
        // Chunks of one raw body (a download), not events.
        return http_body::stream_response(opened.replies, opened.headers)
            .await
            .unwrap_or_else(|error| {
                http.encoders
                    .error(&request_headers, &error, HeaderMap::new())
            });
    }
    let mut response = Response::new(Body::from_stream(Frames {
        replies: opened.replies,
        format,
    }));
    let headers = response.headers_mut();
    headers.extend(opened.headers);
    let content_type = match format {
        Format::Sse => "text/event-stream",
        Format::Ndjson => NDJSON,
    };
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}

/// The replies as body frames, one per reply and one for an error end.
struct Frames<R> {
    replies: Replies<R>,
    format: Format,
}

impl<R: Encode> Stream for Frames<R> {
    type Item = Result<Bytes, Infallible>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        let format = self.format;
        Pin::new(&mut self.replies).poll_next(cx).map(|next| {
            next.map(|item| {
                Ok(Bytes::from(match item {
                    Ok(reply) => reply_frame(format, &reply),
                    Err(error) => error_frame(format, &error),
                }))
            })
        })
    }
}

/// One reply as a frame; a reply that cannot be encoded becomes an error frame.
pub(crate) fn reply_frame(format: Format, reply: &dyn Encode) -> Vec<u8> {
    let mut json = Vec::with_capacity(128);
    if let Err(e) = json_codec().encode(reply, &mut json) {
        let error = Error::internal_server(
            kratos_core::error::REASON_CODEC,
            format!("reply marshal (json): {e}"),
        );
        return error_frame(format, &error);
    }
    match format {
        Format::Sse => event("message", &json),
        Format::Ndjson => {
            let mut line = Vec::with_capacity(json.len() + 12);
            line.extend_from_slice(b"{\"result\":");
            line.extend_from_slice(&json);
            line.extend_from_slice(b"}\n");
            line
        }
    }
}

/// The frame of an error that ends an open stream.
pub(crate) fn error_frame(format: Format, error: &Error) -> Vec<u8> {
    match format {
        Format::Sse => {
            let mut body = Vec::with_capacity(128);
            // An Error's JSON cannot fail: string keys and plain fields only.
            let _ = error.encode_json(&mut body);
            event("error", &body)
        }
        Format::Ndjson => {
            let detail = serde_json::json!({
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": error.reason,
                "domain": "",
                "metadata": error.metadata,
            });
            let line = serde_json::json!({
                "error": {
                    "code": grpc_code(error.code),
                    "message": error.message,
                    "details": [detail],
                }
            });
            let mut out = line.to_string().into_bytes();
            out.push(b'\n');
            out
        }
    }
}

/// An SSE event: its name, then one `data:` line per line of `data`, then a blank line.
fn event(name: &str, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + name.len() + 16);
    out.extend_from_slice(b"event: ");
    out.extend_from_slice(name.as_bytes());
    out.push(b'\n');
    for line in data.split(|&b| b == b'\n') {
        out.extend_from_slice(b"data: ");
        out.extend_from_slice(line.strip_suffix(b"\r").unwrap_or(line));
        out.push(b'\n');
    }
    out.push(b'\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_split_data_into_lines() {
        assert_eq!(
            event("message", b"{\"n\":1}"),
            b"event: message\ndata: {\"n\":1}\n\n"
        );
        assert_eq!(
            event("message", b"a\nb"),
            b"event: message\ndata: a\ndata: b\n\n"
        );
    }

    #[test]
    fn accept_picks_ndjson_else_sse() {
        let mut headers = HeaderMap::new();
        assert_eq!(Format::of(&headers), Format::Sse);
        headers.insert(
            ACCEPT,
            HeaderValue::from_static("text/plain, application/x-ndjson"),
        );
        assert_eq!(Format::of(&headers), Format::Ndjson);
    }
}
