//! The transport-agnostic model of kratos.
//!
//! Everything here is shared by the HTTP and gRPC transports and by the code that
//! `kratos-macros` generates: the error type and its wire mapping, the request
//! [`Context`], the descriptors of services and methods, the traits that tie a
//! generated method to its message types, the application lifecycle (built from a
//! [`Config`] of the `kratos-config` crate, whose errors convert into [`Error`]),
//! and the codecs that encode messages on HTTP. This crate never names axum or tonic.

pub mod app;
pub mod context;
pub mod descriptor;
pub mod encoding;
pub mod error;
pub mod field_rules;
pub mod metadata;
pub mod method;
pub mod middleware;
pub mod proto;
/// Kept at the crate root for the paths users and generated code name.
pub use proto::message;
pub mod redact;
pub mod registry;
pub mod selector;
pub mod service;
pub mod stream;

/// A boxed, sendable future: what the object-safe traits of the core (servers,
/// middlewares, registries) return.
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

#[doc(hidden)]
pub use prost as __prost;
#[doc(hidden)]
pub use serde as __serde;

pub use app::{App, AppBuilder, AppHandle, RunningApp, Server};
pub use context::{Context, HttpRequestLine, Kind};
pub use descriptor::{
    HttpMethod, MethodDescriptor, MethodShape, RouteBody, RouteDescriptor, ServiceDescriptor,
};
pub use error::{Error, Result};
pub use kratos_config::Config;
pub use message::{FieldError, FieldValue, Message};
pub use metadata::Metadata;
pub use method::{Handler, Method, Validate};
pub use middleware::{Chain, Middleware, Next};
pub use service::{IntoService, Service, ServiceRegistration};
pub use stream::{StreamHandler, StreamSender, Streaming};
