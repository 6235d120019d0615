//! Calling a handler the way both servers do: through the server's, the service's
//! and the method's middlewares (skipped entirely when all three are empty, so a
//! bare call boxes nothing), bounded by the call's timeout, with the deadline
//! handed on to client calls made inside it, a panic answered as Go kratos's
//! recovery answers it (500, `UNKNOWN`, `unknown request error`) while the server
//! keeps serving, and server-side failures logged with their cause. The request's
//! `#[rule(..)]` field rules are checked innermost, right before the handler.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::{Pin, pin};
use std::task::{Context as TaskContext, Poll, ready};
use std::time::Duration;

use kratos_core::app::BoxFuture;
use kratos_core::error::{PANIC_MESSAGE, REASON_UNKNOWN};
use kratos_core::metadata::{Incoming, in_incoming};
use kratos_core::middleware::observer::{self, Current, Observations, Plan};
use kratos_core::middleware::recovery::{install_hook, poll_guarded};
use kratos_core::middleware::{Endpoint, Next, Reply, Request};
use kratos_core::{Chain, Context, Error, Handler};

use crate::deadline::server_timeout;
pub use crate::state::{ServerState, ServiceChain};

/// The innermost step of a server chain: the trait method of `M`.
struct TypedEndpoint<'s, M, S> {
    service: &'s S,
    method: PhantomData<fn() -> M>,
}

impl<M, S> Endpoint for TypedEndpoint<'_, M, S>
where
    M: Handler<S>,
    S: Send + Sync + 'static,
{
    fn call<'a>(
        &'a self,
        ctx: &'a mut Context,
        req: Request,
    ) -> BoxFuture<'a, Result<Reply, Error>> {
        Box::pin(async move {
            let request = req.take::<M::Request>(M::DESCRIPTOR.operation)?;
            kratos_core::field_rules::check(&request)?;
            M::call(self.service, ctx, request)
                .await
                .map(Reply::message)
        })
    }
}

/// Runs method `M` on `service` for one call; public for the benchmarks only.
#[doc(hidden)]
pub async fn invoke<M, S>(
    service: &S,
    server: &ServerState,
    chain: &Chain,
    ctx: &mut Context,
    request: M::Request,
    timeout: Duration,
) -> Result<M::Reply, Error>
where
    M: Handler<S>,
    S: Send + Sync + 'static,
{
    let incoming = Incoming {
        metadata: None,
        deadline: ctx.deadline(),
    };
    let (outer, middle) = (server.chain.as_slice(), chain.as_slice());
    // No middleware acts on this call (none configured, or each passes or only
    // observes it): the method is called directly, with nothing boxed, between the
    // observers' beginnings and ends.
    let (observations, current, chained) = match observer::plan(outer, middle, M::MIDDLEWARE, ctx) {
        Plan::Observed(picked) => {
            let observations = Observations::begin(picked, ctx, &request);
            (Some(observations), Current::of(ctx), false)
        }
        Plan::Bare => (None, Current::default(), false),
        Plan::Chain => (None, Current::default(), true),
    };
    let call = async {
        if !chained {
            kratos_core::field_rules::check(&request)?;
            return M::call(service, ctx, request).await;
        }
        let endpoint = TypedEndpoint::<M, S> {
            service,
            method: PhantomData,
        };
        let request = Request::message(request).with_validator(M::validator());
        // Boxed: the chain's future is large, and the call's future holds it only
        // on this path, so it stays small for a bare call.
        let reply =
            Box::pin(Next::new(outer, middle, M::MIDDLEWARE, &endpoint).run(ctx, request)).await?;
        reply.take::<M::Reply>(M::DESCRIPTOR.operation)
    };
    let (result, cut) = {
        let mut bounded = pin!(run_traced(timeout, incoming, current, call));
        let result = bounded.as_mut().await;
        (result, bounded.cut)
    };
    // A call its timeout cut ends its observers unanswered (dropped), as a chain
    // cut inside them does: they report it as the timeout, not as an answer.
    if let Some(observations) = observations
        && !cut
    {
        observations.end(ctx, &result);
    }
    if let Err(error) = &result {
        log_failure(ctx, error, "call failed");
    }
    result
}

/// Runs one call's future under the timeout, the deadline scope and the panic guard;
/// shared by typed methods and hand-written routes, which then log a server-side
/// failure with [`log_failure`].
pub(crate) fn run_bounded<F, R>(timeout: Duration, incoming: Incoming, call: F) -> Bounded<F>
where
    F: Future<Output = Result<R, Error>>,
{
    run_traced(timeout, incoming, Current::default(), call)
}

/// [`run_bounded`], with `current` as the trace each poll of the call runs in.
#[inline]
fn run_traced<F, R>(timeout: Duration, incoming: Incoming, current: Current, call: F) -> Bounded<F>
where
    F: Future<Output = Result<R, Error>>,
{
    // Programs that build their servers by hand get the hook with their first call.
    install_hook();
    // The transports set the deadline to now + timeout as the call began: reading
    // the clock again would only move it later.
    let deadline = match incoming.deadline {
        Some(deadline) => tokio::time::Instant::from_std(deadline),
        None => tokio::time::Instant::now() + timeout,
    };
    Bounded {
        call,
        incoming,
        deadline,
        timeout,
        sleep: None,
        current,
        cut: false,
    }
}

pin_project_lite::pin_project! {
    /// A call under its timeout, its deadline scope and the panic guard, as one
    /// future rather than three wrapped around it (each wrapper moved the whole
    /// call at its start); the timer is armed only when the call does not finish
    /// on its first poll, as most calls do.
    pub(crate) struct Bounded<F> {
        #[pin]
        call: F,
        incoming: Incoming,
        deadline: tokio::time::Instant,
        timeout: Duration,
        #[pin]
        sleep: Option<tokio::time::Sleep>,
        // The call's trace, current during each of its polls.
        current: Current,
        // Set when the timeout answered the call.
        cut: bool,
    }
}

impl<F, R> Future for Bounded<F>
where
    F: Future<Output = Result<R, Error>>,
{
    type Output = Result<R, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let call = this.call;
        let polled = {
            let _trace = this.current.enter();
            in_incoming(this.incoming, || poll_guarded(|| call.poll(cx)))
        };
        match polled {
            Ok(Poll::Ready(out)) => return Poll::Ready(out),
            Ok(Poll::Pending) => {}
            Err(panic) => {
                return Poll::Ready(Err(
                    Error::internal_server(REASON_UNKNOWN, PANIC_MESSAGE).with_cause(panic)
                ));
            }
        }
        if this.sleep.is_none() {
            this.sleep
                .set(Some(tokio::time::sleep_until(*this.deadline)));
        }
        if let Some(sleep) = this.sleep.as_pin_mut() {
            ready!(sleep.poll(cx));
        }
        *this.cut = true;
        Poll::Ready(Err(server_timeout(*this.timeout)))
    }
}

/// Logs a server-side failure (code 500 and up) of `ctx`'s call with its cause,
/// once, where it ends; within the call's trace, when it has one.
pub(crate) fn log_failure(ctx: &Context, error: &Error, what: &'static str) {
    if error.code < 500 {
        return;
    }
    #[cfg(feature = "opentelemetry")]
    let _trace = kratos_core::middleware::tracing::attach(ctx);
    let (kind, operation) = (ctx.kind(), ctx.operation());
    let cause = error.cause().map(|c| c.to_string());
    tracing::error!(
        %kind,
        operation,
        code = error.code,
        reason = %error.reason,
        message = %error.message,
        cause = cause.as_deref().unwrap_or(""),
        "{what}"
    );
}

/// The request's own deadline when it is shorter than the server's timeout.
pub(crate) fn effective_timeout(server: Duration, requested: Option<Duration>) -> Duration {
    requested.map_or(server, |r| r.min(server))
}
