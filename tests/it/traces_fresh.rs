//! Calls that arrive without a `traceparent` (issue 20: the tracing middleware
//! skips the W3C propagators when neither of their headers is there): such a call
//! starts a trace of its own that its outgoing calls continue, and one that brings
//! only `baggage` still hands that baggage on. Spans from a provider of this test's.

use kratos::middleware::tracing as traces;
use kratos::prelude::*;
use opentelemetry::baggage::BaggageExt;
use opentelemetry::trace::{SpanId, SpanKind};
use opentelemetry_sdk::trace::SdkTracerProvider;

use crate::common::spans::Collected;
use crate::common::{Echo as _, EchoClient, EchoImpl, EchoReply, EchoRequest, EchoServer};
use crate::curl;

/// Answers over HTTP by calling the echo service over gRPC, with the baggage it got.
#[kratos::service(package = "fresh.v1")]
pub trait Relay {
    #[route(get = "/v1/relay/{name}")]
    async fn relay(&self, req: EchoRequest) -> kratos::Result<EchoReply>;
}

struct RelayImpl {
    next: EchoClient,
}

impl Relay for RelayImpl {
    async fn relay(&self, mut req: EchoRequest) -> kratos::Result<EchoReply> {
        let tenant = opentelemetry::Context::current()
            .baggage()
            .get("tenant")
            .map(|v| v.to_string());
        req.tags
            .push(format!("tenant={}", tenant.unwrap_or_default()));
        self.next.grpc_only(req).await
    }
}

#[tokio::test]
async fn a_call_without_traceparent_starts_a_trace_its_calls_continue_and_keeps_its_baggage() {
    let collected = Collected::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(collected.clone())
        .build();
    let mut back = App::builder()
        .handle_signals(false)
        .server(
            GrpcServer::new()
                .address("127.0.0.1:0")
                .middleware(traces::server().provider(&provider)),
        )
        .service(EchoServer::new(EchoImpl))
        .build()
        .start()
        .await
        .unwrap();
    let next_url = back
        .endpoint("grpc")
        .unwrap()
        .replacen("grpc://", "http://", 1);
    let next = EchoClient::grpc(&next_url)
        .unwrap()
        .middleware(traces::client().provider(&provider));
    let mut front = App::builder()
        .handle_signals(false)
        .server(
            HttpServer::new()
                .address("127.0.0.1:0")
                .middleware(traces::server().provider(&provider)),
        )
        .service(RelayServer::new(RelayImpl { next }))
        .build()
        .start()
        .await
        .unwrap();
    let base = front.endpoint("http").unwrap().to_owned();

    let plain = curl::get(&format!("{base}/v1/relay/plain")).await;
    assert_eq!(plain.status, 200, "{}", plain.text());
    assert!(plain.text().contains("tenant="), "{}", plain.text());
    let only_baggage = curl::send(
        "GET",
        &format!("{base}/v1/relay/baggage"),
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

    let servers = collected.named("/fresh.v1.Relay/Relay", SpanKind::Server);
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
