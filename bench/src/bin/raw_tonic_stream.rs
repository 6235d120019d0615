//! Counter.Countdown as a hand-written tonic server stream: what a user writes
//! instead of kratos for the gRPC method `/stream.v1.Counter/Countdown`, served by
//! bench/examples/stream_server with kratos. The messages are prost derives and the
//! service is the code tonic-build would generate for one server-streaming method
//! (`ServerStreamingService` and `Grpc::server_streaming`), so nothing needs
//! `protoc` or a build script. The handler is the same iterator as kratos's,
//! returned as the boxed stream tonic's examples use. With `channel` after the
//! address, the handler instead spawns a task that sends the ticks into a bounded
//! channel of 16 and returns its receiver (tonic's route_guide example does so):
//! the task and channel hop kratos's stream engine adds to every stream, written
//! by hand, to tell that cost from the rest.
//!
//! ```text
//! cargo run --release -p kratos-bench --bin raw_tonic_stream -- 127.0.0.1:19011
//! cargo run --release -p kratos-bench --bin raw_tonic_stream -- 127.0.0.1:19012 channel
//! ```

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::sync::mpsc;
use tonic::body::Body;
use tonic::codegen::tokio_stream::{self, Stream};
use tonic::codegen::{BoxFuture, Service, http};
use tonic::server::{Grpc, NamedService, ServerStreamingService};
use tonic::{Request, Response, Status};

#[derive(Clone, PartialEq, prost::Message)]
pub struct CountdownRequest {
    #[prost(int32, tag = "1")]
    pub from: i32,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Tick {
    #[prost(int32, tag = "1")]
    pub n: i32,
}

/// The reply stream type a tonic user names in the service trait.
type CountdownStream = Pin<Box<dyn Stream<Item = Result<Tick, Status>> + Send>>;

/// The buffer of the `channel` variant: kratos's stream engine holds as many.
const CHANNEL: usize = 16;

#[derive(Default)]
pub struct Counter {
    /// Ticks from a spawned task through a bounded channel, not an iterator.
    channel: bool,
}

impl Counter {
    async fn countdown(
        &self,
        request: Request<CountdownRequest>,
    ) -> Result<Response<CountdownStream>, Status> {
        let from = request.into_inner().from;
        let ticks = (1..=from).rev().map(|n| Ok(Tick { n }));
        if !self.channel {
            return Ok(Response::new(Box::pin(tokio_stream::iter(ticks))));
        }
        let (tx, rx) = mpsc::channel(CHANNEL);
        tokio::spawn(async move {
            for tick in ticks {
                if tx.send(tick).await.is_err() {
                    return; // the client went away
                }
            }
        });
        Ok(Response::new(Box::pin(Receiver(rx))))
    }
}

/// A channel's receiving end as a stream.
struct Receiver(mpsc::Receiver<Result<Tick, Status>>);

impl Stream for Receiver {
    type Item = Result<Tick, Status>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.poll_recv(cx)
    }
}

/// The tower service tonic routes `stream.v1.Counter` calls to.
#[derive(Clone)]
pub struct CounterServer {
    inner: Arc<Counter>,
}

impl NamedService for CounterServer {
    const NAME: &'static str = "stream.v1.Counter";
}

struct Countdown(Arc<Counter>);

impl ServerStreamingService<CountdownRequest> for Countdown {
    type Response = Tick;
    type ResponseStream = CountdownStream;
    type Future = BoxFuture<Response<CountdownStream>, Status>;

    fn call(&mut self, request: Request<CountdownRequest>) -> Self::Future {
        let inner = self.0.clone();
        Box::pin(async move { inner.countdown(request).await })
    }
}

impl Service<http::Request<Body>> for CounterServer {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let inner = self.inner.clone();
        match request.uri().path() {
            "/stream.v1.Counter/Countdown" => Box::pin(async move {
                let mut grpc = Grpc::new(tonic_prost::ProstCodec::default());
                Ok(grpc.server_streaming(Countdown(inner), request).await)
            }),
            _ => Box::pin(async { Ok(Status::unimplemented("unknown method").into_http()) }),
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), tonic::transport::Error> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:19011".to_owned())
        .parse()
        .expect("an address such as 127.0.0.1:19011");
    let channel = match std::env::args().nth(2).as_deref() {
        None => false,
        Some("channel") => true,
        Some(other) => panic!("unknown variant {other}: `channel` or nothing"),
    };
    let counter = CounterServer {
        inner: Arc::new(Counter { channel }),
    };
    println!("raw_tonic_stream listening on {addr} (channel: {channel})");
    tonic::transport::Server::builder()
        .add_service(counter)
        .serve(addr)
        .await
}
