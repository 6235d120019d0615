//! gRPC: the tonic-compatible server that serves every method of a service, and
//! the client behind generated clients.
//!
//! Errors travel as Go kratos sends them: the status code mapped from the HTTP-style
//! code, the message as status message, and a `google.rpc.ErrorInfo` detail with
//! the reason and metadata.

mod adapter;
mod client;
mod server;
mod status;

pub use adapter::{
    BindServer, GrpcService, Request, Response, ResponseFuture, unary, unimplemented,
};
pub use client::GrpcClient;
pub use server::{GrpcConfig, GrpcServer};
pub use status::{error_from_status, status_from_error};
pub use tonic::server::NamedService;
