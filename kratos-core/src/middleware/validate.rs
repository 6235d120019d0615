//! `validate`: a request whose type implements [`crate::Validate`] is checked before
//! the handler; a failure answers 400 with reason `VALIDATOR` and the message.

use super::{Middleware, Next, Reply, Request};
use crate::BoxFuture;
use crate::context::Context;
use crate::error::Error;

/// The reason of a request that failed validation.
pub const REASON_VALIDATOR: &str = "VALIDATOR";

/// The validate middleware.
#[derive(Clone, Copy, Debug, Default)]
pub struct Validator;

/// Validation of requests whose type implements [`crate::Validate`].
pub fn validator() -> Validator {
    Validator
}

impl Middleware for Validator {
    fn handle<'a>(
        &'a self,
        ctx: &'a mut Context,
        req: Request,
        next: Next<'a>,
    ) -> BoxFuture<'a, Result<Reply, Error>> {
        match req.validate() {
            Some(Err(message)) => Box::pin(std::future::ready(Err(Error::bad_request(
                REASON_VALIDATOR,
                message,
            )))),
            _ => Box::pin(next.run(ctx, req)),
        }
    }
}
