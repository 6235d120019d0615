//! Per-call cost of the BBR rate limiter: the limiter alone (admit and end a call,
//! under and over the CPU threshold, refuse one, and from two threads at once) and
//! a server call through `ratelimit::server()` against the empty chain, on the path a
//! real call takes (`kratos_transport::invoke::invoke`, as benches/middleware.rs).
//! The CPU reading is set by hand so the numbers do not depend on the machine's load.
//!
//! Run: `cargo bench -p kratos-bench --bench ratelimit`

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use divan::{AllocProfiler, Bencher};
use kratos::middleware::Chain;
use kratos::middleware::ratelimit::{self, Bbr, Limiter, Options};
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

/// A BBR limiter with aegis's defaults whose CPU reads `per_mille`.
fn bbr(per_mille: u64) -> Bbr {
    Bbr::new(Options {
        cpu: Some(Arc::new(AtomicU64::new(per_mille))),
        ..Options::default()
    })
}

/// Admit and end a call, CPU under the threshold: the path of a healthy server.
#[divan::bench]
fn allow_done_cpu_low(b: Bencher) {
    let limiter = bbr(100);
    b.bench_local(|| drop(limiter.allow().unwrap()));
}

/// Admit and end a call, CPU over the threshold: the in-flight limit is read (cached
/// per bucket) on every call.
#[divan::bench]
fn allow_done_cpu_high(b: Bencher) {
    let limiter = bbr(1000);
    b.bench_local(|| drop(limiter.allow().unwrap()));
}

/// Refuse a call: CPU over the threshold, two calls in flight, limit 0.
#[divan::bench]
fn refuse(b: Bencher) {
    let limiter = bbr(1000);
    let _held = [limiter.allow().unwrap(), limiter.allow().unwrap()];
    b.bench_local(|| limiter.allow().is_err());
}

/// Admit and end calls from two threads on one limiter (the window's lock is shared).
#[divan::bench(threads = [1, 2])]
fn allow_done_shared(b: Bencher) {
    let limiter = bbr(100);
    b.bench(|| drop(limiter.allow().unwrap()));
}

fn run_invoke(b: Bencher, chain: Chain) {
    let state = ServerState {
        endpoint: "grpc://127.0.0.1:9000".into(),
        timeout: Duration::from_secs(1),
        chain,
        ..ServerState::default()
    };
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
                HelloRequest {
                    name: String::from("kratos"),
                },
                Duration::from_secs(1),
            )
            .await
        })
    });
}

/// A server call with no middleware: the baseline.
#[divan::bench]
fn server_call_empty_chain(b: Bencher) {
    run_invoke(b, Chain::default());
}

/// A middleware that only calls `next`: what any middleware costs in the chain.
struct Pass;

impl kratos::middleware::Middleware for Pass {
    fn handle<'a>(
        &'a self,
        ctx: &'a mut Context,
        req: kratos::middleware::Request,
        next: kratos::middleware::Next<'a>,
    ) -> kratos::registry::BoxFuture<'a, kratos::Result<kratos::middleware::Reply>> {
        Box::pin(next.run(ctx, req))
    }
}

/// A server call through one middleware that only calls `next`.
#[divan::bench]
fn server_call_pass_through(b: Bencher) {
    run_invoke(b, Chain::default().with(Pass));
}

/// A server call through `ratelimit::server()`, CPU under the threshold.
#[divan::bench]
fn server_call_ratelimit(b: Bencher) {
    let limit = ratelimit::server().cpu(Arc::new(AtomicU64::new(100)));
    run_invoke(b, Chain::default().with(limit));
}

/// A server call refused by `ratelimit::server()`: the 429 answer instead of the handler.
#[divan::bench]
fn server_call_ratelimit_refused(b: Bencher) {
    let limiter = Arc::new(bbr(1000));
    let _held = [limiter.allow().unwrap(), limiter.allow().unwrap()];
    let limit = ratelimit::server().limiter(limiter.clone());
    run_invoke(b, Chain::default().with(limit));
}
