//! The `Counter.Countdown` server stream of `examples/stream` as bench/stream.sh
//! loads it: the same messages and gRPC name (`/stream.v1.Counter/Countdown`), but
//! the countdown yields its ticks as fast as the client reads them (no interval,
//! no limit, no unlucky 13), so what is measured is the framework's streaming path.
//! Served by `#[kratos::main]` with its default middlewares, as any kratos service.
//!
//! ```text
//! cargo run --release -p kratos-bench --example stream_server -- -conf bench/configs/stream.yaml
//! ```

use kratos::Streaming;
use kratos::prelude::*;

/// The request of `Countdown`.
#[kratos::message]
pub struct CountdownRequest {
    /// Where to count down from.
    pub from: i32,
}

/// One tick of `Countdown`.
#[kratos::message]
pub struct Tick {
    /// The number counted.
    pub n: i32,
}

/// The countdown of `examples/stream`, alone.
#[kratos::service(package = "stream.v1")]
pub trait Counter {
    /// Counts down from `from` to 1, as fast as the reader takes the ticks.
    #[route(get = "/v1/countdown/{from}")]
    async fn countdown(&self, req: CountdownRequest) -> kratos::Result<Streaming<Tick>>;
}

/// The implementation: an iterator, the same code raw_tonic_stream serves.
pub struct CounterImpl;

impl Counter for CounterImpl {
    async fn countdown(&self, req: CountdownRequest) -> kratos::Result<Streaming<Tick>> {
        Ok(Streaming::iter((1..=req.from).rev().map(|n| Tick { n })))
    }
}

#[kratos::main]
async fn main(app: AppBuilder) -> kratos::Result<App> {
    Ok(app.service(CounterServer::new(CounterImpl)).build())
}
