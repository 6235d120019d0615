//! HTTP: the axum server that serves `#[route]` bindings, and the client that calls them.
//!
//! A request is bound to its message in Go kratos's order: the body (per the
//! route's `body`), then the query string, then the path variables, the last one
//! winning. The body is read with the codec its `Content-Type` names (JSON when it
//! names none), the reply written with the codec `Accept` asks for (JSON by
//! default); every error, including the framework's own (unknown route 404, wrong
//! verb 405, bad body 400 `CODEC`, unsupported media 415), is the kratos error body
//! with the code as status, negotiated the same way. A server's reply and error
//! encoders can be replaced ([`HttpServer::reply_encoder`], [`HttpServer::error_encoder`]).
//!
//! A hand-written route ([`HttpServer::route`]) is an axum handler; what it needs
//! is re-exported here ([`Request`], [`Multipart`], [`Path`], [`Query`], [`Json`],
//! [`IntoResponse`], [`HttpMethod`], ...) so a program depends on `kratos` alone.

mod binding;
mod body;
mod call;
mod client;
mod http_body;
#[cfg(feature = "metrics")]
mod metrics;
mod multipart;
#[cfg(feature = "openapi")]
mod openapi;
mod raw;
mod reply;
mod route;
mod server;
mod state;
pub(crate) mod stream;

pub use axum::body::Body;
pub use axum::extract::multipart::{Field, MultipartError};
pub use axum::extract::{Form, Json, Multipart, Path, Query, Request};
pub use axum::response::{IntoResponse, Response};
pub use bytes::Bytes;
pub use client::HttpClient;
pub use http::{HeaderMap, HeaderValue, StatusCode};
pub use kratos_core::HttpMethod;
#[cfg(feature = "metrics")]
pub use metrics::{PROMETHEUS_TEXT, install_prometheus};
pub use reply::{ErrorEncoder, ReplyEncoder, encode_error, encode_reply, reply_codec, response};
pub use route::RouteTable;
pub use server::{HttpConfig, HttpServer};
pub use state::{MAX_BODY_BYTES, TIMEOUT_HEADER};

pub use crate::serve::{
    ConnectionConfig, DEFAULT_BODY_READ_TIMEOUT, DEFAULT_HEADER_READ_TIMEOUT,
    DEFAULT_HTTP2_KEEPALIVE_INTERVAL, DEFAULT_HTTP2_KEEPALIVE_TIMEOUT, DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAX_CONCURRENT_STREAMS, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_HEADER_BYTES,
    DEFAULT_MAX_HEADERS, parse_size,
};

/// The request of a hand-written route, as its middlewares see it.
pub type RawRequest = http::Request<Body>;
/// The reply of a hand-written route, as its middlewares see it, and what encoders return.
pub type RawResponse = http::Response<Body>;
