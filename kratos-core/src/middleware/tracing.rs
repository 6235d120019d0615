//! `tracing`: an OpenTelemetry span around every call, as Go kratos's
//! `middleware/tracing` writes it, on both transports.
//!
//! The server side reads the caller's W3C `traceparent`/`tracestate` and `baggage`
//! (HTTP headers and gRPC metadata alike) and Go kratos's `x-md-service-name`; the
//! client side writes them, its span a child of whatever span is current, so a call
//! a handler makes continues the trace of the call it serves, across processes and
//! transports. A span is named by the operation (`/helloworld.v1.Greeter/SayHello`),
//! has kind server or client, the attributes `rpc.system` (`http`/`grpc`),
//! `rpc.service`, `rpc.method`, on HTTP `http.method`, `http.route` (the template)
//! and `http.target`, `net.peer.ip`/`net.peer.port`, `peer.service`, and
//! `recv_msg.size`/`send_msg.size` (the protobuf size of the messages); a failed
//! call ends with status ERROR, the error recorded and `rpc.status_code` its code.
//! A stream has one span for its whole life: the middleware runs around all of it.
//!
//! Spans go to the global tracer provider unless [`Tracing::provider`] names one;
//! the middlewares `#[kratos::main]` adds name the provider it builds from the
//! `tracing` config section, and its sampler ([`Tracing::parent_based_ratio`]), so
//! a call that sampler drops costs no SDK span. The call's
//! OpenTelemetry context is current while the rest of the chain runs, and kept in
//! the [`Context`] (read it with [`call_trace`]), so a middleware outside this one
//! (the `logging` middleware) still logs with the call's ids.

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use http::{HeaderMap, HeaderName, HeaderValue, Method};
use opentelemetry::context::FutureExt as _;
use opentelemetry::global::{self, BoxedTracer};
use opentelemetry::propagation::{
    Extractor, Injector, TextMapCompositePropagator, TextMapPropagator,
};
use opentelemetry::trace::{
    SpanBuilder, SpanContext, SpanKind, SpanRef, Status, TraceContextExt, TraceFlags, Tracer,
    TracerProvider,
};
use opentelemetry::{ContextGuard, InstrumentationScope, KeyValue, Value};
use opentelemetry_sdk::propagation::{BaggagePropagator, TraceContextPropagator};
use opentelemetry_sdk::trace::{IdGenerator, RandomIdGenerator};

use super::observer::{Answer, Observer};
use super::outcome::{answered, run_caught, unanswered};
use super::{Middleware, Next, Reply, Request};
use crate::BoxFuture;
use crate::context::Context;
use crate::error::Error;

/// The header a Go kratos caller names its app in; a server reads it as `peer.service`.
pub const SERVICE_HEADER: &str = "x-md-service-name";

/// The name of the tracer the spans come from, as Go kratos names its own.
pub const TRACER_NAME: &str = "kratos";

/// The W3C headers the default propagators read, as names a header map finds
/// without parsing a string.
const TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");
const TRACESTATE: HeaderName = HeaderName::from_static("tracestate");
const BAGGAGE: HeaderName = HeaderName::from_static("baggage");

/// The tracing middleware of one side.
#[derive(Clone)]
pub struct Tracing {
    kind: SpanKind,
    propagator: Arc<dyn TextMapPropagator + Send + Sync>,
    /// Resolved on the first call, so a middleware built before the provider is
    /// installed still uses it.
    tracer: Arc<OnceLock<BoxedTracer>>,
    service_name: Option<HeaderValue>,
    /// Whether `propagator` is the default (W3C trace context and baggage), whose
    /// only headers are known: a call without them starts a new trace without
    /// asking the propagator.
    w3c: bool,
    /// The share of new traces the provider records, when it is known to sample
    /// as `#[kratos::main]`'s does ([`Tracing::parent_based_ratio`]).
    root_ratio: Option<f64>,
}

/// Traces every call a server serves, continuing the caller's trace.
pub fn server() -> Tracing {
    Tracing {
        kind: SpanKind::Server,
        propagator: Arc::new(TextMapCompositePropagator::new(vec![
            Box::new(TraceContextPropagator::new()),
            Box::new(BaggagePropagator::new()),
        ])),
        tracer: Arc::new(OnceLock::new()),
        service_name: None,
        w3c: true,
        root_ratio: None,
    }
}

/// Traces every call a client makes and hands the trace on to the server.
pub fn client() -> Tracing {
    Tracing {
        kind: SpanKind::Client,
        ..server()
    }
}

impl Tracing {
    /// Reads and writes the trace context with `propagator` instead of W3C trace
    /// context and baggage.
    pub fn propagator(
        mut self,
        propagator: impl TextMapPropagator + Send + Sync + 'static,
    ) -> Self {
        self.propagator = Arc::new(propagator);
        self.w3c = false;
        self
    }

    /// Starts spans from `provider` instead of the global one.
    pub fn provider<P>(self, provider: &P) -> Self
    where
        P: TracerProvider,
        P::Tracer: Send + Sync + 'static,
        <P::Tracer as Tracer>::Span: Send + Sync + 'static,
    {
        let tracer = BoxedTracer::new(Box::new(provider.tracer_with_scope(scope())));
        let resolved = OnceLock::new();
        let _ = resolved.set(tracer);
        Self {
            tracer: Arc::new(resolved),
            ..self
        }
    }

    /// Promises that the provider samples as the one `#[kratos::main]` builds:
    /// `ParentBased(TraceIdRatioBased(ratio))` with the SDK's random ids. A call
    /// that sampler drops (its parent is not sampled, or it starts a trace and
    /// `ratio` is 0) then gets its span context (ids, trace state, what is
    /// propagated and logged) without asking the provider for a span that would
    /// record nothing: with sampling off, most of tracing's cost per call.
    pub fn parent_based_ratio(mut self, ratio: f64) -> Self {
        self.root_ratio = Some(ratio);
        self
    }

    /// The span context the promised sampler gives a call it drops, as the SDK
    /// makes it (the parent's trace id and trace state, a new span id, not
    /// sampled); `None` when it would record the call, or nothing was promised.
    fn dropped(&self, parent: &opentelemetry::Context) -> Option<SpanContext> {
        let ratio = self.root_ratio?;
        let span = parent.span();
        let of_parent = span.span_context();
        // `ParentBased` follows any span the parent context holds, valid or not.
        let drops = if parent.has_active_span() {
            !of_parent.is_sampled()
        } else {
            ratio <= 0.0
        };
        if !drops || parent.is_telemetry_suppressed() {
            return None;
        }
        let ids = RandomIdGenerator::default();
        let trace_id = if of_parent.is_valid() {
            of_parent.trace_id()
        } else {
            ids.new_trace_id()
        };
        Some(SpanContext::new(
            trace_id,
            ids.new_span_id(),
            TraceFlags::default(),
            false,
            of_parent.trace_state().clone(),
        ))
    }

    /// On a client, the app name sent as `x-md-service-name` (the server's
    /// `peer.service`); `#[kratos::main]` gives the app's. A name that cannot be a
    /// header value is not sent.
    pub fn service_name(mut self, name: &str) -> Self {
        self.service_name = HeaderValue::from_str(name).ok();
        self
    }

    /// The caller's trace as `headers` carry it. The W3C propagators change
    /// nothing when neither of their headers is there, so most calls (those that
    /// start a trace) skip them, and the header names they would parse.
    fn extract(&self, headers: &HeaderMap) -> opentelemetry::Context {
        // One pass over the names: cheaper than hashing two names for a lookup each
        // in the few headers a call carries.
        if self.w3c
            && !headers
                .keys()
                .any(|name| name == TRACEPARENT || name == BAGGAGE)
        {
            return opentelemetry::Context::new();
        }
        self.propagator
            .extract_with_context(&opentelemetry::Context::new(), &Headers(headers))
    }

    fn tracer(&self) -> &BoxedTracer {
        self.tracer
            .get_or_init(|| global::tracer_with_scope(scope()))
    }
}

impl std::fmt::Debug for Tracing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tracing")
            .field("kind", &self.kind)
            .field("service_name", &self.service_name)
            .finish_non_exhaustive()
    }
}

fn scope() -> InstrumentationScope {
    InstrumentationScope::builder(TRACER_NAME)
        .with_version(env!("CARGO_PKG_VERSION"))
        .build()
}

/// The trace of the call `ctx` belongs to: the OpenTelemetry context that holds
/// its span, once the tracing middleware ran.
pub fn call_trace(ctx: &Context) -> Option<&opentelemetry::Context> {
    ctx.trace()
}

/// Makes the trace of `ctx`'s call current until the guard drops: for what runs
/// outside the tracing middleware but belongs to the call (a log line written by a
/// middleware around it).
pub fn attach(ctx: &Context) -> Option<ContextGuard> {
    ctx.trace().map(|trace| trace.clone().attach())
}

/// The span context current on this thread, when it names a trace: what log lines
/// carry as `trace_id` and `span_id`.
pub fn current_span_context() -> Option<SpanContext> {
    opentelemetry::Context::map_current(|cx| {
        let span = cx.span().span_context().clone();
        span.is_valid().then_some(span)
    })
}

impl Middleware for Tracing {
    fn handle<'a>(
        &'a self,
        ctx: &'a mut Context,
        req: Request,
        next: Next<'a>,
    ) -> BoxFuture<'a, Result<Reply, Error>> {
        Box::pin(async move {
            let end = self.begin(ctx, &|| req.encoded_len());
            let cx = end.cx.clone();
            let result = run_caught(next, ctx, req).with_context(cx).await;
            answered(&result, |answer| end.finish(ctx, answer));
            result
        })
    }

    fn observer(&self) -> Option<Observer<'_>> {
        Some(Observer::tracing(self))
    }
}

impl Tracing {
    /// Starts `ctx`'s call's span, keeps its trace in `ctx` and, on a client, writes
    /// it into the outgoing headers; `request_size` measures the request, asked only
    /// when the span records.
    pub(crate) fn begin(&self, ctx: &mut Context, request_size: &dyn Fn() -> Option<usize>) -> End {
        let parent = match self.kind {
            SpanKind::Server => self.extract(ctx.request_headers()),
            _ => opentelemetry::Context::current(),
        };
        let cx = match self.dropped(&parent) {
            // Held as a span that records nothing, as the SDK's dropped span is.
            Some(span) => parent.with_remote_span_context(span),
            None => {
                let builder = SpanBuilder::from_name(ctx.operation()).with_kind(self.kind.clone());
                parent.with_span(self.tracer().build_with_context(builder, &parent))
            }
        };
        let recording = cx.span().is_recording();
        if recording {
            cx.span().set_attributes(start_attributes(ctx));
            if let Some(size) = request_size() {
                cx.span()
                    .set_attribute(size_attribute(self.kind == SpanKind::Server, size));
            }
        }
        if self.kind == SpanKind::Server {
            if recording && let Some(peer) = ctx.request_header(SERVICE_HEADER) {
                cx.span()
                    .set_attribute(KeyValue::new("peer.service", peer.to_owned()));
            }
        } else {
            self.propagator
                .inject_context(&cx, &mut HeadersMut(ctx.request_headers_mut()));
            if let Some(name) = &self.service_name {
                ctx.request_headers_mut()
                    .insert(HeaderName::from_static(SERVICE_HEADER), name.clone());
            }
        }
        ctx.set_trace(cx.clone());
        End {
            cx,
            server: self.kind == SpanKind::Server,
            deadline: ctx.deadline(),
            ended: !recording,
        }
    }
}

/// Ends a call's span: with its outcome when the chain answered, or, when the
/// call's future is dropped first (the server timeout cut it, the caller left),
/// with the answer the guard outside the chain gives.
pub(crate) struct End {
    cx: opentelemetry::Context,
    server: bool,
    deadline: Option<Instant>,
    /// Set once the span has its outcome (or records nothing).
    ended: bool,
}

impl End {
    /// Ends the span with the call's answer.
    pub(crate) fn finish(mut self, ctx: &Context, answer: &Answer<'_>) {
        if self.ended {
            self.cx.span().end();
            return;
        }
        self.ended = true;
        let span = self.cx.span();
        if !self.server {
            // Known once the call went out: the node a balanced client picked, the
            // request line an HTTP client built.
            span.set_attributes(client_end_attributes(ctx));
        }
        match answer {
            Answer::Sent(size) => {
                if let Some(size) = size() {
                    span.set_attribute(size_attribute(!self.server, size));
                }
                span.set_status(Status::Ok);
            }
            Answer::Failed(error) => fail(&span, answer.code(ctx), error.to_string(), Some(error)),
        }
        span.end();
    }
}

impl Drop for End {
    fn drop(&mut self) {
        if self.ended {
            return;
        }
        let (code, reason) = unanswered(self.deadline);
        let message = match code {
            504 => format!(
                "error: code = 504 reason = {reason} message = the call did not finish within its timeout"
            ),
            _ => "the caller left before the answer".to_owned(),
        };
        let span = self.cx.span();
        fail(&span, code, message, None);
        span.end();
    }
}

fn fail(span: &SpanRef<'_>, code: i32, message: String, error: Option<&Error>) {
    if let Some(error) = error {
        span.record_error(error);
    }
    span.set_attribute(KeyValue::new("rpc.status_code", i64::from(code)));
    span.set_status(Status::error(message));
}

/// `recv_msg.size` for what arrives (the request on a server, the reply on a
/// client), `send_msg.size` for what leaves.
fn size_attribute(received: bool, size: usize) -> KeyValue {
    let key = if received {
        "recv_msg.size"
    } else {
        "send_msg.size"
    };
    KeyValue::new(key, i64::try_from(size).unwrap_or(i64::MAX))
}

/// What a span knows when it starts: the system, service and method, and on a
/// server the request line and the caller's address.
fn start_attributes(ctx: &Context) -> Vec<KeyValue> {
    let mut attributes = Vec::with_capacity(8);
    attributes.push(KeyValue::new("rpc.system", ctx.kind().as_str()));
    let operation = ctx.operation();
    match operation.trim_start_matches('/').split_once('/') {
        Some((service, method)) => {
            if !service.is_empty() {
                attributes.push(KeyValue::new("rpc.service", service));
            }
            if !method.is_empty() {
                attributes.push(KeyValue::new("rpc.method", method));
            }
        }
        None => attributes.push(KeyValue::new("rpc.operation", operation)),
    }
    if let Some(line) = ctx.http() {
        attributes.push(KeyValue::new("http.method", verb(&line.method)));
        attributes.push(KeyValue::new("http.route", line.route));
        attributes.push(KeyValue::new("http.target", line.uri.path().to_owned()));
    }
    if let Some(peer) = ctx.peer() {
        attributes.push(KeyValue::new("net.peer.ip", peer.ip().to_string()));
        // A string, as Go kratos writes it.
        attributes.push(KeyValue::new("net.peer.port", peer.port().to_string()));
    }
    attributes
}

/// What a client span learns once its call went out: the request line and the
/// server's host and port.
fn client_end_attributes(ctx: &Context) -> Vec<KeyValue> {
    let mut attributes = Vec::new();
    if let Some(line) = ctx.http() {
        attributes.push(KeyValue::new("http.method", verb(&line.method)));
        attributes.push(KeyValue::new("http.route", line.route));
        attributes.push(KeyValue::new("http.target", line.uri.path().to_owned()));
    }
    let endpoint = ctx.endpoint().and_then(|e| e.parse::<http::Uri>().ok());
    if let Some(authority) = endpoint.as_ref().and_then(http::Uri::authority)
        && !authority.host().is_empty()
    {
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']');
        attributes.push(KeyValue::new("net.peer.ip", host.to_owned()));
        if let Some(port) = authority.port_u16() {
            attributes.push(KeyValue::new("net.peer.port", port.to_string()));
        }
    }
    attributes
}

/// The verb as an attribute value, without allocating for the common ones.
fn verb(method: &Method) -> Value {
    let common = match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => return Value::from(method.as_str().to_owned()),
    };
    Value::from(common)
}

/// Request headers (HTTP) or metadata (gRPC) as the propagator reads them.
struct Headers<'h>(&'h HeaderMap);

impl Headers<'_> {
    fn value(&self, key: &str) -> Option<&HeaderValue> {
        match key {
            "traceparent" => self.0.get(TRACEPARENT),
            "tracestate" => self.0.get(TRACESTATE),
            "baggage" => self.0.get(BAGGAGE),
            _ => self.0.get(key),
        }
    }
}

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.value(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(HeaderName::as_str).collect()
    }

    fn get_all(&self, key: &str) -> Option<Vec<&str>> {
        let values: Vec<&str> = self
            .0
            .get_all(key)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .collect();
        (!values.is_empty()).then_some(values)
    }
}

/// Outgoing headers as the propagator writes them; what cannot be a header is
/// dropped, and so is an empty value (the W3C propagator writes `tracestate`
/// even when it has none).
struct HeadersMut<'h>(&'h mut HeaderMap);

impl Injector for HeadersMut<'_> {
    fn set(&mut self, key: &str, value: String) {
        if value.is_empty() {
            return;
        }
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(key.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            self.0.insert(name, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::Kind;

    #[test]
    fn operation_splits_into_service_and_method() {
        let ctx = Context::new(
            Kind::Grpc,
            "/helloworld.v1.Greeter/SayHello",
            HeaderMap::new(),
        );
        let attributes = start_attributes(&ctx);
        let find = |key: &str| {
            attributes
                .iter()
                .find(|kv| kv.key.as_str() == key)
                .map(|kv| kv.value.to_string())
        };
        assert_eq!(find("rpc.system").as_deref(), Some("grpc"));
        assert_eq!(
            find("rpc.service").as_deref(),
            Some("helloworld.v1.Greeter")
        );
        assert_eq!(find("rpc.method").as_deref(), Some("SayHello"));
        assert_eq!(find("http.method"), None);
    }

    /// Ids from the SDK's generator, counted: how often the provider was asked
    /// for a span.
    #[derive(Debug, Default)]
    struct Counted(std::sync::atomic::AtomicUsize);

    impl IdGenerator for &'static Counted {
        fn new_trace_id(&self) -> opentelemetry::trace::TraceId {
            RandomIdGenerator::default().new_trace_id()
        }
        fn new_span_id(&self) -> opentelemetry::trace::SpanId {
            self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            RandomIdGenerator::default().new_span_id()
        }
    }

    /// The span context a server call with `headers` gets from `tracing`.
    fn served(tracing: &Tracing, headers: &[(&str, &str)]) -> (SpanContext, bool) {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        let mut ctx = Context::new(Kind::Http, "/helloworld.v1.Greeter/SayHello", map);
        let end = tracing.begin(&mut ctx, &|| None);
        let seen = {
            let span = end.cx.span();
            (span.span_context().clone(), span.is_recording())
        };
        end.finish(&ctx, &Answer::Sent(&|| None));
        seen
    }

    #[test]
    fn with_the_sampler_known_a_dropped_call_is_the_sdks_span_context_without_asking_it() {
        use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
        let asked: &'static Counted = Box::leak(Box::default());
        let provider = SdkTracerProvider::builder()
            .with_sampler(Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(
                0.0,
            ))))
            .with_id_generator(asked)
            .build();
        let sdk = server().provider(&provider);
        let known = server().provider(&provider).parent_based_ratio(0.0);
        let asked_now = || asked.0.load(std::sync::atomic::Ordering::Relaxed);
        let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
        let unsampled = [
            (
                "traceparent",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
            ),
            ("tracestate", "vendor=kept"),
        ];
        let sampled = [(
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        )];

        for headers in [&[][..], &unsampled[..]] {
            let before = asked_now();
            let (by_sdk, sdk_records) = served(&sdk, headers);
            assert_eq!(asked_now(), before + 1, "the SDK makes a span id");
            let (known_span, known_records) = served(&known, headers);
            assert_eq!(
                asked_now(),
                before + 1,
                "{headers:?}: the provider is not asked"
            );
            assert!(!sdk_records && !known_records);
            assert!(known_span.is_valid(), "{known_span:?}");
            assert_eq!(known_span.trace_flags(), by_sdk.trace_flags());
            assert_eq!(known_span.is_remote(), by_sdk.is_remote());
            assert_eq!(known_span.trace_state(), by_sdk.trace_state());
            assert_ne!(known_span.span_id(), by_sdk.span_id());
            if headers.is_empty() {
                assert_ne!(known_span.trace_id(), by_sdk.trace_id(), "a new trace each");
            } else {
                assert_eq!(known_span.trace_id().to_string(), trace);
                assert_eq!(by_sdk.trace_id().to_string(), trace);
                assert_eq!(known_span.trace_state().header(), "vendor=kept");
            }
        }
        // A sampled caller is recorded: the provider makes that span.
        let before = asked_now();
        let (span, records) = served(&known, &sampled);
        assert!(records && span.is_sampled(), "{span:?}");
        assert_eq!(span.trace_id().to_string(), trace);
        assert_eq!(asked_now(), before + 1);
        // And a new trace is the provider's when it records some of them.
        let some = server().provider(&provider).parent_based_ratio(0.5);
        let before = asked_now();
        served(&some, &[]);
        assert_eq!(asked_now(), before + 1);
    }

    #[test]
    fn a_client_writes_traceparent_and_no_empty_tracestate() {
        use opentelemetry::trace::{SpanId, TraceFlags, TraceId, TraceState};
        let span = SpanContext::new(
            TraceId::from_hex("0af7651916cd43dd8448eb211c80319c").unwrap(),
            SpanId::from_hex("b7ad6b7169203331").unwrap(),
            TraceFlags::SAMPLED,
            true,
            TraceState::default(),
        );
        let cx = opentelemetry::Context::new().with_remote_span_context(span.clone());
        let mut headers = HeaderMap::new();
        client()
            .propagator
            .inject_context(&cx, &mut HeadersMut(&mut headers));
        assert_eq!(
            headers.get("traceparent").unwrap(),
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        );
        assert!(headers.get("tracestate").is_none(), "{headers:?}");
        let read = server()
            .propagator
            .extract_with_context(&opentelemetry::Context::new(), &Headers(&headers));
        assert_eq!(read.span().span_context(), &span);
    }
}
