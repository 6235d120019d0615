//! The Prometheus scrape route of an HTTP server (`server.http.metrics: /metrics`):
//! the process's metrics in the Prometheus text format, served outside the
//! middleware chain (a scrape is neither counted, logged nor refused by auth).
//!
//! The recorder is `metrics-exporter-prometheus`'s, installed once per process as
//! the global `metrics` recorder, so a program's own `metrics::counter!` lands on
//! the same page. The request histograms get [`DEFAULT_BUCKETS`] unless
//! [`install_prometheus`] was called first with others.

use std::sync::OnceLock;

use axum::response::IntoResponse;
use http::StatusCode;
use http::header::{CONTENT_TYPE, HeaderValue};
use kratos_core::middleware::metrics::{
    CLIENT_REQUESTS_SECONDS, CLIENT_REQUESTS_TOTAL, DEFAULT_BUCKETS, SERVER_REQUESTS_SECONDS,
    SERVER_REQUESTS_TOTAL,
};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use super::route::RouteTable;

/// The content type of the Prometheus text format.
pub const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

static HANDLE: OnceLock<Result<PrometheusHandle, String>> = OnceLock::new();

/// Installs the Prometheus recorder as the process's `metrics` recorder, with
/// `buckets` (seconds) for the request histograms; the first call wins, later ones
/// return the same handle. An error when another recorder was installed first.
pub fn install_prometheus(buckets: &[f64]) -> Result<&'static PrometheusHandle, String> {
    HANDLE
        .get_or_init(|| {
            let mut builder = PrometheusBuilder::new();
            for name in [SERVER_REQUESTS_SECONDS, CLIENT_REQUESTS_SECONDS] {
                builder = builder
                    .set_buckets_for_metric(Matcher::Full(name.to_owned()), buckets)
                    .map_err(|e| format!("histogram buckets {buckets:?}: {e}"))?;
            }
            let handle = builder.install_recorder().map_err(|e| {
                format!("cannot install the Prometheus recorder (is another `metrics` recorder installed?): {e}")
            })?;
            describe();
            spawn_upkeep();
            Ok(handle)
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// The name of the thread that drains the recorder's histograms (at most 15 bytes:
/// Linux shows no more in `/proc/*/task/*/comm`, where tests and operators look).
const UPKEEP_THREAD: &str = "metrics-upkeep";

/// How often the histograms are drained when nobody scrapes.
const UPKEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// Drains the recorder's histograms every few seconds, for the life of the process.
/// A histogram keeps every value recorded until a scrape or an upkeep folds them into
/// its buckets, and `install_recorder` leaves upkeep to the caller: without this, a
/// server nobody scrapes grew by 8 bytes per call, without bound (bench/RESULTS.md).
/// A thread of its own, not a task, so it outlives any one runtime. Started once,
/// as the recorder is installed; it finds the handle in [`HANDLE`], stored by then.
fn spawn_upkeep() {
    let spawned = std::thread::Builder::new()
        .name(UPKEEP_THREAD.to_owned())
        .spawn(|| {
            loop {
                std::thread::sleep(UPKEEP_EVERY);
                if let Some(Ok(handle)) = HANDLE.get() {
                    handle.run_upkeep();
                }
            }
        });
    if let Err(error) = spawned {
        tracing::warn!(%error, "metrics: no upkeep thread; histograms are drained only by scrapes");
    }
}

/// The `# HELP` lines of the request series (promtool requires one per family).
fn describe() {
    for (side, name) in [
        ("server", SERVER_REQUESTS_TOTAL),
        ("client", CLIENT_REQUESTS_TOTAL),
    ] {
        metrics::describe_counter!(
            name,
            format!("The calls a {side} finished, by transport kind, operation, code and reason.")
        );
    }
    for (side, name) in [
        ("server", SERVER_REQUESTS_SECONDS),
        ("client", CLIENT_REQUESTS_SECONDS),
    ] {
        metrics::describe_histogram!(
            name,
            metrics::Unit::Seconds,
            format!("How long the calls a {side} finished took, by transport kind and operation.")
        );
    }
}

/// Adds the scrape route at `path`, outside the chain.
pub(crate) fn mount(routes: &mut RouteTable, path: &str) {
    let handle = match install_prometheus(&DEFAULT_BUCKETS) {
        Ok(handle) => Some(handle),
        Err(error) => {
            tracing::warn!(path, %error, "server.http.metrics: no metrics are served");
            None
        }
    };
    routes.add_unchained(path, move || async move {
        match handle {
            Some(handle) => (
                [(CONTENT_TYPE, HeaderValue::from_static(PROMETHEUS_TEXT))],
                handle.render(),
            )
                .into_response(),
            None => (
                StatusCode::SERVICE_UNAVAILABLE,
                "another metrics recorder is installed: kratos cannot render it",
            )
                .into_response(),
        }
    });
}
