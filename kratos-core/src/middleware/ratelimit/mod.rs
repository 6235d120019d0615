//! `ratelimit`: the server-side adaptive limiter of Go kratos (go-kratos/aegis BBR).
//!
//! [`server()`] asks its [`Limiter`] before each call and answers a refused one with
//! Go kratos's 429 `RATELIMIT` "service unavailable due to rate limit exceeded"
//! (gRPC `RESOURCE_EXHAUSTED`). The default limiter is [`Bbr`] with aegis's
//! defaults: it sheds only while the process's CPU is over 80% (and for a second
//! after it started shedding), and then only the calls beyond what the server has
//! shown it finishes in time. An admitted call holds a [`Done`] guard that records
//! its end when dropped, so calls that fail, panic, time out or lose their caller
//! count as ended too.
//!
//! Clones of the middleware share one limiter: give the same one to the HTTP and
//! the gRPC server to limit the process as a whole.

mod bbr;
pub mod cpu;
mod window;

use std::sync::Arc;
use std::time::Duration;

pub use bbr::{Bbr, Options, Stat};
pub use cpu::CpuSource;

use super::{Middleware, Next, Reply, Request};
use crate::BoxFuture;
use crate::context::Context;
use crate::error::Error;

/// The reason of a call refused by the limiter, as Go kratos gives it.
pub const REASON: &str = "RATELIMIT";
/// The message of a call refused by the limiter, as Go kratos gives it.
pub const MESSAGE: &str = "service unavailable due to rate limit exceeded";

/// The error a refused call is answered with: 429 `RATELIMIT` (Go kratos's `ErrLimitExceed`).
pub fn limit_exceeded() -> Error {
    Error::new(429, REASON, MESSAGE)
}

/// True when `err` is the limiter's refusal.
pub fn is_limit_exceeded(err: &Error) -> bool {
    err.code == 429 && err.reason == REASON
}

/// A limiter's refusal of a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rejected;

impl std::fmt::Display for Rejected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("rate limit exceeded")
    }
}

impl std::error::Error for Rejected {}

/// Decides, call by call, whether the server takes it.
pub trait Limiter: Send + Sync + 'static {
    /// Admits a call, with the guard that records its end, or refuses it.
    fn allow(&self) -> Result<Done<'_>, Rejected>;

    /// Records the end of a call admitted with `token` (the [`Done`] guard calls it).
    fn done(&self, token: u64) {
        let _ = token;
    }
}

/// An admitted call: dropping it tells the limiter the call ended, however it ended.
#[must_use = "the call ends when this guard is dropped"]
pub struct Done<'a> {
    limiter: &'a dyn Limiter,
    token: u64,
}

impl<'a> Done<'a> {
    /// The guard of a call `limiter` admitted; `token` is handed back to [`Limiter::done`].
    pub fn new(limiter: &'a dyn Limiter, token: u64) -> Self {
        Self { limiter, token }
    }
}

impl Drop for Done<'_> {
    fn drop(&mut self) {
        self.limiter.done(self.token);
    }
}

impl std::fmt::Debug for Done<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Done").field("token", &self.token).finish()
    }
}

/// The rate limiting middleware.
#[derive(Clone)]
pub struct RateLimit {
    limiter: Arc<dyn Limiter>,
    /// BBR's options while the limiter is the built-in one.
    options: Option<Options>,
}

/// Limits the calls a server takes with BBR and aegis's defaults.
pub fn server() -> RateLimit {
    let options = Options::default();
    RateLimit {
        limiter: Arc::new(Bbr::new(options.clone())),
        options: Some(options),
    }
}

impl RateLimit {
    /// Replaces the limiter (the BBR options below no longer apply).
    pub fn limiter(mut self, limiter: Arc<dyn Limiter>) -> Self {
        self.limiter = limiter;
        self.options = None;
        self
    }

    /// Sets BBR's statistics window (default 10 s).
    pub fn window(self, window: Duration) -> Self {
        self.bbr(|o| o.window = window)
    }

    /// Sets how many buckets BBR cuts its window into (default 100).
    pub fn buckets(self, buckets: usize) -> Self {
        self.bbr(|o| o.buckets = buckets)
    }

    /// Sets the CPU usage, per mille, over which BBR sheds (default 800).
    pub fn cpu_threshold(self, per_mille: u64) -> Self {
        self.bbr(|o| o.cpu_threshold = per_mille)
    }

    /// Sets the CPU cores the process really has, when its cgroup and affinity do not say.
    pub fn cpu_quota(self, cores: f64) -> Self {
        self.bbr(|o| o.cpu_quota = Some(cores))
    }

    /// Reads the CPU usage from `source` instead of this process's cgroup.
    pub fn cpu(self, source: Arc<dyn CpuSource>) -> Self {
        self.bbr(|o| o.cpu = Some(source))
    }

    /// A new BBR limiter with changed options; nothing once the limiter was replaced.
    fn bbr(mut self, change: impl FnOnce(&mut Options)) -> Self {
        if let Some(options) = &mut self.options {
            change(options);
            self.limiter = Arc::new(Bbr::new(options.clone()));
        }
        self
    }
}

impl std::fmt::Debug for RateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.options {
            Some(options) => f.debug_tuple("RateLimit").field(options).finish(),
            None => f.write_str("RateLimit(custom limiter)"),
        }
    }
}

impl Middleware for RateLimit {
    fn handle<'a>(
        &'a self,
        ctx: &'a mut Context,
        req: Request,
        next: Next<'a>,
    ) -> BoxFuture<'a, Result<Reply, Error>> {
        Box::pin(async move {
            // Held across the call: dropped with this future when the call ends, panics
            // (unwinding) or is cut by its timeout or its caller leaving.
            let Ok(_done) = self.limiter.allow() else {
                return Err(limit_exceeded());
            };
            next.run(ctx, req).await
        })
    }
}
