//! `google.api.HttpBody` on HTTP: a request message that is one takes the raw body
//! and its `Content-Type` with no codec, a reply that is one is written raw with its
//! media type. The transport knows the message only by its descriptor (the type lives
//! in the `kratos` facade), so it moves between the raw form and the message through
//! the message's protobuf encoding, fields 1 and 2 as google numbers them.

use axum::response::Response;
use bytes::Bytes;
use futures_util::StreamExt;
use http::StatusCode;
use http::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use kratos_core::descriptor::MessageDescriptor;
use kratos_core::{Error, Message};

use crate::stream::Replies;

/// The default media type of an HttpBody reply that names none.
const OCTET_STREAM: &str = "application/octet-stream";

/// The protobuf shape of `google.api.HttpBody`, to read a reply without its type.
#[derive(Clone, PartialEq, prost::Message)]
struct Wire {
    #[prost(string, tag = "1")]
    content_type: String,
    #[prost(bytes = "bytes", tag = "2")]
    data: Bytes,
}

/// Whether `descriptor` is `google.api.HttpBody`.
pub(crate) fn is_http_body(descriptor: &MessageDescriptor) -> bool {
    descriptor.name == "HttpBody" && descriptor.package == Some("google.api")
}

/// The HttpBody request message `T` holding `data` and its `Content-Type`.
pub(crate) fn request<T: Message>(headers: &HeaderMap, data: Bytes) -> Result<T, Error> {
    from_raw(headers.get(CONTENT_TYPE), data)
}

/// The HttpBody message `T` holding `data` and its media type: a request the
/// server received or a reply the client read.
pub(crate) fn from_raw<T: Message>(
    content_type: Option<&HeaderValue>,
    data: Bytes,
) -> Result<T, Error> {
    let content_type = content_type
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let wire = prost::Message::encode_to_vec(&Wire { content_type, data });
    T::decode(wire.as_slice())
        .map_err(|e| Error::internal_server("CODEC", format!("HttpBody: {e}")))
}

/// The raw parts (media type, bytes) of an HttpBody message `reply`.
pub(crate) fn parts<T: Message>(reply: &T) -> Result<(HeaderValue, Bytes), Error> {
    let wire = <Wire as prost::Message>::decode(reply.encode_to_vec().as_slice())
        .map_err(|e| Error::internal_server("CODEC", format!("HttpBody reply: {e}")))?;
    let content_type = if wire.content_type.is_empty() {
        HeaderValue::from_static(OCTET_STREAM)
    } else {
        HeaderValue::from_str(&wire.content_type).map_err(|_| {
            Error::internal_server(
                "CODEC",
                format!(
                    "HttpBody reply: content_type {:?} is not a header value",
                    wire.content_type
                ),
            )
        })?
    };
    Ok((content_type, wire.data))
}

/// The response for an HttpBody `reply`: its bytes with its media type, the handler's
/// reply headers (`Content-Disposition`, say) added.
pub(crate) fn response<T: Message>(
    reply: &T,
    status: StatusCode,
    headers: HeaderMap,
) -> Result<Response, Error> {
    let (content_type, data) = parts(reply)?;
    let mut response = Response::new(axum::body::Body::from(data));
    *response.status_mut() = status;
    let out = response.headers_mut();
    out.extend(headers);
    out.insert(CONTENT_TYPE, content_type);
    Ok(response)
}

/// The response of a server stream of HttpBody replies: one body, the chunks' bytes
/// in order, with the first chunk's media type. An error before the first chunk is
/// an error response; after it the status is gone, so the body is cut short (the
/// client sees an incomplete chunked body, never a truncated file taken as whole).
pub(crate) async fn stream_response<R: Message>(
    mut replies: Replies<R>,
    headers: HeaderMap,
) -> Result<Response, Error> {
    let (content_type, first) = match replies.next().await {
        Some(Ok(first)) => parts(&first)?,
        Some(Err(error)) => return Err(error),
        None => (HeaderValue::from_static(OCTET_STREAM), Bytes::new()),
    };
    let rest = replies.map(|item| match item {
        Ok(reply) => parts(&reply).map(|(_, data)| data).map_err(ChunkError),
        Err(error) => Err(ChunkError(error)),
    });
    let chunks = futures_util::stream::once(async move { Ok(first) }).chain(rest);
    let mut response = Response::new(axum::body::Body::from_stream(chunks));
    let out = response.headers_mut();
    out.extend(headers);
    out.insert(CONTENT_TYPE, content_type);
    Ok(response)
}

/// The error that cuts a streamed body short, as the body's error type.
#[derive(Debug)]
struct ChunkError(Error);

impl std::fmt::Display for ChunkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the stream ended with an error: {}", self.0)
    }
}

impl std::error::Error for ChunkError {}
