//! Per-call cost of the server middleware chain, measured on the path a real call
//! takes (`kratos_transport::invoke::invoke`: timeout, deadline scope, panic guard,
//! chain, handler), against calling the handler directly. Each iteration runs on a
//! current-thread tokio runtime's `block_on`, in the baseline too, so differences
//! are the chain's cost. Allocations are counted by divan's `AllocProfiler`.
//!
//! Run: `cargo bench -p kratos-bench --bench middleware`

use std::sync::Arc;
use std::time::Duration;

use divan::{AllocProfiler, Bencher};
use kratos::middleware::{Chain, logging, metadata, recovery};
use kratos::prelude::*;
use kratos_transport::invoke::{ServerState, invoke};

#[global_allocator]
static ALLOC: AllocProfiler = AllocProfiler::system();

fn main() {
    divan::main();
}

mod greeter;

use greeter::*;

pub struct Hello;

impl Greeter for Hello {
    async fn say_hello(&self, req: HelloRequest) -> kratos::Result<HelloReply> {
        Ok(HelloReply { message: req.name })
    }
}

fn server(chain: Chain) -> ServerState {
    ServerState {
        endpoint: "grpc://127.0.0.1:9000".into(),
        timeout: Duration::from_secs(1),
        chain,
        ..ServerState::default()
    }
}

fn run_invoke(b: Bencher, state: ServerState) {
    let rt = runtime();
    let service = Chain::default();
    b.bench_local(|| {
        rt.block_on(async {
            let mut ctx =
                Context::new(Kind::Grpc, "/bench.v1.Greeter/SayHello", Default::default());
            invoke::<SayHello, Hello>(
                &Hello,
                &state,
                &service,
                &mut ctx,
                request(),
                Duration::from_secs(1),
            )
            .await
            .unwrap()
        })
    });
}

/// The handler called directly: the baseline.
#[divan::bench]
fn direct_handler(b: Bencher) {
    let rt = runtime();
    b.bench_local(|| rt.block_on(async { Hello.say_hello(request()).await.unwrap() }));
}

/// A server call with no middleware: timeout, deadline scope, panic guard, handler.
#[divan::bench]
fn server_call_empty_chain(b: Bencher) {
    run_invoke(b, server(Chain::default()));
}

/// A server call through recovery and metadata.
#[divan::bench]
fn server_call_recovery_metadata(b: Bencher) {
    run_invoke(
        b,
        server(
            Chain::default()
                .with(recovery::recovery())
                .with(metadata::server()),
        ),
    );
}

/// A server call through recovery, metadata and logging with no subscriber (off).
#[divan::bench]
fn server_call_recovery_metadata_logging_off(b: Bencher) {
    let chain = Chain::default()
        .with(recovery::recovery())
        .with(metadata::server())
        .with(logging::server());
    run_invoke(b, server(chain));
}

/// A server call through the metrics middleware with no recorder installed: what
/// every program pays that does not scrape.
#[divan::bench]
fn server_call_metrics_no_recorder(b: Bencher) {
    let noop = metrics::NoopRecorder;
    metrics::with_local_recorder(&noop, || {
        run_invoke(
            b,
            server(Chain::default().with(kratos::middleware::metrics::server())),
        );
    });
}

/// A server call through the metrics middleware recording into a Prometheus
/// recorder (what `server.http.metrics` installs): a counter and a histogram per call.
#[divan::bench]
fn server_call_metrics_prometheus(b: Bencher) {
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new()
        .set_buckets(&kratos::middleware::metrics::DEFAULT_BUCKETS)
        .unwrap()
        .build_recorder();
    metrics::with_local_recorder(&recorder, || {
        run_invoke(
            b,
            server(Chain::default().with(kratos::middleware::metrics::server())),
        );
    });
}

/// A span exporter that drops what it gets: the batch processor's cost without a network.
#[derive(Debug)]
struct Discard;

impl opentelemetry_sdk::trace::SpanExporter for Discard {
    async fn export(
        &self,
        _batch: Vec<opentelemetry_sdk::trace::SpanData>,
    ) -> opentelemetry_sdk::error::OTelSdkResult {
        Ok(())
    }
}

/// A tracer provider as `#[kratos::main]` builds it (parent-based ratio sampler,
/// batch processor), its spans dropped by the exporter.
fn tracer_provider(ratio: f64) -> opentelemetry_sdk::trace::SdkTracerProvider {
    use opentelemetry_sdk::trace::Sampler;
    opentelemetry_sdk::trace::SdkTracerProvider::builder()
        .with_sampler(Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(
            ratio,
        ))))
        .with_batch_exporter(Discard)
        .build()
}

/// A server call through the tracing middleware with no provider installed (the
/// global no-op one): a program that never turned traces on but kept the middleware.
#[divan::bench]
fn server_call_tracing_no_provider(b: Bencher) {
    run_invoke(
        b,
        server(Chain::default().with(kratos::middleware::tracing::server())),
    );
}

/// A server call through the tracing middleware, sampling off (`sample_ratio: 0`):
/// ids made and the context propagated, nothing recorded.
#[divan::bench]
fn server_call_tracing_sampling_off(b: Bencher) {
    let provider = tracer_provider(0.0);
    let tracing = kratos::middleware::tracing::server().provider(&provider);
    run_invoke(b, server(Chain::default().with(tracing)));
    let _ = provider.shutdown();
}

/// A server call through the tracing middleware, every call sampled: attributes,
/// status and the batch processor's queue.
#[divan::bench]
fn server_call_tracing_sampling_on(b: Bencher) {
    let provider = tracer_provider(1.0);
    let tracing = kratos::middleware::tracing::server().provider(&provider);
    run_invoke(b, server(Chain::default().with(tracing)));
    let _ = provider.shutdown();
}

/// A server call through one middleware that only calls `next`.
#[divan::bench]
fn server_call_one_passthrough(b: Bencher) {
    run_invoke(b, server(Chain::default().with_arc(Arc::new(Pass))));
}

struct Pass;

#[kratos::middleware]
impl Middleware for Pass {
    async fn handle(
        &self,
        ctx: &mut Context,
        req: Request,
        next: Next<'_>,
    ) -> Result<Reply, Error> {
        next.run(ctx, req).await
    }
}
