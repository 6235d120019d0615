//! What a call whose handler panics costs against one that answers, on the path a real
//! call takes (`kratos_transport::invoke::invoke`: timeout, deadline scope, panic
//! guard, handler, the server's log of a failed call), with the panic hook servers
//! install and a `tracing` subscriber that formats every event into a sink, as a
//! server's log would. Run it with RUST_BACKTRACE unset, as production runs:
//!
//! `env -u RUST_BACKTRACE cargo bench -p kratos-bench --bench panics`

use std::time::Duration;

use divan::Bencher;
use kratos::middleware::{Chain, recovery};
use kratos::prelude::*;
use kratos_transport::invoke::{ServerState, invoke};

fn main() {
    recovery::install_hook();
    tracing_subscriber::fmt()
        .with_writer(std::io::sink)
        .with_ansi(false)
        .init();
    divan::main();
}

mod greeter;

use greeter::*;

pub struct Hello;

impl Greeter for Hello {
    async fn say_hello(&self, req: HelloRequest) -> kratos::Result<HelloReply> {
        if req.name == "panic" {
            panic!("the greeter was asked to panic");
        }
        Ok(HelloReply { message: req.name })
    }
}

fn run(b: Bencher, name: &'static str) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let state = ServerState {
        endpoint: "http://127.0.0.1:8000".into(),
        timeout: Duration::from_secs(1),
        chain: Chain::default(),
        ..ServerState::default()
    };
    let service = Chain::default();
    b.bench_local(|| {
        rt.block_on(async {
            let mut ctx =
                Context::new(Kind::Http, "/bench.v1.Greeter/SayHello", Default::default());
            let request = HelloRequest { name: name.into() };
            let result = invoke::<SayHello, Hello>(
                &Hello,
                &state,
                &service,
                &mut ctx,
                request,
                Duration::from_secs(1),
            )
            .await;
            assert_eq!(result.is_err(), name == "panic");
        })
    });
}

/// A call that answers.
#[divan::bench]
fn normal_call(b: Bencher) {
    run(b, "kratos");
}

/// A call whose handler panics: caught, answered 500 `UNKNOWN`, logged.
#[divan::bench]
fn panicking_call(b: Bencher) {
    run(b, "panic");
}
