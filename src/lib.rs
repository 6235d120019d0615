//! kratos: a microservice framework for Rust, wire compatible with Go kratos.
//!
//! Write a plain trait, annotate it with [`service`], implement it, and it is
//! served over HTTP (axum) and gRPC (tonic) at once, with a typed client for
//! each transport. [`main`] turns `async fn main` into a program that reads
//! `-conf`, starts both servers and stops them gracefully on SIGTERM.
//!
//! ```ignore
//! use kratos::prelude::*;
//!
//! #[kratos::message]
//! pub struct HelloRequest { pub name: String }
//! #[kratos::message]
//! pub struct HelloReply { pub message: String }
//!
//! #[kratos::service(package = "helloworld.v1")]
//! pub trait Greeter {
//!     #[route(get = "/helloworld/{name}")]
//!     async fn say_hello(&self, req: HelloRequest) -> kratos::Result<HelloReply>;
//! }
//! ```
//!
//! This crate is the facade: it re-exports the pieces of `kratos-core`,
//! `kratos-config`, `kratos-transport` and `kratos-macros`, plus [`bootstrap`], the
//! start-up sequence `#[kratos::main]` runs. gRPC reflection, the descriptors
//! and the xml, yaml and form codecs are cargo features on by default; `metrics`,
//! `opentelemetry` and `jwt` (each a dependency tree of its own) are off until
//! asked for, `full` turns on everything, and with `default-features = false` a
//! server speaks JSON and protobuf (README, "Cargo features").

extern crate self as kratos;

mod body;

pub use kratos_config::{Atomic, Config};
pub use kratos_core::app::{AppInfo, DEFAULT_REGISTRAR_TIMEOUT, DEFAULT_STOP_TIMEOUT};
pub use kratos_core::{
    App, AppBuilder, AppHandle, Context, Error, HttpRequestLine, Kind, Metadata, Result,
    RunningApp, Server, StreamSender, Streaming, Validate,
};
pub use kratos_macros::{error_code, main, message, middleware, route, service};
pub use kratos_transport::{
    Client, ClientBuilder, ClientError, GrpcClient, GrpcServer, HttpClient, HttpServer,
    NodeUnreachable, ServeError,
};

/// Errors: code and reason of any error, the HTTP/gRPC code tables, framework reasons.
pub mod errors {
    pub use kratos_core::error::{
        INTERNAL_MESSAGE, PANIC_MESSAGE, REASON_CODEC, REASON_UNKNOWN, code, from_error, grpc,
        grpc_code, http_code, reason,
    };
    pub use kratos_transport::error::REASON_BIND;
}

/// Configuration (the `kratos-config` crate): files, the typed sections the servers read,
/// duration parsing.
pub mod config {
    pub use crate::bootstrap::{DEFAULT_CONF, ServerSection};
    pub use kratos_config::{
        Atomic, Changed, Config, ConfigBuilder, ConfigError, ConfigValue, DEFAULT_ENV_PREFIX,
        EnvSource, FileSource, Layer, MemorySource, Source, WatchGuard, duration, parse_duration,
    };
    pub use kratos_transport::grpc::GrpcConfig;
    pub use kratos_transport::http::HttpConfig;
}

/// Codecs and content negotiation: the [`Codec`](encoding::Codec) trait, the registry
/// ([`register`](encoding::register) your own), and the built-in json and proto codecs,
/// plus xml, yaml and x-www-form-urlencoded with their features.
pub mod encoding {
    pub use kratos_core::encoding::*;
}

/// Descriptors of services, methods and routes, as `#[kratos::service]` writes them.
pub mod descriptor {
    pub use kratos_core::descriptor::*;
}

/// Service registry and discovery: instances, the registrar/discovery traits, the embedded registry.
pub mod registry {
    pub use kratos_core::app::BoxFuture;
    pub use kratos_core::registry::{
        Discovery, Embedded, Registrar, Registry, RegistryFactory, ServiceInstance, Watcher,
        factory,
    };
}

/// Picking a node per call: filters and balancers (p2c, wrr, random).
pub mod selector {
    pub use kratos_core::selector::{
        Balancer, Filter, Node, P2c, Picked, REASON_NO_AVAILABLE_NODE, Random, Selector,
        WeightedNode, Wrr, filter, p2c, random, version, wrr,
    };
}

/// Messages on the wire: the well-known types, the JSON name switch, proto enums.
pub mod proto {
    pub use crate::body::{FilePart, FormChunk, HttpBody};
    pub use kratos_core::message::{FieldError, FieldValue, Message};
    pub use kratos_core::proto::ProtoEnum;
    pub use kratos_core::proto::json::use_declared_names;
    pub use kratos_core::proto::wkt::{Duration, Timestamp};
}

/// The HTTP transport.
pub mod http {
    pub use kratos_transport::http::*;
}

/// The gRPC transport.
pub mod grpc {
    pub use kratos_transport::grpc::{
        GrpcClient, GrpcConfig, GrpcServer, GrpcService, error_from_status, status_from_error,
    };
}

pub mod bootstrap;

/// Streaming RPCs: the [`Streaming`] type of their requests and replies, its
/// channel's sender, and what a middleware sees at a stream's end.
pub mod stream {
    pub use kratos_core::stream::{Closed, StreamSender, StreamSummary, Streaming};
}

/// Timeouts that apply when nothing else is configured.
pub mod deadline {
    pub use kratos_transport::deadline::{DEFAULT_CLIENT_TIMEOUT, DEFAULT_SERVER_TIMEOUT};
}

/// The middleware model: one chain for HTTP and gRPC, servers and clients.
pub mod middleware {
    #[cfg(feature = "jwt")]
    pub use kratos_core::middleware::jwt;
    #[cfg(feature = "metrics")]
    pub use kratos_core::middleware::metrics;
    pub use kratos_core::middleware::selector::{Selector, selector};
    #[cfg(feature = "opentelemetry")]
    pub use kratos_core::middleware::tracing;
    pub use kratos_core::middleware::{
        Chain, Endpoint, Middleware, Next, Payload, Reply, Request, Validator,
    };
    pub use kratos_core::middleware::{
        circuitbreaker, logging, metadata, ratelimit, recovery, registered, validate,
    };
    pub use kratos_transport::set_default_client_middleware;
}

/// Which headers carry credentials; their values never reach a log.
pub mod redact {
    pub use kratos_core::redact::{Redacted, add_sensitive_header, is_sensitive};
}

/// Call metadata and its propagation (`x-md-global-*`, `x-md-local-*`).
pub mod metadata {
    pub use kratos_core::metadata::{
        GLOBAL_PREFIX, Incoming, LOCAL_PREFIX, Metadata, PREFIX, incoming, with_incoming,
    };
}

/// What most programs import: `use kratos::prelude::*;`.
pub mod prelude {
    pub use crate::middleware::{Middleware, Next, Reply, Request};
    pub use crate::{App, AppBuilder, Context, Error, GrpcServer, HttpServer, Kind, route};
}

/// What generated code names. Not a public API: it changes without notice.
#[doc(hidden)]
pub mod __private {
    pub use crate::bootstrap;
    pub use ::inventory;
    pub use ::prost;
    pub use ::serde;
    pub use kratos_core::app::BoxFuture;
    pub use kratos_core::descriptor::{self, MessageDescriptor};
    pub use kratos_core::field_rules;
    pub use kratos_core::message::FieldTarget;
    pub use kratos_core::method::{
        Probe, ViaNothing, ViaValidate, into_kratos_result, reply_descriptor, request_descriptor,
    };
    pub use kratos_core::middleware::{
        Middleware, MiddlewareRegistration, Next, Reply, Request, Validator,
    };
    pub use kratos_core::proto;
    pub use kratos_core::service::from_config;
    pub use kratos_core::stream::{self, StreamHandler, Streaming};
    pub use kratos_core::{
        AppBuilder, Config, Context, Error, FieldError, FieldValue, Handler, HttpMethod,
        IntoService, Message, Method, MethodDescriptor, MethodShape, RouteBody, RouteDescriptor,
        Service, ServiceDescriptor, ServiceRegistration,
    };
    pub use kratos_transport::{Client, MethodEntry, ServiceClient, ServiceServer, ServiceTable};
}
