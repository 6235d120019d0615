//! Writing replies and errors as HTTP responses.

use axum::body::Body;
use axum::response::Response;
use http::StatusCode;
use http::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use kratos_core::Error;

/// The media type of every reply until content negotiation lands.
pub(crate) const JSON: HeaderValue = HeaderValue::from_static("application/json");

/// A JSON response with `status` and the handler's reply headers.
pub(crate) fn json_response(status: StatusCode, body: Vec<u8>, headers: HeaderMap) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let out = response.headers_mut();
    out.extend(headers);
    out.insert(CONTENT_TYPE, JSON);
    response
}

/// The kratos error body, with the error's code as status.
pub(crate) fn error_response(error: &Error, headers: HeaderMap) -> Response {
    let status =
        StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_vec(error).unwrap_or_default();
    json_response(status, body, headers)
}
