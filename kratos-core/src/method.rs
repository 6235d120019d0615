//! The link between one RPC and the code that serves it.
//!
//! `#[kratos::service]` writes one zero-sized type per trait method that implements
//! [`Method`] (its message types and descriptor) and [`Handler`] (how to call the
//! trait method on a server value). The transports are generic over these two
//! traits, so each adapter is monomorphised per method: no boxing of the service.

use std::future::Future;

use crate::context::Context;
use crate::descriptor::MethodDescriptor;
use crate::error::Error;
use crate::message::Message;

/// One RPC: its request and reply types and its descriptor.
pub trait Method: Send + Sync + 'static {
    /// The request message.
    type Request: Message;
    /// The reply message.
    type Reply: Message;
    /// Names, operation and HTTP routes.
    const DESCRIPTOR: &'static MethodDescriptor;
}

/// Calls the trait method of [`Method`] on a server value of type `S`.
pub trait Handler<S: ?Sized>: Method {
    /// Runs the method; the context carries transport, operation and headers.
    fn call<'a>(
        service: &'a S,
        ctx: &'a Context,
        request: Self::Request,
    ) -> impl Future<Output = Result<Self::Reply, Error>> + Send + 'a;
}

/// Awaits a trait method and turns its error type into the kratos [`Error`]; the
/// generated [`Handler`] impls call it so a method may return any `E: Into<Error>`.
pub async fn into_kratos_result<R, E: Into<Error>>(
    call: impl Future<Output = Result<R, E>>,
) -> Result<R, Error> {
    call.await.map_err(Into::into)
}
