//! What every call of one HTTP server shares: the server's state, its encoders and
//! its body limit, and the caller's timeout header. Generated routes (`route.rs`)
//! and hand-written ones (`raw.rs`) both read it.

use std::time::Duration;

use http::header::HeaderMap;
use kratos_core::Error;

use super::reply::Encoders;
use crate::invoke::ServerState;

/// The header a kratos HTTP client sends its remaining time in, in milliseconds;
/// the server shortens its timeout to it, as gRPC does with `grpc-timeout`.
pub const TIMEOUT_HEADER: &str = "x-request-timeout";

/// [`TIMEOUT_HEADER`] as a header name, so the lookup on every call neither parses nor hashes text.
static TIMEOUT_HEADER_NAME: http::HeaderName = http::HeaderName::from_static(TIMEOUT_HEADER);

/// The default of `server.http.max_body`, the largest request body the server
/// reads: 4 MiB, gRPC's default message limit.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// What every route of one HTTP server shares once it starts.
pub(crate) struct HttpState {
    /// Endpoint, timeout and middlewares, as the gRPC server has them too.
    pub(crate) server: ServerState,
    /// How replies and errors are written.
    pub(crate) encoders: Encoders,
    /// The largest request body, for generated and hand-written routes alike.
    pub(crate) max_body: usize,
}

/// The timeout the caller asked for in [`TIMEOUT_HEADER`], if any.
pub(crate) fn requested_timeout(headers: &HeaderMap) -> Option<Duration> {
    let millis: u64 = headers
        .get(&TIMEOUT_HEADER_NAME)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_millis(millis))
}

/// The answer to a body over `max_body`: 413 `PAYLOAD_TOO_LARGE`.
pub(crate) fn body_too_large(max_body: usize) -> Error {
    Error::new(
        413,
        "PAYLOAD_TOO_LARGE",
        format!("request body exceeds {max_body} bytes (server.http.max_body)"),
    )
}
