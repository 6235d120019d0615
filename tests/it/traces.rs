//! Traces in one process: the tracing middleware on real servers and clients, its
//! spans collected from the OpenTelemetry SDK's own pipeline (a tracer provider of
//! this test's, handed to the middlewares, never the global one). A call that
//! arrives over HTTP and leaves over gRPC is one trace that carries its baggage; a
//! log line of the call has the call's ids whatever the order of the middlewares;
//! a stream is one span; a call cut by the server timeout ends its span as 504.
//! Peers we did not write (an OTLP receiver, the Python SDK) are in `example_trace`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use kratos::middleware::{logging, tracing as traces};
use kratos::prelude::*;
use opentelemetry::baggage::BaggageExt;
use opentelemetry::trace::{SpanId, SpanKind, Status, TraceId};
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::layer::SubscriberExt;

use crate::common::spans::{attribute, provider};
use crate::common::{Echo, EchoClient, EchoImpl, EchoReply, EchoRequest, EchoServer, http_url};
use crate::curl;
use crate::streaming::{Ticker, TickerClient, TickerImpl, TickerServer, drain, ticks};

const TRACEPARENT: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
const CALLER_TRACE: &str = "0af7651916cd43dd8448eb211c80319c";
const CALLER_SPAN: &str = "b7ad6b7169203331";

/// Starts an app with `server` and what `add` adds, not listening for signals.
async fn serve(
    server: impl kratos::Server,
    add: impl FnOnce(AppBuilder) -> AppBuilder,
) -> kratos::RunningApp {
    add(App::builder().handle_signals(false).server(server))
        .build()
        .start()
        .await
        .unwrap()
}

/// The first hop: answers over HTTP by calling the echo service over gRPC.
#[kratos::service(package = "hop.v1")]
pub trait Front {
    #[route(get = "/v1/front/{name}")]
    async fn front(&self, req: EchoRequest) -> kratos::Result<EchoReply>;
}

struct FrontImpl {
    next: EchoClient,
}

impl Front for FrontImpl {
    async fn front(&self, mut req: EchoRequest) -> kratos::Result<EchoReply> {
        // What the next hop receives: the baggage this call arrived with.
        let tenant = opentelemetry::Context::current()
            .baggage()
            .get("tenant")
            .map(|v| v.to_string());
        req.tags
            .push(format!("tenant={}", tenant.unwrap_or_default()));
        self.next.grpc_only(req).await
    }
}

/// The echo service over gRPC behind `Front` over HTTP, traced with `provider`
/// on both servers and on the client between them (named `front`).
async fn two_hops(provider: &SdkTracerProvider) -> (kratos::RunningApp, kratos::RunningApp) {
    let back = serve(
        GrpcServer::new()
            .address("127.0.0.1:0")
            .middleware(traces::server().provider(provider)),
        |app| app.service(EchoServer::new(EchoImpl)),
    )
    .await;
    let next_url = back
        .endpoint("grpc")
        .unwrap()
        .replacen("grpc://", "http://", 1);
    let next = EchoClient::grpc(&next_url)
        .unwrap()
        .middleware(traces::client().provider(provider).service_name("front"));
    let front = serve(
        HttpServer::new()
            .address("127.0.0.1:0")
            .middleware(traces::server().provider(provider)),
        |app| app.service(FrontServer::new(FrontImpl { next })),
    )
    .await;
    (back, front)
}

#[tokio::test]
async fn a_call_in_over_http_and_out_over_grpc_is_one_trace_with_its_baggage() {
    let (provider, collected) = provider();
    let (mut back, mut front) = two_hops(&provider).await;
    let url = format!("{}/v1/front/ada", front.endpoint("http").unwrap());
    let answer = curl::send(
        "GET",
        &url,
        &[("traceparent", TRACEPARENT), ("baggage", "tenant=acme")],
        "",
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert!(answer.text().contains("tenant=acme"), "{}", answer.text());

    let server = collected.named("/hop.v1.Front/Front", SpanKind::Server);
    let client = collected.named("/test.v1.Echo/GrpcOnly", SpanKind::Client);
    let inner = collected.named("/test.v1.Echo/GrpcOnly", SpanKind::Server);
    assert_eq!(
        (server.len(), client.len(), inner.len()),
        (1, 1, 1),
        "{:#?}",
        collected.spans()
    );
    let (server, client, inner) = (&server[0], &client[0], &inner[0]);
    let trace = TraceId::from_hex(CALLER_TRACE).unwrap();
    for span in [server, client, inner] {
        assert_eq!(span.span_context.trace_id(), trace, "{}", span.name);
    }
    assert_eq!(
        server.parent_span_id,
        SpanId::from_hex(CALLER_SPAN).unwrap()
    );
    assert_eq!(client.parent_span_id, server.span_context.span_id());
    assert_eq!(inner.parent_span_id, client.span_context.span_id());
    assert_eq!(attribute(server, "rpc.system").as_deref(), Some("http"));
    assert_eq!(
        attribute(server, "http.route").as_deref(),
        Some("/v1/front/{name}")
    );
    assert_eq!(
        attribute(server, "http.target").as_deref(),
        Some("/v1/front/ada")
    );
    assert_eq!(
        attribute(server, "net.peer.ip").as_deref(),
        Some("127.0.0.1")
    );
    assert_eq!(attribute(client, "rpc.system").as_deref(), Some("grpc"));
    assert_eq!(attribute(inner, "rpc.method").as_deref(), Some("GrpcOnly"));
    assert_eq!(attribute(inner, "peer.service").as_deref(), Some("front"));
    assert!(attribute(inner, "recv_msg.size").is_some(), "{inner:#?}");
    for span in [server, client, inner] {
        assert_eq!(span.status, Status::Ok, "{}", span.name);
    }
    front.stop().await.unwrap();
    back.stop().await.unwrap();
}

/// Records, for every event named `call`, the trace id current when it was written.
#[derive(Clone, Default)]
struct CallLines(Arc<Mutex<Vec<Option<String>>>>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for CallLines {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        let mut message = String::new();
        event.record(
            &mut |field: &tracing::field::Field, value: &dyn std::fmt::Debug| {
                if field.name() == "message" {
                    message = format!("{value:?}");
                }
            },
        );
        if message == "call" {
            let ids = traces::current_span_context().map(|s| s.trace_id().to_string());
            self.0.lock().unwrap().push(ids);
        }
    }
}

#[tokio::test]
async fn the_logging_middleware_logs_within_the_trace_whatever_the_order() {
    for tracing_first in [true, false] {
        let (provider, collected) = provider();
        let lines = CallLines::default();
        let _log =
            tracing::subscriber::set_default(tracing_subscriber::registry().with(lines.clone()));
        let tracing = traces::server().provider(&provider);
        let server = HttpServer::new().address("127.0.0.1:0");
        let server = if tracing_first {
            server.middleware(tracing).middleware(logging::server())
        } else {
            server.middleware(logging::server()).middleware(tracing)
        };
        let mut app = serve(server, |app| app.service(EchoServer::new(EchoImpl))).await;
        let url = format!("{}/v1/echo/ada", app.endpoint("http").unwrap());
        let answer = curl::send("GET", &url, &[("traceparent", TRACEPARENT)], "").await;
        assert_eq!(answer.status, 200);
        app.stop().await.unwrap();
        assert_eq!(
            *lines.0.lock().unwrap(),
            vec![Some(CALLER_TRACE.to_owned())],
            "tracing first: {tracing_first}"
        );
        assert_eq!(
            collected
                .named("/test.v1.Echo/Echo", SpanKind::Server)
                .len(),
            1
        );
    }
}

#[tokio::test]
async fn a_stream_is_one_span_ended_with_the_stream() {
    let (provider, collected) = provider();
    let mut app = serve(
        GrpcServer::new()
            .address("127.0.0.1:0")
            .middleware(traces::server().provider(&provider)),
        |app| {
            app.service(TickerServer::new(TickerImpl {
                seen: Default::default(),
            }))
        },
    )
    .await;
    let url = app
        .endpoint("grpc")
        .unwrap()
        .replacen("grpc://", "http://", 1);
    let client = TickerClient::grpc(&url).unwrap();
    let (items, end) = drain(client.ticks(ticks(3)).await.unwrap()).await;
    assert_eq!((items.len(), end), (3, Ok(())));
    app.stop().await.unwrap();
    let spans = collected.named("/streamtest.v1.Ticker/Ticks", SpanKind::Server);
    assert_eq!(spans.len(), 1, "{:#?}", collected.spans());
    assert_eq!(spans[0].status, Status::Ok);
    assert_eq!(attribute(&spans[0], "rpc.method").as_deref(), Some("Ticks"));
}

#[tokio::test]
async fn a_call_cut_by_the_server_timeout_ends_its_span_as_504() {
    let (provider, collected) = provider();
    let mut app = serve(
        HttpServer::new()
            .address("127.0.0.1:0")
            .timeout(Duration::from_millis(100))
            .middleware(traces::server().provider(&provider)),
        |app| app.service(EchoServer::new(EchoImpl)),
    )
    .await;
    // The timeout is outside the chain: the span is ended by the guard it drops.
    let url = format!("{}/v1/sleep/5000", app.endpoint("http").unwrap());
    let answer = curl::get(&url).await;
    assert_eq!(answer.status, 504, "{}", answer.text());
    app.stop().await.unwrap();
    let spans = collected.named("/test.v1.Echo/Sleep", SpanKind::Server);
    assert_eq!(spans.len(), 1, "{:#?}", collected.spans());
    assert_eq!(
        attribute(&spans[0], "rpc.status_code").as_deref(),
        Some("504")
    );
    assert!(
        matches!(spans[0].status, Status::Error { .. }),
        "{:?}",
        spans[0].status
    );
}

/// Issue 20: the middleware skips the W3C propagators when neither `traceparent` nor
/// `baggage` came. A call without `traceparent` starts a trace of its own that its
/// outgoing calls continue; one that brings only `baggage` still hands it on.
#[tokio::test]
async fn a_call_without_traceparent_starts_a_trace_its_calls_continue_and_keeps_its_baggage() {
    let (provider, collected) = provider();
    let (mut back, mut front) = two_hops(&provider).await;
    let base = http_url(&front);

    let plain = curl::get(&format!("{base}/v1/front/plain")).await;
    assert_eq!(plain.status, 200, "{}", plain.text());
    assert!(plain.text().contains("tenant="), "{}", plain.text());
    let only_baggage = curl::send(
        "GET",
        &format!("{base}/v1/front/baggage"),
        &[("baggage", "tenant=acme")],
        "",
    )
    .await;
    assert_eq!(only_baggage.status, 200, "{}", only_baggage.text());
    assert!(
        only_baggage.text().contains("tenant=acme"),
        "{}",
        only_baggage.text()
    );

    let servers = collected.named("/hop.v1.Front/Front", SpanKind::Server);
    let clients = collected.named("/test.v1.Echo/GrpcOnly", SpanKind::Client);
    let inner = collected.named("/test.v1.Echo/GrpcOnly", SpanKind::Server);
    assert_eq!((servers.len(), clients.len(), inner.len()), (2, 2, 2));
    for i in 0..2 {
        let (server, client, inner) = (&servers[i], &clients[i], &inner[i]);
        // A root of a new trace, which the call it made and that call's server continue.
        assert!(server.span_context.is_valid(), "{server:#?}");
        assert_eq!(server.parent_span_id, SpanId::INVALID, "{server:#?}");
        let trace = server.span_context.trace_id();
        assert_eq!(client.span_context.trace_id(), trace);
        assert_eq!(inner.span_context.trace_id(), trace);
        assert_eq!(client.parent_span_id, server.span_context.span_id());
        assert_eq!(inner.parent_span_id, client.span_context.span_id());
    }
    assert_ne!(
        servers[0].span_context.trace_id(),
        servers[1].span_context.trace_id()
    );
    front.stop().await.unwrap();
    back.stop().await.unwrap();
}
