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
use crate::middleware::{Middleware, Validator};

/// One RPC: its request and reply types and its descriptor.
pub trait Method: Send + Sync + 'static {
    /// The request message.
    type Request: Message;
    /// The reply message.
    type Reply: Message;
    /// Names, operation and HTTP routes.
    const DESCRIPTOR: &'static MethodDescriptor;
    /// The middlewares this method names with `#[middleware(...)]`, innermost of its chain.
    const MIDDLEWARE: &'static [&'static dyn Middleware] = &[];

    /// The request type's [`Validate`] check, when it has one.
    fn validator() -> Option<Validator> {
        None
    }
}

/// The request message's descriptor of method `M`. The generated method descriptor
/// names these two rather than `<Request as Message>::descriptor`, so that a request
/// or reply type without `#[kratos::message]` is reported once, at the method.
pub fn request_descriptor<M: Method>() -> &'static crate::descriptor::MessageDescriptor {
    <M::Request as Message>::DESCRIPTOR
}

/// The reply message's descriptor of method `M` (see [`request_descriptor`]).
pub fn reply_descriptor<M: Method>() -> &'static crate::descriptor::MessageDescriptor {
    <M::Reply as Message>::DESCRIPTOR
}

/// A request type that can check itself; the `validate` middleware runs the check
/// before the handler and answers 400 `VALIDATOR` with its message on failure.
pub trait Validate {
    /// `Err(message)` when the request is not acceptable.
    fn validate(&self) -> Result<(), String>;
}

/// Finds a type's [`Validate`] impl where one exists, without requiring one: the
/// generated code calls `(&&Probe::<T>::new()).kratos_validator()`; method lookup
/// tries the impl on `&Probe<T>` ([`ViaValidate`], only when `T: Validate`) before
/// the one on `Probe<T>` ([`ViaNothing`]).
pub struct Probe<T>(std::marker::PhantomData<fn() -> T>);

impl<T> Probe<T> {
    /// A probe for `T`.
    pub const fn new() -> Self {
        Self(std::marker::PhantomData)
    }
}

impl<T> Default for Probe<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// The probe's answer when the type implements [`Validate`].
pub trait ViaValidate {
    /// The type's validator.
    fn kratos_validator(&self) -> Option<Validator>;
}

impl<T: Validate + 'static> ViaValidate for &Probe<T> {
    fn kratos_validator(&self) -> Option<Validator> {
        Some(|any| any.downcast_ref::<T>().map_or(Ok(()), T::validate))
    }
}

/// The probe's answer otherwise.
pub trait ViaNothing {
    /// No validator.
    fn kratos_validator(&self) -> Option<Validator>;
}

impl<T> ViaNothing for Probe<T> {
    fn kratos_validator(&self) -> Option<Validator> {
        None
    }
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
