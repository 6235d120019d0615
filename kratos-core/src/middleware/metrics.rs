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

use std::time::Instant;

use metrics::SharedString;

use super::outcome::{code_of, run_caught, unanswered};
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
#[derive(Clone, Debug)]
pub struct Metrics {
    requests: SharedString,
    seconds: SharedString,
}

/// Counts and times every call a server serves.
pub fn server() -> Metrics {
    Metrics {
        requests: SharedString::const_str(SERVER_REQUESTS_TOTAL),
        seconds: SharedString::const_str(SERVER_REQUESTS_SECONDS),
    }
}

/// Counts and times every call a client makes.
pub fn client() -> Metrics {
    Metrics {
        requests: SharedString::const_str(CLIENT_REQUESTS_TOTAL),
        seconds: SharedString::const_str(CLIENT_REQUESTS_SECONDS),
    }
}

impl Metrics {
    /// Names the counter and the histogram (give the histogram's buckets to the
    /// exporter under the new name).
    pub fn names(mut self, requests: impl Into<String>, seconds: impl Into<String>) -> Self {
        self.requests = SharedString::from_owned(requests.into());
        self.seconds = SharedString::from_owned(seconds.into());
        self
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

impl Middleware for Metrics {
    fn handle<'a>(
        &'a self,
        ctx: &'a mut Context,
        req: Request,
        next: Next<'a>,
    ) -> BoxFuture<'a, Result<Reply, Error>> {
        Box::pin(async move {
            // Recorded when dropped: also for a call that never comes back through
            // here, because it panicked or its timeout (outside the chain) cut it.
            let mut record = Record {
                metrics: self,
                kind: ctx.kind().as_str(),
                operation: ctx.operation(),
                deadline: ctx.deadline(),
                started: Instant::now(),
                outcome: None,
            };
            let result = run_caught(next, ctx, req).await;
            let reason = match &result {
                Ok(_) => SharedString::const_str(""),
                Err(e) => SharedString::from_owned(e.reason.clone()),
            };
            record.outcome = Some((code_of(&result, ctx), reason));
            result
        })
    }
}

/// One call's measurement, written out when it is dropped.
struct Record<'m> {
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
        let kind = SharedString::const_str(self.kind);
        let operation = SharedString::const_str(self.operation);
        metrics::counter!(
            self.metrics.requests.clone(),
            "kind" => kind.clone(),
            "operation" => operation.clone(),
            "code" => code_label(code),
            "reason" => reason,
        )
        .increment(1);
        metrics::histogram!(
            self.metrics.seconds.clone(),
            "kind" => kind,
            "operation" => operation,
        )
        .record(seconds);
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
