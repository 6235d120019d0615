//! The transports of kratos: an HTTP server on axum and a gRPC server on tonic,
//! and their clients.
//!
//! The code `#[kratos::service]` writes is a method table ([`table`]): per method
//! it names a [`kratos_core::Handler`], and the generic functions here do the
//! routing, the decoding, the call and the encoding, once for every service.

mod balanced;
pub mod client;
pub mod deadline;
pub mod error;
pub mod grpc;
pub mod http;
pub mod invoke;
mod serve;
pub mod service;
pub mod state;
pub mod stream;
pub mod table;
mod unreachable;

pub use client::{Client, ClientBuilder, set_default_client_middleware};
pub use error::{ClientError, ServeError};
pub use grpc::{GrpcClient, GrpcServer};
pub use http::{HttpClient, HttpServer};
pub use service::{ServiceClient, ServiceServer};
pub use table::{MethodEntry, ServiceTable};
pub use unreachable::NodeUnreachable;
