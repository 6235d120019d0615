//! The contract between `#[kratos::service]` and the transports: a static method
//! table per service trait.
//!
//! For a trait `Greeter` the macro writes the trait, one marker type per method
//! (its [`Method`](kratos_core::Method) and [`Handler`] impls), and a table: the
//! service descriptor plus one [`MethodEntry`] per method. An entry is a handful of
//! function pointers, each a generic function of this crate monomorphised for that
//! method: how the HTTP server adds its routes, how the gRPC server answers its
//! path. Serving a method over either transport is therefore ordinary generic
//! code here, read from the table, and so is calling one
//! ([`ServiceClient`](crate::service::ServiceClient)).
//!
//! An entry records the method's shape, so a streaming method is one more
//! constructor beside [`MethodEntry::unary`], served by the same servers.

use std::sync::Arc;

use kratos_core::stream::StreamHandler;
use kratos_core::{Chain, Error, Handler, MethodDescriptor, MethodShape, ServiceDescriptor};

use crate::grpc::{self, ResponseFuture};
use crate::http::RouteTable;
use crate::invoke::ServiceChain;

/// Adds a method's HTTP routes to a server's route table.
pub(crate) type AddRoutes<S> = fn(&mut RouteTable, Arc<S>, Chain) -> Result<(), Error>;

/// Answers one gRPC call of a method.
pub(crate) type ServeGrpc<S> = fn(Arc<S>, ServiceChain, grpc::Request) -> ResponseFuture;

/// One method of a service trait as the transports serve it, for implementations of type `S`.
pub struct MethodEntry<S> {
    descriptor: &'static MethodDescriptor,
    pub(crate) routes: AddRoutes<S>,
    pub(crate) grpc: ServeGrpc<S>,
}

impl<S> MethodEntry<S> {
    /// The method's names, shape and routes.
    pub const fn descriptor(&self) -> &'static MethodDescriptor {
        self.descriptor
    }
}

impl<S: Send + Sync + 'static> MethodEntry<S> {
    /// The entry of a unary method `M`: one request, one reply.
    pub const fn unary<M: Handler<S>>() -> Self {
        assert!(
            matches!(M::DESCRIPTOR.shape, MethodShape::Unary),
            "a unary entry for a streaming method"
        );
        Self {
            descriptor: M::DESCRIPTOR,
            routes: RouteTable::add::<M, S>,
            grpc: grpc::unary::<M, S>,
        }
    }

    /// The entry of a streaming method `M` (server-, client- or bidi-streaming, as
    /// its descriptor says): over HTTP a server stream is SSE or NDJSON, the others
    /// WebSocket.
    pub const fn streaming<M: StreamHandler<S>>() -> Self {
        assert!(
            !matches!(M::DESCRIPTOR.shape, MethodShape::Unary),
            "a streaming entry for a unary method"
        );
        Self {
            descriptor: M::DESCRIPTOR,
            routes: crate::http::stream::add::<M, S>,
            grpc: grpc::streaming::<M, S>,
        }
    }
}

/// A service trait's method table for one implementation type `S` of it:
/// `#[kratos::service]` implements this on a marker type it writes beside the trait.
pub trait ServiceTable<S: 'static>: Send + Sync + 'static {
    /// The service's names, methods and routes.
    const DESCRIPTOR: &'static ServiceDescriptor;
    /// One entry per method, in declaration order.
    const METHODS: &'static [MethodEntry<S>];
}
