//! The client circuit breaker: its per-call cost, and how it behaves through an
//! outage.
//!
//! Cost: one client call through a chain with the breaker, its innermost step a
//! reply made in place (no network), against the empty chain and a middleware
//! that only calls `next`; each iteration on a current-thread runtime's
//! `block_on`, as `benches/middleware.rs` measures the server side. The SRE
//! breaker alone (`allow` + a mark) on one and on two threads.
//!
//! Behaviour: before the timings, a simulation on a hand-moved clock (so it is
//! exact and instant) prints, for 1000 calls/s offered to a remote that is down
//! for 10 s then up for 120 s, how many calls still reached the remote while it
//! was down and how long after it recovered calls stopped being rejected: once as this
//! crate records outcomes (a local reject is not recorded) and once as Go kratos
//! does (a local reject is recorded as a failure).
//!
//! Run: `cargo bench -p kratos-bench --bench circuitbreaker`

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use divan::{AllocProfiler, Bencher};
use kratos::middleware::circuitbreaker::{self, Breaker, Clock, Sre};
use kratos::middleware::{Chain, Endpoint, Next, Reply, Request};
use kratos::prelude::*;
use kratos::registry::BoxFuture;

#[global_allocator]
static ALLOC: AllocProfiler = AllocProfiler::system();

fn main() {
    simulate();
    divan::main();
}

/// A clock that moves only when told.
struct Manual {
    start: Instant,
    offset: Mutex<Duration>,
}

impl Clock for Manual {
    fn now(&self) -> Instant {
        self.start + *self.offset.lock().unwrap()
    }
}

/// What one outage looked like to the remote and to the caller.
struct Outage {
    reached_while_down: u64,
    rejected_after_recovery: u64,
    /// From the recovery to the last rejected call.
    throttled_for: Duration,
}

/// 1 call per ms; the remote fails the first `down` ms, then serves for `up` ms.
fn outage(record_rejects: bool, down: u64, up: u64) -> Outage {
    let clock = Arc::new(Manual {
        start: Instant::now(),
        offset: Mutex::new(Duration::ZERO),
    });
    let breaker = Sre::v2().clock(clock.clone()).seed(17).build();
    let mut result = Outage {
        reached_while_down: 0,
        rejected_after_recovery: 0,
        throttled_for: Duration::ZERO,
    };
    for ms in 0..down + up {
        *clock.offset.lock().unwrap() = Duration::from_millis(ms);
        let is_down = ms < down;
        if !breaker.allow() {
            if record_rejects {
                breaker.mark_failed();
            }
            if !is_down {
                result.rejected_after_recovery += 1;
                result.throttled_for = Duration::from_millis(ms + 1 - down);
            }
            continue;
        }
        if is_down {
            result.reached_while_down += 1;
            breaker.mark_failed();
        } else {
            breaker.mark_success();
        }
    }
    result
}

fn simulate() {
    println!(
        "circuit breaker, Go kratos v2 defaults, 1000 calls/s, remote down 10 s then up 120 s:"
    );
    println!(
        "| rejects | calls reaching the remote while down | rejected after recovery | last rejection after recovery |"
    );
    println!("| --- | ---: | ---: | ---: |");
    for (name, record) in [
        ("not recorded (kratos-rs)", false),
        ("recorded as failures (Go kratos)", true),
    ] {
        let o = outage(record, 10_000, 120_000);
        println!(
            "| {name} | {} of 10000 | {} | {:?} |",
            o.reached_while_down, o.rejected_after_recovery, o.throttled_for
        );
    }
    println!();
}

#[kratos::message]
pub struct HelloReply {
    pub message: String,
}

const OPERATION: &str = "/helloworld.v1.Greeter/SayHello";

/// The innermost step: a reply made in place, or 503 when `down`.
struct Remote {
    down: bool,
}

impl Endpoint for Remote {
    fn call<'a>(
        &'a self,
        _ctx: &'a mut Context,
        _req: Request,
    ) -> BoxFuture<'a, Result<Reply, Error>> {
        let down = self.down;
        Box::pin(async move {
            if down {
                return Err(Error::service_unavailable("", "down"));
            }
            Ok(Reply::message(HelloReply {
                message: String::from("Hello kratos"),
            }))
        })
    }
}

/// Only calls `next`.
struct Passthrough;

impl Middleware for Passthrough {
    fn handle<'a>(
        &'a self,
        ctx: &'a mut Context,
        req: Request,
        next: Next<'a>,
    ) -> BoxFuture<'a, Result<Reply, Error>> {
        Box::pin(next.run(ctx, req))
    }
}

fn run(b: Bencher, chain: Chain, remote: Remote) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    b.bench_local(|| {
        rt.block_on(async {
            let mut ctx = Context::new(Kind::Grpc, OPERATION, Default::default())
                .with_endpoint(Arc::from("http://127.0.0.1:9000"));
            let req = Request::message(HelloReply::default());
            Next::new(chain.as_slice(), &[], &[], &remote)
                .run(&mut ctx, req)
                .await
        })
    });
}

/// A client call with no middleware.
#[divan::bench]
fn client_call_empty_chain(b: Bencher) {
    run(b, Chain::default(), Remote { down: false });
}

/// A client call through one middleware that only calls `next`.
#[divan::bench]
fn client_call_passthrough(b: Bencher) {
    run(
        b,
        Chain::default().with(Passthrough),
        Remote { down: false },
    );
}

/// A client call through the breaker, closed (key: the operation).
#[divan::bench]
fn client_call_breaker_closed(b: Bencher) {
    run(
        b,
        Chain::default().with(circuitbreaker::client()),
        Remote { down: false },
    );
}

/// A client call through the breaker keyed per target (a `String` per call).
#[divan::bench]
fn client_call_breaker_by_target(b: Bencher) {
    run(
        b,
        Chain::default().with(circuitbreaker::client().key(circuitbreaker::by_target)),
        Remote { down: false },
    );
}

/// A client call the breaker rejects: the remote is down and the breaker open
/// (most calls rejected; the few that pass get the remote's 503).
#[divan::bench]
fn client_call_breaker_open(b: Bencher) {
    run(
        b,
        Chain::default().with(circuitbreaker::client().v3()),
        Remote { down: true },
    );
}

/// `allow` and `mark_success` on one closed SRE breaker, shared by the bench's threads.
#[divan::bench(threads = [1, 2])]
fn sre_allow_mark(b: Bencher) {
    let breaker = Sre::v2().build();
    b.bench(|| {
        if breaker.allow() {
            breaker.mark_success();
        }
    });
}
