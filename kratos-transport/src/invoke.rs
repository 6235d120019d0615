//! Calling a handler the way both servers do: bounded by the call's timeout, a
//! panic answered as Go kratos's recovery answers it (500, `UNKNOWN`, `unknown
//! request error`) while the server keeps serving, and server-side failures logged
//! with their cause, which never goes on the wire.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use kratos_core::error::{PANIC_MESSAGE, REASON_UNKNOWN};
use kratos_core::{Context, Error, Handler};

use crate::deadline::server_timeout;

/// Runs method `M` on `service` for one call.
pub(crate) async fn invoke<M, S>(
    service: &S,
    ctx: &Context,
    request: M::Request,
    timeout: Duration,
) -> Result<M::Reply, Error>
where
    M: Handler<S>,
    S: Send + Sync + 'static,
{
    let call = recover(ctx, M::call(service, ctx, request));
    let result = match tokio::time::timeout(timeout, call).await {
        Ok(result) => result,
        Err(_) => Err(server_timeout(timeout)),
    };
    if let Err(error) = &result
        && error.code >= 500
    {
        let cause = error.cause().map(|c| c.to_string());
        tracing::error!(
            kind = %ctx.kind(),
            operation = ctx.operation(),
            code = error.code,
            reason = %error.reason,
            message = %error.message,
            cause = cause.as_deref().unwrap_or(""),
            "call failed"
        );
    }
    result
}

/// Polls `call`, turning a panic inside it into the recovery error.
async fn recover<R>(
    ctx: &Context,
    call: impl Future<Output = Result<R, Error>>,
) -> Result<R, Error> {
    let mut call = pin!(call);
    std::future::poll_fn(|cx| match std::panic::catch_unwind(AssertUnwindSafe(|| call.as_mut().poll(cx))) {
        Ok(poll) => poll,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            tracing::error!(kind = %ctx.kind(), operation = ctx.operation(), panic = %what, "handler panicked");
            Poll::Ready(Err(Error::internal_server(REASON_UNKNOWN, PANIC_MESSAGE)))
        }
    })
    .await
}
