//! The transports of kratos: an HTTP server on axum and a gRPC server on tonic,
//! their clients, and the start-up sequence behind `#[kratos::main]`.
//!
//! The code `#[kratos::service]` writes is glue: per method it names a
//! [`kratos_core::Handler`], and the generic functions here do the decoding,
//! the call and the encoding, once for every service.

mod balanced;
pub mod bootstrap;
pub mod client;
pub mod deadline;
pub mod grpc;
pub mod http;
pub mod invoke;
mod mount;
mod serve;
mod unreachable;

pub use client::{Client, ClientBuilder};
pub use grpc::{GrpcClient, GrpcServer};
pub use http::{HttpClient, HttpServer};
pub use mount::mount;
pub use unreachable::NodeUnreachable;
