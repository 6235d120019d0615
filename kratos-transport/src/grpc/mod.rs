//! gRPC: the tonic-compatible server that serves every method of a service, and
//! the client behind generated clients.
//!
//! Errors travel as Go kratos sends them: the status code mapped from the HTTP-style
//! code, the message as status message, and a `google.rpc.ErrorInfo` detail with
//! the reason and metadata.
//!
//! Input a gRPC client should not send is refused before the handler runs: a
//! Content-Type other than `application/grpc` or `application/grpc+proto` is HTTP 415
//! with status `INVALID_ARGUMENT` (as grpc-go answers it), an undecodable request
//! message is `INVALID_ARGUMENT` with reason `CODEC`, and a second request message on a
//! unary call is `INTERNAL` (a cardinality violation, as grpc-go answers it).

mod adapter;
mod client;
mod codec;
mod dispatch;
mod server;
mod status;
mod stream;

pub use adapter::{GrpcService, Request, Response, ResponseFuture, unary};
pub use client::GrpcClient;
pub(crate) use dispatch::Dispatch;
pub use server::{GrpcConfig, GrpcServer};
pub use status::{error_from_status, status_from_error};
pub use stream::streaming;
pub use tonic::server::NamedService;
