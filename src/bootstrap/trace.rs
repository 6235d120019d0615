//! The traces `#[kratos::main]` sets up from the config's `tracing` section: an
//! OpenTelemetry tracer provider (installed as the global one) that samples
//! `tracing.sample_ratio` of new traces and follows the caller's decision for the
//! others, with the app's name, version and instance id as resource attributes,
//! exporting over OTLP to `tracing.otlp.endpoint` when one is given (HTTP/protobuf
//! by default, `tracing.otlp.protocol: grpc` for gRPC). Spans leave in batches from
//! a thread of their own, so an exporter that is slow or gone never slows a call;
//! its first failure is logged, and again only after an export went through.
//! `Traces::shutdown` flushes what is left when the app stops.
//!
//! With the section present, the tracing middleware runs on both servers and on
//! the clients built in `main`, and every log line inside a call carries its
//! `trace_id` and `span_id` (also without an endpoint: the ids then only join logs).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use kratos_core::middleware::tracing::{self as calls, Tracing};
use opentelemetry::KeyValue;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider, SpanData, SpanExporter};
use serde::Deserialize;

use super::log::Service;
use super::otlp::RuntimeClient;

/// The `tracing` section of the config.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct TracingSection {
    /// `tracing.otlp`: where spans are exported; none: spans only join logs and calls.
    pub(crate) otlp: Option<OtlpSection>,
    /// `tracing.sample_ratio`: the share of new traces recorded, 0 to 1 (default 1);
    /// a call that arrives with a trace follows its caller's decision.
    pub(crate) sample_ratio: Option<f64>,
}

/// The `tracing.otlp` section.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct OtlpSection {
    /// The collector: `http://host:4318` (`/v1/traces` is added to a URL without a
    /// path) or, with `protocol: grpc`, `http://host:4317`.
    pub(crate) endpoint: String,
    /// `http` (default, protobuf over HTTP) or `grpc`.
    pub(crate) protocol: Option<String>,
    /// How long one export may take; default 10s.
    #[serde(deserialize_with = "super::optional_duration")]
    pub(crate) timeout: Option<Duration>,
}

/// The process's tracer provider while the app runs.
pub(crate) struct Traces {
    provider: SdkTracerProvider,
}

/// How long the stop waits for the last spans to leave.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

/// Builds the provider the section describes and installs it as the global one.
/// A bad value is refused, naming its key.
pub(crate) fn init(section: &TracingSection, service: &Service) -> Result<Traces, String> {
    let ratio = section.sample_ratio.unwrap_or(1.0);
    if !(0.0..=1.0).contains(&ratio) {
        return Err(format!(
            "config key \"tracing.sample_ratio\" is {ratio}: write a share of traces from 0 to 1"
        ));
    }
    let resource = Resource::builder_empty()
        .with_service_name(service.name.clone())
        .with_attributes([
            KeyValue::new("service.version", service.version.clone()),
            KeyValue::new("service.instance.id", service.id.clone()),
        ])
        .build();
    let mut builder = SdkTracerProvider::builder()
        .with_sampler(Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(
            ratio,
        ))))
        .with_resource(resource);
    if let Some(otlp) = &section.otlp {
        builder = builder.with_batch_exporter(LoggedExporter {
            inner: exporter(otlp)?,
            failing: AtomicBool::new(false),
        });
    }
    let provider = builder.build();
    opentelemetry::global::set_tracer_provider(provider.clone());
    *INSTALLED.lock().unwrap_or_else(PoisonError::into_inner) = Some((provider.clone(), ratio));
    Ok(Traces { provider })
}

/// The provider `init` built and its share of new traces, for the middlewares
/// `app_builder` adds (it runs after `init`, and may run without it).
static INSTALLED: Mutex<Option<(SdkTracerProvider, f64)>> = Mutex::new(None);

/// The tracing middlewares of the servers and of the clients `main` builds: on
/// the provider `init` built and told how it samples (so a call it drops costs
/// no SDK span), or on the global provider when `init` did not run.
pub(crate) fn middlewares(app: &str) -> (Tracing, Tracing) {
    let server = calls::server();
    let client = calls::client().service_name(app);
    match INSTALLED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
    {
        Some((provider, ratio)) => (
            server.provider(&provider).parent_based_ratio(ratio),
            client.provider(&provider).parent_based_ratio(ratio),
        ),
        None => (server, client),
    }
}

impl Traces {
    /// The tracer the log's OpenTelemetry layer turns `tracing` spans into spans with.
    pub(crate) fn tracer(&self) -> opentelemetry_sdk::trace::Tracer {
        self.provider.tracer(calls::TRACER_NAME)
    }

    /// Exports what is still buffered and stops the exporter; blocks up to 5s.
    pub(crate) fn shutdown(self) {
        INSTALLED
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Err(e) = self.provider.shutdown_with_timeout(FLUSH_TIMEOUT) {
            tracing::warn!(error = %e, "traces not flushed on stop");
        }
    }
}

/// The OTLP exporter `otlp` names.
fn exporter(otlp: &OtlpSection) -> Result<opentelemetry_otlp::SpanExporter, String> {
    let timeout = otlp.timeout.unwrap_or(Duration::from_secs(10));
    let endpoint = otlp.endpoint.trim();
    let uri: http::Uri = endpoint.parse().map_err(|e| {
        format!("config key \"tracing.otlp.endpoint\" is {endpoint:?}: {e}; write a URL such as http://127.0.0.1:4318")
    })?;
    if uri.scheme_str() != Some("http") || uri.authority().is_none() {
        // No TLS stack is linked for exports: a collector or agent next to the
        // service is the usual set-up, and it forwards over TLS itself.
        return Err(format!(
            "config key \"tracing.otlp.endpoint\" is {endpoint:?}: write a plain http URL such as http://127.0.0.1:4318 (TLS is not supported; export to a local collector)"
        ));
    }
    let built = match otlp.protocol.as_deref() {
        None | Some("http") => {
            // A collector's base URL, as OTEL_EXPORTER_OTLP_ENDPOINT is written.
            let endpoint = if matches!(uri.path(), "" | "/") {
                format!("{}/v1/traces", endpoint.trim_end_matches('/'))
            } else {
                endpoint.to_owned()
            };
            opentelemetry_otlp::SpanExporter::builder()
                .with_http()
                .with_http_client(RuntimeClient::new(timeout)?)
                .with_endpoint(endpoint)
                .with_timeout(timeout)
                .build()
        }
        Some("grpc") => opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .with_endpoint(endpoint)
            .with_timeout(timeout)
            .build(),
        Some(other) => {
            return Err(format!(
                "config key \"tracing.otlp.protocol\" is {other:?}: write `http` or `grpc`"
            ));
        }
    };
    built.map_err(|e| format!("config key \"tracing.otlp\": cannot build the exporter: {e}"))
}

/// An exporter that says once that exports fail, and once that they work again:
/// a collector that is down must not fill the log.
#[derive(Debug)]
struct LoggedExporter<E> {
    inner: E,
    failing: AtomicBool,
}

impl<E: SpanExporter> SpanExporter for LoggedExporter<E> {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let spans = batch.len();
        let result = self.inner.export(batch).await;
        match &result {
            Err(e) if !self.failing.swap(true, Ordering::Relaxed) => {
                tracing::warn!(error = %e, spans, "cannot export traces; further failures are not logged until an export succeeds");
            }
            Ok(()) if self.failing.swap(false, Ordering::Relaxed) => {
                tracing::info!("traces are exported again");
            }
            _ => {}
        }
        result
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}
