//! `logging`: one `tracing` event per call (within the call's trace, whatever the
//! order of the middlewares) with the transport kind, the operation,
//! the request (its `Debug`, truncated, through an optional redaction hook), the
//! code and reason of the outcome (on success the status sent), and the latency.
//! Credentials never appear: a hand-written route's request is shown with the
//! headers of [`crate::redact`] hidden. The same middleware serves a
//! server (`logging::server()`) and a client (`logging::client()`).

use std::sync::Arc;
use std::time::Instant;

use super::{Middleware, Next, Reply, Request};
use crate::BoxFuture;
use crate::context::Context;
use crate::error::Error;

/// Turns a request into the text logged for it, hiding what must not be logged.
pub type Redact = Arc<dyn Fn(&Request) -> String + Send + Sync>;

/// The logging middleware.
#[derive(Clone)]
pub struct Logging {
    side: &'static str,
    max_args: usize,
    redact: Option<Redact>,
}

/// Logs every call a server serves.
pub fn server() -> Logging {
    Logging {
        side: "server",
        max_args: 256,
        redact: None,
    }
}

/// Logs every call a client makes.
pub fn client() -> Logging {
    Logging {
        side: "client",
        ..server()
    }
}

impl Logging {
    /// Logs what `redact` makes of the request instead of its `Debug`.
    pub fn redact(mut self, redact: impl Fn(&Request) -> String + Send + Sync + 'static) -> Self {
        self.redact = Some(Arc::new(redact));
        self
    }

    /// Truncates the logged request to `max` bytes (default 256).
    pub fn max_args(mut self, max: usize) -> Self {
        self.max_args = max;
        self
    }

    fn args(&self, req: &Request) -> String {
        let mut args = match &self.redact {
            Some(redact) => redact(req),
            None => format!("{req:?}"),
        };
        if args.len() > self.max_args {
            let mut cut = self.max_args;
            while !args.is_char_boundary(cut) {
                cut -= 1;
            }
            args.truncate(cut);
            args.push('…');
        }
        args
    }
}

impl Middleware for Logging {
    fn handle<'a>(
        &'a self,
        ctx: &'a mut Context,
        req: Request,
        next: Next<'a>,
    ) -> BoxFuture<'a, Result<Reply, Error>> {
        Box::pin(async move {
            if !tracing::enabled!(tracing::Level::INFO) {
                return next.run(ctx, req).await;
            }
            let started = Instant::now();
            let args = self.args(&req);
            let (kind, operation) = (ctx.kind(), ctx.operation());
            let result = next.run(ctx, req).await;
            // The status sent: a route's 201, a hand-written route's own answer.
            let (code, reason) = match &result {
                Ok(_) => (i32::from(ctx.reply_status()), ""),
                Err(e) => (e.code, e.reason.as_str()),
            };
            // The call's trace ids, also when the tracing middleware runs inside this one.
            #[cfg(feature = "opentelemetry")]
            let _trace = super::tracing::attach(ctx);
            tracing::info!(
                side = self.side,
                %kind,
                operation,
                args,
                code,
                reason,
                latency_ms = started.elapsed().as_secs_f64() * 1e3,
                "call"
            );
            result
        })
    }
}
