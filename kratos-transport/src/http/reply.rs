//! Writing replies and errors as HTTP responses, with the codec the request's
//! `Accept` asks for, and the hooks that let a server replace either encoder (to
//! wrap every reply in a team's own envelope, for instance).

use std::sync::Arc;

use axum::body::Body;
use axum::response::Response;
use http::StatusCode;
use http::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderValue};
use kratos_core::Error;
use kratos_core::encoding::{self, Encode};
use kratos_core::error::REASON_CODEC;

use super::RawResponse;

/// Writes the reply of a successful call: given the request's headers, the route's
/// status and the reply, returns the response. An error it returns is answered by
/// the server's [`ErrorEncoder`].
pub type ReplyEncoder =
    Arc<dyn Fn(&HeaderMap, StatusCode, &dyn Encode) -> Result<RawResponse, Error> + Send + Sync>;

/// Writes an error, the framework's own (404, 405, 413, 415, 504) included: given
/// the request's headers and the error, returns the response.
pub type ErrorEncoder = Arc<dyn Fn(&HeaderMap, &Error) -> RawResponse + Send + Sync>;

/// A response with this status, `Content-Type` and body.
pub fn response(status: StatusCode, content_type: HeaderValue, body: Vec<u8>) -> RawResponse {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, content_type);
    response
}

/// The codec the request's `Accept` header asks for (JSON by default).
pub fn reply_codec(request: &HeaderMap) -> encoding::RegisteredCodec {
    encoding::for_accept(request.get(ACCEPT).and_then(|v| v.to_str().ok()))
}

/// The default reply encoder: the reply itself in the codec `Accept` asks for, with
/// `Content-Type: application/<codec>`.
pub fn encode_reply(
    request: &HeaderMap,
    status: StatusCode,
    reply: &dyn Encode,
) -> Result<RawResponse, Error> {
    let codec = reply_codec(request);
    // serde_json's own starting size: most replies fit without growing.
    let mut body = Vec::with_capacity(128);
    codec.encode(reply, &mut body).map_err(|e| {
        Error::internal_server(
            REASON_CODEC,
            format!("reply marshal ({}): {e}", codec.name()),
        )
    })?;
    Ok(response(status, codec.content_type().clone(), body))
}

/// The default error encoder: the kratos error body `{code, reason, message,
/// metadata}` in the codec `Accept` asks for, with the error's code as status.
/// Should that codec fail on the error (an XML-hostile metadata key), JSON is used.
pub fn encode_error(request: &HeaderMap, error: &Error) -> RawResponse {
    let status =
        StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let codec = reply_codec(request);
    let mut body = Vec::with_capacity(128);
    if codec.encode(error, &mut body).is_ok() {
        return response(status, codec.content_type().clone(), body);
    }
    body.clear();
    // An Error's JSON cannot fail: string keys and plain fields only.
    let _ = error.encode_json(&mut body);
    response(status, HeaderValue::from_static("application/json"), body)
}

/// The encoders of one server: the defaults unless replaced.
#[derive(Clone, Default)]
pub(crate) struct Encoders {
    pub(crate) reply: Option<ReplyEncoder>,
    pub(crate) error: Option<ErrorEncoder>,
}

impl Encoders {
    /// The response for a reply, with the handler's reply headers.
    pub(crate) fn reply(
        &self,
        request: &HeaderMap,
        status: StatusCode,
        reply: &dyn Encode,
        headers: HeaderMap,
    ) -> Response {
        let encoded = match &self.reply {
            Some(encode) => encode(request, status, reply),
            None => encode_reply(request, status, reply),
        };
        match encoded {
            Ok(response) => with_headers(response, headers),
            Err(error) => self.error(request, &error, headers),
        }
    }

    /// The response for an error, with the handler's reply headers.
    pub(crate) fn error(&self, request: &HeaderMap, error: &Error, headers: HeaderMap) -> Response {
        let response = match &self.error {
            Some(encode) => encode(request, error),
            None => encode_error(request, error),
        };
        with_headers(response, headers)
    }
}

/// Adds the handler's reply headers; the encoder's `Content-Type` stays, since it
/// describes the body the encoder wrote.
fn with_headers(mut response: Response, headers: HeaderMap) -> Response {
    if headers.is_empty() {
        return response;
    }
    let out = response.headers_mut();
    let content_type = out.remove(CONTENT_TYPE);
    out.extend(headers);
    if let Some(content_type) = content_type {
        out.insert(CONTENT_TYPE, content_type);
    }
    response
}
