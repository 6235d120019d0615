//! How a call ended, as the observing middlewares (metrics, tracing) report it:
//! the answer of the chain inside them, a panic below them answered as the guard
//! outside the chain would answer it, or no answer at all when the call's future
//! was dropped (the server timeout cut it, or the caller left).

use std::time::Instant;

use super::observer::Answer;
use super::recovery::catch;
use super::{Next, Reply, Request};
use crate::context::Context;
use crate::error::{Error, PANIC_MESSAGE, REASON_UNKNOWN};

/// Runs the rest of the chain; a panic below becomes the 500 `UNKNOWN` the guard
/// outside the chain answers with (the panic kept as the cause it logs), so an
/// observer records it: unwinding would skip the observer's frame.
pub(crate) async fn run_caught(
    next: Next<'_>,
    ctx: &mut Context,
    req: Request,
) -> Result<Reply, Error> {
    match catch(next.run(ctx, req)).await {
        Ok(result) => result,
        Err(panic) => Err(Error::internal_server(REASON_UNKNOWN, PANIC_MESSAGE).with_cause(panic)),
    }
}

/// Hands `observe` the chain's answer as observers read it.
pub(crate) fn answered(result: &Result<Reply, Error>, observe: impl FnOnce(&Answer<'_>)) {
    match result {
        Ok(reply) => observe(&Answer::Sent(&|| reply.encoded_len())),
        Err(error) => observe(&Answer::Failed(error)),
    }
}

/// The code and reason of a call that never came back: 504 `TIMEOUT` once its
/// deadline passed (the timeout outside the chain cut it), else 499 (its caller left).
pub(crate) fn unanswered(deadline: Option<Instant>) -> (i32, &'static str) {
    if deadline.is_some_and(|d| d <= Instant::now()) {
        (504, "TIMEOUT")
    } else {
        (499, "")
    }
}
