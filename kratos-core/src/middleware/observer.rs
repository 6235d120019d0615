//! Observers: middlewares that only watch a call (metrics, tracing) and never
//! change its request, its reply or whether it runs. A server runs them without
//! the chain: when every middleware of a call either passes it or observes it,
//! the observers begin in chain order, the method is called directly (its typed
//! request and reply, no boxes, no [`super::Next`]), and they end in reverse order
//! with its answer, the guard outside the call having answered a panic (500
//! `UNKNOWN`); a call cut by its timeout or left by its caller ends them unanswered
//! (504 `TIMEOUT`, 499), as when they run in the chain. When any middleware of the
//! call acts, the whole chain runs, the observers as ordinary steps of it.
//!
//! Only kratos's own middlewares are observers: the set is closed, so a call's
//! observations live inline in its future instead of one box each. Without the
//! `metrics` and `opentelemetry` features there is none, and this module is inert.
#![cfg_attr(
    not(any(feature = "metrics", feature = "opentelemetry")),
    allow(unused, unreachable_code, clippy::drop_non_drop, clippy::never_loop)
)]

use std::any::Any;
use std::marker::PhantomData;
use std::sync::Arc;

use super::Middleware;
use crate::context::Context;
use crate::error::Error;

/// What a middleware that only watches calls hands a server, to be run without the
/// chain; see [`Middleware::observer`]. Only kratos's own middlewares make one.
#[derive(Clone, Copy)]
pub struct Observer<'m>(Watcher<'m>);

#[derive(Clone, Copy)]
enum Watcher<'m> {
    #[cfg(feature = "metrics")]
    Metrics(&'m super::metrics::Metrics),
    #[cfg(feature = "opentelemetry")]
    Tracing(&'m super::tracing::Tracing),
    /// Keeps the lifetime used when neither feature is on; never built.
    #[allow(dead_code)]
    Never(std::convert::Infallible, PhantomData<&'m ()>),
}

impl<'m> Observer<'m> {
    #[cfg(feature = "metrics")]
    pub(crate) fn metrics(metrics: &'m super::metrics::Metrics) -> Self {
        Self(Watcher::Metrics(metrics))
    }

    #[cfg(feature = "opentelemetry")]
    pub(crate) fn tracing(tracing: &'m super::tracing::Tracing) -> Self {
        Self(Watcher::Tracing(tracing))
    }
}

/// How a call that came back ended, as observers see it.
pub(crate) enum Answer<'a> {
    /// A reply; the closure measures its encoded size (tracing asks only when recording).
    #[cfg_attr(not(feature = "opentelemetry"), allow(dead_code))]
    Sent(&'a dyn Fn() -> Option<usize>),
    /// An error, a panic's 500 `UNKNOWN` included.
    Failed(&'a Error),
}

impl Answer<'_> {
    /// The code the call is reported with: on success the status sent (a route's
    /// `201`), else the error's code.
    pub(crate) fn code(&self, ctx: &Context) -> i32 {
        match self {
            Self::Sent(_) => i32::from(ctx.reply_status()),
            Self::Failed(e) => e.code,
        }
    }
}

/// One observer's state for one call; dropped unanswered, it ends the call as cut
/// by its timeout or left by its caller.
enum Observation<'m> {
    #[cfg(feature = "metrics")]
    Metrics(super::metrics::Record<'m>),
    #[cfg(feature = "opentelemetry")]
    Tracing(super::tracing::End),
    #[allow(dead_code)]
    Never(std::convert::Infallible, PhantomData<&'m ()>),
}

/// The most observers a call runs without the chain: kratos's own setup, tracing
/// and metrics. More take the chain; each slot makes every observed call's future
/// larger, and moving it dearer.
const MAX: usize = 2;

/// How a server runs one call, decided from its middlewares before it starts.
pub enum Plan<'m> {
    /// Every middleware passes the call: the method alone.
    Bare,
    /// Every middleware passes or observes: these observe the method's call.
    Observed(Picked<'m>),
    /// Some middleware acts: the whole chain.
    Chain,
}

/// The observers of a call, in chain order (server's, then service's, then
/// method's middlewares).
pub struct Picked<'m>([Option<Observer<'m>>; MAX]);

/// Which way a call with these middlewares (server's, service's, method's) runs.
pub fn plan<'m>(
    outer: &'m [Arc<dyn Middleware>],
    middle: &'m [Arc<dyn Middleware>],
    inner: &'static [&'static dyn Middleware],
    ctx: &Context,
) -> Plan<'m> {
    let mut picked = Picked([None; MAX]);
    let mut count = 0;
    for middleware in outer {
        if !picked.visit(&**middleware, ctx, &mut count) {
            return Plan::Chain;
        }
    }
    for middleware in middle {
        if !picked.visit(&**middleware, ctx, &mut count) {
            return Plan::Chain;
        }
    }
    for middleware in inner {
        if !picked.visit(*middleware, ctx, &mut count) {
            return Plan::Chain;
        }
    }
    if count == 0 {
        Plan::Bare
    } else {
        Plan::Observed(picked)
    }
}

impl<'m> Picked<'m> {
    /// Counts in the next middleware; false when it acts (or is one observer too many).
    #[inline]
    fn visit(&mut self, middleware: &'m dyn Middleware, ctx: &Context, count: &mut usize) -> bool {
        if middleware.passes(ctx) {
            return true;
        }
        match middleware.observer() {
            Some(observer) if *count < MAX => {
                self.0[*count] = Some(observer);
                *count += 1;
                true
            }
            _ => false,
        }
    }
}

/// The observations of one call, begun in chain order; ended (or dropped) in reverse.
pub struct Observations<'m> {
    slots: [Option<Observation<'m>>; MAX],
    len: usize,
}

impl<'m> Observations<'m> {
    /// Begins the observers `plan` picked; `request` is the request message, for
    /// tracing's `recv_msg.size`.
    pub fn begin<T: crate::message::Message>(
        picked: Picked<'m>,
        ctx: &mut Context,
        request: &T,
    ) -> Self {
        let size = || Some(super::encoded_len::<T>(request as &dyn Any));
        let mut this = Self {
            slots: [None, None],
            len: 0,
        };
        for Observer(watcher) in picked.0.into_iter().flatten() {
            let observation = match watcher {
                #[cfg(feature = "metrics")]
                Watcher::Metrics(metrics) => Observation::Metrics(metrics.begin(ctx)),
                #[cfg(feature = "opentelemetry")]
                Watcher::Tracing(tracing) => Observation::Tracing(tracing.begin(ctx, &size)),
                Watcher::Never(never, _) => match never {},
            };
            this.slots[this.len] = Some(observation);
            this.len += 1;
        }
        let _ = &size;
        this
    }

    /// Ends every observation, innermost first, with the call's result; `reply`
    /// is the reply message on success.
    pub fn end<T: crate::message::Message>(mut self, ctx: &Context, result: &Result<T, Error>) {
        let size = || {
            result
                .as_ref()
                .ok()
                .map(|reply| super::encoded_len::<T>(reply as &dyn Any))
        };
        let answer = match result {
            Ok(_) => Answer::Sent(&size),
            Err(error) => Answer::Failed(error),
        };
        while self.len > 0 {
            self.len -= 1;
            let Some(observation) = self.slots[self.len].take() else {
                continue;
            };
            match observation {
                #[cfg(feature = "metrics")]
                Observation::Metrics(record) => record.answer(ctx, &answer),
                #[cfg(feature = "opentelemetry")]
                Observation::Tracing(end) => end.finish(ctx, &answer),
                Observation::Never(never, _) => match never {},
            }
        }
        let _ = (&answer, ctx);
    }
}

impl Drop for Observations<'_> {
    fn drop(&mut self) {
        // Innermost first, as the chain's frames unwind.
        while self.len > 0 {
            self.len -= 1;
            drop(self.slots[self.len].take());
        }
    }
}

/// A call's trace, made current on this thread for each poll of its handler, so
/// its log lines and the client calls it makes belong to it.
#[derive(Default)]
pub struct Current {
    #[cfg(feature = "opentelemetry")]
    trace: Option<opentelemetry::Context>,
}

/// Keeps a call's trace current until dropped.
pub struct Entered {
    #[cfg(feature = "opentelemetry")]
    _guard: Option<opentelemetry::ContextGuard>,
}

impl Current {
    /// The trace the observers of `ctx`'s call started (none without tracing).
    pub fn of(ctx: &Context) -> Self {
        #[cfg(feature = "opentelemetry")]
        {
            Self {
                trace: ctx.trace().cloned(),
            }
        }
        #[cfg(not(feature = "opentelemetry"))]
        {
            let _ = ctx;
            Self {}
        }
    }

    /// Makes the trace current until the guard drops (nothing when there is none).
    pub fn enter(&self) -> Entered {
        Entered {
            #[cfg(feature = "opentelemetry")]
            _guard: self.trace.as_ref().map(|cx| cx.clone().attach()),
        }
    }
}
