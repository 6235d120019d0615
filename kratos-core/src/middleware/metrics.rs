//! `metrics`: Go kratos v3's request metrics, on the `metrics` facade.
//!
//! Per call, a counter `{side}_requests_code_total{kind, operation, code, reason}`
//! and a histogram `{side}_requests_seconds{kind, operation}`, `side` being
//! `server` or `client`: `kind` is `http` or `grpc`, `operation` the
//! `/package.Service/Method` name, `code` the HTTP-style code sent (`200`, a
//! route's `201`, else the error's code) and `reason` the error's reason (empty on
//! success). A stream counts once, at its end: the middleware runs around all of it.
//! A call that panics or outlives its timeout is counted as the guard outside the
//! chain answers it (500 `UNKNOWN`, 504 `TIMEOUT`); one whose caller left, 499.
//!
//! The values go to whatever recorder the process installed (kratos installs the
//! Prometheus one when `server.http.metrics` names a path); without one the facade
//! drops them at the cost of a branch.
//!
//! A recorder finds a series by hashing its name and every label; doing that twice
//! per call was most of what this middleware cost. So the handles of a call that
//! ends without a reason (every success) are resolved once per recorder, kind,
//! operation and code and kept in the middleware; a call with a reason (an error)
//! still resolves its series by name, as the reasons are open-ended.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Instant;

use metrics::{Counter, Histogram, Recorder, SharedString};

use super::observer::{Answer, Observer};
use super::outcome::{answered, run_caught, unanswered};
use super::{Middleware, Next, Reply, Request};
use crate::BoxFuture;
use crate::context::Context;
use crate::error::Error;

/// The counter's default name on a server.
pub const SERVER_REQUESTS_TOTAL: &str = "server_requests_code_total";
/// The histogram's default name on a server.
pub const SERVER_REQUESTS_SECONDS: &str = "server_requests_seconds";
/// The counter's default name on a client.
pub const CLIENT_REQUESTS_TOTAL: &str = "client_requests_code_total";
/// The histogram's default name on a client.
pub const CLIENT_REQUESTS_SECONDS: &str = "client_requests_seconds";
/// The histogram's default buckets, in seconds (Go kratos v3's).
pub const DEFAULT_BUCKETS: [f64; 8] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0];

/// The metrics middleware of one side.
#[derive(Clone)]
pub struct Metrics {
    requests: SharedString,
    seconds: SharedString,
    /// The handles resolved so far under these names; shared by the clones (a new
    /// set with new names).
    resolved: Arc<Resolved>,
}

/// Counts and times every call a server serves.
pub fn server() -> Metrics {
    Metrics::named(
        SharedString::const_str(SERVER_REQUESTS_TOTAL),
        SharedString::const_str(SERVER_REQUESTS_SECONDS),
    )
}

/// Counts and times every call a client makes.
pub fn client() -> Metrics {
    Metrics::named(
        SharedString::const_str(CLIENT_REQUESTS_TOTAL),
        SharedString::const_str(CLIENT_REQUESTS_SECONDS),
    )
}

impl Metrics {
    fn named(requests: SharedString, seconds: SharedString) -> Self {
        Self {
            requests,
            seconds,
            resolved: Arc::default(),
        }
    }

    /// Names the counter and the histogram (give the histogram's buckets to the
    /// exporter under the new name).
    pub fn names(self, requests: impl Into<String>, seconds: impl Into<String>) -> Self {
        Self::named(
            SharedString::from_owned(requests.into()),
            SharedString::from_owned(seconds.into()),
        )
    }

    /// The counter's name.
    pub fn requests_name(&self) -> &str {
        &self.requests
    }

    /// The histogram's name.
    pub fn seconds_name(&self) -> &str {
        &self.seconds
    }
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics")
            .field("requests", &self.requests)
            .field("seconds", &self.seconds)
            .finish_non_exhaustive()
    }
}

impl Middleware for Metrics {
    fn handle<'a>(
        &'a self,
        ctx: &'a mut Context,
        req: Request,
        next: Next<'a>,
    ) -> BoxFuture<'a, Result<Reply, Error>> {
        Box::pin(async move {
            let record = self.begin(ctx);
            let result = run_caught(next, ctx, req).await;
            answered(&result, |answer| record.answer(ctx, answer));
            result
        })
    }

    fn observer(&self) -> Option<Observer<'_>> {
        Some(Observer::metrics(self))
    }
}

impl Metrics {
    /// Starts measuring `ctx`'s call. Recorded when dropped: also for a call that
    /// never comes back, because its timeout cut it or its caller left.
    pub(crate) fn begin(&self, ctx: &Context) -> Record<'_> {
        Record {
            metrics: self,
            kind: ctx.kind().as_str(),
            operation: ctx.operation(),
            deadline: ctx.deadline(),
            started: Instant::now(),
            outcome: None,
        }
    }
}

/// One call's measurement, written out when it is dropped.
pub(crate) struct Record<'m> {
    metrics: &'m Metrics,
    kind: &'static str,
    operation: &'static str,
    deadline: Option<Instant>,
    started: Instant,
    /// The code and reason, once the chain answered.
    outcome: Option<(i32, SharedString)>,
}

impl Drop for Record<'_> {
    fn drop(&mut self) {
        let seconds = self.started.elapsed().as_secs_f64();
        let (code, reason) = self.outcome.take().unwrap_or_else(|| {
            let (code, reason) = unanswered(self.deadline);
            (code, SharedString::const_str(reason))
        });
        if reason.is_empty() {
            let series = Series {
                recorder: metrics::with_recorder(recorder_id),
                kind: self.kind.as_ptr() as usize,
                operation: (self.operation.as_ptr() as usize, self.operation.len()),
                code,
            };
            let record = |handles: &Handles| handles.record(seconds);
            self.metrics
                .resolved
                .with(series, || self.resolve(code, reason), record);
        } else {
            self.resolve(code, reason).record(seconds);
        }
    }
}

impl Record<'_> {
    /// Records the call as it was answered.
    pub(crate) fn answer(mut self, ctx: &Context, answer: &Answer<'_>) {
        let reason = match answer {
            Answer::Sent(_) => SharedString::const_str(""),
            Answer::Failed(e) => SharedString::from_owned(e.reason.clone()),
        };
        self.outcome = Some((answer.code(ctx), reason));
    }

    /// The call's series, looked up by name and labels in the recorder.
    fn resolve(&self, code: i32, reason: SharedString) -> Handles {
        let kind = SharedString::const_str(self.kind);
        let operation = SharedString::const_str(self.operation);
        Handles {
            requests: metrics::counter!(
                self.metrics.requests.clone(),
                "kind" => kind.clone(),
                "operation" => operation.clone(),
                "code" => code_label(code),
                "reason" => reason,
            ),
            seconds: metrics::histogram!(
                self.metrics.seconds.clone(),
                "kind" => kind,
                "operation" => operation,
            ),
        }
    }
}

/// The recorder a handle was resolved in, by address: the process's recorder
/// lives in a static, so its address names it for as long as the process runs.
fn recorder_id(recorder: &dyn Recorder) -> usize {
    std::ptr::from_ref(recorder).cast::<()>() as usize
}

/// Which series a call without a reason lands in: the strings by address, as
/// the kind and the operation are `'static` names the call carries.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Series {
    recorder: usize,
    kind: usize,
    operation: (usize, usize),
    code: i32,
}

/// A series' counter and histogram.
struct Handles {
    requests: Counter,
    seconds: Histogram,
}

impl Handles {
    /// Counts one call that took `seconds`.
    fn record(&self, seconds: f64) {
        self.requests.increment(1);
        self.seconds.record(seconds);
    }
}

/// The handles resolved so far, by series.
#[derive(Default)]
struct Resolved(RwLock<HashMap<Series, Handles, BuildHasherDefault<AddressHasher>>>);

impl Resolved {
    /// Runs `with` on the handles of `series`, resolved with `resolve` the first
    /// time (outside the lock: the recorder may take locks of its own).
    fn with(&self, series: Series, resolve: impl FnOnce() -> Handles, with: impl Fn(&Handles)) {
        if let Some(handles) = self
            .0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&series)
        {
            return with(handles);
        }
        let handles = resolve();
        with(
            self.0
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(series)
                .or_insert(handles),
        );
    }
}

/// Hashes a [`Series`], whose fields are addresses and small numbers: a
/// multiply-and-rotate per word is enough, and far cheaper than SipHash.
#[derive(Default)]
struct AddressHasher(u64);

impl Hasher for AddressHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.write_u64(u64::from(byte));
        }
    }

    fn write_u64(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_usize(&mut self, word: usize) {
        self.write_u64(word as u64);
    }

    fn write_i32(&mut self, word: i32) {
        self.write_u64(u64::from(word as u32));
    }
}

/// A code as a label value, without formatting the common ones.
fn code_label(code: i32) -> SharedString {
    let common = match code {
        200 => "200",
        201 => "201",
        204 => "204",
        400 => "400",
        401 => "401",
        403 => "403",
        404 => "404",
        405 => "405",
        408 => "408",
        409 => "409",
        413 => "413",
        415 => "415",
        429 => "429",
        499 => "499",
        500 => "500",
        503 => "503",
        504 => "504",
        other => return SharedString::from_owned(other.to_string()),
    };
    SharedString::const_str(common)
}
