//! The type-erased request and reply a middleware sees: the decoded message in a
//! box, readable by downcasting to its concrete type.

use std::any::Any;
use std::fmt;

use crate::error::Error;

/// Anything that can travel through a chain: a message, or a raw HTTP request for hand-written routes.
pub trait Payload: Any + fmt::Debug + Send {
    /// This value as `Any`, for downcasting.
    fn as_any(&self) -> &dyn Any;
    /// This value as mutable `Any`, for downcasting.
    fn as_any_mut(&mut self) -> &mut dyn Any;
    /// The box as `Box<dyn Any>`, for taking the value out.
    fn into_any(self: Box<Self>) -> Box<dyn Any>;
}

impl<T: Any + fmt::Debug + Send> Payload for T {
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

/// Checks a request before its handler runs; `#[kratos::service]` fills it in for
/// request types that implement [`crate::Validate`].
pub type Validator = fn(&dyn Any) -> Result<(), String>;

/// The protobuf-encoded size of a payload, as tracing reports it (`recv_msg.size`,
/// `send_msg.size`); transports attach [`encoded_len`] for the message types they carry.
pub type Sizer = fn(&dyn Any) -> usize;

/// The [`Sizer`] of message type `T`.
pub fn encoded_len<T: prost::Message + Any>(payload: &dyn Any) -> usize {
    payload
        .downcast_ref::<T>()
        .map_or(0, prost::Message::encoded_len)
}

/// Writes a payload for logs in place of its own `Debug`: a transport sets one for
/// a raw HTTP request or response, whose `Debug` would print credential headers.
pub type Describe = fn(&dyn Any, &mut fmt::Formatter<'_>) -> fmt::Result;

/// The decoded request of a call, as middlewares see it.
pub struct Request {
    payload: Box<dyn Payload>,
    validator: Option<Validator>,
    describe: Option<Describe>,
    size: Option<Sizer>,
}

/// The reply of a call, as middlewares see it.
pub struct Reply {
    payload: Box<dyn Payload>,
    describe: Option<Describe>,
    size: Option<Sizer>,
}

impl Request {
    /// Boxes a request value.
    pub fn new<T: Payload>(value: T) -> Self {
        Self {
            payload: Box::new(value),
            validator: None,
            describe: None,
            size: None,
        }
    }

    /// A request message, its encoded size known to middlewares.
    pub fn message<T: crate::message::Message>(value: T) -> Self {
        Self::new(value).with_size(encoded_len::<T>)
    }

    /// Attaches how the request's encoded size is measured.
    pub fn with_size(mut self, size: Sizer) -> Self {
        self.size = Some(size);
        self
    }

    /// The protobuf-encoded size of the request, when it is a message.
    pub fn encoded_len(&self) -> Option<usize> {
        self.size.map(|size| size((*self.payload).as_any()))
    }

    /// Formats the request with `describe` instead of its `Debug` (logs see that).
    pub fn with_describe(mut self, describe: Describe) -> Self {
        self.describe = Some(describe);
        self
    }

    /// Attaches the request type's validation, run by the `validate` middleware.
    pub fn with_validator(mut self, validator: Option<Validator>) -> Self {
        self.validator = validator;
        self
    }

    /// The request as `T`, if it is one.
    pub fn downcast_ref<T: Any>(&self) -> Option<&T> {
        (*self.payload).as_any().downcast_ref()
    }

    /// The request as mutable `T`, if it is one.
    pub fn downcast_mut<T: Any>(&mut self) -> Option<&mut T> {
        (*self.payload).as_any_mut().downcast_mut()
    }

    /// Takes the value out as `T`; gives the request back if it is not one.
    pub fn downcast<T: Any>(self) -> Result<T, Self> {
        if (*self.payload).as_any().is::<T>() {
            let any = self.payload.into_any();
            Ok(*any
                .downcast::<T>()
                .unwrap_or_else(|_| unreachable!("type checked above")))
        } else {
            Err(self)
        }
    }

    /// Takes the value out as `T` for the call of `operation`; when a middleware put
    /// something else in its place, the 500 `MIDDLEWARE` error that names it.
    pub fn take<T: Any>(self, operation: &str) -> Result<T, Error> {
        self.downcast::<T>().map_err(|other| {
            Error::internal_server(
                "MIDDLEWARE",
                format!("a middleware replaced the request of {operation} with {other:?}"),
            )
        })
    }

    /// Runs the request type's validation, if it has one.
    pub fn validate(&self) -> Option<Result<(), String>> {
        self.validator
            .map(|validate| validate((*self.payload).as_any()))
    }
}

impl Reply {
    /// Boxes a reply value.
    pub fn new<T: Payload>(value: T) -> Self {
        Self {
            payload: Box::new(value),
            describe: None,
            size: None,
        }
    }

    /// A reply message, its encoded size known to middlewares.
    pub fn message<T: crate::message::Message>(value: T) -> Self {
        Self::new(value).with_size(encoded_len::<T>)
    }

    /// Attaches how the reply's encoded size is measured.
    pub fn with_size(mut self, size: Sizer) -> Self {
        self.size = Some(size);
        self
    }

    /// The protobuf-encoded size of the reply, when it is a message.
    pub fn encoded_len(&self) -> Option<usize> {
        self.size.map(|size| size((*self.payload).as_any()))
    }

    /// Formats the reply with `describe` instead of its `Debug` (logs see that).
    pub fn with_describe(mut self, describe: Describe) -> Self {
        self.describe = Some(describe);
        self
    }

    /// The reply as `T`, if it is one.
    pub fn downcast_ref<T: Any>(&self) -> Option<&T> {
        (*self.payload).as_any().downcast_ref()
    }

    /// The reply as mutable `T`, if it is one.
    pub fn downcast_mut<T: Any>(&mut self) -> Option<&mut T> {
        (*self.payload).as_any_mut().downcast_mut()
    }

    /// Takes the value out as `T`; gives the reply back if it is not one.
    pub fn downcast<T: Any>(self) -> Result<T, Self> {
        if (*self.payload).as_any().is::<T>() {
            let any = self.payload.into_any();
            Ok(*any
                .downcast::<T>()
                .unwrap_or_else(|_| unreachable!("type checked above")))
        } else {
            Err(self)
        }
    }

    /// Takes the value out as `T` for the call of `operation`; when a middleware
    /// answered something else, the 500 `MIDDLEWARE` error that names it.
    pub fn take<T: Any>(self, operation: &str) -> Result<T, Error> {
        self.downcast::<T>().map_err(|other| {
            Error::internal_server(
                "MIDDLEWARE",
                format!("a middleware answered {operation} with {other:?}"),
            )
        })
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.describe {
            Some(describe) => describe((*self.payload).as_any(), f),
            None => (*self.payload).fmt(f),
        }
    }
}

impl fmt::Debug for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.describe {
            Some(describe) => describe((*self.payload).as_any(), f),
            None => (*self.payload).fmt(f),
        }
    }
}
