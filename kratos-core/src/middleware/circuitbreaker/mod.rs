//! `circuitbreaker`: the client side of Go kratos's `middleware/circuitbreaker`,
//! Google SRE's adaptive throttling (go-kratos/aegis `circuitbreaker/sre`). A
//! client with [`client()`] keeps one breaker per operation (or per whatever
//! [`Client::key`] returns) and answers a call the breaker rejects locally with
//! 503, reason `CIRCUITBREAKER`, message `request failed due to circuit breaker
//! triggered`, as Go kratos does, without sending it.
//!
//! An answer of 500, 503 or 504 counts as a failure of the remote; any other
//! answer, an error such as 404 included, as a success. A node that could not be
//! reached reaches this middleware as 503 (kratos-transport's `NodeUnreachable`,
//! after a balanced client has tried another node), so it counts as a failure by
//! its code. A call the caller drops before it ends counts as neither.
//!
//! One deliberate difference from Go kratos v2.9 and v3: a call rejected here is
//! not recorded. Go kratos marks it failed "to let the drop ratio higher", which
//! go-kratos #2777 reports as the bug it is: the window then fills with the
//! breaker's own rejections, which say nothing of the remote, and a remote that
//! has recovered stays throttled. Here the window holds only what the remote
//! answered. The price: while the remote is down, the calls that still go out to
//! probe it keep the window near the minimum `request` count, about that many per
//! window, rather than fewer.

mod sre;
mod window;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::Duration;

pub use sre::{Clock, Sre, SreBreaker, SystemClock};

use super::{Middleware, Next, Reply, Request};
use crate::BoxFuture;
use crate::context::Context;
use crate::error::Error;

/// The reason of a call rejected by the breaker.
pub const REASON: &str = "CIRCUITBREAKER";

/// The message of a call rejected by the breaker, as Go kratos words it.
pub const MESSAGE: &str = "request failed due to circuit breaker triggered";

/// The error a rejected call gets: 503, [`REASON`], [`MESSAGE`] (Go kratos's `ErrNotAllowed`).
pub fn not_allowed() -> Error {
    Error::service_unavailable(REASON, MESSAGE)
}

/// True when `error` counts as a failure of the remote: 500, 503 or 504.
pub fn is_failure(error: &Error) -> bool {
    matches!(error.code, 500 | 503 | 504)
}

/// The algorithm behind each key: decides whether a call may go out and learns from outcomes.
pub trait Breaker: Send + Sync + 'static {
    /// Whether a call may go out now; `false` rejects it locally.
    fn allow(&self) -> bool;
    /// Records a call the remote answered well (anything but 500, 503, 504).
    fn mark_success(&self);
    /// Records a call the remote failed (500, 503, 504 or unreachable).
    fn mark_failed(&self);
}

/// A key per target and operation, for [`Client::key`]: the client's target URL
/// (for a `discovery:///` or `direct:///` client, the target, not the node,
/// which is picked after the middlewares run) and the operation.
pub fn by_target(ctx: &Context) -> String {
    format!("{} {}", ctx.endpoint().unwrap_or_default(), ctx.operation())
}

type KeyFn = dyn Fn(&Context) -> String + Send + Sync;
type Factory = dyn Fn() -> Arc<dyn Breaker> + Send + Sync;

/// The client middleware: one breaker per key, made on the key's first call.
pub struct Client {
    sre: Sre,
    factory: Option<Arc<Factory>>,
    key: Option<Arc<KeyFn>>,
    breakers: RwLock<HashMap<Box<str>, Arc<dyn Breaker>>>,
}

/// The SRE circuit breaker with Go kratos v2's defaults: success ratio 0.6, 100
/// requests, a 3 s window in 10 buckets; one breaker per operation.
pub fn client() -> Client {
    Client {
        sre: Sre::v2(),
        factory: None,
        key: None,
        breakers: RwLock::new(HashMap::new()),
    }
}

impl Client {
    /// Go kratos v3's defaults instead: success ratio 0.5, 20 requests.
    #[must_use]
    pub fn v3(mut self) -> Self {
        self.sre = self.sre.success(0.5).request(20);
        self
    }

    /// The success ratio the remote is expected to keep (`k = 1 / ratio`); outside (0, 1] ignored.
    #[must_use]
    pub fn success(mut self, ratio: f64) -> Self {
        self.sre = self.sre.success(ratio);
        self
    }

    /// How many calls must have ended within the window before any is rejected.
    #[must_use]
    pub fn request(mut self, request: u64) -> Self {
        self.sre = self.sre.request(request);
        self
    }

    /// The window calls are counted over (default 3 s).
    #[must_use]
    pub fn window(mut self, window: Duration) -> Self {
        self.sre = self.sre.window(window);
        self
    }

    /// How many buckets the window rolls in (default 10).
    #[must_use]
    pub fn buckets(mut self, buckets: usize) -> Self {
        self.sre = self.sre.buckets(buckets);
        self
    }

    /// All SRE settings at once (a clock, a seed), replacing those set before.
    #[must_use]
    pub fn sre(mut self, sre: Sre) -> Self {
        self.sre = sre;
        self
    }

    /// Groups calls by `key` instead of by operation, e.g. [`by_target`].
    #[must_use]
    pub fn key(mut self, key: impl Fn(&Context) -> String + Send + Sync + 'static) -> Self {
        self.key = Some(Arc::new(key));
        self
    }

    /// Makes each key's breaker with `factory` instead of the SRE algorithm.
    #[must_use]
    pub fn breaker<B: Breaker>(mut self, factory: impl Fn() -> B + Send + Sync + 'static) -> Self {
        self.factory = Some(Arc::new(move || Arc::new(factory()) as Arc<dyn Breaker>));
        self
    }

    /// The breaker of `key`, made on first use.
    fn breaker_of(&self, key: &str) -> Arc<dyn Breaker> {
        let read = self.breakers.read().unwrap_or_else(|p| p.into_inner());
        if let Some(breaker) = read.get(key) {
            return breaker.clone();
        }
        drop(read);
        let mut write = self.breakers.write().unwrap_or_else(|p| p.into_inner());
        write
            .entry(key.into())
            .or_insert_with(|| match &self.factory {
                Some(factory) => factory(),
                None => Arc::new(self.sre.build()),
            })
            .clone()
    }

    fn breaker_for(&self, ctx: &Context) -> Arc<dyn Breaker> {
        match &self.key {
            Some(key) => self.breaker_of(&key(ctx)),
            None => self.breaker_of(ctx.operation()),
        }
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys = self.breakers.read().map_or(0, |b| b.len());
        f.debug_struct("Client")
            .field("sre", &self.sre)
            .field("custom_breaker", &self.factory.is_some())
            .field("custom_key", &self.key.is_some())
            .field("keys", &keys)
            .finish()
    }
}

impl Middleware for Client {
    fn handle<'a>(
        &'a self,
        ctx: &'a mut Context,
        req: Request,
        next: Next<'a>,
    ) -> BoxFuture<'a, Result<Reply, Error>> {
        let breaker = self.breaker_for(ctx);
        Box::pin(async move {
            if !breaker.allow() {
                // Not recorded: the remote never saw this call (go-kratos #2777).
                return Err(not_allowed());
            }
            let result = next.run(ctx, req).await;
            match &result {
                Err(e) if is_failure(e) => breaker.mark_failed(),
                _ => breaker.mark_success(),
            }
            result
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    use super::*;
    use crate::context::Kind;
    use crate::middleware::Endpoint;

    /// Answers each call with the error it is set to, counting the calls it gets.
    #[derive(Default)]
    struct Remote {
        answer: Mutex<Option<Error>>,
        calls: AtomicUsize,
    }

    impl Endpoint for Remote {
        fn call<'a>(
            &'a self,
            _ctx: &'a mut Context,
            _req: Request,
        ) -> BoxFuture<'a, Result<Reply, Error>> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            let answer = self.answer.lock().unwrap().clone();
            Box::pin(async move { answer.map_or_else(|| Ok(Reply::new(())), Err) })
        }
    }

    /// Records what the middleware tells it; rejects while `open`.
    #[derive(Default)]
    struct Recorder {
        open: AtomicBool,
        successes: AtomicUsize,
        failures: AtomicUsize,
    }

    impl Breaker for Arc<Recorder> {
        fn allow(&self) -> bool {
            !self.open.load(Ordering::SeqCst)
        }
        fn mark_success(&self) {
            self.successes.fetch_add(1, Ordering::SeqCst);
        }
        fn mark_failed(&self) {
            self.failures.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn call(
        middleware: &Arc<dyn Middleware>,
        remote: &Remote,
        operation: &'static str,
    ) -> Result<Reply, Error> {
        let chain = [middleware.clone()];
        let mut ctx = Context::new(Kind::Grpc, operation, Default::default())
            .with_endpoint(Arc::from("http://127.0.0.1:1"));
        let run = Next::new(&chain, &[], &[], remote).run(&mut ctx, Request::new(()));
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
            .block_on(run)
    }

    #[test]
    fn only_500_503_and_504_count_as_failures() {
        let recorder = Arc::new(Recorder::default());
        let shared = recorder.clone();
        let cb: Arc<dyn Middleware> = Arc::new(client().breaker(move || shared.clone()));
        let remote = Remote::default();
        for code in [500, 503, 504] {
            *remote.answer.lock().unwrap() = Some(Error::new(code, "", "down"));
            assert_eq!(call(&cb, &remote, "/a.v1.S/M").unwrap_err().code, code);
        }
        assert_eq!(recorder.failures.load(Ordering::SeqCst), 3);
        for code in [400, 401, 404, 429, 499, 501, 502] {
            *remote.answer.lock().unwrap() = Some(Error::new(code, "", "no"));
            assert_eq!(call(&cb, &remote, "/a.v1.S/M").unwrap_err().code, code);
        }
        *remote.answer.lock().unwrap() = None;
        call(&cb, &remote, "/a.v1.S/M").unwrap();
        assert_eq!(recorder.successes.load(Ordering::SeqCst), 8);
        assert_eq!(recorder.failures.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn a_rejected_call_is_not_sent_and_not_recorded() {
        let recorder = Arc::new(Recorder::default());
        let shared = recorder.clone();
        let cb: Arc<dyn Middleware> = Arc::new(client().breaker(move || shared.clone()));
        let remote = Remote::default();
        recorder.open.store(true, Ordering::SeqCst);
        let err = call(&cb, &remote, "/a.v1.S/M").unwrap_err();
        assert_eq!(
            (err.code, err.reason.as_str(), err.message.as_str()),
            (
                503,
                "CIRCUITBREAKER",
                "request failed due to circuit breaker triggered"
            )
        );
        assert!(err.is(&not_allowed()));
        assert_eq!(remote.calls.load(Ordering::SeqCst), 0);
        assert_eq!(recorder.failures.load(Ordering::SeqCst), 0);
        assert_eq!(recorder.successes.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn each_operation_has_its_own_breaker() {
        let cb: Arc<dyn Middleware> = Arc::new(client().sre(Sre::v3().seed(1)));
        let remote = Remote::default();
        *remote.answer.lock().unwrap() = Some(Error::service_unavailable("", "down"));
        // v3: from 20 failures on, the failing operation is throttled...
        let rejected = (0..200)
            .filter(|_| call(&cb, &remote, "/a.v1.S/Down").unwrap_err().reason == REASON)
            .count();
        assert!(rejected > 100, "{rejected} of 200 rejected");
        // ...while another operation of the same client still goes out.
        *remote.answer.lock().unwrap() = None;
        call(&cb, &remote, "/a.v1.S/Up").unwrap();
    }

    #[test]
    fn a_key_function_groups_calls_its_own_way() {
        let cb: Arc<dyn Middleware> = Arc::new(
            client()
                .sre(Sre::v3().seed(2))
                .key(|_| "everything".to_owned()),
        );
        let remote = Remote::default();
        *remote.answer.lock().unwrap() = Some(Error::service_unavailable("", "down"));
        for _ in 0..50 {
            let _ = call(&cb, &remote, "/a.v1.S/Down");
        }
        *remote.answer.lock().unwrap() = None;
        // The same breaker: this operation is throttled too (about 1 in 20 passes).
        let rejected = (0..20)
            .filter(|_| call(&cb, &remote, "/a.v1.S/Up").is_err())
            .count();
        assert!(rejected > 0);
        assert_eq!(
            by_target(
                &Context::new(Kind::Http, "/a.v1.S/M", Default::default())
                    .with_endpoint(Arc::from("http://h:1"))
            ),
            "http://h:1 /a.v1.S/M"
        );
    }
}
