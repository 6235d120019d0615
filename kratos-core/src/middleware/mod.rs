//! One middleware model for both transports, servers and clients, as Go kratos's
//! `func(Handler) Handler`: a [`Middleware`] gets the call's [`Context`], the
//! decoded [`Request`] and the rest of the chain as [`Next`], and returns the
//! [`Reply`] or an [`Error`].
//!
//! A server runs, outermost first: its own middlewares, then the service's, then
//! those a method names with `#[middleware(...)]`; the innermost step is the trait
//! method. A client runs its middlewares before the call leaves; the innermost
//! step sends it. Transport concerns that need no decoded message (CORS,
//! compression, body limits) are `tower::Layer`s on the servers instead.

pub mod circuitbreaker;
#[cfg(feature = "jwt")]
pub mod jwt;
pub mod logging;
pub mod metadata;
#[cfg(feature = "metrics")]
pub mod metrics;
pub mod observer;
#[cfg(any(feature = "metrics", feature = "opentelemetry"))]
mod outcome;
mod payload;
pub mod ratelimit;
pub mod recovery;
pub mod selector;
#[cfg(feature = "opentelemetry")]
pub mod tracing;
pub mod validate;

use std::sync::Arc;
use std::time::Instant;

pub use payload::{Describe, Payload, Reply, Request, Sizer, Validator, encoded_len};

use crate::BoxFuture;
use crate::context::Context;
use crate::error::Error;
use crate::metadata::{incoming, with_incoming};

/// A step around every call it is applied to.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a kratos middleware",
    label = "not a middleware",
    note = "annotate `async fn name(ctx: &mut Context, req: Request, next: Next<'_>) -> Result<Reply, Error>` with `#[kratos::middleware]`, or implement `kratos::middleware::Middleware`"
)]
pub trait Middleware: Send + Sync + 'static {
    /// Handles one call: inspect or change `ctx` and `req`, then `next.run(ctx, req).await`,
    /// or answer without calling it.
    fn handle<'a>(
        &'a self,
        ctx: &'a mut Context,
        req: Request,
        next: Next<'a>,
    ) -> BoxFuture<'a, Result<Reply, Error>>;

    /// Whether this middleware would only hand the call in `ctx` on unchanged: the
    /// chain steps over it, and a server calls the method directly, with no chain to
    /// box, when every middleware of a call passes; so a call pays for a middleware
    /// only when it acts (the metadata middleware on a call without `x-md-` headers,
    /// say). Never by default.
    fn passes(&self, ctx: &Context) -> bool {
        let _ = ctx;
        false
    }

    /// This middleware as an observer, when it only watches calls (kratos's metrics
    /// and tracing): a server then runs it around a direct call of the method, with
    /// no chain to box, when every other middleware of the call passes or observes
    /// too (see [`observer`]). None by default.
    fn observer(&self) -> Option<observer::Observer<'_>> {
        None
    }
}

impl<M: Middleware + ?Sized> Middleware for Arc<M> {
    fn handle<'a>(
        &'a self,
        ctx: &'a mut Context,
        req: Request,
        next: Next<'a>,
    ) -> BoxFuture<'a, Result<Reply, Error>> {
        (**self).handle(ctx, req, next)
    }

    fn passes(&self, ctx: &Context) -> bool {
        (**self).passes(ctx)
    }

    fn observer(&self) -> Option<observer::Observer<'_>> {
        (**self).observer()
    }
}

/// The innermost step of a chain: the trait method on a server, the network call on a client.
pub trait Endpoint: Send + Sync {
    /// Serves or sends the call.
    fn call<'a>(
        &'a self,
        ctx: &'a mut Context,
        req: Request,
    ) -> BoxFuture<'a, Result<Reply, Error>>;
}

/// An ordered list of middlewares, cheap to clone and share.
#[derive(Clone, Default)]
pub struct Chain {
    items: Arc<[Arc<dyn Middleware>]>,
}

impl Chain {
    /// This chain with `middleware` appended (it runs inside the ones before it).
    #[must_use]
    pub fn with(&self, middleware: impl Middleware) -> Self {
        self.with_arc(Arc::new(middleware))
    }

    /// This chain with a shared middleware appended.
    #[must_use]
    pub fn with_arc(&self, middleware: Arc<dyn Middleware>) -> Self {
        let mut items: Vec<_> = self.items.iter().cloned().collect();
        items.push(middleware);
        Self {
            items: items.into(),
        }
    }

    /// True when no middleware is in it.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The middlewares, outermost first.
    pub fn as_slice(&self) -> &[Arc<dyn Middleware>] {
        &self.items
    }
}

impl std::fmt::Debug for Chain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Chain({} middlewares)", self.items.len())
    }
}

/// The rest of a chain, handed to each middleware.
///
/// The call's deadline has one home, [`Context::deadline`]: a middleware that
/// shortens it (`ctx.set_deadline(..)` before `next.run(..)`) bounds everything
/// inside it, the handler and the client calls it makes included. A later
/// deadline does not lengthen the timeout already running around the call.
pub struct Next<'a> {
    outer: &'a [Arc<dyn Middleware>],
    middle: &'a [Arc<dyn Middleware>],
    inner: &'static [&'static dyn Middleware],
    endpoint: &'a dyn Endpoint,
    /// The deadline already enforced around the rest of the chain: `None` until the
    /// first step reads it from the context (the transport enforces that one).
    enforced: Option<Option<Instant>>,
}

impl<'a> Next<'a> {
    /// A chain of up to three parts run in order (server, service, method), then `endpoint`.
    pub fn new(
        outer: &'a [Arc<dyn Middleware>],
        middle: &'a [Arc<dyn Middleware>],
        inner: &'static [&'static dyn Middleware],
        endpoint: &'a dyn Endpoint,
    ) -> Self {
        Self {
            outer,
            middle,
            inner,
            endpoint,
            enforced: None,
        }
    }

    /// True when only the endpoint is left.
    pub fn is_empty(&self) -> bool {
        self.outer.is_empty() && self.middle.is_empty() && self.inner.is_empty()
    }

    /// Runs the rest of the chain, within the context's deadline.
    pub async fn run(mut self, ctx: &mut Context, req: Request) -> Result<Reply, Error> {
        let deadline = ctx.deadline();
        let Some(enforced) = self.enforced else {
            self.enforced = Some(deadline);
            return self.step(ctx, req).await;
        };
        let Some(at) = deadline.filter(|d| enforced.is_none_or(|e| *d < e)) else {
            return self.step(ctx, req).await;
        };
        self.enforced = Some(Some(at));
        // Client calls made inside see the new deadline too, with the same metadata.
        let mut handed_on = incoming().unwrap_or_default();
        handed_on.deadline = Some(at);
        let step = with_incoming(handed_on, self.step(ctx, req));
        tokio::time::timeout_at(at.into(), step)
            .await
            .unwrap_or_else(|_| {
                Err(Error::gateway_timeout(
                    "TIMEOUT",
                    "the call did not finish within the deadline a middleware set",
                ))
            })
    }

    /// Runs the next middleware, or the endpoint when none is left.
    fn step<'s>(mut self, ctx: &'s mut Context, req: Request) -> BoxFuture<'s, Result<Reply, Error>>
    where
        'a: 's,
    {
        // A middleware that passes this call is stepped over, not run.
        while let Some((first, rest)) = self.outer.split_first() {
            self.outer = rest;
            if !first.passes(ctx) {
                return first.handle(ctx, req, self);
            }
        }
        while let Some((first, rest)) = self.middle.split_first() {
            self.middle = rest;
            if !first.passes(ctx) {
                return first.handle(ctx, req, self);
            }
        }
        while let Some((first, rest)) = self.inner.split_first() {
            self.inner = rest;
            if !first.passes(ctx) {
                return first.handle(ctx, req, self);
            }
        }
        self.endpoint.call(ctx, req)
    }
}

/// How `#[kratos::middleware(global)]` registers a middleware for `#[kratos::main]`.
pub struct MiddlewareRegistration {
    /// The middleware's name, for logs and for ordering ties.
    pub name: &'static str,
    /// Its place: lower runs outer; ties are broken by name.
    pub order: i32,
    /// Builds the middleware.
    pub build: fn() -> Arc<dyn Middleware>,
}

inventory::collect!(MiddlewareRegistration);

/// Every middleware registered with `#[kratos::middleware(global)]`, outermost first:
/// by `order`, then by name.
pub fn registered() -> Vec<&'static MiddlewareRegistration> {
    let mut all: Vec<_> = inventory::iter::<MiddlewareRegistration>
        .into_iter()
        .collect();
    all.sort_by(|a, b| a.order.cmp(&b.order).then(a.name.cmp(b.name)));
    all
}
